import Foundation
import GRDB
import LiaisonModel

/// The embedded store: one SQLite file per operation, in WAL mode, through GRDB.
///
/// Each command is one transaction: the records its decision changed, replaced whole, and its
/// ledger entry. The ledger table refuses updates and deletes (triggers), and each entry
/// carries the SHA-256 of the one before, so an edit made behind the store's back (dropping the
/// triggers, or another tool) is found by `verify()`.
///
/// Memory stays flat as an operation grows: records are read from the database as commands need
/// them, through a cache of at most `cacheLimit` decoded records.
public final class SQLiteStore: Store {
    /// What a committed command survives. `.process` (SQLite's synchronous=NORMAL in WAL mode):
    /// the process being killed at any point, which loses nothing that was acknowledged.
    /// `.power`: also a power failure, at the cost of an fsync per command.
    public enum Durability: Sendable { case process, power }

    public let path: String
    public let operation: ReturnOperation
    let db: DatabaseQueue
    private var lastSequence: Int64
    private var lastHash: String
    private var cache: RecordCache

    /// Creates a new store for `operation`; refuses a path that already exists.
    public static func create(at path: String, operation: ReturnOperation, durability: Durability = .process,
                              cacheLimit: Int = 10_000) throws -> SQLiteStore {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.exists(path) }
        let db = try DatabaseQueue(path: path, configuration: configuration(durability))
        try migrator.migrate(db)
        return try start(db: db, path: path, operation: operation, cacheLimit: cacheLimit)
    }

    /// Writes the operation and the ledger's first entry into a new database.
    private static func start(db: DatabaseQueue, path: String, operation: ReturnOperation, cacheLimit: Int) throws -> SQLiteStore {
        let opening = try Canonical.string(operation)
        try db.write { db in
            try db.execute(sql: "INSERT INTO operation (id, json) VALUES (1, ?)", arguments: [opening])
            for m in operation.movements {
                try db.execute(sql: "INSERT INTO movements (ref, json) VALUES (?, ?)", arguments: [m.ref.rawValue, try Canonical.string(m)])
            }
        }
        let store = SQLiteStore(path: path, db: db, operation: operation, last: (0, LedgerEntry.genesisHash), cacheLimit: cacheLimit)
        try db.write { db in
            _ = try store.append(command: "operation.create", payload: opening, events: "[]", actor: AgencyID(operation.name),
                                 at: Date(timeIntervalSince1970: 0), in: db)
        }
        return store
    }

    /// A store that lives in memory only: for tests, scenarios and the REPL without `--store`.
    public static func inMemory(operation: ReturnOperation, cacheLimit: Int = 10_000) throws -> SQLiteStore {
        let db = try DatabaseQueue()
        try migrator.migrate(db)
        return try start(db: db, path: ":memory:", operation: operation, cacheLimit: cacheLimit)
    }

    /// Opens an existing store.
    public static func open(at path: String, durability: Durability = .process, cacheLimit: Int = 10_000) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path) }
        let db: DatabaseQueue
        do {
            db = try DatabaseQueue(path: path, configuration: configuration(durability))
            try migrator.migrate(db)
        } catch {
            throw StoreError.notAStore(path, reason: String(describing: error))
        }
        let (operation, last) = try db.read { conn -> (ReturnOperation, (Int64, String)) in
            guard let json = try String.fetchOne(conn, sql: "SELECT json FROM operation WHERE id = 1") else {
                throw StoreError.notAStore(path, reason: "it has no operation")
            }
            let row = try Row.fetchOne(conn, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
            return (try Canonical.decode(ReturnOperation.self, json), (row?["seq"] ?? 0, row?["hash"] ?? LedgerEntry.genesisHash))
        }
        return SQLiteStore(path: path, db: db, operation: operation, last: last, cacheLimit: cacheLimit)
    }

    /// Removes a store and its WAL files (after an import that was refused).
    public static func remove(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    private init(path: String, db: DatabaseQueue, operation: ReturnOperation, last: (Int64, String), cacheLimit: Int) {
        self.path = path
        self.db = db
        self.operation = operation
        (lastSequence, lastHash) = last
        cache = RecordCache(limit: cacheLimit)
    }

    private static func configuration(_ durability: Durability) -> Configuration {
        var config = Configuration()
        config.journalMode = .wal
        config.prepareDatabase { db in
            try db.execute(sql: durability == .power ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        }
        return config
    }

    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE operation (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
                CREATE TABLE people (ref TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE cases (ref TEXT PRIMARY KEY, person TEXT NOT NULL, state TEXT NOT NULL, json TEXT NOT NULL);
                CREATE TABLE handoffs (ref TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE movements (ref TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE ledger (
                  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, at_seconds REAL NOT NULL, actor TEXT NOT NULL,
                  command TEXT NOT NULL, payload TEXT NOT NULL, events TEXT NOT NULL,
                  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
                CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                """)
        }
        m.registerMigration("v2: notices and origins") { db in
            try db.execute(sql: """
                ALTER TABLE ledger ADD COLUMN origin TEXT NOT NULL DEFAULT '';
                CREATE TABLE notices (ref TEXT PRIMARY KEY, recipient TEXT NOT NULL, due_seconds REAL,
                                      acknowledged INTEGER NOT NULL, json TEXT NOT NULL);
                """)
        }
        return m
    }()

    // MARK: Reading (the rules read through these)

    // Reads go through the cache: a record read once is decoded once, until the cache is full.

    public func person(_ ref: PersonRef) throws -> Person? {
        try readThrough(cache.people[ref], "people", ref.rawValue) { cache.keep($0) }
    }

    public func returnCase(_ ref: CaseRef) throws -> ReturnCase? {
        try readThrough(cache.cases[ref], "cases", ref.rawValue) { cache.keep($0) }
    }

    public func handoff(_ ref: HandoffRef) throws -> Handoff? {
        try readThrough(cache.handoffs[ref], "handoffs", ref.rawValue) { cache.keep($0) }
    }

    private func readThrough<T: Decodable>(_ cached: T?, _ table: String, _ key: String, keep: (T) -> Void) throws -> T? {
        if let cached { return cached }
        let record = try db.read { try Self.fetch(T.self, table, key, $0) }
        if let record { keep(record) }
        return record
    }

    public func movement(_ ref: MovementRef) throws -> Movement? {
        try cache.movements[ref] ?? db.read { try Self.fetch(Movement.self, "movements", ref.rawValue, $0) }
    }

    public func notice(_ ref: NoticeRef) throws -> Notice? {
        try db.read { try Self.fetch(Notice.self, "notices", ref.rawValue, $0) }
    }

    /// The cases whose stored progress is `state` (all cases when nil), by reference.
    public func caseRefs(in state: CaseState? = nil) throws -> [CaseRef] {
        try db.read { db in
            if let state {
                return try String.fetchAll(db, sql: "SELECT ref FROM cases WHERE state = ? ORDER BY ref", arguments: [state.rawValue]).map(CaseRef.init)
            }
            return try String.fetchAll(db, sql: "SELECT ref FROM cases ORDER BY ref").map(CaseRef.init)
        }
    }

    /// Every notice in the outbox, oldest first.
    public func notices() throws -> [Notice] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM notices ORDER BY ref").map { try Canonical.decode(Notice.self, $0) }
        }
    }

    /// Every handoff, by reference.
    public func handoffs() throws -> [Handoff] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM handoffs ORDER BY ref").map { try Canonical.decode(Handoff.self, $0) }
        }
    }

    /// Notices not yet acknowledged whose deadline falls in `range`.
    public func unacknowledgedNotices(dueIn range: ClosedRange<Date>) throws -> [Notice] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM notices WHERE acknowledged = 0 AND due_seconds > ? AND due_seconds <= ? ORDER BY ref",
                                arguments: [range.lowerBound.timeIntervalSince1970, range.upperBound.timeIntervalSince1970])
                .map { try Canonical.decode(Notice.self, $0) }
        }
    }

    /// How many records of each kind the store holds: for new references (`H-3`, `N-000012`).
    public func count(_ table: RecordTable) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table.rawValue)") ?? 0 }
    }

    public enum RecordTable: String, Sendable { case cases, people, handoffs, notices, ledger }

    /// How many cases are in each state (as stored: the progress each has reached).
    public func caseCounts() throws -> [String: Int] {
        try db.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM cases GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }

    static func fetch<T: Decodable>(_ type: T.Type, _ table: String, _ key: String, _ db: Database) throws -> T? {
        guard let json = try String.fetchOne(db.cachedStatement(sql: "SELECT json FROM \(table) WHERE ref = ?"), arguments: [key]) else {
            return nil
        }
        return try Canonical.decode(T.self, json)
    }

    // MARK: Writing

    @discardableResult
    public func apply(_ command: Command, by actor: AgencyID, at now: Date) throws -> Applied {
        try applyAll([(command, actor)], at: now)[0]
    }

    @discardableResult
    public func applyAll(_ commands: [(Command, AgencyID)], at now: Date) throws -> [Applied] {
        try commit(commands.map { Submission($0.0, by: $0.1) }, at: now)
    }

    @discardableResult
    public func commit(_ submissions: [Submission], at now: Date) throws -> [Applied] {
        let start = (lastSequence, lastHash)
        let staged = Staged()
        do {
            let applied = try db.write { db -> [Applied] in
                var results: [Applied] = []
                for s in submissions {
                    let decision = try s.decided ?? Rules.decide(s.command, by: s.actor, at: now,
                                                                 reading: TransactionReader(store: self, staged: staged, db: db))
                    staged.records.absorb(decision)
                    let entry = try append(command: s.command.name, payload: Canonical.ledgerForm(s.command),
                                           events: Canonical.string(decision.events), actor: s.actor, at: now, origin: s.origin, in: db)
                    results.append(Applied(entry: entry, events: decision.events))
                }
                // Each record once, as the transaction leaves it, however many of its commands
                // changed it.
                var final = Decision()
                (final.people, final.cases, final.handoffs, final.movements, final.notices) =
                    (staged.records.people, staged.records.cases, staged.records.handoffs, staged.records.movements, staged.records.notices)
                try write(final, in: db)
                return results
            }
            cache.absorb(staged.records)
            return applied
        } catch {
            (lastSequence, lastHash) = start  // the transaction rolled back: so does the chain's head
            throw error
        }
    }

    private func write(_ d: Decision, in db: Database) throws {
        for p in d.people.values {
            try db.cachedStatement(sql: "INSERT INTO people (ref, json) VALUES (?, ?) ON CONFLICT(ref) DO UPDATE SET json = excluded.json")
                .execute(arguments: [p.ref.rawValue, Canonical.record(p)])
        }
        for c in d.cases.values {
            try db.cachedStatement(sql: """
                INSERT INTO cases (ref, person, state, json) VALUES (?, ?, ?, ?)
                ON CONFLICT(ref) DO UPDATE SET person = excluded.person, state = excluded.state, json = excluded.json
                """).execute(arguments: [c.ref.rawValue, c.person.rawValue, c.progress.rawValue, Canonical.record(c)])
        }
        for h in d.handoffs.values {
            try db.cachedStatement(sql: "INSERT INTO handoffs (ref, json) VALUES (?, ?) ON CONFLICT(ref) DO UPDATE SET json = excluded.json")
                .execute(arguments: [h.ref.rawValue, Canonical.record(h)])
        }
        for m in d.movements.values {
            try db.cachedStatement(sql: "UPDATE movements SET json = ? WHERE ref = ?").execute(arguments: [Canonical.record(m), m.ref.rawValue])
        }
        for n in d.notices.values {
            try db.cachedStatement(sql: """
                INSERT INTO notices (ref, recipient, due_seconds, acknowledged, json) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(ref) DO UPDATE SET acknowledged = excluded.acknowledged, json = excluded.json
                """).execute(arguments: [n.ref.rawValue, n.recipient.rawValue, n.due?.timeIntervalSince1970, n.acknowledgedAt != nil,
                                         Canonical.record(n)])
        }
    }

    private func append(command: String, payload: String, events: String, actor: AgencyID, at: Date, origin: String = "",
                        in db: Database) throws -> LedgerEntry {
        let seq = lastSequence + 1
        let hash = LedgerEntry.hash(sequence: seq, at: at, actor: actor, command: command, payload: payload, events: events,
                                    previousHash: lastHash, origin: origin)
        let entry = LedgerEntry(sequence: seq, at: at, actor: actor, command: command, payload: payload, events: events,
                                previousHash: lastHash, hash: hash, origin: origin)
        try db.cachedStatement(sql: """
            INSERT INTO ledger (seq, at, at_seconds, actor, command, payload, events, prev_hash, hash, origin)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [seq, Timestamp.iso(at), at.timeIntervalSince1970, actor.rawValue, command, payload, events,
                                     lastHash, hash, origin])
        (lastSequence, lastHash) = (seq, hash)
        return entry
    }

    // MARK: The ledger

    public func ledger(after sequence: Int64, limit: Int) throws -> [LedgerEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [sequence, limit])
                .map(Self.entry)
        }
    }

    static func entry(_ row: Row) -> LedgerEntry {
        LedgerEntry(sequence: row["seq"], at: Date(timeIntervalSince1970: row["at_seconds"]), actor: AgencyID(row["actor"] as String),
                    command: row["command"], payload: row["payload"], events: row["events"],
                    previousHash: row["prev_hash"], hash: row["hash"], origin: row["origin"])
    }

    public func verify() throws -> Verification {
        try verify(progress: nil)
    }

    /// `verify()`, telling `progress` (entries checked, entries in all) every 100,000 entries.
    public func verify(progress: ((Int64, Int64) -> Void)?) throws -> Verification {
        try LedgerAudit(store: self, progress: progress).run()
    }
}

/// Decoded records kept between commands; cleared whole when it outgrows its limit, so memory
/// stays flat however many cases an operation has.
struct RecordCache {
    let limit: Int
    var people: [PersonRef: Person] = [:]
    var cases: [CaseRef: ReturnCase] = [:]
    var handoffs: [HandoffRef: Handoff] = [:]
    var movements: [MovementRef: Movement] = [:]
    /// Only within a transaction: the store reads notices from the database.
    var notices: [NoticeRef: Notice] = [:]

    mutating func absorb(_ d: Decision) {
        makeRoom(for: d.people.count + d.cases.count + d.handoffs.count)
        people.merge(d.people) { $1 }
        cases.merge(d.cases) { $1 }
        handoffs.merge(d.handoffs) { $1 }
        movements.merge(d.movements) { $1 }
        if limit == .max { notices.merge(d.notices) { $1 } }
    }

    /// Keeps a record read from the database.
    mutating func keep(_ p: Person) { makeRoom(for: 1); people[p.ref] = p }
    mutating func keep(_ c: ReturnCase) { makeRoom(for: 1); cases[c.ref] = c }
    mutating func keep(_ h: Handoff) { makeRoom(for: 1); handoffs[h.ref] = h }

    /// Evicts records, a sixteenth of the cache at a time, from wherever a dictionary's storage
    /// begins: cheap, roughly random, and it keeps what was touched last far more often than
    /// clearing the whole cache did (that made a cache smaller than the working set useless).
    private mutating func makeRoom(for incoming: Int) {
        guard limit != .max, cases.count + people.count + handoffs.count + incoming > limit else { return }
        var toFree = max(incoming, limit / 16)
        while toFree > 0, !(people.isEmpty && cases.isEmpty && handoffs.isEmpty) {
            if people.count >= cases.count, !people.isEmpty { people.remove(at: people.startIndex) }
            else if !cases.isEmpty { cases.remove(at: cases.startIndex) }
            else { handoffs.remove(at: handoffs.startIndex) }
            toFree -= 1
        }
    }

    mutating func absorb(_ other: RecordCache) {
        var d = Decision()
        (d.people, d.cases, d.handoffs, d.movements) = (other.people, other.cases, other.handoffs, other.movements)
        absorb(d)
    }
}

/// The records a transaction's earlier commands changed. A class, so that the reader of each
/// command shares it: a struct copied into each reader made every write copy the whole of it,
/// which is quadratic in the size of a transaction.
private final class Staged {
    var records = RecordCache(limit: .max)
}

/// Reads inside a write transaction: what earlier commands of the same transaction staged, then
/// the store's cache, then the database.
private struct TransactionReader: ModelReader {
    let store: SQLiteStore
    let staged: Staged
    let db: Database
    var operation: ReturnOperation { store.operation }

    func person(_ ref: PersonRef) throws -> Person? {
        try staged.records.people[ref] ?? store.cachedPerson(ref) ?? SQLiteStore.fetch(Person.self, "people", ref.rawValue, db)
    }
    func returnCase(_ ref: CaseRef) throws -> ReturnCase? {
        try staged.records.cases[ref] ?? store.cachedCase(ref) ?? SQLiteStore.fetch(ReturnCase.self, "cases", ref.rawValue, db)
    }
    func handoff(_ ref: HandoffRef) throws -> Handoff? {
        try staged.records.handoffs[ref] ?? store.cachedHandoff(ref) ?? SQLiteStore.fetch(Handoff.self, "handoffs", ref.rawValue, db)
    }
    func movement(_ ref: MovementRef) throws -> Movement? {
        try staged.records.movements[ref] ?? store.cachedMovement(ref) ?? SQLiteStore.fetch(Movement.self, "movements", ref.rawValue, db)
    }
    func notice(_ ref: NoticeRef) throws -> Notice? {
        try staged.records.notices[ref] ?? SQLiteStore.fetch(Notice.self, "notices", ref.rawValue, db)
    }
}

extension SQLiteStore {
    fileprivate func cachedPerson(_ ref: PersonRef) -> Person? { cache.people[ref] }
    fileprivate func cachedCase(_ ref: CaseRef) -> ReturnCase? { cache.cases[ref] }
    fileprivate func cachedHandoff(_ ref: HandoffRef) -> Handoff? { cache.handoffs[ref] }
    fileprivate func cachedMovement(_ ref: MovementRef) -> Movement? { cache.movements[ref] }
}
