import Foundation
import LiaisonModel

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
///
/// [replies.legal-access]              # what a notice from templates/legal-access.mustache asks
/// lawyer_met = "boolean"              # text, date, boolean or number; `?` when it may be left out
/// note = "text?"
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
    /// What a notice sent from each template asks its recipient to answer, by template name.
    public var replies: [String: [NoticeQuestion]] = [:]

    public init(name: String, version: Version, agency: AgencyID, api: Int, entry: String, priority: Int, permissions: Set<String>,
                dependencies: [Dependency], incompatible: [Dependency], folder: URL, displayFolder: String, timeLimit: Duration,
                memoryLimit: Int) {
        (self.name, self.version, self.agency, self.api, self.entry, self.priority) = (name, version, agency, api, entry, priority)
        (self.permissions, self.dependencies, self.incompatible) = (permissions, dependencies, incompatible)
        (self.folder, self.displayFolder, self.timeLimit, self.memoryLimit) = (folder, displayFolder, timeLimit, memoryLimit)
    }

    /// The plugin API this host offers; a plugin declares the one it was written for.
    public static let hostAPI = 1

    /// Everything a plugin may be granted: the commands it may give, by name, and `notice.send`,
    /// `notice.acknowledge`, `notice.reply`.
    public static let knownPermissions: [String] = CommandCatalog.names + ["notice.send", "notice.acknowledge", "notice.reply"]

    public var manifestPath: String { displayFolder + "/plugin.toml" }

    /// Reads `folder/plugin.toml`, adding every problem to `problems`.
    public static func read(_ folder: URL, display: String, operation: ReturnOperation, _ problems: inout Problems) -> PluginManifest? {
        let file = display + "/plugin.toml"
        guard let text = InputFile.text(of: folder.appendingPathComponent("plugin.toml"), file: file,
                                        missing: "missing: every folder under plugins/ needs a plugin.toml", into: &problems) else {
            return nil
        }
        let document = TOMLDocument(text, file: file)
        defer { problems.add(document.problems) }
        guard let root = document.root else { return nil }
        root.refuseUnknownKeys(["name", "version", "agency", "api", "entry", "priority", "permissions", "dependencies", "incompatible", "limits",
                                "replies"],
                               of: "plugin.toml")
        let name = root.string("name")
        if let name, name.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
            root.fail("name", "'\(name)' must be lower-case letters, digits and dashes")
        }
        var version: Version?
        if let text = root.string("version") {
            version = Version(text)
            if version == nil { root.fail("version", "'\(text)' is not a semantic version (MAJOR.MINOR.PATCH, for example 1.0.0)") }
        }
        let agency = root.string("agency").map(AgencyID.init)
        if let agency, let name {
            if let a = operation.agency(agency) {
                // The operation says which plugins act for each agency: a folder cannot take an
                // agency's name, its disclosure and its rights by declaring them.
                if !a.plugins.contains(name) {
                    let listed = a.plugins.isEmpty ? "none" : a.plugins.joined(separator: ", ")
                    root.fail("agency", "plugin \(name) claims \(agency), but operation.toml does not list it among \(agency)'s plugins (\(listed)): add \"\(name)\" to plugins in \(agency)'s [[agencies]] entry if \(agency) runs it")
                }
            } else {
                root.fail("agency", "\(agency) is not an agency of operation \(operation.name) (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
            }
        }
        if !root.has("api") { root.fail("api", "missing: the plugin API version this plugin was written for (this host offers \(hostAPI))") }
        let api = root.int("api", default: hostAPI)  // a problem above or here refuses the set
        if api != hostAPI { root.fail("api", "this host offers plugin API \(hostAPI), not \(api)") }
        let entry = root.string("entry", required: false) ?? "main.lua"
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry).path) {
            root.fail("entry", "\(display)/\(entry) does not exist")
        }
        let priority = root.int("priority", default: 0, minimum: Int.min)
        var permissions = Set<String>()
        let agencyRecord = agency.flatMap(operation.agency)
        for p in root.strings("permissions") {
            guard Self.knownPermissions.contains(p) else {
                root.fail("permissions", "'\(p)' is not a permission (permissions: \(Self.knownPermissions.sorted().joined(separator: ", ")))")
                continue
            }
            // A plugin may ask for what the operation grants its agency, and no more.
            if let a = agencyRecord, !operation.grants.grant(for: a).commands.contains(p) {
                let grant = operation.grants.grant(for: a)
                let why = Rules.role(a.role, mayGive: p)
                    ? "operation \(operation.name) does not grant it to \(a.id) (\(operation.grants.source(for: a)) gives \(grant.commands.sorted().joined(separator: ", ")))"
                    : "role \(a.role.rawValue) may never give it (only \(Rules.authority(p).roles.map(\.rawValue).joined(separator: " or ")) may)"
                root.fail("permissions", "'\(p)' is not allowed: \(why)")
                continue
            }
            permissions.insert(p)
        }
        let dependencies = Self.dependencies(root, "dependencies")
        let incompatible = Self.dependencies(root, "incompatible")
        var time = Duration.seconds(2), memory = 32 << 20  // per handler call
        if let limits = root.table("limits", shape: "time_ms = ... and memory_mib = ...") {
            limits.refuseUnknownKeys(["time_ms", "memory_mib"], of: "[limits]")
            time = .milliseconds(limits.int("time_ms", default: 2_000, minimum: 1, maximum: 600_000))
            memory = limits.int("memory_mib", default: 32, minimum: 1, maximum: 16_384) << 20
        }
        let replies = Self.replies(root, folder: folder, display: display)
        guard let name, let version, let agency, operation.agency(agency) != nil else { return nil }
        var manifest = PluginManifest(name: name, version: version, agency: agency, api: hostAPI, entry: entry, priority: priority,
                                      permissions: permissions, dependencies: dependencies, incompatible: incompatible, folder: folder,
                                      displayFolder: display, timeLimit: time, memoryLimit: memory)
        manifest.replies = replies
        return manifest
    }

    /// `[replies.TEMPLATE]`: for each template, the answers a notice sent from it asks for.
    private static func replies(_ root: TOMLTableReader, folder: URL, display: String) -> [String: [NoticeQuestion]] {
        guard let table = root.table("replies", shape: "a table per template ([replies.TEMPLATE]) of answer = \"kind\"") else { return [:] }
        var out: [String: [NoticeQuestion]] = [:]
        let kinds = NoticeQuestion.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        for template in table.keys {
            guard let questions = table.table(template, shape: "answer = \"kind\" pairs, the kind one of \(kinds), with ? when optional") else { continue }
            if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("templates/\(template).mustache").path) {
                table.fail(template, "\(display)/templates/\(template).mustache does not exist: [replies.\(template)] declares the answers to notices from that template")
                continue
            }
            var asks: [NoticeQuestion] = []
            for name in questions.keys {
                guard name.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil, name.utf8.count <= NoticeQuestion.maximumNameBytes else {
                    questions.fail(name, "'\(name)' must be lower-case letters, digits and underscores, starting with a letter, at most \(NoticeQuestion.maximumNameBytes) bytes")
                    continue
                }
                guard let text = questions.string(name), let q = NoticeQuestion(name: name, declaration: text) else {
                    if case .text(let t)? = questions.value(name) {
                        questions.fail(name, "'\(t)' is not a kind of answer (kinds: \(kinds); add ? when the answer may be left out)")
                    }
                    continue
                }
                asks.append(q)
            }
            if questions.keys.isEmpty { table.fail(template, "[replies.\(template)] asks nothing: name at least one answer, or remove the table") }
            if asks.count > NoticeQuestion.maximumQuestions {
                table.fail(template, "[replies.\(template)] asks \(asks.count) questions: a notice asks at most \(NoticeQuestion.maximumQuestions)")
            }
            out[template] = asks.sorted { $0.name < $1.name }
        }
        return out
    }

    private static func dependencies(_ root: TOMLTableReader, _ key: String) -> [Dependency] {
        guard let table = root.table(key, shape: "plugin names and version ranges ([\(key)])") else { return [] }
        var out: [Dependency] = []
        for name in table.keys {
            var rangeText: String?
            var optional = false
            switch table.value(name) {
            case .text(let s)?: rangeText = s
            case .table(let inline)?:
                inline.refuseUnknownKeys(["version", "optional"], of: "a dependency")
                rangeText = inline.has("version") ? inline.string("version") : "*"
                optional = inline.bool("optional", default: false)
            default: break
            }
            guard let rangeText, let range = VersionRange(rangeText) else {
                table.fail(name, "must be a version range such as \">=1.0.0 <2.0.0\", \"^1.2\" or \"*\", or { version = \"^1\", optional = true }")
                continue
            }
            out.append(Dependency(name: name, range: range, optional: optional))
        }
        return out
    }
}
