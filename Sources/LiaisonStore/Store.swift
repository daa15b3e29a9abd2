import Foundation
import LiaisonModel

/// Durable state and the audit ledger of one operation. Reads go through the same
/// `ModelReader` interface the rules use; every change is a command.
///
/// ```swift
/// let store = try SQLiteStore.create(at: "gulf-charter/liaison.sqlite", operation: operation)
/// try store.apply(.clear("R-0042"), by: "US-ENF", at: now)
/// switch try store.verify() { case .intact: ...; case let .broken(at, reason): ... }
/// ```
public protocol Store: ModelReader, AnyObject {
    /// Decides `command` under the rules and, if it is allowed, makes it durable: its ledger
    /// entry in one transaction (the records it changed follow at the next checkpoint, and are
    /// recovered from the ledger if the process dies first; see `SQLiteStore`). A refusal
    /// (`Refusal`) writes nothing.
    @discardableResult
    func apply(_ command: Command, by actor: AgencyID, at now: Date) throws -> Applied

    /// Applies `commands` in order, atomically: all of them, or (if one is refused or fails)
    /// none. Each still gets its own ledger entry.
    @discardableResult
    func applyAll(_ commands: [(Command, AgencyID)], at now: Date) throws -> [Applied]

    /// `applyAll` for commands that each carry their origin (the plugin and hook that caused
    /// them; empty for external commands): the engine commits a command and its cascade so.
    @discardableResult
    func commit(_ submissions: [Submission], at now: Date) throws -> [Applied]

    /// Ledger entries after `sequence`, oldest first.
    func ledger(after sequence: Int64, limit: Int) throws -> [LedgerEntry]

    /// Walks the ledger's hash chain, replays it through the rules, and compares the result with
    /// the stored records: names the first thing that does not match.
    func verify() throws -> Verification
}

/// A command to commit, who gives it, and what caused it.
public struct Submission: Sendable {
    public var command: Command
    public var actor: AgencyID
    /// Empty for an external command; `plugin NAME, hook EVENT` for one a handler gave.
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

public enum StoreError: Error, Equatable, CustomStringConvertible {
    case exists(String)
    case missing(String)
    case notAStore(String, reason: String)
    case unusable(String, reason: String)
    /// Another store (in this process or another) has the file open: a store holds its file
    /// exclusively while it is open.
    case inUse(String)

    public var description: String {
        switch self {
        case .exists(let p): return "\(p) already exists: give another --store, or remove it to start the operation again"
        case .missing(let p): return "no store at \(p): import the operation first (liaison import OPERATION_DIR)"
        case let .notAStore(p, reason): return "\(p) is not a Liaison store: \(reason)"
        case let .unusable(p, reason):
            return "the store \(p) could not write a group of commands (\(reason)); open it again to recover every command that was durable"
        case .inUse(let p):
            return "the store \(p) is open in another process (a liaison run or repl on it?): wait until that ends, or work on a copy"
        }
    }
}
