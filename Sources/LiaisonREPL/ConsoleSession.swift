import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import LuaKit

/// What `liaison repl` evaluates: Lua chunks (an expression is printed without `return`;
/// unfinished input keeps reading, as `lua.c` does) and `:commands`. With an operation, the
/// console sees it as one agency's plugins do, or as the coordinator, and each chunk is one
/// transaction of the engine.
public final class ConsoleSession {
    public let host: OperationHost?
    let lua: LuaState
    let runtime: PluginRuntime?
    let show: LuaFunction
    public let colour: Bool
    let write: (String) -> Void
    private(set) var agency: AgencyID?
    private var buffer: [String] = []
    private var lastOutcome: Outcome?
    /// Why the last chunk failed, when it did (it then changed nothing).
    private var lastFailure: String?
    /// Everything the plugins logged, shown once after the command that caused it.
    private var logShown = 0

    /// `operation`: an operation folder, or nil for a plain sandboxed console. `store`: an
    /// existing store to continue, or a new one (nil: in memory).
    public init(operation: URL?, store: String?, as agency: AgencyID?, colour: Bool, write: @escaping (String) -> Void) throws {
        self.colour = colour
        self.write = write
        self.agency = agency
        let out: @Sendable (String) -> Void = { print($0) }
        if let operation {
            let host: OperationHost
            if let store, FileManager.default.fileExists(atPath: store) {
                host = try OperationHost.attach(operation, store: store)
                try host.importManifest()  // an import that was interrupted is finished first
            } else {
                host = try OperationHost.open(operation, store: store)
                try host.importManifest()
            }
            if let agency, host.folder.operation.agency(agency) == nil {
                throw ConsoleError("\(agency) is not an agency of \(host.folder.operation.name) (agencies: \(host.folder.operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
            }
            self.host = host
            let runtime = try PluginRuntime.console(engine: host.engine, as: agency, output: out)
            self.runtime = runtime
            lua = runtime.luaState
        } else {
            host = nil
            runtime = nil
            lua = try LuaState(limits: LuaLimits(memory: 256 << 20, time: .seconds(30)), sandbox: LuaSandbox(output: out))
        }
        guard case .function(let f)? = try lua.load(LuaPrinter.source, name: "liaison/show.lua").call().first else {
            throw ConsoleError("the printer did not load")
        }
        show = f
        logShown = host?.engine.log.count ?? 0
    }

    /// The prompt of a console onto a server (`ConsoleSession.remote`).
    var remotePrompt: String?
    /// The server of a console onto one (`ConsoleSession.remote`).
    var remote: RemoteConsole.Link?

    /// `gulf-charter as IR-MFA> `, `gulf-charter (coordinator)> `, `lua> `; `>> ` to continue.
    public var prompt: String {
        if !buffer.isEmpty { return ">> " }
        guard let host else { return remotePrompt ?? "lua> " }
        return host.folder.operation.name + (agency.map { " as \($0)" } ?? " (coordinator)") + "> "
    }

    public var isContinuing: Bool { !buffer.isEmpty }

    /// Drops a half-typed chunk (Ctrl-C).
    public func cancel() { buffer.removeAll() }

    /// The input ended: a chunk still unfinished is reported as Lua sees it.
    public func finishInput() {
        guard !buffer.isEmpty else { return }
        let chunk = buffer.joined(separator: "\n")
        buffer.removeAll()
        do { _ = try lua.load(chunk, name: "stdin") } catch { self.error("the input ended inside an unfinished chunk: \(Self.describe(error))") }
    }

    /// Handles one line of input. Returns false when the console should end (`:quit`).
    public func handle(_ line: String) -> Bool {
        if buffer.isEmpty, line.hasPrefix(":") { return command(line) }
        buffer.append(line)
        let chunk = buffer.joined(separator: "\n")
        switch compile(chunk) {
        case .incomplete: return true
        case .failed(let message):
            buffer.removeAll()
            error(message)
        case .ready(let function):
            buffer.removeAll()
            run(function)
        }
        return true
    }

    enum Compiled { case ready(LuaFunction), incomplete, failed(String) }

    /// As `lua.c`: `= x` and `x` alone print `x`; input whose error ends in `<eof>` is
    /// unfinished.
    func compile(_ chunk: String) -> Compiled {
        let source = chunk.hasPrefix("=") ? "return " + chunk.dropFirst() : chunk
        if let f = try? lua.load("return " + source, name: "stdin") { return .ready(f) }
        do {
            return .ready(try lua.load(String(source), name: "stdin"))
        } catch let LuaError.syntax(_, _, message) {
            return message.hasSuffix("<eof>") ? .incomplete : .failed(message)
        } catch {
            return .failed(String(describing: error))
        }
    }

    func run(_ function: LuaFunction) {
        var results: [LuaValue] = []
        do {
            if let host, runtime != nil {
                let actor = agency ?? host.folder.sendingAgency
                let outcome = try host.engine.perform("repl", by: actor) {
                    results = try runtime!.withConsoleContext { try function.call() }
                }
                if !outcome.applied.isEmpty || outcome.refusal != nil {
                    lastOutcome = outcome
                    lastFailure = nil
                    if let refusal = seen(outcome).refusal { error("refused: \(refusal)") }
                }
            } else {
                results = try function.call()
            }
        } catch {
            let message = Self.describe(error)
            // What `:events` shows: this chunk, which changed nothing, not the one before.
            if host != nil { lastOutcome = nil; lastFailure = message }
            self.error(message)
        }
        flushLog()
        guard !results.isEmpty else { return }
        let shown = results.map { (try? show.call($0, colour, returning: String.self)) ?? $0.description }
        write(shown.joined(separator: "\t"))
    }

    /// Names in the order first seen, each with its count when it came more than once:
    /// `case.state-changed ×97, handoff.completed`.
    static func counted(_ names: [String]) -> String {
        var order: [String] = [], counts: [String: Int] = [:]
        for n in names {
            if counts[n] == nil { order.append(n) }
            counts[n, default: 0] += 1
        }
        return order.map { counts[$0]! > 1 ? "\($0) ×\(counts[$0]!)" : $0 }.joined(separator: ", ")
    }

    /// What `:help NAME` prints: every API member of that name (`schedule`, `case:schedule`,
    /// `model.cases`), and the event of that name, from the same descriptions as the stubs
    /// and docs/API.md.
    static func help(_ name: String) -> [String] {
        let bare = name.split(whereSeparator: { $0 == ":" || $0 == "." }).last.map(String.init) ?? name
        var out: [String] = []
        for m in PluginRuntime.apiMembers where m.name == bare || "\(m.owner).\(m.name)".lowercased() == name.lowercased()
            || "\(m.owner):\(m.name)".lowercased() == name.lowercased() {
            let owner = m.owner == "_G" ? "" : m.owner == "Model" ? "model." : "\(m.owner)" + (m.kind == .method ? ":" : ".")
            let params = m.kind == .field ? "" : "(" + m.params.map(\.name).joined(separator: ", ") + ")"
            out.append("\(owner)\(m.name)\(params)" + (m.type.isEmpty || m.type == "nil" ? "" : " -> \(m.type)")
                       + (m.category.map { "  [\($0.rawValue)]" } ?? ""))
            out.append("  " + m.doc)
            for p in m.params { out.append("    \(p.name) (\(p.type)): \(p.doc)") }
        }
        if let event = EventCatalog.spec(named: name) {
            out.append("event \(event.name): \(event.cause); heard by \(event.audience)")
            for f in event.fields { out.append("    ev.\(f.name) (\(f.type)): \(f.doc)") }
        }
        return out
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let LuaError.runtime(message, _): return message
        case let LuaError.memory(limit, location):
            return "memory limit of \(limit >> 20) MiB exceeded" + (location.map { " at \($0)" } ?? "") + ": the console holds at most that; keep less data alive"
        case let LuaError.timeout(limit, location):
            return "time limit of \(limit) exceeded" + (location.map { " at \($0)" } ?? "") + ": a chunk may run that long (Ctrl-C stops one sooner)"
        default: return String(describing: error)
        }
    }

    /// How many errors the session has shown: a Lua error, a refused command, a console
    /// command that failed. A piped script exits non-zero when there was one.
    public private(set) var errors = 0

    func error(_ message: String) {
        errors += 1
        write(colour ? "\u{1B}[31m\(message)\u{1B}[0m" : message)
    }

    /// What the console's agency may learn of an outcome (everything, as the coordinator).
    func seen(_ outcome: Outcome) -> Outcome {
        guard let host, let runtime else { return outcome }
        return outcome.seen(by: runtime.reader, in: host.store)
    }

    /// The plugins' new log lines: as an agency, only its own plugins'.
    func flushLog() {
        guard let host else { return }
        let lines = host.engine.logLines
        for line in lines.dropFirst(logShown) where agency == nil || line.agency == agency {
            write(colour ? "\u{1B}[2m\(line.text)\u{1B}[0m" : line.text)
        }
        logShown = lines.count
    }

    // MARK: :commands

    public static let commands: [(name: String, usage: String, help: String)] = [
        (":help", ":help", "this list"),
        (":load", ":load FILE", "run a Lua file in this console (one transaction)"),
        (":reload", ":reload", "load the plugins again; if any fails, the running ones stay"),
        (":as", ":as [AGENCY]", "see and act as AGENCY's plugins do; without AGENCY, as the coordinator"),
        (":events", ":events", "what the last command caused: events, handler calls, vetoes and errors, notices"),
        (":advance", ":advance DURATION", "move the operation's clock (30m, 6h, 2d, or an ISO time): the timeline and timed rules run"),
        (":ledger", ":ledger [N]", "the last N ledger entries (default 10)"),
        (":notices", ":notices", "the notices this console's agency sent or receives, with their deadlines (the coordinator: all)"),
        (":quit", ":quit", "leave (Ctrl-D does too)"),
    ]

    func command(_ line: String) -> Bool {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch parts[0] {
        case ":help" where !argument.isEmpty:
            let found = Self.help(argument)
            if found.isEmpty {
                error("nothing is called \(argument): try a method (schedule), a field (vulnerabilities), a function (model.cases, days) or an event (case.state-changed)")
            } else {
                for line in found { write(line) }
            }
        case ":help":
            write("Lua: type a statement or an expression (= x, or x alone, prints x); unfinished input continues on the next line.")
            for c in Self.commands { write("  " + c.usage.padding(toLength: 20, withPad: " ", startingAt: 0) + c.help) }
            write("  :help NAME          a method, field or function of the Lua API, or an event, described")
            if remotePrompt != nil {
                write("On a server: model.case(REF), model.cases{FIELD = VALUE}, case methods (c:raise_hold{...}), model.command(NAME, ARGS),")
                write("  model.notices(\"inbox\"|\"outbox\"), model.ledger(AFTER), model.head(), model.me(), ctx:acknowledge(REF), ctx:reply(REF, ANSWERS)")
                write("  :ledger, :notices and :events go through the server too; :as, :advance and :reload are not available on one")
            } else if host == nil { write("(no operation: the commands that need one say so)") }
        case ":quit", ":q":
            return false
        case ":load":
            guard !argument.isEmpty else { error("usage: :load FILE"); break }
            guard let data = FileManager.default.contents(atPath: argument) else { error("cannot read \(argument)"); break }
            do { run(try lua.load(LuaString(bytes: [UInt8](data)), name: argument)) } catch { self.error(Self.describe(error)) }
        default:
            if let remote {
                remoteCommand(parts[0], argument, remote)
                break
            }
            guard let host else {
                error("\(parts[0]) needs an operation: start with liaison repl OPERATION_DIR")
                break
            }
            operationCommand(parts[0], argument, host)
        }
        return true
    }

    func operationCommand(_ name: String, _ argument: String, _ host: OperationHost) {
        switch name {
        case ":reload":
            do {
                let set = try host.engine.reload(operationFolder: host.folder.url)
                write("reloaded \(set.plugins.count) plugins: " + set.plugins.map { "\($0.name) \($0.manifest.version)" }.joined(separator: ", "))
                runtime?.switchConsole(to: agency)
            } catch {
                self.error("\(error)\nthe running plugins stay")
            }
        case ":as":
            let next = argument.isEmpty ? nil : AgencyID(argument)
            if let next, host.folder.operation.agency(next) == nil {
                error("\(next) is not an agency of \(host.folder.operation.name) (agencies: \(host.folder.operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
                return
            }
            agency = next
            runtime?.switchConsole(to: next)
            write(next.map { "now seeing and acting as \($0), with its disclosure and what the operation grants it" } ?? "now the coordinator: every field, every command")
        case ":notices":
            do {
                let me = agency
                let notices = try host.store.notices().filter { me == nil || $0.from == me || $0.recipient == me }.sorted { $0.ref < $1.ref }
                if notices.isEmpty { write("no notices") }
                for n in notices {
                    let state: String
                    if let reply = n.reply {
                        let answers: [String] = reply.answers.map { "\($0.name)=\($0.value)" }
                        state = "replied \(Timestamp.iso(reply.at)): " + answers.joined(separator: ", ")
                    } else if let at = n.acknowledgedAt {
                        state = "acknowledged \(Timestamp.iso(at))"
                    } else if let due = n.due {
                        state = due < host.engine.now ? "OVERDUE since \(Timestamp.iso(due))" : "open, due \(Timestamp.iso(due))"
                    } else {
                        state = "open"
                    }
                    write("\(n.ref)  \(n.from) -> \(n.to)  \(n.template)  \(n.cases.map(\.rawValue).joined(separator: " "))  \(state)")
                }
            } catch {
                self.error(String(describing: error))
            }
        case ":events":
            guard let last = lastOutcome else {
                write(lastFailure.map { "the last chunk failed and changed nothing: \($0)" } ?? "no command yet")
                return
            }
            let o = seen(last)
            write("\(o.label) by \(o.actor): " + (o.refusal.map { "refused: \($0)" } ?? "\(o.applied.count) ledger entries"))
            write("  events: " + (o.events.isEmpty ? "none" : Self.counted(o.events.map(\.name))))
            if agency == nil { write("  handler calls: \(o.handlerCalls)") }
            for f in o.failures { write("  \(f.kind == .veto ? "veto" : "failure"): \(f.summary)") }
            for n in o.notices { write("  notice \(n.ref) to \(n.to): \(n.template)" + (n.due.map { ", due \(Timestamp.iso($0))" } ?? "")) }
        case ":advance":
            guard let until = Self.time(argument, after: host.engine.now) else {
                error("usage: :advance DURATION (30m, 6h, 2d) or :advance 2026-12-15T06:00:00Z")
                return
            }
            let before = host.outcomes.count
            do {
                try host.play(until: until)
                write("now \(Timestamp.iso(host.engine.now)); \(host.outcomes.count - before) commands ran, timeline \(host.played)/\(host.timeline.entries.count)")
                lastOutcome = host.outcomes.last ?? lastOutcome
            } catch {
                self.error(String(describing: error))
            }
            flushLog()
        case ":ledger":
            let n = Int(argument) ?? 10
            do {
                // An agency is shown the entries it may learn of, and how many it may not.
                let total = try host.store.count(.ledger)
                let reader = runtime?.reader ?? .coordinator
                var withheld = 0
                for e in try host.store.ledger(after: Int64(max(0, total - n)), limit: n) {
                    guard e.isVisible(to: reader, in: host.store) else { withheld += 1; continue }
                    // An entry's origin names the hook that caused it (legal.recorded, say): an
                    // agency sees it on its own entries only.
                    let origin = e.origin.isEmpty || (agency != nil && e.actor != agency) ? "" : "  (\(e.origin))"
                    write("\(e.sequence)  \(Timestamp.iso(e.at))  \(e.actor)  \(e.command)" + origin)
                }
                if withheld > 0 { write("(\(withheld) of the last \(n) entries withheld from \(agency.map(\.rawValue) ?? "this view"))") }
            } catch {
                self.error(String(describing: error))
            }
        default:
            error("unknown command \(name): type :help")
        }
    }

    /// `30m`, `6h`, `2d` after `now`, or an ISO time.
    static func time(_ text: String, after now: Date) -> Date? {
        if let d = Timestamp.parse(text) { return d }
        guard let unit = text.last, let n = Double(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "m": return now.addingTimeInterval(n * 60)
        case "h": return now.addingTimeInterval(n * 3600)
        case "d": return now.addingTimeInterval(n * 86_400)
        default: return nil
        }
    }

    // MARK: Completion

    /// Completions of `word` (the text before the cursor since the last break): `:commands`,
    /// globals, table keys, and model objects' fields and methods after `.` and `:`.
    public func completions(word: String, line: String) -> [String] {
        if line.trimmingCharacters(in: .whitespaces) == word, word.hasPrefix(":") {
            return Self.commands.map(\.name).filter { $0.hasPrefix(word) }
        }
        guard let sep = word.lastIndex(where: { $0 == "." || $0 == ":" }) else {
            return names(in: (try? lua.run("local t = {} for k in pairs(_G) do if type(k) == 'string' then t[#t + 1] = k end end return t", name: "complete").first) ?? .nil, word: word)
        }
        let base = String(word[..<sep]), prefix = String(word[word.index(after: sep)...]), methodsOnly = word[sep] == ":"
        guard base.range(of: "^[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)*$", options: .regularExpression) != nil else { return [] }
        // The walk runs in Lua and returns a table's keys itself (the standard library's
        // tables, `_G`'s, the user's), or the object found, whose members the API describes.
        let walk = """
            local path, methods = ...
            local v = _G
            for name in path:gmatch('[^.]+') do
              if type(v) ~= 'table' and type(v) ~= 'userdata' then return nil end
              local ok, x = pcall(function() return v[name] end)
              if not ok then return nil end
              v = x
            end
            if type(v) ~= 'table' then return v end
            local keys = {}
            for k, x in pairs(v) do
              if type(k) == 'string' and (not methods or type(x) == 'function') then keys[#keys + 1] = k end
            end
            return keys, true
            """
        guard let f = try? lua.load(walk, name: "complete"), let found = try? f.call(base, methodsOnly) else { return [] }
        var candidates: [String] = []
        switch (found.first, found.count > 1) {
        case (.object(let o)?, _):
            candidates = PluginRuntime.members(of: o).filter { !methodsOnly || $0.kind == .method }.map(\.name)
        case (let keys?, true):
            candidates = (keys.arrayValue ?? []).compactMap(\.stringValue)
        default:
            return []
        }
        return Array(Set(candidates)).sorted().filter { $0.hasPrefix(prefix) }.map { base + String(word[sep]) + $0 }
    }

    func names(in value: LuaValue, word: String) -> [String] {
        (value.arrayValue ?? []).compactMap(\.stringValue).filter { $0.hasPrefix(word) }.sorted()
    }
}

public struct ConsoleError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
