import Crypto
import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// A plugin's files, as `liaison plugins push` sends them: every file of its folder by relative
/// path (hidden files left out), at most 8 MiB together.
public struct PluginBundle: Sendable {
    public var files: [String: Data]
    public static let maximumBytes = 8 << 20

    /// Reads a plugin folder.
    public static func read(folder: URL) throws -> PluginBundle {
        var files: [String: Data] = [:]
        let root = folder.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw ServerError.badRequest("\(folder.path) is not a folder") }
        while let path = walker.nextObject() as? String {
            if path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDir), !isDir.boolValue else { continue }
            files[path] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + path))
        }
        guard files["plugin.toml"] != nil else { throw ServerError.badRequest("\(folder.path) has no plugin.toml: give a plugin's folder") }
        return PluginBundle(files: files)
    }

    public init(files: [String: Data]) { self.files = files }

    /// `{"files": {"plugin.toml": BASE64, "main.lua": BASE64, ...}}`
    public var json: JSONValue { .object(["files": .object(files.mapValues { .string($0.base64EncodedString()) })]) }

    /// Reads a bundle a client sent, refusing a path that leaves the folder, a hidden one, and
    /// more than `maximumBytes`.
    public init(json: JSONValue) throws {
        guard let object = json["files"]?.object, !object.isEmpty else { throw ServerError.badRequest("give {\"files\": {\"PATH\": BASE64, ...}} (liaison plugins push makes it)") }
        var files: [String: Data] = [:], total = 0
        for (path, value) in object {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." || $0.hasPrefix(".") }) else {
                throw ServerError.badRequest("file '\(path)': give paths inside the plugin's folder, without '..' or hidden names")
            }
            guard let text = value.string, let data = Data(base64Encoded: text) else { throw ServerError.badRequest("file '\(path)': its content is not base64") }
            total += data.count
            guard total <= Self.maximumBytes else { throw ServerError.badRequest("the plugin is larger than \(Self.maximumBytes >> 20) MiB") }
            files[path] = data
        }
        guard files["plugin.toml"] != nil else { throw ServerError.badRequest("the bundle has no plugin.toml") }
        self.files = files
    }

    /// SHA-256 over every file, in path order (path, NUL, length, NUL, contents): what the
    /// ledger records, so a replay knows which code decided what.
    public var digest: String {
        var hash = SHA256()
        for path in files.keys.sorted() {
            hash.update(data: Data(path.utf8) + [0] + Data(String(files[path]!.count).utf8) + [0])
            hash.update(data: files[path]!)
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    func write(into folder: URL) throws {
        for (path, data) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
    }
}

/// What became of a pushed plugin.
public struct PluginReplaced: Sendable {
    public var name: String
    public var version: String
    public var digest: String
    public var outcome: Outcome
}

extension OperationCore {
    public static let pluginsUpdated = "plugins.updated"

    /// Replaces (or adds) one of `agency`'s plugins with `bundle`, between two batches: the
    /// bundle is loaded with every other plugin of the operation exactly as a server start would
    /// (manifest, grants, the agency listing it, dependencies, Lua, templates), and only a set
    /// that loads whole is installed; its name, version and digest go into the ledger
    /// (`plugins.updated`, given by the agency) before any command is decided by it. The folder
    /// on disk follows, so a restart loads the same code; the replaced folder is kept beside it
    /// as `.replaced-NAME-TIME`.
    public func replacePlugin(_ bundle: PluginBundle, by agency: AgencyID, seenBy reader: CaseReader) async throws -> PluginReplaced {
        try await read { host in
            let fm = FileManager.default
            let plugins = host.folder.url.appendingPathComponent("plugins")
            let staging = plugins.appendingPathComponent(".staging-\(UUID().uuidString)")
            defer { try? fm.removeItem(at: staging) }
            let pushed = staging.appendingPathComponent("pushed")
            try fm.createDirectory(at: pushed, withIntermediateDirectories: true)
            try bundle.write(into: pushed)
            var problems = Problems()
            guard let manifest = PluginManifest.read(pushed, display: "the pushed plugin", operation: host.store.operation, &problems) else {
                throw ServerError.badRequest(problems.list.map(\.description).joined(separator: "; "))
            }
            guard manifest.agency == agency else {
                throw ServerError.forbidden("the pushed plugin.toml says agency = \"\(manifest.agency)\": \(agency) may push only its own plugins")
            }
            let current = host.engine.plugins.plugins.first { $0.manifest.name == manifest.name }
            if let current, current.manifest.agency != agency {
                throw ServerError.forbidden("plugin \(manifest.name) is \(current.manifest.agency)'s: \(agency) may push only its own plugins")
            }
            let folderName = current?.manifest.folder.lastPathComponent ?? manifest.name
            // The operation's plugins as they would be: the others as they are, this one pushed.
            let root = staging.appendingPathComponent("plugins")
            try fm.createDirectory(at: root, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: plugins.path) where !name.hasPrefix(".") && name != folderName {
                try fm.createSymbolicLink(at: root.appendingPathComponent(name), withDestinationURL: plugins.appendingPathComponent(name))
            }
            try fm.moveItem(at: pushed, to: root.appendingPathComponent(folderName))
            let set: PluginSet
            do { set = try PluginSet.load(pluginsFolder: root, operation: host.store.operation, signals: host.timeline.signals) } catch let error as PluginLoadError {
                throw ServerError.badRequest(error.description)
            }
            // Loaded whole: the ledger first, then the engine and the folder.
            let fields = ["plugin": manifest.name, "version": manifest.version.description, "digest": bundle.digest]
            host.engine.install(set)
            let outcome = try host.store.inGroups(of: 1) { try host.engine.submit(.signal(Signal(name: Self.pluginsUpdated, fields: fields)), by: agency) }
            let live = plugins.appendingPathComponent(folderName)
            if fm.fileExists(atPath: live.path) {
                try fm.moveItem(at: live, to: plugins.appendingPathComponent(".replaced-\(folderName)-\(Int(Date().timeIntervalSince1970))"))
            }
            try fm.moveItem(at: root.appendingPathComponent(folderName), to: live)
            return PluginReplaced(name: manifest.name, version: manifest.version.description, digest: bundle.digest,
                                  outcome: outcome.seen(by: reader, in: host.store))
        }
    }
}
