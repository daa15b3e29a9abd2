import Foundation
import LiaisonModel

/// Durable state and the audit ledger of one operation: what the engine, the host, a replay
/// and the audit program against, whatever keeps the records (SQLite by default; an in-memory
/// store for tests; a shared database next). Reads go through the same `ModelReader` interface
/// the rules use; every change is a command, given inside a `StoreTransaction`.
///
/// ```swift
/// let store: any Store = try SQLiteStore.create(at: "gulf-charter/liaison.sqlite", operation: operation)
/// let tx = store.begin(at: now)
/// defer { tx.end() }
/// _ = try tx.apply(.clear("R-0042"), by: "US-ENF", origin: "")
/// let applied = try tx.commit()
/// switch try store.verify() { case .intact: ...; case let .broken(at, reason): ... }
/// ```
///
/// A conforming store keeps three promises the conformance suite checks: a command committed
/// is durable when `commit` returns (unless `groupCommit` says otherwise); a transaction that
/// does not commit changes nothing, nor does the part of one rolled back to a savepoint; and
/// `verify` finds any edit of the ledger or of the records it accounts for.
public protocol Store: ModelReader, AnyObject {
    /// Where the store keeps the operation, for messages: a file's path, or `:memory:`.
    var location: String { get }

    // MARK: Reading, besides one record by reference

    /// The cases whose stored progress is `state` (all cases when nil), by reference.
    func caseRefs(in state: CaseState?) throws -> [CaseRef]
    /// `caseRefs(in:)` unordered.
    func caseRefSet(in state: CaseState?) throws -> Set<CaseRef>
    /// Every notice, oldest first.
    func notices() throws -> [Notice]
    /// Every handoff, by reference.
    func handoffs() throws -> [Handoff]
    /// Notices not yet acknowledged whose deadline falls in `range`.
    func unacknowledgedNotices(dueIn range: ClosedRange<Date>) throws -> [Notice]
    /// How many records of a kind the store holds (ledger entries for `.ledger`).
    func count(_ table: RecordTable) throws -> Int

    // MARK: Writing

    /// Begins a transaction at `now`: its commands are decided and staged as they are given,
    /// and commit together or not at all.
    func begin(at now: Date) -> StoreTransaction

    /// Decides `command` and, if the rules allow it, makes it durable as one ledger entry.
    @discardableResult
    func apply(_ command: Command, by actor: AgencyID, at now: Date) throws -> Applied

    /// Applies `commands` in order, atomically: all of them, or (if one is refused or fails)
    /// none. Each still gets its own ledger entry.
    @discardableResult
    func applyAll(_ commands: [(Command, AgencyID)], at now: Date) throws -> [Applied]

    /// Runs `body` with commands made durable in groups of `size`, then makes everything durable
    /// (a crash meanwhile loses the commands of the group still waiting, never part of one).
    func inGroups<T>(of size: Int, _ body: () throws -> T) throws -> T

    /// Makes everything acknowledged durable.
    func flush() throws

    /// Brings the record tables up to date with the ledger, where a store keeps them apart.
    func checkpoint() throws

    // MARK: The ledger

    /// Ledger entries after `sequence`, oldest first.
    func ledger(after sequence: Int64, limit: Int) throws -> [LedgerEntry]

    /// Every entry of the command named `command` (`plugin.state`), oldest first.
    func ledger(command: String) throws -> [LedgerEntry]

    /// The last entry, as an agency keeps it (see `LedgerHead`).
    func head() throws -> LedgerHead

    /// Walks the hash chain, replays it through the rules, compares the result with the stored
    /// records, and checks that the ledger still holds each of `heads`: names the first thing
    /// that does not match. Tells `progress` (entries checked, entries in all) as it goes.
    func verify(heads: [LedgerHead], progress: ((Int64, Int64) -> Void)?) throws -> Verification
}

extension Store {
    public func caseRefs() throws -> [CaseRef] { try caseRefs(in: nil) }
    public func caseRefSet() throws -> Set<CaseRef> { try caseRefSet(in: nil) }
    public func verify() throws -> Verification { try verify(heads: [], progress: nil) }

    /// Calls `body` with every ledger entry after `sequence`, oldest first, a page at a time.
    public func forEachEntry(after sequence: Int64 = 0, _ body: (LedgerEntry) throws -> Void) throws {
        var after = sequence
        while true {
            let page = try ledger(after: after, limit: 10_000)
            guard let last = page.last else { return }
            after = last.sequence
            for entry in page { try body(entry) }
        }
    }
}

/// The kinds of record a store counts.
public enum RecordTable: String, Sendable { case cases, people, handoffs, notices, ledger }

/// What a store does for a `StoreTransaction`: keep the records each decided command changed
/// where reads see them at once, put them back, and commit the decided commands. Only this
/// package's stores (and the engine through `StoreTransaction`) see it.
package protocol StagingStore: Store {
    /// Takes a decision's records in where reads see them, noting in `log` what each replaced.
    func stage(_ d: Decision, noting log: inout [StagedChange])
    /// Puts back what `stage` noted in `log` after its first `count` changes, newest first;
    /// nothing once the staged commands are in the ledger.
    func unstage(_ log: inout [StagedChange], to count: Int)
    /// Enters decided, staged commands in the ledger, durable when this returns.
    func commit(_ submissions: [Submission], at now: Date) throws -> [Applied]
}

/// A command and its cascade, not yet committed: each command is decided against the store as
/// the transaction has changed it, and its records are staged in the store's memory at once, so
/// every read sees them with one lookup. A savepoint is a mark in the journal of what they
/// replaced, and a rollback puts it back: both cost only what changed after the mark, however
/// large the transaction (a copy of the transaction per savepoint would make a big cascade
/// quadratic).
///
/// Every transaction ends in `end()`, committed or not: what did not commit is taken back.
public final class StoreTransaction: ModelReader {
    private let store: any StagingStore
    public let now: Date
    public private(set) var submissions: [Submission] = []
    public private(set) var events: [Event] = []
    /// Notices the transaction sends, and handoffs it creates (for new references).
    public private(set) var sentNotices: [Notice] = []
    public private(set) var newHandoffs = 0
    /// What the store holds staged for this transaction, oldest first.
    private var undo: [StagedChange] = []
    /// Set once the store has its commands: `end()` then takes nothing back.
    public private(set) var committed = false

    public struct Savepoint: Sendable {
        fileprivate let undo, submissions, events, notices, newHandoffs: Int
    }

    package init(store: any StagingStore, now: Date) {
        self.store = store
        self.now = now
    }

    public var operation: ReturnOperation { store.operation }
    public func person(_ ref: PersonRef) throws -> Person? { try store.person(ref) }
    public func returnCase(_ ref: CaseRef) throws -> ReturnCase? { try store.returnCase(ref) }
    public func handoff(_ ref: HandoffRef) throws -> Handoff? { try store.handoff(ref) }
    public func movement(_ ref: MovementRef) throws -> Movement? { try store.movement(ref) }
    public func notice(_ ref: NoticeRef) throws -> Notice? { try store.notice(ref) }

    /// Decides `command` against the transaction and stages what it changes; returns its
    /// events. Throws the rules' `Refusal`, changing nothing.
    @discardableResult
    public func apply(_ command: Command, by actor: AgencyID, origin: String) throws -> [Event] {
        let d = try Rules.decide(command, by: actor, at: now, reading: self)
        for k in d.handoffs.keys where (try? store.handoff(k)) == nil { newHandoffs += 1 }
        store.stage(d, noting: &undo)
        if case .sendNotice(let n) = command { sentNotices.append(n) }
        submissions.append(Submission(command, by: actor, origin: origin, decided: d, staged: true))
        events += d.events
        return d.events
    }

    public func savepoint() -> Savepoint {
        Savepoint(undo: undo.count, submissions: submissions.count, events: events.count, notices: sentNotices.count, newHandoffs: newHandoffs)
    }

    /// Takes back everything after `mark`.
    public func rollback(to mark: Savepoint) {
        store.unstage(&undo, to: mark.undo)
        submissions.removeLast(submissions.count - mark.submissions)
        events.removeLast(events.count - mark.events)
        sentNotices.removeLast(sentNotices.count - mark.notices)
        newHandoffs = mark.newHandoffs
    }

    /// Enters every command in the ledger, durable when this returns (see `Store.inGroups`).
    @discardableResult
    public func commit() throws -> [Applied] {
        precondition(!committed, "a transaction commits once")
        let applied = try store.commit(submissions, at: now)
        committed = true
        return applied
    }

    /// Takes back everything the transaction staged, unless it committed: every transaction
    /// ends here, whether it committed, was refused, or threw.
    public func end() {
        if !committed { rollback(to: Savepoint(undo: 0, submissions: 0, events: 0, notices: 0, newHandoffs: 0)) }
    }
}

/// A command to commit, who gives it, and what caused it.
public struct Submission: Sendable {
    public var command: Command
    public var actor: AgencyID
    /// `plugin NAME, hook EVENT` for a command a handler gave; for an external command, where
    /// it came from (`timeline.toml:57`), or empty (see `LedgerEntry.origin`).
    public var origin: String

    /// The rules' decision, when the caller has just made it against this store as the
    /// transaction leaves it (the engine does, for every command of a cascade): the store then
    /// writes it instead of deciding the command a second time. Only this package may give one,
    /// so no caller outside it can write a decision the rules did not make.
    package var decided: Decision?

    /// Whether the decision's records are already in the store's memory, staged by an engine's
    /// transaction (see `SQLiteStore.stage(_:noting:)`): the store then writes only the entry.
    package var staged = false

    public init(_ command: Command, by actor: AgencyID, origin: String = "") {
        self.command = command
        self.actor = actor
        self.origin = origin
    }

    package init(_ command: Command, by actor: AgencyID, origin: String, decided: Decision, staged: Bool = false) {
        self.init(command, by: actor, origin: origin)
        self.decided = decided
        self.staged = staged
    }
}

/// A command that took effect.
public struct Applied: Sendable {
    public var entry: LedgerEntry
    public var events: [Event]

    package init(entry: LedgerEntry, events: [Event]) {
        self.entry = entry
        self.events = events
    }
}

public enum Verification: Equatable, Sendable, CustomStringConvertible {
    /// Every entry's hash holds and replaying them gives the stored records.
    case intact(entries: Int64)
    /// `entry` is the first ledger entry that does not match (nil when the ledger holds but a
    /// stored record differs from what it gives).
    case broken(entry: Int64?, reason: String)

    public var description: String {
        switch self {
        case .intact(let n): return "ledger intact: \(n) entries, hash chain and records verified"
        case let .broken(entry?, reason): return "ledger broken at entry \(entry): \(reason)"
        case let .broken(nil, reason): return "records do not match the ledger: \(reason)"
        }
    }
}

/// Why a store could not be created, opened or written, worded for any caller: the command
/// line adds what its user can do about it (see the CLI's `StoreError.advice`).
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case exists(String)
    case missing(String)
    case notAStore(String, reason: String)
    /// The process that wrote the store ended between checkpoints, and an entry written since
    /// the last one cannot be trusted: the store is not opened.
    case unrecoverable(String, entry: Int64, reason: String)
    case unusable(String, reason: String)
    /// Another store (in this process or another) has the file open: a store holds its file
    /// exclusively while it is open.
    case inUse(String)
    /// A store shared by several processes (PostgreSQL) found its ledger moved on by another
    /// since it read it: it did not write, and writes no more until opened again.
    case stale(String, head: Int64)
    /// The server that holds the store (PostgreSQL) could not be reached, or refused the user.
    case unreachable(String, reason: String)

    public var description: String {
        switch self {
        case .exists(let p): return "\(p) already exists: a new store is never written over another"
        case .missing(let p): return "no store at \(p)"
        case let .notAStore(p, reason): return "\(p) is not a Liaison store: \(reason)"
        case let .unrecoverable(p, entry, reason):
            return "\(p): ledger entry \(entry) cannot be replayed after an interrupted run: \(reason); the store was not opened"
        case let .unusable(p, reason):
            return "the store \(p) could not write a group of commands (\(reason)); open it again to recover every command that was durable"
        case .inUse(let p): return "the store \(p) is open in another process: a store has one writer at a time"
        case let .stale(p, head): return "the ledger of \(p) has moved on to entry \(head) in another process since this one read it: the command was not written"
        case let .unreachable(p, reason): return "cannot reach \(p): \(reason)"
        }
    }
}
