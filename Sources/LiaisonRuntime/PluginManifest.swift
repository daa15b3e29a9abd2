import Foundation
import LiaisonModel
import LiaisonStore

/// A plugin's `plugin.toml`: who it is, which agency it acts for, what it needs and what it
/// may do.
///
/// ```toml
/// name = "ir-mfa"
/// version = "1.0.0"
/// agency = "IR-MFA"
/// api = 1
/// entry = "main.lua"
/// priority = 50                       # higher runs first
/// permissions = ["document.issue", "handoff.acknowledge", "notice.send"]
///
/// [dependencies]
/// us-enf = ">=1.0.0 <2.0.0"
/// monitor = { version = "^1", optional = true }
///
/// [incompatible]
/// legacy-mfa = "*"
/// ```
public struct PluginManifest: Sendable {
    public struct Dependency: Sendable, Hashable {
        public var name: String
        public var range: VersionRange
        public var optional: Bool
    }

    public var name: String
    public var version: Version
    public var agency: AgencyID
    public var api: Int
    public var entry: String
    public var priority: Int
    public var permissions: Set<String>
    public var dependencies: [Dependency]
    public var incompatible: [Dependency]
    /// The plugin's folder, and how messages name it (`plugins/ir-mfa`).
    public var folder: URL
    public var displayFolder: String
    /// Per-handler limits.
    public var timeLimit: Duration
    public var memoryLimit: Int

    /// The plugin API this host offers; a plugin declares the one it was written for.
    public static let hostAPI = 1

    /// Everything a plugin may be granted: the commands it may give, by name, and `notice.send`,
    /// `notice.acknowledge`.
    public static let knownPermissions: [String] = CommandCatalog.specs.map(\.command).uniqued() + ["notice.send", "notice.acknowledge"]

    var manifestPath: String { displayFolder + "/plugin.toml" }

    /// Reads `folder/plugin.toml`, adding every problem to `problems`.
    static func read(_ folder: URL, display: String, operation: ReturnOperation, _ problems: inout Problems) -> PluginManifest? {
        let file = display + "/plugin.toml"
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("plugin.toml").path),
              let text = String(data: data, encoding: .utf8) else {
            problems.add(file, nil, "missing or not UTF-8: every folder under plugins/ needs a plugin.toml")
            return nil
        }
        guard let parsed = TOMLReader.parse(text, file: file, problems) else {
            problems = TOMLReader.lastProblems(text, file: file, problems)
            return nil
        }
        var r = parsed.0
        let root = parsed.1
        defer { problems = r.problems }
        let known = Set(["name", "version", "agency", "api", "entry", "priority", "permissions", "dependencies", "incompatible", "limits"])
        for key in root.keys.sorted() where !known.contains(key) {
            r.fail(key, "is not a plugin.toml key (keys: \(known.sorted().joined(separator: ", ")))")
        }
        let name = r.string(root, "name", "")
        if let name, name.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
            r.fail("name", "'\(name)' must be lower-case letters, digits and dashes")
        }
        var version: Version?
        if let text = r.string(root, "version", "") {
            version = Version(text)
            if version == nil { r.fail("version", "'\(text)' is not a semantic version (MAJOR.MINOR.PATCH, for example 1.0.0)") }
        }
        let agency = r.string(root, "agency", "").map(AgencyID.init)
        if let agency, let name {
            if let a = operation.agency(agency) {
                // The operation says which plugins act for each agency: a folder cannot take an
                // agency's name, its disclosure and its rights by declaring them.
                if !a.plugins.contains(name) {
                    let listed = a.plugins.isEmpty ? "none" : a.plugins.joined(separator: ", ")
                    r.fail("agency", "plugin \(name) claims \(agency), but operation.toml does not list it among \(agency)'s plugins (\(listed)): add \"\(name)\" to plugins in \(agency)'s [[agencies]] entry if \(agency) runs it")
                }
            } else {
                r.fail("agency", "\(agency) is not an agency of operation \(operation.name) (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
            }
        }
        if root["api"] == nil { r.fail("api", "missing: the plugin API version this plugin was written for (this host offers \(hostAPI))") }
        let api = r.int(root, "api", "", default: hostAPI)  // a problem above or here refuses the set
        if api != hostAPI { r.fail("api", "this host offers plugin API \(hostAPI), not \(api)") }
        let entry = r.string(root, "entry", "", required: false) ?? "main.lua"
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry).path) {
            r.fail("entry", "\(display)/\(entry) does not exist")
        }
        let priority = r.int(root, "priority", "", default: 0, minimum: Int.min)
        var permissions = Set<String>()
        let agencyRecord = agency.flatMap(operation.agency)
        for p in r.strings(root["permissions"], "permissions") {
            guard Self.knownPermissions.contains(p) else {
                r.fail("permissions", "'\(p)' is not a permission (permissions: \(Self.knownPermissions.sorted().joined(separator: ", ")))")
                continue
            }
            // A plugin may ask for what the operation grants its agency, and no more.
            if let a = agencyRecord, !operation.grants.grant(for: a).commands.contains(p) {
                let grant = operation.grants.grant(for: a)
                let why = Rules.role(a.role, mayGive: p)
                    ? "operation \(operation.name) does not grant it to \(a.id) (\(operation.grants.source(for: a)) gives \(grant.commands.sorted().joined(separator: ", ")))"
                    : "role \(a.role.rawValue) may never give it (only \(Rules.authority(p).roles.map(\.rawValue).joined(separator: " or ")) may)"
                r.fail("permissions", "'\(p)' is not allowed: \(why)")
                continue
            }
            permissions.insert(p)
        }
        let dependencies = Self.dependencies(root["dependencies"], "dependencies", &r)
        let incompatible = Self.dependencies(root["incompatible"], "incompatible", &r)
        var time = Duration.seconds(2), memory = 32 << 20  // per handler call
        if let limits = root["limits"] as? [String: Any] {
            time = .milliseconds(r.int(limits, "time_ms", "limits", default: 2_000, minimum: 1))
            memory = r.int(limits, "memory_mib", "limits", default: 32, minimum: 1) << 20
        }
        guard let name, let version, let agency, operation.agency(agency) != nil else { return nil }
        return PluginManifest(name: name, version: version, agency: agency, api: hostAPI, entry: entry, priority: priority,
                              permissions: permissions, dependencies: dependencies, incompatible: incompatible, folder: folder,
                              displayFolder: display, timeLimit: time, memoryLimit: memory)
    }

    private static func dependencies(_ value: Any?, _ key: String, _ r: inout TOMLReader) -> [Dependency] {
        guard let value else { return [] }
        guard let table = value as? [String: Any] else {
            r.fail(key, "must be a table of plugin names and version ranges ([\(key)])")
            return []
        }
        var out: [Dependency] = []
        for (name, spec) in table.sorted(by: { $0.key < $1.key }) {
            let path = "\(key).\(name)"
            var rangeText = spec as? String
            var optional = false
            if let inline = spec as? [String: Any] {
                rangeText = inline["version"] as? String ?? "*"
                optional = r.bool(inline, "optional", path, default: false)
            }
            guard let rangeText, let range = VersionRange(rangeText) else {
                r.fail(path, "must be a version range such as \">=1.0.0 <2.0.0\", \"^1.2\" or \"*\", or { version = \"^1\", optional = true }")
                continue
            }
            out.append(Dependency(name: name, range: range, optional: optional))
        }
        return out
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
