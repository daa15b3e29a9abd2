import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

// Writing commands: one transaction each, in groups, or (a big one an engine staged) while its
// hashes are chained; the database's queue and the WAL copies made there.

extension SQLiteStore {
    /// From how many commands an engine's transaction is written while it is entered in the
    /// ledger (see `writePipelined`): for fewer, handing rows to another thread costs more than
    /// it saves.
    static let pipelined = 4_096

    /// Writes a big transaction an engine staged, durable before returning as any with
    /// `groupCommit` 1, but with its rows inserted on the database's queue a few thousand at a
    /// time while this thread chains the hashes of the next ones. Signals whose handlers act on
    /// every case make transactions of 100,000 commands, and one after the other the hashes
    /// and the inserts took about 0.3 s of each. A failed write leaves nothing, as the
    /// one-transaction path does: the rows are written in one SQLite transaction, which
    /// commits after the last of them or rolls back, and the engine then takes back what it
    /// staged (see `unstage`).
    func writePipelined(_ submissions: [Submission], at now: Date) throws -> Decided {
        let rows = feed { db, feed in try feed.runAll(db) }
        let decided = try rows.feeding { try decide(submissions, at: now, in: nil, sending: rows) }
        try rows.result()
        return decided
    }

    /// Begins one write transaction on the database's queue, after whatever is queued there,
    /// which runs `body` with the work this thread then sends it (see `DatabaseFeed`).
    func feed<T>(_ body: @escaping @Sendable (Database, DatabaseFeed<T>) throws -> T) -> DatabaseFeed<T> {
        let feed = DatabaseFeed<T>()
        let (background, path) = (background, path)
        background.started()
        db.asyncWriteWithoutTransaction { db in
            defer { background.finished() }
            feed.finish(Result {
                try background.refuseAfterFailure(of: path)
                return try Self.transaction(db) { try body(db, feed) }
            })
        }
        return feed
    }

    /// What `commit` decided: the results, the rows to write, and the records each command left.
    struct Decided {
        var applied: [Applied] = []
        var rows: [Unwritten] = []
        /// The commands, each with its decision.
        var submissions: [Submission] = []
        var head: (Int64, String)
    }

    /// Decides each command against the records as earlier commands of the same call left them.
    /// Nothing is written or kept until every command is decided, so a refusal leaves nothing.
    /// The rows go to `rows` when given (see `writePipelined`), and to the result otherwise.
    ///
    /// The loops below read each submission in place (`submissions[i].actor`) rather than
    /// binding it: a bound copy of a submission retains and releases its command, actor,
    /// origin and the six collections of its decision, and a big transaction's hundred
    /// thousand such copies were about a fifth of the reference counting its commit did.
    func decide(_ submissions: [Submission], at now: Date, in db: Database?, sending rows: DatabaseFeed<Void>? = nil) throws -> Decided {
        var result = Decided(head: (lastSequence, lastHash))
        // What a command changed is staged only for a later command still to be decided here:
        // an engine's transaction comes decided whole, and staging each of a big cascade's
        // commands cost more than its ledger entry's hash.
        var submissions = submissions
        if let lastToDecide = submissions.lastIndex(where: { $0.decided == nil }) {
            let staged = Staged()
            for i in submissions.indices where submissions[i].decided == nil || i < lastToDecide {
                if submissions[i].decided == nil {
                    submissions[i].decided = try Rules.decide(submissions[i].command, by: submissions[i].actor, at: now,
                                                              reading: TransactionReader(store: self, staged: staged, db: db!))
                }
                if i < lastToDecide { staged.records.absorb(submissions[i].decided!) }  // for the commands after it
            }
        }
        // What the ledger keeps only a digest of is journalled whole, for a replay before the
        // next checkpoint.
        let texts = try LedgerChain.texts(submissions)
        if rows == nil { result.rows.reserveCapacity(submissions.count) }
        result.applied.reserveCapacity(submissions.count)
        let time = LedgerEntry.HashedTime(now)
        var chunk: [Unwritten] = []
        for i in submissions.indices {
            let entry = LedgerChain.entry(after: result.head, at: time, submissions[i], texts[i])
            result.head = (entry.sequence, entry.hash)
            result.applied.append(Applied(entry: entry, events: submissions[i].decided!.events))
            guard let rows else {
                result.rows.append(Unwritten(entry: entry, journal: texts[i].journal))
                continue
            }
            // A fresh array each time: a part of one growing array, still read on the queue,
            // would make every append copy it.
            chunk.append(Unwritten(entry: entry, journal: texts[i].journal))
            if chunk.count == 2_048 || i == submissions.count - 1 {
                rows.send { [chunk] db in for row in chunk { try Self.insert(row.entry, journal: row.journal, in: db) } }
                chunk = []
            }
        }
        result.submissions = submissions
        return result
    }

    /// The last ledger entry written to the database (after waiting for a group being written;
    /// none after a group that failed).
    public var durableSequence: Int64 {
        background.wait()
        return lastSequence - Int64(unwritten.count + background.lost)
    }

    /// Runs `body` with commands committed in groups of `size`, then makes everything durable.
    public func inGroups<T>(of size: Int, _ body: () throws -> T) throws -> T {
        let previous = groupCommit
        groupCommit = size
        defer { groupCommit = previous }
        let result: T
        do {
            result = try body()
        } catch {
            try? flush()  // what took effect before the error stays, as it would have one by one
            throw error
        }
        try flush()
        return result
    }

    /// Writes the commands still waiting for their group (see `groupCommit`), and waits for
    /// the groups being written (and for any copy of the WAL queued: see `WALCopies`).
    public func flush() throws {
        try checkUsable()
        if !unwritten.isEmpty { writeInBackground() }
        try awaitWrites()
    }

    /// Waits for the groups being written; throws (and refuses further work) if one failed.
    func awaitWrites() throws {
        background.wait()
        if let error = background.failure {
            failure = error
            throw error
        }
    }

    /// Hands the waiting commands to the database's queue as one transaction.
    func writeInBackground() {
        let rows = unwritten
        unwritten.removeAll(keepingCapacity: true)
        let (background, wal) = (background, wal)
        background.started()
        db.asyncWriteWithoutTransaction { db in
            defer { background.finished() }
            // After a failed group, nothing more is written: the ledger would have a gap.
            guard background.failure == nil else { return background.lose(rows.count) }
            do {
                try Self.transaction(db) { for row in rows { try Self.insert(row.entry, journal: row.journal, in: db) } }
            } catch {
                background.fail(error)
                background.lose(rows.count)
            }
            if wal.claim() { wal.copy(db) }  // already on the queue, after the caller's thread
        }
    }

    /// Queues a copy of the WAL into the database file behind the writes queued so far, when
    /// one is due (see `WALCopies`).
    func copyWALInBackground() {
        guard wal.claim() else { return }
        let (background, wal) = (background, wal)
        background.started()
        db.asyncWriteWithoutTransaction { db in
            defer { background.finished() }
            wal.copy(db)
        }
    }

    /// One write transaction on the caller's thread, after any group being written.
    func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try db.writeWithoutTransaction { db in
            try background.refuseAfterFailure(of: path)
            return try Self.transaction(db) { try body(db) }
        }
    }

    /// One write transaction, begun and committed through prepared statements run through
    /// SQLite's C API. GRDB's `write` parses `BEGIN IMMEDIATE TRANSACTION` and `COMMIT
    /// TRANSACTION` anew every time, which was a tenth of what a command cost when each is
    /// durable before the next.
    static func transaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try RawStatement(db.cachedStatement(sql: "BEGIN IMMEDIATE"), in: db).run()
        do {
            let result = try body()
            try RawStatement(db.cachedStatement(sql: "COMMIT"), in: db).run()
            return result
        } catch {
            try? db.rollback()
            throw error
        }
    }

    /// After a group could not be written, the records held here are ahead of the database:
    /// the store refuses further work, and opening it again recovers what was durable.
    func checkUsable() throws {
        if failure == nil, let error = background.failure { failure = error }
        if let failure {
            throw StoreError.unusable(path, reason: String(describing: failure))
        }
    }
}

/// The records a transaction's earlier commands changed. A class, so that the reader of each
/// command shares it: a struct copied into each reader made every write copy the whole of it,
/// which is quadratic in the size of a transaction.
final class Staged {
    var records = RecordCache(limit: .max)
}

/// Reads inside a write transaction: what earlier commands of the same transaction staged, then
/// the store's cache, then the database.
struct TransactionReader: ModelReader {
    let store: SQLiteStore
    let staged: Staged
    let db: Database
    var operation: ReturnOperation { store.operation }

    func person(_ ref: PersonRef) throws -> Person? {
        try staged.records.people[ref] ?? store.record(\.people, ref) { try SQLiteStore.fetch(Person.self, "people", ref.rawValue, db) }
    }
    func returnCase(_ ref: CaseRef) throws -> ReturnCase? {
        try staged.records.cases[ref] ?? store.record(\.cases, ref) { try SQLiteStore.fetch(ReturnCase.self, "cases", ref.rawValue, db) }
    }
    func handoff(_ ref: HandoffRef) throws -> Handoff? {
        try staged.records.handoffs[ref] ?? store.record(\.handoffs, ref) { try SQLiteStore.fetch(Handoff.self, "handoffs", ref.rawValue, db) }
    }
    func movement(_ ref: MovementRef) throws -> Movement? {
        try staged.records.movements[ref] ?? store.held(\.movements, ref) ?? SQLiteStore.fetch(Movement.self, "movements", ref.rawValue, db)
    }
    func notice(_ ref: NoticeRef) throws -> Notice? {
        try staged.records.notices[ref] ?? store.held(\.notices, ref) ?? SQLiteStore.fetch(Notice.self, "notices", ref.rawValue, db)
    }
}

extension SQLiteStore {
    /// A record held in memory: changed since the checkpoint, or cached. (The cache holds no
    /// notices.)
    /// Inlined, so each use reads its two dictionaries directly: through a key path that is
    /// not a constant where it is applied, a lookup cost several times the dictionary's own.
    @inline(__always)
    func held<K: Hashable, T>(_ table: KeyPath<RecordCache, [K: T]>, _ ref: K) -> T? {
        dirty[keyPath: table][ref] ?? cache[keyPath: table][ref]
    }

    /// A person, case or handoff: held in memory, else read by `read` from the tables, unless
    /// the store holds every record (see `holdsEveryRecord`) and so knows there is none.
    @inline(__always)
    func record<K: Hashable, T>(_ table: KeyPath<RecordCache, [K: T]>, _ ref: K, read: () throws -> T?) rethrows -> T? {
        if let r = held(table, ref) { return r }
        return knowsEveryRecord ? nil : try read()
    }
}

