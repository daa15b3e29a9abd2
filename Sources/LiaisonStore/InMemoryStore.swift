import Foundation
import LiaisonModel

/// A store that keeps everything in this process's memory and nothing after it: the runtime's
/// tests, and an embedding application that keeps its own records, use it where a file is
/// not wanted. It keeps the same promises as `SQLiteStore` (the conformance suite runs both),
/// except durability: a committed command lives as long as the store.
///
/// Everything that does not depend on where records are kept is shared with the other stores:
/// the rules decide, `StoreTransaction` stages, `LedgerChain` writes and chains the entries,
/// and `LedgerAudit` verifies; the records, their reads and the staging are `RecordsInMemory`'s,
/// as the PostgreSQL store's are. What is left here is the ledger, an array of entries.
public final class InMemoryStore: RecordsInMemory {
    public let operation: ReturnOperation
    public var location: String { ":memory:" }

    /// Every record, as the ledger leaves it (with what an open transaction staged).
    package var records = RecordCache(limit: .max)
    /// The ledger, entry 1 first.
    var entries: [LedgerEntry]
    /// The operation as the first entry holds it.
    let opening: String

    public init(operation: ReturnOperation) throws {
        self.operation = operation
        let (genesis, opening) = try LedgerChain.genesis(of: operation)
        (entries, self.opening) = ([genesis], opening)
        for m in operation.movements { records.movements[m.ref] = m }
    }

    // MARK: Writing (reads, transactions and staging: `RecordsInMemory`)

    public func count(_ table: RecordTable) -> Int { recordCount(table) ?? entries.count }

    /// Enters a transaction's commands in the ledger. Their records are staged already, and
    /// nothing here fails once entries are added: a failure before leaves the transaction to
    /// take back what it staged.
    package func commit(_ submissions: [Submission], at now: Date) throws -> [Applied] {
        precondition(submissions.allSatisfy(\.staged), "an in-memory store commits only what a transaction staged")
        let applied = try LedgerChain.chain(submissions, after: (entries[entries.count - 1].sequence, entries[entries.count - 1].hash), at: now)
        entries += applied.map(\.entry)
        return applied
    }

    // MARK: The ledger

    public func ledger(after sequence: Int64, limit: Int) -> [LedgerEntry] {
        let start = Int(max(0, min(sequence, Int64(entries.count))))
        return Array(entries[start..<min(entries.count, start + max(0, limit))])
    }

    public func ledger(command: String) -> [LedgerEntry] {
        entries.filter { $0.command == command }
    }

    public func head() -> LedgerHead {
        LedgerHead(sequence: entries.last!.sequence, hash: entries.last!.hash)
    }

    public func verify(heads: [LedgerHead], progress: ((Int64, Int64) -> Void)?) throws -> Verification {
        try LedgerAudit(source: Source(store: self), progress: progress, heads: heads).run()
    }

    /// What an audit reads of this store: its entries and records, as held.
    private struct Source: AuditSource {
        let store: InMemoryStore

        func storedOperation() -> String? { store.opening }
        func entryCount() -> Int64 { Int64(store.entries.count) }
        func forEachEntry(_ body: (LedgerEntry, String) throws -> Bool) throws {
            for entry in store.entries { guard try body(entry, Timestamp.iso(entry.at)) else { return } }
        }
        func storedColumnProblem(_ model: InMemoryModel) -> String? { nil }  // its records are all it keeps
        func storedPerson(_ ref: PersonRef) -> Person? { store.records.people[ref] }
        func storedNotice(_ ref: NoticeRef) -> Notice? { store.records.notices[ref] }
        func storedRecords<T: Decodable>(_ table: AuditTable, as type: T.Type) -> [(ref: String, record: T?)] {
            func all<K: Identifier, V>(_ d: [K: V]) -> [(ref: String, record: T?)] {
                d.keys.sorted().map { ($0.rawValue, d[$0] as? T) }
            }
            switch table {
            case .cases: return all(store.records.cases)
            case .handoffs: return all(store.records.handoffs)
            case .movements: return all(store.records.movements)
            case .people: return all(store.records.people)
            case .notices: return all(store.records.notices)
            }
        }
    }
}
