import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

// The ledger's rows: appended, read, verified.

extension SQLiteStore {
    /// Appends an entry (and its journal row), binding the columns through SQLite's C API:
    /// GRDB's arguments box each value as an existential and convert it again to bind it,
    /// which cost more than SQLite's own insert. This is the one statement every command runs.
    static func insert(_ entry: LedgerEntry, journal: String?, in db: Database) throws {
        let ledger = try db.cachedStatement(sql: """
            INSERT INTO ledger (seq, at, at_seconds, actor, command, payload, events, prev_hash, hash, origin)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try RawStatement(ledger, in: db).run { s in
            s.bind(entry.sequence)
            s.bind(Timestamp.iso(entry.at))
            s.bind(entry.at.timeIntervalSince1970)
            s.bind(entry.actor.rawValue)
            s.bind(entry.command)
            s.bind(entry.payload)
            s.bind(entry.events)
            s.bind(entry.previousHash)
            s.bind(entry.hash)
            s.bind(entry.origin)
        }
        if let journal {
            try RawStatement(try db.cachedStatement(sql: "INSERT INTO journal (seq, command) VALUES (?, ?)"), in: db).run { s in
                s.bind(entry.sequence)
                s.bind(journal)
            }
        }
    }

    // MARK: The ledger

    public func ledger(after sequence: Int64, limit: Int) throws -> [LedgerEntry] {
        try flush()
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit])
                .map { try Self.entry($0) }
        }
    }

    public func ledger(command: String) throws -> [LedgerEntry] {
        try flush()
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.entryColumns) FROM ledger WHERE command = ? ORDER BY seq", arguments: [command]).map { try Self.entry($0) }
        }
    }

    /// The ledger's columns as `entry(_:)` reads them, by position. Named in every query rather
    /// than `SELECT *`: a column renamed or missing behind the store's back is then SQLite's
    /// "no such column", and the positions cannot drift.
    static let entryColumns = "seq, at, at_seconds, actor, command, payload, events, prev_hash, hash, origin"

    /// An entry from a row of `entryColumns` (then anything else). Every value is decoded with
    /// GRDB's throwing `decode`, never its subscript, which traps on a value of another type:
    /// a file edited or damaged behind the store's back is refused, not a crash.
    static func entry(_ row: Row) throws -> LedgerEntry {
        LedgerEntry(sequence: try row.decode(atIndex: 0), at: Date(timeIntervalSince1970: try row.decode(atIndex: 2)),
                    actor: AgencyID(try row.decode(String.self, atIndex: 3)),
                    command: try row.decode(atIndex: 4), payload: try row.decode(atIndex: 5),
                    events: try row.decode(atIndex: 6), previousHash: try row.decode(atIndex: 7),
                    hash: try row.decode(atIndex: 8), origin: try row.decode(atIndex: 9))
    }


    /// `verify()`, telling `progress` (entries checked, entries in all) every 100,000 entries, and
    /// checking that the ledger still holds each of `heads` (kept by an agency from `head()`).
    public func verify(heads: [LedgerHead], progress: ((Int64, Int64) -> Void)?) throws -> Verification {
        try checkpoint()
        return try db.read { db in
            try LedgerAudit(source: SQLiteAuditSource(db: db), progress: progress, heads: heads).run()
        }
    }

    /// The ledger's last entry, as an agency keeps it to check later that nothing before it was
    /// cut or rewritten.
    public func head() throws -> LedgerHead {
        try flush()
        return try db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1") else {
                return LedgerHead(sequence: 0, hash: LedgerEntry.genesisHash)
            }
            return LedgerHead(sequence: try row.decode(forColumn: "seq"), hash: try row.decode(forColumn: "hash"))
        }
    }
}

/// A ledger entry's sequence number and hash, written `SEQ:HASH`: what an agency keeps outside
/// the store so that `audit verify --head` can tell whether the ledger still holds that entry.
/// A hash chain alone cannot show that entries were cut off its end, or that the whole chain
/// was written again; a head kept elsewhere can.
public struct LedgerHead: Hashable, Sendable, CustomStringConvertible {
    public var sequence: Int64
    public var hash: String

    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }

    /// `1340:9f2c…` (64 hexadecimal digits after the colon).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq > 0, parts[1].count == 64,
              parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        (sequence, hash) = (seq, String(parts[1]))
    }

    public var description: String { "\(sequence):\(hash)" }
}


/// What an audit reads of an SQLite store: its rows, as written, inside one read transaction.
struct SQLiteAuditSource: AuditSource {
    let db: Database

    func storedOperation() throws -> String? {
        try String.fetchOne(db, sql: "SELECT json FROM operation WHERE id = 1")
    }

    func entryCount() throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM ledger") ?? 0
    }

    func forEachEntry(_ body: (LedgerEntry, String) throws -> Bool) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT \(SQLiteStore.entryColumns) FROM ledger ORDER BY seq")
        while let row = try rows.next() {
            guard try body(SQLiteStore.entry(row), row.decode(atIndex: 1)) else { return }
        }
    }

    func storedPerson(_ ref: PersonRef) throws -> Person? {
        try SQLiteStore.fetch(Person.self, "people", ref.rawValue, db)
    }

    func storedNotice(_ ref: NoticeRef) throws -> Notice? {
        try SQLiteStore.fetch(Notice.self, "notices", ref.rawValue, db)
    }

    func storedRecords<T: Decodable>(_ table: AuditTable, as type: T.Type) throws -> [(ref: String, record: T?)] {
        try Row.fetchAll(db, sql: "SELECT ref, json FROM \(table.rawValue) ORDER BY ref").map { row in
            (try row.decode(forColumn: "ref"), try? Canonical.decode(T.self, row.decode(String.self, forColumn: "json")))
        }
    }

    /// Each table's columns beside the JSON, against the records the ledger gives (which the
    /// stored JSON was just found equal to, row by row, so a row relabelled under another
    /// reference is caught there): the queries that find cases by state and notices by
    /// deadline read these columns. Read from the model, not by decoding each row's JSON a
    /// second time (which cost the audit a third of its time).
    func storedColumnProblem(_ model: InMemoryModel) throws -> String? {
        func text(_ v: String?) -> String { v.map { "'\($0)'" } ?? "nothing" }
        let cases = try Row.fetchCursor(db, sql: "SELECT ref, person, state FROM cases ORDER BY ref")
        while let row = try cases.next() {
            let ref: String = try row.decode(forColumn: "ref")
            guard let c = model.cases[CaseRef(ref)] else { continue }
            let person: String? = try row.decode(forColumn: "person"), state: String? = try row.decode(forColumn: "state")
            if person != c.person.rawValue {
                return "case \(ref)'s person column reads \(text(person)), but its record (as the ledger gives it) names \(c.person)"
            }
            if state != c.progress.rawValue {
                return "case \(ref)'s state column reads \(text(state)), but the case is \(c.progress.rawValue) (as the ledger gives it): queries by state would answer wrongly"
            }
        }
        let notices = try Row.fetchCursor(db, sql: "SELECT ref, recipient, due_seconds, acknowledged FROM notices ORDER BY ref")
        while let row = try notices.next() {
            let ref: String = try row.decode(forColumn: "ref")
            guard let n = model.notices[NoticeRef(ref)] else { continue }
            let recipient: String? = try row.decode(forColumn: "recipient")
            if recipient != n.recipient.rawValue {
                return "notice \(ref)'s recipient column reads \(text(recipient)), but the notice is to \(n.recipient)"
            }
            let due: Double? = try row.decode(forColumn: "due_seconds")
            if due != n.due?.timeIntervalSince1970 {
                return "notice \(ref)'s deadline column reads \(due.map { String($0) } ?? "nothing"), but the notice is due \(n.due.map(Timestamp.iso) ?? "at no time"): overdue notices would be missed or invented"
            }
            let acknowledged: Int64? = try row.decode(forColumn: "acknowledged")
            if acknowledged != (n.acknowledgedAt == nil ? 0 : 1) {
                return "notice \(ref)'s acknowledged column reads \(acknowledged.map { String($0) } ?? "nothing"), but the notice was \(n.acknowledgedAt == nil ? "not acknowledged" : "acknowledged")"
            }
        }
        let mark = try Int64.fetchOne(db, sql: "SELECT seq FROM checkpoint")
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM ledger")
        if mark != last {
            return "the checkpoint mark reads \(mark.map { String($0) } ?? "nothing"), but the tables were just brought up to the ledger's last entry, \(last.map { String($0) } ?? "none")"
        }
        if let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM journal ORDER BY seq LIMIT 1") {
            return "the journal holds a row for entry \(seq) after the checkpoint that makes every row redundant: it was written behind the store's back"
        }
        return nil
    }
}
