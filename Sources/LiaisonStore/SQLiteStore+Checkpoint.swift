import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

// Checkpoints: the records changed since the last one, written once.

extension SQLiteStore {
    /// Writes every record changed since the last checkpoint, once, and marks the ledger entry
    /// the tables now reflect. Runs by itself (see `checkpointInterval`); call it to leave the
    /// tables current for another reader of the file.
    public func checkpoint() throws {
        precondition(stagedChanges == 0, "a checkpoint while an engine's transaction is open would write records it may yet take back")
        try flush()
        guard checkpointed < lastSequence else { return }
        let sequence = lastSequence
        // The records are encoded here a few thousand at a time while the queue upserts the
        // ones before: at 100,000 cases the checkpoint's JSON took 0.4 s of its 1.7 s apart.
        let records = feed { db, feed -> Bool in
            // Another store on this file has written since: its own recovery has made the
            // tables current, and records held here are older than the ledger.
            guard try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM ledger") == sequence else { return false }
            try feed.runAll(db)
            try db.execute(sql: "UPDATE checkpoint SET seq = ?", arguments: [sequence])
            try db.execute(sql: "DELETE FROM journal WHERE seq <= ?", arguments: [sequence])
            return true
        }
        try records.feeding { try write(dirty, to: records) }
        let wrote = try records.result()
        copyWALInBackground()
        if wrote {
            cache.absorb(dirty)
            if holdsEveryRecord { noticesOnFile.formUnion(dirty.notices.keys) }
        } else {
            holdsEveryRecord = false  // the records changed here are dropped
        }
        dirty = RecordCache(limit: .max)
        checkpointed = sequence
    }

    /// Sends a checkpoint's records to `feed`, one statement each, bound through SQLite's C API
    /// as the ledger insert is, and in key order: each B-tree page is then changed in one run,
    /// where the dictionaries' hash order sent every upsert to a page far from the last, and
    /// SQLite wrote pages out of its small cache to the WAL again and again.
    func write(_ d: RecordCache, to feed: DatabaseFeed<Bool>) throws {
        /// Sends upserts of `records` in key order, their JSON written on every core a few
        /// thousand at a time (all at once would hold a second copy of every record as text).
        func upsert<R: Sendable & Encodable>(_ records: [R], _ sql: String,
                                             _ bind: @escaping @Sendable (inout RawStatement, R, String) -> Void) throws {
            for start in stride(from: 0, to: records.count, by: 4_096) {
                let part = Array(records[start..<min(start + 4_096, records.count)])
                let texts = try [String](concurrentlyMapping: part.count) { try Canonical.record(part[$0]) }
                feed.send { db in
                    let statement = try db.cachedStatement(sql: sql)
                    for (i, text) in texts.enumerated() { try RawStatement(statement, in: db).run { s in bind(&s, part[i], text) } }
                }
            }
        }
        try upsert(d.people.values.sorted { $0.ref.rawValue < $1.ref.rawValue },
                   "INSERT INTO people (ref, json) VALUES (?, ?) ON CONFLICT(ref) DO UPDATE SET json = excluded.json") {
            $0.bind($1.ref.rawValue); $0.bind($2)
        }
        try upsert(d.cases.values.sorted { $0.ref.rawValue < $1.ref.rawValue }, """
            INSERT INTO cases (ref, person, state, json) VALUES (?, ?, ?, ?)
            ON CONFLICT(ref) DO UPDATE SET person = excluded.person, state = excluded.state, json = excluded.json
            """) {
            $0.bind($1.ref.rawValue); $0.bind($1.person.rawValue); $0.bind($1.progress.rawValue); $0.bind($2)
        }
        try upsert(Array(d.handoffs.values), "INSERT INTO handoffs (ref, json) VALUES (?, ?) ON CONFLICT(ref) DO UPDATE SET json = excluded.json") {
            $0.bind($1.ref.rawValue); $0.bind($2)
        }
        try upsert(Array(d.movements.values), "UPDATE movements SET json = ? WHERE ref = ?") { $0.bind($2); $0.bind($1.ref.rawValue) }
        try upsert(d.notices.values.sorted { $0.ref.rawValue < $1.ref.rawValue }, """
            INSERT INTO notices (ref, recipient, due_seconds, acknowledged, json) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(ref) DO UPDATE SET acknowledged = excluded.acknowledged, json = excluded.json
            """) {
            $0.bind($1.ref.rawValue); $0.bind($1.recipient.rawValue); $0.bind($1.due?.timeIntervalSince1970)
            $0.bind(Int64($1.acknowledgedAt != nil ? 1 : 0)); $0.bind($2)
        }
    }
}
