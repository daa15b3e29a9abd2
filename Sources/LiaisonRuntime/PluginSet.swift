import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore

/// The plugins of an operation (`plugins/*/plugin.toml`), loaded, each in its own sandboxed Lua
/// state, and ordered: by priority (higher first), then by name, except that a plugin's
/// dependencies always come just before it.
///
/// Loading is all or nothing: every manifest problem, dependency conflict, template error and
/// script error is gathered, and `load` throws them together (`PluginLoadError`).
public final class PluginSet {
    public let plugins: [PluginRuntime]
    private var byEvent: [String: [(PluginRuntime, Handler)]] = [:]
    /// What a notice to each agency is offered to: every `notice.sent` handler, and that
    /// agency's `notice.received` handlers, merged in the set's order.
    private var noticeTo: [String: [(PluginRuntime, Handler)]] = [:]

    /// A set with no plugins: the model alone.
    public static var empty: PluginSet { PluginSet(plugins: []) }

    init(plugins: [PluginRuntime]) {
        self.plugins = plugins
        for plugin in plugins {
            for handler in plugin.handlers { byEvent[handler.event, default: []].append((plugin, handler)) }
        }
        for agency in Set(plugins.map(\.manifest.agency.rawValue)) {
            noticeTo[agency] = plugins.flatMap { plugin in
                plugin.handlers.lazy.filter { $0.event == "notice.sent" || ($0.event == "notice.received" && plugin.manifest.agency.rawValue == agency) }
                    .map { (plugin, $0) }
            }
        }
    }

    /// Handlers subscribed to `event`, in the set's order.
    func handlers(for event: String) -> [(PluginRuntime, Handler)] { byEvent[event] ?? [] }

    /// The handlers `event` is offered to, in the set's order. A sent notice is offered to
    /// every `notice.sent` handler and, as `notice.received`, only to the plugins of the agency
    /// it is addressed to (the part of `to` before any `/`).
    func handlers(for event: Event) -> [(PluginRuntime, Handler)] {
        if case let .noticeSent(_, to) = event {
            return noticeTo[Notice.recipient(of: to).rawValue] ?? handlers(for: "notice.sent")
        }
        return handlers(for: event.name)
    }

    /// Every event some plugin subscribes to.
    public var events: [String] { byEvent.keys.sorted() }

    func attach(to engine: Engine) { for p in plugins { p.engine = engine } }

    func close() { for p in plugins { p.close() } }

    /// Loads `operationFolder/plugins/*`. An operation without a plugins folder has no plugins.
    public static func load(operationFolder: URL, operation: ReturnOperation) throws -> PluginSet {
        let timeline = try Timeline.load(operationFolder, operation: operation)
        return try load(pluginsFolder: operationFolder.appendingPathComponent("plugins"), operation: operation, signals: timeline.signals)
    }

    /// Loads every plugin folder inside `root` (an operation's `plugins/`, or another version of
    /// it for `liaison replay`). `signals`: the signals given besides the model's events and the
    /// operation's own (a timeline's), which handlers may subscribe to.
    public static func load(pluginsFolder root: URL, operation: ReturnOperation, signals: Set<String> = []) throws -> PluginSet {
        var problems = Problems()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted().filter {
            var isDir: ObjCBool = false
            return !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &isDir) && isDir.boolValue
        }
        var manifests: [PluginManifest] = []
        for name in names {
            let folder = root.appendingPathComponent(name)
            if let m = PluginManifest.read(folder, display: "plugins/\(name)", operation: operation, &problems) {
                if let other = manifests.first(where: { $0.name == m.name }) {
                    problems.add(m.manifestPath, nil, "plugin name '\(m.name)' is taken by \(other.manifestPath)")
                } else {
                    manifests.append(m)
                }
            }
        }
        let ordered = order(manifests, &problems)
        guard problems.list.isEmpty else { throw PluginLoadError(problems: problems.list) }
        var loaded: [PluginRuntime] = []
        for m in ordered {
            if let p = PluginRuntime.load(m, operation: operation, signals: signals, &problems) { loaded.append(p) }
        }
        guard problems.list.isEmpty else {
            for p in loaded { p.close() }
            throw PluginLoadError(problems: problems.list)
        }
        return PluginSet(plugins: loaded)
    }

    /// Checks dependencies and incompatibilities, and orders the plugins.
    static func order(_ manifests: [PluginManifest], _ problems: inout Problems) -> [PluginManifest] {
        let byName = Dictionary(uniqueKeysWithValues: manifests.map { ($0.name, $0) })
        for m in manifests {
            for d in m.dependencies {
                guard let dep = byName[d.name] else {
                    if !d.optional { problems.add(m.manifestPath, nil, "dependencies.\(d.name): plugin \(d.name) \(d.range) is required but not in plugins/ (mark it optional = true if \(m.name) can run without it)") }
                    continue
                }
                if !d.range.contains(dep.version) {
                    problems.add(m.manifestPath, nil, "dependencies.\(d.name): needs \(d.name) \(d.range), but plugins/ has \(dep.version)")
                }
            }
            for d in m.incompatible {
                if let other = byName[d.name], d.range.contains(other.version) {
                    problems.add(m.manifestPath, nil, "incompatible.\(d.name): \(m.name) cannot run with \(d.name) \(other.version); remove one of them")
                }
            }
        }
        // Highest priority first (then name); a plugin's dependencies are pulled ahead of it
        // just in time, so a dependency always handles an event before its dependants.
        let deps = Dictionary(uniqueKeysWithValues: manifests.map { m in (m.name, m.dependencies.map(\.name).filter { byName[$0] != nil }) })
        let byRank = manifests.sorted { ($0.priority, $1.name) > ($1.priority, $0.name) }
        var out: [PluginManifest] = []
        var done = Set<String>()
        var visiting: [String] = []
        func visit(_ m: PluginManifest) -> Bool {
            if done.contains(m.name) { return true }
            if let i = visiting.firstIndex(of: m.name) {
                let cycle = visiting[i...] + [m.name]
                problems.add(m.manifestPath, nil, "dependencies form a cycle: \(cycle.joined(separator: " -> "))")
                return false
            }
            visiting.append(m.name)
            defer { visiting.removeLast() }
            for dep in byRank where deps[m.name]!.contains(dep.name) {
                guard visit(dep) else { return false }
            }
            done.insert(m.name)
            out.append(m)
            return true
        }
        for m in byRank where !visit(m) { break }
        return out
    }
}

/// Plugins that could not all be loaded: every problem, by file and line. Nothing was
/// installed.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable {
    public var problems: [Problem]
    public var description: String {
        let noun = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(noun) in the plugins; none was loaded:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
