import Foundation
import LiaisonModel
import LiaisonStore
import LuaKit

/// The engine: commands in, the model's rules applied, events offered to the agencies'
/// plugins, and what they do committed with the command as one transaction.
///
/// ```swift
/// let store = try SQLiteStore.create(at: "op.sqlite", operation: folder.operation)
/// let engine = Engine(store: store, start: folder.start)
/// engine.install(try PluginSet.load(operationFolder: folder.url, operation: folder.operation))
/// let outcome = try engine.submit(.recordLegalEvent("R-0007", kind: .appeal, suspensive: true), by: "US-ENF")
/// print(outcome.refusal ?? "applied: \(outcome.events.map(\.name))")
/// ```
///
/// One command's journey (`docs/ENGINE.md` says it at length): the rules decide it against the
/// store as this transaction has changed it; each event it causes is offered at once, depth
/// first, to the handlers whose agency may hear of it, before whoever gave the command goes
/// on; what a handler does becomes further commands, decided and offered the same way. So when
/// a command returns to its giver, everything it caused has happened, and every plugin that
/// could object has had its say.
///
/// A handler that errors, overruns its time or memory, or vetoes, has its own effects dropped
/// (its savepoint is a mark in the transaction's undo journal). A veto, or a failure in a hook
/// registered `{ fail = "closed" }` (both rights the operation grants per agency and event), is
/// an objection to the command whose event it was: that command and everything it caused are
/// taken back, and its giver learns of the refusal as an error it may catch; the rest of the
/// transaction goes on. Only an objection to an event of the external command itself refuses
/// the whole transaction. Every failure is a ledger entry naming plugin, hook, file and line.
/// When the external command's events are all handled, the store commits every command of the
/// transaction, or none.
public final class Engine {
    public let store: any Store
    public var operation: ReturnOperation { store.operation }
    /// The operation's clock. It moves only forward, by `advance(to:)`.
    public private(set) var now: Date
    public private(set) var plugins: PluginSet
    /// The most commands one transaction may hold: plugins reacting to each other without end
    /// fail here instead of running away.
    public var maxCascade = 10_000
    /// The most commands one plugin may give in one transaction: its share of `maxCascade`
    /// among the operation's plugins, so that one plugin's flood (a notice per case, in a loop)
    /// fails in that plugin's handler and leaves room for every other agency's work.
    public var pluginShare: Int { max(1, maxCascade / max(1, plugins.plugins.count)) }
    /// Commands each plugin has given in the running transaction (attempts, counted whether or
    /// not they were refused or taken back).
    private var given: [ObjectIdentifier: Int] = [:]
    /// The most text the notices plugins send in one transaction may hold together (64 MiB):
    /// what the host renders, keeps and writes for them, which no handler's memory limit sees.
    public var maxNoticeBytes = 64 << 20
    /// The text of the notices plugins tried to send in the running transaction.
    private var noticeBytes = 0
    /// The deepest commands may nest, each given by a handler of an event of the one before
    /// (every level holds a few native stack frames of Lua, C and Swift).
    public var maxDepth = 100
    /// Called after each command with what it caused, committed or refused.
    public var observer: ((Outcome) -> Void)?
    /// Lines plugins wrote with `ctx:log` and `print`, each with the agency whose plugin wrote it.
    public private(set) var logLines: [LogLine] = []
    /// The lines of `logLines`, as text.
    public var log: [String] { logLines.map(\.text) }

    /// The transaction of the command being handled.
    var current: StoreTransaction?
    /// The running transaction's handler failures, in order: they are recorded when it commits,
    /// whatever was taken back around them.
    private var failures: [PluginOutcome] = []
    private var handlerCalls = 0
    /// How deep the command being decided is nested (0: the external command).
    private var depth = 0
    private var handoffCount: Int
    private var noticeCount: Int

    public init(store: any Store, start: Date, plugins: PluginSet = .empty) throws {
        self.store = store
        self.now = start
        self.plugins = plugins
        handoffCount = try store.count(.handoffs)
        noticeCount = try store.count(.notices)
        for entry in try store.ledger(command: "plugin.state") {
            if case .setPluginState(let change) = try entry.decodedCommand() { keep(change) }
        }
        install(plugins)
    }

    /// Makes `plugins` the set that handles events; the set it replaces is closed.
    public func install(_ plugins: PluginSet) {
        let old = self.plugins
        self.plugins = plugins
        plugins.attach(to: self)
        if old !== plugins { old.close() }
    }

    /// Builds the plugin set anew from `operationFolder` and installs it only if every plugin
    /// loaded; otherwise the running set stays, and the error lists every problem.
    @discardableResult
    public func reload(operationFolder: URL) throws -> PluginSet {
        let fresh = try PluginSet.load(operationFolder: operationFolder, operation: operation)
        install(fresh)
        return fresh
    }

    func note(_ line: String, by agency: AgencyID?) { logLines.append(LogLine(agency: agency, text: line)) }

    // MARK: Commands

    /// Applies `command` with its cascade; a refusal is in the outcome, not thrown. Throws only
    /// when the store cannot write. `origin`: where an external command comes from, when the
    /// ledger should say (`timeline.toml:57`).
    @discardableResult
    public func submit(_ command: Command, by actor: AgencyID, origin: String = "") throws -> Outcome {
        precondition(current == nil, "Engine.submit was called from inside a handler; handlers give commands through the model's methods")
        var outcome = Outcome(command: command.name, actor: actor, label: { if case .signal(let s) = command { return "signal \(s.name)" } else { return nil } }())
        begin()
        defer { finish() }
        do {
            try give(command, by: actor, origin: origin, giver: nil)
        } catch let refusal as Refusal {
            outcome.refused = refusal
            outcome.failures = failures
            outcome.handlerCalls = handlerCalls
            observer?(outcome)
            return outcome
        } catch let objection as Objection {
            return try refuseWhole(&outcome, objection, refusing: origin)
        }
        return try commit(&outcome)
    }

    /// Runs `body` as one transaction, as a command and its cascade are: each command it gives
    /// (through a console's model methods, with `origin` in the ledger) is decided and offered
    /// to the plugins as it is given, and everything commits together when `body` returns. If
    /// `body` throws, nothing takes effect and the error is rethrown.
    @discardableResult
    public func perform(_ what: String, by actor: AgencyID, _ body: () throws -> Void) throws -> Outcome {
        precondition(current == nil, "Engine.perform was called while a command is being handled")
        var outcome = Outcome(command: what, actor: actor)
        begin()
        defer { finish() }
        try body()
        guard !current!.submissions.isEmpty || !failures.isEmpty else { return outcome }
        return try commit(&outcome)
    }

    private func begin() {
        current = store.begin(at: now)
        failures = []
        handlerCalls = 0
        depth = 0
        given.removeAll(keepingCapacity: true)
        noticeBytes = 0
    }

    private func finish() {
        current!.end()
        current = nil
    }

    /// Decides `command` in the running transaction and offers its events to the handlers, depth
    /// first. Throws the rules' `Refusal`, or an `Objection` after taking back the command and
    /// everything it caused.
    private func give(_ command: Command, by actor: AgencyID, origin: String, giver: LuaState?) throws {
        let tx = current!
        let mark = tx.savepoint()
        let events = try tx.apply(command, by: actor, origin: origin)
        guard !plugins.plugins.isEmpty else { return }
        depth += 1
        defer { depth -= 1 }
        if let objection = offer(events, of: command.name, causedBy: actor, giver: giver) {
            tx.rollback(to: mark)
            throw objection
        }
    }

    /// Offers `events` to every handler whose agency may hear of them, in the set's order; the
    /// first objection stops the offer and is returned. `giver` is the Lua state whose handler
    /// gave the command: its call is set aside meanwhile, so each handler is charged its own time.
    private func offer(_ events: [Event], of command: String, causedBy actor: AgencyID, giver: LuaState?) -> Objection? {
        for event in events {
            for (plugin, handler) in plugins.handlers(for: event) {
                guard let withheld = plugin.withheld(from: event, causedBy: actor, engine: self) else { continue }
                handlerCalls += 1
                let mark = current!.savepoint()
                var result: HandlerFailure?
                if let giver {
                    giver.withCallSetAside { result = plugin.run(handler, event: event, withheld: withheld, engine: self) }
                } else {
                    result = plugin.run(handler, event: event, withheld: withheld, engine: self)
                }
                guard let failure = result else { continue }
                current!.rollback(to: mark)
                let objects = handler.failClosed || failure.kind == .veto
                let o = PluginOutcome(plugin: plugin.name, agency: plugin.manifest.agency, hook: handler.event, kind: failure.kind,
                                      failClosed: handler.failClosed, message: failure.message, location: failure.location,
                                      trigger: command, refusedTrigger: objects)
                note(o.summary, by: plugin.manifest.agency)
                failures.append(o)
                if objects { return Objection(failure: o) }
            }
        }
        return nil
    }

    /// Commits the running transaction with a record of each handler failure after its commands.
    private func commit(_ outcome: inout Outcome) throws -> Outcome {
        let tx = current!
        for f in failures {
            _ = try? tx.apply(.recordPluginOutcome(f), by: f.agency, origin: "plugin \(f.plugin), hook \(f.hook)")
        }
        outcome.applied = try tx.commit()
        for submission in tx.submissions {
            if case .setPluginState(let change) = submission.command { keep(change) }
        }
        outcome.events = tx.events
        outcome.notices = tx.sentNotices
        outcome.failures = failures
        outcome.handlerCalls = handlerCalls
        handoffCount += tx.newHandoffs
        noticeCount += tx.sentNotices.count
        observer?(outcome)
        return outcome
    }

    /// The external command was objected to: nothing of the transaction takes effect but the
    /// record of the failures.
    /// `refusing`: the refused command's origin, which the records of the failures name after
    /// their own (so a continued run knows the timeline entry was given).
    private func refuseWhole(_ outcome: inout Outcome, _ objection: Objection, refusing origin: String = "") throws -> Outcome {
        outcome.events = current!.events
        current!.end()
        let record = store.begin(at: now)
        defer { record.end() }
        for f in failures {
            _ = try? record.apply(.recordPluginOutcome(f), by: f.agency,
                                  origin: "plugin \(f.plugin), hook \(f.hook)" + (origin.isEmpty ? "" : ", refusing \(origin)"))
        }
        outcome.applied = try record.commit()
        outcome.refused = objection.refusal(in: operation)
        outcome.failures = failures
        outcome.handlerCalls = handlerCalls
        observer?(outcome)
        return outcome
    }

    /// Gives a command by name, as a timeline or test does: `legal.record` on case `R-0007`
    /// with `kind = "appeal"`. Arguments that do not build the command throw
    /// `CommandArgumentError`.
    @discardableResult
    public func submit(named name: String, subject: String, args: [String: ArgValue], by actor: AgencyID, origin: String = "") throws -> Outcome {
        guard let spec = CommandCatalog.spec(named: name) else {
            throw CommandArgumentError(message: "'\(name)' is not a command (commands: \(CommandCatalog.names.joined(separator: ", ")))")
        }
        let command = try spec.build(subject: subject, CommandArgs(args, command: name), buildContext(actor: actor, reader: store))
        return try submit(command, by: actor, origin: origin)
    }

    /// Moves the clock to `date`. Notices whose deadline passes unacknowledged on the way are
    /// offered to plugins as `notice.overdue` signals, one command each.
    @discardableResult
    public func advance(to date: Date) throws -> [Outcome] {
        guard date > now else { return [] }
        let overdue = try store.unacknowledgedNotices(dueIn: now...date)
        var outcomes: [Outcome] = []
        for notice in overdue.sorted(by: { ($0.due!, $0.ref) < ($1.due!, $1.ref) }) {
            now = notice.due!
            outcomes.append(try signalOverdue(notice))
        }
        now = date
        return outcomes
    }

    /// Offers plugins a `notice.overdue` signal for `notice`, now.
    @discardableResult
    func signalOverdue(_ notice: Notice) throws -> Outcome {
        let signal = Signal(name: "notice.overdue", fields: ["notice": notice.ref.rawValue, "to": notice.to, "from": notice.from.rawValue,
                                                           "template": notice.template])
        return try submit(.signal(signal), by: .coordinator)
    }

    // MARK: Plugins' state

    /// Each plugin's state as committed: by plugin, its keys and their values (JSON).
    private var pluginStates: [String: [String: String]] = [:]

    private func keep(_ change: PluginStateChange) {
        pluginStates[change.plugin, default: [:]][change.key] = change.value
    }

    /// A plugin's state as the running transaction leaves it (as committed between commands):
    /// the transaction's own changes first, newest first.
    func pluginState(_ plugin: String) -> [String: String] {
        var state = pluginStates[plugin] ?? [:]
        for submission in current?.submissions ?? [] {
            if case .setPluginState(let change) = submission.command, change.plugin == plugin { state[change.key] = change.value }
        }
        return state
    }

    func pluginState(_ plugin: String, _ key: String) -> String? {
        for submission in (current?.submissions ?? []).reversed() {
            if case .setPluginState(let change) = submission.command, change.plugin == plugin, change.key == key { return change.value }
        }
        return pluginStates[plugin]?[key]
    }

    // MARK: Reading, for plugins and reports

    /// The model as the running transaction sees it, or the store between commands.
    var reader: ModelReader { current ?? store }

    func buildContext(actor: AgencyID, reader: ModelReader) -> BuildContext {
        BuildContext(actor: actor, now: now, reader: reader) { [unowned self] in
            let n = handoffCount + (current?.newHandoffs ?? 0) + 1
            return HandoffRef("H-\(n)")
        }
    }

    func newNoticeRef() -> NoticeRef {
        NoticeRef("N-" + zeroPadded(noticeCount + (current?.sentNotices.count ?? 0) + 1, 6))
    }

    /// Cases by stored state, corrected for what the running transaction changed; all when nil.
    func cases(in state: CaseState?) throws -> [CaseRef] {
        try store.caseRefSet(in: state).sorted()  // the running transaction's records are staged there
    }

    /// Gives a command from inside a handler (or a console's chunk): decided now, against the
    /// running transaction, and offered to the plugins before this returns. A refusal, by the
    /// rules or by another plugin's objection, is an error the script may catch, worded for
    /// `giver`'s agency.
    func applyFromHandler(_ command: Command, by actor: AgencyID, origin: String, giver: PluginRuntime) throws {
        guard current != nil else { throw LuaScriptError("\(command.name) can be given only from inside an event handler") }
        guard current!.submissions.count < maxCascade else {
            throw LuaScriptError("\(command.name) would make this transaction longer than \(maxCascade) commands: are plugins reacting to each other without end?")
        }
        guard depth < maxDepth else {
            throw LuaScriptError("\(command.name) would nest commands \(maxDepth + 1) deep, each given by a handler of an event of the one before: are plugins reacting to each other without end?")
        }
        if !giver.isConsole {
            let count = given[ObjectIdentifier(giver), default: 0]
            guard count < pluginShare else {
                throw LuaScriptError("\(command.name): plugin \(giver.name) has given \(count) commands in this transaction, the most one plugin may give in one (its share of the \(maxCascade) a transaction may hold), so that other agencies' handlers keep room for theirs")
            }
            given[ObjectIdentifier(giver)] = count + 1
            if case .sendNotice(let n) = command {
                let bytes = n.body.utf8.count
                guard noticeBytes + bytes <= maxNoticeBytes else {
                    throw LuaScriptError("notice.send: plugin \(giver.name)'s notice of \(bytes) bytes would bring this transaction's notices to \(noticeBytes + bytes) bytes, more than the \(maxNoticeBytes) one transaction may hold: send less text, or fewer notices at a time")
                }
                noticeBytes += bytes
            }
        }
        do {
            try give(command, by: actor, origin: origin, giver: giver.luaState)
        } catch let refusal as Refusal {
            throw LuaScriptError("\(command.name) refused: \(refusal.reason(for: try giver.caseReader(for: self)))")
        } catch let objection as Objection {
            throw LuaScriptError("\(command.name) refused: \(objection.refusal(in: operation).reason(for: try giver.caseReader(for: self)))")
        }
    }
}

/// A line a plugin wrote (`ctx:log`, `print`, or the engine's note of its failure).
public struct LogLine: Sendable {
    /// The agency whose plugin wrote it.
    public var agency: AgencyID?
    public var text: String
}

/// An objection to a command: a veto, or a failure in a fail-closed hook, by a plugin whose
/// agency may object on that event.
struct Objection: Error {
    let failure: PluginOutcome

    /// The refusal the command's giver is told: the objection's own words only if the giver may
    /// read what the objecting agency writes (it may say anything that agency knows).
    func refusal(in operation: ReturnOperation) -> Refusal {
        let f = failure
        let who = "plugin \(f.plugin) (\(f.agency)), hook \(f.hook)" + (f.location.map { ", \($0)" } ?? "")
        let full = f.kind == .veto ? "vetoed by \(f.summary)" : "refused because a fail-closed hook failed: \(f.summary)"
        let short = f.kind == .veto ? "vetoed by \(who) (its reason is withheld: \(f.agency) may see more than you)"
                                    : "refused because a fail-closed hook of \(who) failed (\(f.kind.rawValue); its message is withheld: \(f.agency) may see more than you)"
        let needs = operation.agency(f.agency).map(operation.disclosure.categories(for:)) ?? Set(FieldCategory.allCases)
        return Refusal(command: f.trigger, reason: full, needs: needs, redacted: short)
    }
}

/// What one command caused.
public struct Outcome: Sendable {
    public var command: String
    /// The command as people name it: a signal with its name (`signal leg.departing`).
    public var label: String
    public var actor: AgencyID
    /// Why the command was refused, as the rules or the objecting plugin said it; nil when it
    /// took effect. `refusal(for:)` words it for an agency.
    public var refused: Refusal?
    public var refusal: String? { refused?.reason }
    /// The ledger entries written: the command and its cascade, or (when a plugin refused it)
    /// the failures only.
    public var applied: [Applied] = []
    public var events: [Event] = []
    public var handlerCalls = 0
    public var failures: [PluginOutcome] = []
    public var notices: [Notice] = []

    public var accepted: Bool { refused == nil }

    /// Why the command was refused, as `reader`'s agency may be told it.
    public func refusal(for reader: CaseReader) -> String? { refused?.reason(for: reader) }

    init(command: String, actor: AgencyID, label: String? = nil) {
        self.command = command
        self.label = label ?? command
        self.actor = actor
    }
}
