import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore
import LuaKit
import Mustache

/// A handler a plugin registered with `on(event, handler [, { fail = "closed" }])`.
public struct Handler {
    public let event: String
    let function: LuaFunction
    /// Fail-closed: if the handler fails, the triggering command is refused. Fail-open
    /// (the default): the failure is recorded and the command goes on.
    public let failClosed: Bool
    /// Where `on` was called: `plugins/ir-mfa/main.lua:12`.
    public let location: String
}

/// How a handler call ended when it did not end normally.
struct HandlerFailure {
    var kind: PluginOutcome.Kind
    var message: String
    var location: String?
}

/// One loaded plugin: its manifest, its own Lua state, its handlers and templates.
///
/// Its state sees the model only through the objects and functions installed here, each of
/// which reads through the agency's disclosure policy and gives commands only with the
/// manifest's permissions. Between commands it is bound to no transaction: model reads and
/// commands then fail with a message saying so.
public final class PluginRuntime {
    public internal(set) var manifest: PluginManifest
    public var name: String { manifest.name }
    let state: LuaState
    /// A console's runtime (`liaison repl`) rather than a plugin's: it uses the model between
    /// commands, each of its chunks being one transaction (`Engine.perform`).
    var isConsole = false
    /// The coordinator's console: every field of every case, every command.
    var seesEverything = false
    public internal(set) var handlers: [Handler] = []
    /// What the operation grants the plugin's agency: its permissions may not exceed the
    /// commands, and it may veto (or fail closed) only on the events named.
    var grant: Grant
    var templates: [String: NoticeTemplate] = [:]
    weak var engine: Engine?
    var loading = true
    /// The context of the handler call under way.
    var context: HandlerContext?

    private init(manifest: PluginManifest, state: LuaState, grant: Grant) {
        self.manifest = manifest
        self.state = state
        self.grant = grant
    }

    func close() { state.close() }

    // MARK: The console

    /// The Lua state of a console onto `engine`'s operation, as `agency`'s plugins see it (its
    /// disclosure policy, the union of its plugins' permissions), or as the coordinator (every
    /// field, every command, given in the name of the sending agency) when `agency` is nil.
    public static func console(engine: Engine, as agency: AgencyID?, output: @escaping @Sendable (String) -> Void) throws -> PluginRuntime {
        var sandbox = LuaSandbox(output: output)
        sandbox.moduleChunkPrefix = ""
        let state = try LuaState(limits: LuaLimits(memory: 256 << 20, time: .seconds(30)), sandbox: sandbox)
        let runtime = PluginRuntime(manifest: consoleManifest(engine: engine, as: agency), state: state, grant: consoleGrant(engine: engine, as: agency))
        runtime.isConsole = true
        runtime.templates = consoleTemplates(engine: engine, for: runtime.manifest.agency)
        runtime.seesEverything = agency == nil
        runtime.loading = false
        runtime.engine = engine
        try runtime.installAPI()
        return runtime
    }

    /// A console speaks for an agency with exactly what the operation grants it; the
    /// coordinator's gives any command, in the sending agency's name, so the rules still decide.
    static func consoleManifest(engine: Engine, as agency: AgencyID?) -> PluginManifest {
        let sending = engine.operation.agencies.first { $0.role == .sendingEnforcement }?.id ?? AgencyID.coordinator
        let permissions = agency.map { engine.operation.grant(for: $0)?.commands ?? [] } ?? Set(PluginManifest.knownPermissions)
        var manifest = PluginManifest(name: "repl", version: Version(0, 0, 0), agency: agency ?? sending, api: PluginManifest.hostAPI, entry: "",
                                      priority: 0, permissions: permissions, dependencies: [], incompatible: [], folder: URL(fileURLWithPath: "."),
                                      displayFolder: "repl", timeLimit: .seconds(30), memoryLimit: 256 << 20)
        manifest.replies = consoleReplies(engine: engine, for: agency ?? sending)
        return manifest
    }

    /// The templates a console speaking for `agency` sends notices from: those of the
    /// agency's plugins (the first plugin's, by priority, where two share a name). Their
    /// `[replies]` come with them, into the console's manifest.
    static func consoleTemplates(engine: Engine, for agency: AgencyID) -> [String: NoticeTemplate] {
        var out: [String: NoticeTemplate] = [:]
        for plugin in engine.plugins.plugins where plugin.manifest.agency == agency {
            out.merge(plugin.templates) { first, _ in first }
        }
        return out
    }

    static func consoleReplies(engine: Engine, for agency: AgencyID) -> [String: [NoticeQuestion]] {
        var out: [String: [NoticeQuestion]] = [:]
        for plugin in engine.plugins.plugins where plugin.manifest.agency == agency {
            out.merge(plugin.manifest.replies) { first, _ in first }
        }
        return out
    }

    /// Runs a console chunk with a `ctx` of its own, as a handler has: the agency's, at the
    /// operation's time, with `hook` "repl"; it dies when the chunk ends.
    public func withConsoleContext<T>(_ body: () throws -> T) throws -> T {
        guard isConsole, let engine else { return try body() }
        let ctx = HandlerContext(plugin: self, hook: "repl", now: engine.now)
        let outer = context
        context = ctx
        try state.setGlobal("ctx", .object(ctx))
        defer {
            context = outer
            try? state.setGlobal("ctx", .nil)
            state.release(ctx)
        }
        return try body()
    }

    static func consoleGrant(engine: Engine, as agency: AgencyID?) -> Grant {
        agency.map { engine.operation.grant(for: $0) ?? Grant(commands: []) } ?? Grant(commands: Set(PluginManifest.knownPermissions), vetoes: ["*"])
    }

    /// Switches a console to another agency's view and permissions (nil: the coordinator's),
    /// keeping its globals.
    public func switchConsole(to agency: AgencyID?) {
        guard isConsole, let engine else { return }
        manifest = Self.consoleManifest(engine: engine, as: agency)
        templates = Self.consoleTemplates(engine: engine, for: manifest.agency)
        grant = Self.consoleGrant(engine: engine, as: agency)
        seesEverything = agency == nil
        cachedReader = nil
    }

    /// How the console reads, and what it may be shown: its agency's disclosure, or the
    /// coordinator's.
    public var reader: CaseReader {
        guard let engine, let reader = try? caseReader(for: engine) else { return seesEverything ? .coordinator : CaseReader.nobody }
        return reader
    }

    /// The console's state: it compiles and runs the console's input (inside `Engine.perform`,
    /// so that a chunk's commands are one transaction), completes and prints.
    public var luaState: LuaState { state }

    /// The events `on()` accepts while the plugin loads: the model's, the engine's signals and
    /// the operation's (nil: any, for a console).
    var knownEvents: Set<String>?
    /// Mistakes `on()` found while the plugin loaded, by file and line: each is listed, and the
    /// set is refused.
    var loadProblems: [Problem] = []

    /// Loads the plugin: its templates, then its entry file, time-boxed, in a fresh sandboxed
    /// state where it may only register handlers.
    static func load(_ m: PluginManifest, operation: ReturnOperation, signals: Set<String>, _ problems: inout Problems) -> PluginRuntime? {
        let sink = OutputSink()
        let state: LuaState
        do {
            var sandbox = LuaSandbox(moduleRoot: m.folder, output: { sink.write($0) })
            sandbox.moduleChunkPrefix = m.displayFolder + "/"
            state = try LuaState(limits: LuaLimits(memory: m.memoryLimit, time: .seconds(2)), sandbox: sandbox)
        } catch {
            problems.add(m.displayFolder, nil, "cannot create its Lua state: \(error)")
            return nil
        }
        let plugin = PluginRuntime(manifest: m, state: state, grant: operation.grant(for: m.agency) ?? Grant(commands: []))
        plugin.knownEvents = Set(EventCatalog.specs.map(\.name)).union(signals).union(operation.signals)
        sink.plugin = plugin
        plugin.loadTemplates(&problems)
        let entryPath = m.displayFolder + "/" + m.entry
        do {
            try plugin.installAPI()
            guard let data = FileManager.default.contents(atPath: m.folder.appendingPathComponent(m.entry).path) else {
                throw LuaScriptError("cannot read \(entryPath)")
            }
            try state.load(LuaString(bytes: [UInt8](data)), name: entryPath).call()
        } catch let error as LuaError {
            if case let .syntax(_, line, message) = error {
                problems.add(entryPath, line, Self.strip(message, entryPath))
            } else {
                let message = error.description.components(separatedBy: "\n").first ?? error.description
                problems.add(entryPath, Self.line(message, entryPath), Self.strip(message, entryPath))
            }
        } catch {
            problems.add(entryPath, nil, String(describing: error))
        }
        plugin.loading = false
        state.limits = LuaLimits(memory: m.memoryLimit, time: m.timeLimit)
        problems.list += plugin.loadProblems
        plugin.checkNotices(operation: operation, &problems)
        if plugin.handlers.isEmpty && problems.list.isEmpty {
            problems.add(entryPath, nil, "registers no handlers: call on(event, handler) for the events the plugin reacts to")
        }
        return plugin
    }

    /// Every `ctx:send_notice{...}` in the plugin's Lua files whose template or recipient is
    /// literal text: the template must exist, the recipient must be an agency, and the template
    /// must print nothing the sender and recipient may not both see.
    func checkNotices(operation: ReturnOperation, _ problems: inout Problems) {
        let root = manifest.folder
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".lua") }.sorted()
        for file in files {
            guard let text = try? String(contentsOf: root.appendingPathComponent(file), encoding: .utf8) else { continue }
            let shown = manifest.displayFolder + "/" + file
            for call in PluginChecks.noticeCalls(in: text, file: shown) {
                var template: NoticeTemplate?
                if let name = call.template {
                    template = templates[name]
                    if template == nil {
                        let near = PluginChecks.nearest(name, in: templates.keys).map { " (did you mean '\($0)'?)" } ?? ""
                        problems.add(shown, call.line, "ctx:send_notice names template '\(name)', which \(manifest.displayFolder)/templates does not have\(near) (templates: \(templates.keys.sorted().joined(separator: ", ")))")
                    }
                }
                guard let to = call.to else { continue }
                let recipient = Notice.recipient(of: to)
                guard operation.agency(recipient) != nil else {
                    problems.add(shown, call.line, "ctx:send_notice is addressed to '\(to)', but \(recipient) is not an agency of operation \(operation.name) (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
                    continue
                }
                guard let template, let name = call.template, let shared = try? CaseReader(manifest.agency, sharedWith: recipient, in: operation) else { continue }
                let blank = template.withheld(from: shared)
                if !blank.isEmpty {
                    problems.add(shown, call.line, "ctx:send_notice{ to = \"\(to)\", template = \"\(name)\" }: the template prints \(blank.map { "\($0.name) (\($0.category.rawValue))" }.joined(separator: ", ")), which \(manifest.agency) and \(recipient) may not both see, so it would print blank")
                }
            }
        }
    }

    /// The line in a "file:line: message" error about `file`.
    static func line(_ message: String, _ file: String) -> Int? {
        guard message.hasPrefix(file + ":") else { return nil }
        return Int(message.dropFirst(file.count + 1).prefix { $0.isNumber })
    }

    static func strip(_ message: String, _ file: String) -> String {
        guard let n = line(message, file) else { return message }
        return String(message.dropFirst(file.count + 1 + String(n).count + 1)).trimmingCharacters(in: .whitespaces)
    }

    private func loadTemplates(_ problems: inout Problems) {
        let folder = manifest.folder.appendingPathComponent("templates")
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() where file.hasSuffix(".mustache") {
            let shown = "\(manifest.displayFolder)/templates/\(file)"
            guard let text = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) else {
                problems.add(shown, nil, "cannot be read as UTF-8 text")
                continue
            }
            do {
                templates[String(file.dropLast(".mustache".count))] = try NoticeTemplate(text: text)
            } catch let error as MustacheTemplate.ParserError {
                problems.add(shown, error.context.lineNumber, "template error: \(error.error) (column \(error.context.columnNumber))")
            } catch {
                problems.add(shown, nil, "template error: \(error)")
            }
        }
    }

    // MARK: Running handlers

    /// The fields of `event` (caused by a command of `actor`) this plugin's agency may not
    /// see, or nil when it may not hear of the event at all.
    func withheld(from event: Event, causedBy actor: AgencyID, engine: Engine) -> [String]? {
        guard let reader = try? caseReader(for: engine) else { return nil }
        if reader === CaseReader.coordinator { return [] }
        switch event.disclosure(to: reader, causedBy: actor, in: engine.reader) {
        case .hidden: return nil
        case .shown(let withheld): return withheld
        }
    }

    /// Calls `handler` with `event`, without the `withheld` fields; nil when it returned
    /// normally (and did not veto). A handler may run inside another of the same plugin, when a
    /// command the outer one gave causes the event: each has its own `ctx`.
    func run(_ handler: Handler, event: Event, withheld: [String], engine: Engine) -> HandlerFailure? {
        let ctx = HandlerContext(plugin: self, hook: handler.event, now: engine.now)
        let outer = context
        context = ctx
        defer {
            context = outer
            state.release(ctx)  // a ctx kept past its call is dead
        }
        do {
            var ev = eventValue(event, as: handler.event)
            for field in withheld { ev[field] = nil }
            try handler.function.call(ev, LuaValue.object(ctx))
        } catch let error as LuaError {
            if let veto = ctx.veto { return HandlerFailure(kind: .veto, message: veto.reason, location: veto.location) }
            switch error {
            case let .timeout(limit, location):
                return HandlerFailure(kind: .timeout, message: "time limit of \(limit) exceeded (an endless loop? if the work is real, raise time_ms under [limits] in \(manifest.manifestPath))",
                                      location: location)
            case let .memory(limit, location):
                return HandlerFailure(kind: .memory, message: "memory limit of \(limit >> 20) MiB exceeded (raise memory_mib under [limits] in \(manifest.manifestPath), or keep less data alive)",
                                      location: location)
            case let .interrupted(location): return HandlerFailure(kind: .interrupted, message: error.description, location: location)
            case let .runtime(message, _):
                let location = Self.location(in: message)
                return HandlerFailure(kind: .error, message: location.map { String(message.dropFirst($0.count + 1)).trimmingCharacters(in: .whitespaces) } ?? message,
                                      location: location)
            default: return HandlerFailure(kind: .error, message: error.description, location: handler.location)
            }
        } catch {
            if let veto = ctx.veto { return HandlerFailure(kind: .veto, message: veto.reason, location: veto.location) }
            return HandlerFailure(kind: .error, message: String(describing: error), location: handler.location)
        }
        if let veto = ctx.veto { return HandlerFailure(kind: .veto, message: veto.reason, location: veto.location) }
        return nil
    }

    /// "plugins/x/main.lua:14" at the front of a Lua error message.
    static func location(in message: String) -> String? {
        let parts = message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber) else { return nil }
        return "\(parts[0]):\(parts[1])"
    }

    // MARK: Giving commands

    func give(_ spec: CommandSpec, subject: String, _ args: LuaArguments, from position: Int = 1) throws {
        let command = try build(spec, subject: subject, args, from: position)
        try engineInHandler(spec.method).applyFromHandler(command, by: manifest.agency, origin: origin, giver: self)
    }

    func build(_ spec: CommandSpec, subject: String, _ args: LuaArguments, from position: Int) throws -> Command {
        try require(spec.command)
        let engine = try engineInHandler(spec.method)
        let named = try Self.arguments(spec, args, from: position)
        do {
            return try spec.build(subject: subject, CommandArgs(named, command: spec.command),
                                  engine.buildContext(actor: manifest.agency, reader: engine.reader))
        } catch let error as CommandArgumentError {
            throw LuaScriptError(error.message)
        }
    }

    var origin: String {
        if isConsole { return seesEverything ? "repl, coordinator" : "repl, as \(manifest.agency)" }
        return context?.origin ?? "plugin \(name), hook ?"
    }

    func require(_ permission: String) throws {
        guard manifest.permissions.contains(permission) else {
            if isConsole {
                throw LuaScriptError("the console as \(manifest.agency) has what the operation grants \(manifest.agency), and that does not include '\(permission)'")
            }
            guard grant.commands.contains(permission) else {
                throw LuaScriptError("plugin \(name) lacks permission '\(permission)', and the operation does not grant it to \(manifest.agency): only operation.toml's [grants] can")
            }
            throw LuaScriptError("plugin \(name) lacks permission '\(permission)': add \"\(permission)\" to permissions in \(manifest.manifestPath)")
        }
    }

    /// A veto needs the right on the event the handler is for.
    func requireVeto(on event: String) throws {
        guard grant.mayVeto(event) else {
            let rights = grant.vetoes.isEmpty ? "none" : grant.vetoes.sorted().joined(separator: ", ")
            throw LuaScriptError("\(manifest.agency) may not veto commands on \(event): the operation grants it vetoes on \(rights)")
        }
    }

    /// How this plugin reads cases, resolved once per engine (its agency, and the categories
    /// the operation's policy grants it), and again when a console switches agency.
    func caseReader(for engine: Engine) throws -> CaseReader {
        if let cachedReader, readerEngine === engine { return cachedReader }
        let reader = seesEverything ? CaseReader.coordinator : try CaseReader(manifest.agency, in: engine.operation)
        (cachedReader, readerEngine) = (reader, engine)
        return reader
    }

    private var cachedReader: CaseReader?
    /// The engine `cachedReader` was resolved for (weak: a later engine at the same address is
    /// not taken for it).
    private weak var readerEngine: Engine?

    func engineInHandler(_ what: String) throws -> Engine {
        guard !loading else {
            throw LuaScriptError("\(what) is not available while the plugin loads: register handlers with on(event, handler) and use the model inside them")
        }
        // A console reads between commands too (the store then); it gives commands only inside
        // Engine.perform, which applyFromHandler checks.
        guard let engine, isConsole || (engine.current != nil && context != nil) else {
            throw LuaScriptError("\(what) can be used only inside an event handler of this plugin")
        }
        return engine
    }

    /// A method's arguments by name: `m{ leg = 1 }`, or in the spec's order: `m(1)`.
    static func arguments(_ spec: CommandSpec, _ args: LuaArguments, from position: Int) throws -> [String: ArgValue] {
        var named: [String: ArgValue] = [:]
        if args.count == position, args.isTable(position) {
            for (k, v) in try args.entries(position) {
                guard let key = k.stringValue else { throw LuaScriptError("\(spec.method): argument names must be strings") }
                if let a = argValue(v) { named[key] = a }
            }
            return named
        }
        for (i, p) in spec.params.enumerated() where args.count >= position + i {
            if let a = argValue(try args.value(position + i)) { named[p.name] = a }
        }
        return named
    }

    static func argValue(_ v: LuaValue) -> ArgValue? {
        switch v {
        case .string(let s): return .text(s.description)
        case .integer(let n): return .integer(Int(n))
        case .number(let d): return .number(d)
        case .boolean(let b): return .flag(b)
        case .object(let o as CaseHandle): return .text(o.ref.rawValue)
        case .object(let o as MovementHandle): return .text(o.ref.rawValue)
        case .object(let o as HandoffHandle): return .text(o.ref.rawValue)
        case .object(let o as NoticeHandle): return .text(o.ref.rawValue)
        case .table:
            guard let a = v.arrayValue else { return nil }
            return .list(a.compactMap(argValue))
        default: return nil
        }
    }
}

/// Routes `print` from a plugin's state to the engine's log.
final class OutputSink: @unchecked Sendable {
    weak var plugin: PluginRuntime?
    func write(_ line: String) {
        guard let plugin else { return }
        plugin.engine?.note("plugin \(plugin.name): \(line)", by: plugin.manifest.agency)
    }
}
