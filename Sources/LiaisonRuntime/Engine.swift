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
/// One command's journey: the rules decide it against the store as this transaction has
/// changed it; each event it causes is offered to the subscribed handlers in order; what a
/// handler does becomes further commands, decided the same way, whose events join the queue.
/// A handler that errors, overruns its time or memory, or vetoes, has its own effects dropped
/// (its savepoint is a mark in the transaction's undo journal); a fail-closed hook or a veto
/// then refuses the triggering command, and a fail-open one lets it go on. Either way the
/// failure is a ledger entry naming plugin, hook, file and line. When the queue is empty the
/// store commits every command of the transaction, or none.
public final class Engine {
    public let store: SQLiteStore
    public var operation: ReturnOperation { store.operation }
    /// The operation's clock. It moves only forward, by `advance(to:)`.
    public private(set) var now: Date
    public private(set) var plugins: PluginSet
    /// The most commands one transaction may hold: plugins reacting to each other without end
    /// fail here instead of running away.
    public var maxCascade = 10_000
    /// Called after each command with what it caused, committed or refused.
    public var observer: ((Outcome) -> Void)?
    /// Lines plugins wrote with `ctx:log` and `print`, with their plugin's name.
    public private(set) var log: [String] = []

    /// The transaction of the command being handled.
    var current: Transaction?
    private var handoffCount: Int
    private var noticeCount: Int

    public init(store: SQLiteStore, start: Date, plugins: PluginSet = .empty) throws {
        self.store = store
        self.now = start
        self.plugins = plugins
        handoffCount = try store.count(.handoffs)
        noticeCount = try store.count(.notices)
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

    func note(_ line: String) { log.append(line) }

    // MARK: Commands

    /// Applies `command` with its cascade; a refusal is in the outcome, not thrown. Throws only
    /// when the store cannot write.
    @discardableResult
    public func submit(_ command: Command, by actor: AgencyID) throws -> Outcome {
        precondition(current == nil, "Engine.submit was called from inside a handler; handlers give commands through the model's methods")
        var outcome = Outcome(command: command.name, actor: actor)
        current = Transaction(base: store, now: now)
        defer { current!.end(); current = nil }
        do {
            _ = try current!.apply(command, by: actor, origin: "")
        } catch let refusal as Refusal {
            outcome.refusal = refusal.reason
            observer?(outcome)
            return outcome
        }
        return try dispatchAndCommit(&outcome, trigger: command.name)
    }

    /// Runs `body` as one transaction, as a command and its cascade are: the commands it gives
    /// (through a console's model methods, with `origin` in the ledger) are decided as it goes,
    /// their events are offered to the plugins when it returns, and everything commits
    /// together. If `body` throws, nothing takes effect and the error is rethrown.
    @discardableResult
    public func perform(_ what: String, by actor: AgencyID, _ body: () throws -> Void) throws -> Outcome {
        precondition(current == nil, "Engine.perform was called while a command is being handled")
        var outcome = Outcome(command: what, actor: actor)
        current = Transaction(base: store, now: now)
        defer { current!.end(); current = nil }
        try body()
        guard !current!.submissions.isEmpty else { return outcome }
        return try dispatchAndCommit(&outcome, trigger: what)
    }

    /// Offers the running transaction's events to the plugins, then commits it, or (when a
    /// plugin refuses it) records only the failures.
    private func dispatchAndCommit(_ outcome: inout Outcome, trigger: String) throws -> Outcome {
        // The transaction's events are its queue: what a handler causes joins the end.
        var next = 0
        while next < current!.events.count {
            let event = current!.events[next]
            next += 1
            if case .pluginFailed = event { continue }  // the engine's own record, not offered to plugins
            for (plugin, handler) in plugins.handlers(for: event) {
                outcome.handlerCalls += 1
                let mark = current!.savepoint()
                guard let failure = plugin.run(handler, event: event, engine: self) else { continue }
                current!.rollback(to: mark)
                let refuses = handler.failClosed || failure.kind == .veto
                let o = PluginOutcome(plugin: plugin.name, agency: plugin.manifest.agency, hook: handler.event, kind: failure.kind,
                                      failClosed: handler.failClosed, message: failure.message, location: failure.location,
                                      trigger: trigger, refusedTrigger: refuses)
                note(o.summary)
                outcome.failures.append(o)
                if refuses {
                    // The triggering command is refused: only the failures are recorded.
                    current!.end()
                    let record = Transaction(base: store, now: now)
                    defer { record.end() }
                    for f in outcome.failures {
                        _ = try? record.apply(.recordPluginOutcome(f), by: f.agency, origin: "plugin \(f.plugin), hook \(f.hook)")
                    }
                    outcome.applied = try store.commit(record.submissions, at: now)
                    record.committed = true
                    outcome.refusal = failure.kind == .veto ? "vetoed by \(o.summary)" : "refused because a fail-closed hook failed: \(o.summary)"
                    outcome.events = current!.events
                    observer?(outcome)
                    return outcome
                }
                _ = try? current!.apply(.recordPluginOutcome(o), by: o.agency, origin: "plugin \(o.plugin), hook \(o.hook)")
            }
        }
        let tx = current!
        outcome.applied = try store.commit(tx.submissions, at: now)
        tx.committed = true
        outcome.events = tx.events
        outcome.notices = tx.sentNotices
        handoffCount += tx.newHandoffs
        noticeCount += tx.sentNotices.count
        observer?(outcome)
        return outcome
    }

    /// Gives a command by name, as a timeline or test does: `legal.record` on case `R-0007`
    /// with `kind = "appeal"`. Arguments that do not build the command throw
    /// `CommandArgumentError`.
    @discardableResult
    public func submit(named name: String, subject: String, args: [String: ArgValue], by actor: AgencyID) throws -> Outcome {
        guard let spec = CommandCatalog.spec(named: name) else {
            throw CommandArgumentError(message: "'\(name)' is not a command (commands: \(CommandCatalog.specs.map(\.command).uniqued().joined(separator: ", ")))")
        }
        let command = try spec.build(subject: subject, CommandArgs(args, command: name), buildContext(actor: actor, reader: store))
        return try submit(command, by: actor)
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
            let signal = Signal(name: "notice.overdue", fields: ["notice": notice.ref.rawValue, "to": notice.to, "from": notice.from.rawValue,
                                                               "template": notice.template])
            outcomes.append(try submit(.signal(signal), by: .coordinator))
        }
        now = date
        return outcomes
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

    /// Gives a command from inside a handler: decided now, against the running transaction.
    func applyFromHandler(_ command: Command, by actor: AgencyID, origin: String) throws {
        guard current != nil else { throw LuaScriptError("\(command.name) can be given only from inside an event handler") }
        guard current!.submissions.count < maxCascade else {
            throw LuaScriptError("\(command.name) would make this transaction longer than \(maxCascade) commands: are plugins reacting to each other without end?")
        }
        do {
            _ = try current!.apply(command, by: actor, origin: origin)
        } catch let refusal as Refusal {
            throw LuaScriptError("\(command.name) refused: \(refusal.reason)")
        }
    }
}

/// What one command caused.
public struct Outcome: Sendable {
    public var command: String
    public var actor: AgencyID
    /// Why the command was refused; nil when it took effect.
    public var refusal: String?
    /// The ledger entries written: the command and its cascade, or (when a plugin refused it)
    /// the failures only.
    public var applied: [Applied] = []
    public var events: [Event] = []
    public var handlerCalls = 0
    public var failures: [PluginOutcome] = []
    public var notices: [Notice] = []

    public var accepted: Bool { refusal == nil }

    init(command: String, actor: AgencyID) {
        self.command = command
        self.actor = actor
    }
}

/// A command and its cascade, not yet committed. The records they change are staged in the
/// store's memory as each is decided (see `SQLiteStore.stage`), so that every read sees them
/// with one lookup, and taken back unless the transaction commits.
///
/// A class: every read a handler makes goes through the engine's `reader`, and a struct this
/// size handed out as a `ModelReader` was copied into a new box, with a retain per field, at
/// every read.
///
/// A handler's savepoint is a mark in the journal of staged changes, and its rollback puts
/// back the changes after the mark: both cost only what the handler changed, however large the
/// transaction (a copy of the transaction per handler would make a big cascade quadratic).
final class Transaction: ModelReader {
    let base: SQLiteStore
    let now: Date
    private(set) var submissions: [Submission] = []
    private(set) var events: [Event] = []
    private(set) var newHandoffs = 0
    private(set) var sentNotices: [Notice] = []
    /// What the store holds staged for this transaction, oldest first.
    private var undo: [SQLiteStore.StagedChange] = []
    /// Set once the store has its commands: `end()` then takes nothing back.
    var committed = false

    struct Savepoint {
        fileprivate let undo, submissions, events, notices, newHandoffs: Int
    }

    init(base: SQLiteStore, now: Date) {
        self.base = base
        self.now = now
    }

    var operation: ReturnOperation { base.operation }
    func person(_ ref: PersonRef) throws -> Person? { try base.person(ref) }
    func returnCase(_ ref: CaseRef) throws -> ReturnCase? { try base.returnCase(ref) }
    func handoff(_ ref: HandoffRef) throws -> Handoff? { try base.handoff(ref) }
    func movement(_ ref: MovementRef) throws -> Movement? { try base.movement(ref) }
    func notice(_ ref: NoticeRef) throws -> Notice? { try base.notice(ref) }

    func apply(_ command: Command, by actor: AgencyID, origin: String) throws -> [Event] {
        let d = try Rules.decide(command, by: actor, at: now, reading: self)
        for k in d.handoffs.keys where (try? base.handoff(k)) == nil { newHandoffs += 1 }
        base.stage(d, noting: &undo)
        if case .sendNotice(let n) = command { sentNotices.append(n) }
        submissions.append(Submission(command, by: actor, origin: origin, decided: d, staged: true))
        events += d.events
        return d.events
    }

    func savepoint() -> Savepoint {
        Savepoint(undo: undo.count, submissions: submissions.count, events: events.count, notices: sentNotices.count, newHandoffs: newHandoffs)
    }

    func rollback(to mark: Savepoint) {
        base.unstage(&undo, to: mark.undo)
        submissions.removeLast(submissions.count - mark.submissions)
        events.removeLast(events.count - mark.events)
        sentNotices.removeLast(sentNotices.count - mark.notices)
        newHandoffs = mark.newHandoffs
    }

    /// Takes back everything the transaction staged, unless it committed: every transaction
    /// the engine begins ends here, whether it committed, was refused, or threw.
    func end() {
        if !committed { rollback(to: Savepoint(undo: 0, submissions: 0, events: 0, notices: 0, newHandoffs: 0)) }
    }
}
