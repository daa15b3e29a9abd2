import Foundation
import GRDB
import CSQLiteShim
import GRDBSQLite
import LiaisonModel

/// The embedded store: one SQLite file per operation, in WAL mode, through GRDB.
///
/// Each command (with its cascade) is one transaction, and what it writes is its ledger entry:
/// once that transaction commits, the command is durable. (With `groupCommit` above 1, several
/// commands share one transaction, each still whole.) The ledger table refuses updates and
/// deletes (triggers), and each entry carries the SHA-256 of the one before, so an edit made
/// behind the store's back (dropping the triggers, or another tool) is found by `verify()`.
///
/// The record tables (cases, people, handoffs, movements, notices) are a *checkpoint* of the
/// ledger, not part of each command's transaction: records a command changes stay in memory
/// until the next checkpoint writes each of them once, however many commands touched it. A
/// checkpoint runs every `checkpointInterval` ledger entries (later when many records wait:
/// see there), before `count`, `caseCounts` and `verify()`, and when the store is released.
/// Other queries read the tables and correct them with the records changed since. Writing every
/// changed record in every command's transaction cost more than the rest of the command
/// together (a case record is about a kilobyte of JSON).
///
/// If the process dies between checkpoints, opening the store replays the ledger entries after
/// the last checkpoint through the rules, as `verify()` replays the whole ledger, and writes a
/// new checkpoint. The ledger keeps a person's record and a notice's text only as digests, so a
/// command carrying them also writes its full form to a `journal` table in its transaction; a
/// checkpoint deletes the journal rows it has made redundant.
///
/// Memory stays flat as an operation grows: records are read from the database as commands need
/// them, through a cache of at most `cacheLimit` decoded records, plus the records changed since
/// the last checkpoint.
///
/// Because records wait in its memory, a store is its file's only writer: it holds the file
/// with SQLite's exclusive locking mode, and a second store opened on it (in this process or
/// another) is refused with `StoreError.inUse`.
public final class SQLiteStore: StagingStore {
    /// What a committed command survives. `.process` (SQLite's synchronous=NORMAL in WAL mode):
    /// the process being killed at any point, which loses nothing that was acknowledged.
    /// `.power`: also a power failure, at the cost of an fsync per command.
    public enum Durability: Sendable { case process, power }

    public let path: String
    public var location: String { path }
    public let operation: ReturnOperation
    let db: DatabaseQueue
    var lastSequence: Int64
    var lastHash: String
    /// Ledger entries decided but not yet written: see `groupCommit`.
    var unwritten: [Unwritten] = []
    /// Why a group could not be written; the store then refuses further work.
    var failure: Error?
    /// Groups being written on the database's own queue: see `groupCommit`.
    let background = BackgroundWrites()
    /// How much of the WAL waits to be copied into the database file: see `WALCopies`.
    let wal: WALCopies
    /// Clean records, evicted as needed.
    var cache: RecordCache
    /// Records changed since the last checkpoint; never evicted.
    var dirty = RecordCache(limit: .max)
    /// Whether every person, case and handoff in the file is also held here (changed since the
    /// checkpoint, or cached): so for a store created by this one, until its cache first
    /// evicts. A lookup that misses memory then needs no query. Every new person, case and
    /// handoff is looked up first and not found, and at 100,000 cases those lookups were a
    /// B-tree search each.
    var holdsEveryRecord = false
    var knowsEveryRecord: Bool { holdsEveryRecord && !cache.evicted }
    /// The notices the tables hold, while `holdsEveryRecord`. Notices enter no cache, so a
    /// notice neither changed since the checkpoint nor among these does not exist.
    var noticesOnFile = Set<NoticeRef>()
    /// The ledger entry the record tables reflect.
    var checkpointed: Int64
    /// Records an engine's open transaction has staged and not committed: see `stage`.
    var stagedChanges = 0
    /// Set when opening it failed: see `abandon`.
    var abandoned = false

    /// How many ledger entries may pass between checkpoints, at least. Smaller means a shorter
    /// replay after a crash (about two seconds for 100,000 entries here) and fewer records held
    /// in memory; larger means fewer record writes, since a record changed many times between
    /// two checkpoints is written once.
    ///
    /// Past this many entries, a checkpoint also waits while more records wait than a quarter
    /// of the entries since the last one, up to as many records as the cache holds: a signal
    /// whose handlers change every one of 100,000 cases would otherwise have every case
    /// written after every such signal (with half instead of a quarter, the gulf-charter
    /// benchmark at 100,000 cases ran at 1,293 cases/s instead of 1,575).
    public var checkpointInterval: Int64 = 100_000

    /// Commands made durable together, in one SQLite transaction: with 1 (the default) each
    /// call to `apply`/`commit` is durable before it returns. With more, a command waits in
    /// memory until that many have gathered, or until `flush()`, a query or a checkpoint
    /// writes them: much faster for bulk work such as an import, at the price that a crash
    /// loses the commands still waiting (never part of one). `durableSequence` tells how far
    /// the ledger is written. See `inGroups(of:_:)`.
    ///
    /// A full group is written on the database's own queue while the caller goes on deciding
    /// the next commands (on a second core, an import's SQLite inserts then cost it nothing).
    /// Whatever touches the database next waits for that write first; if it failed, `flush()`
    /// throws its error, the store refuses further work, and nothing after the failed group is
    /// written, so the file keeps an unbroken ledger up to the last group written whole.
    public var groupCommit = 1 {
        didSet { precondition(groupCommit >= 1, "groupCommit must be at least 1") }
    }

    var checkpointDue: Bool {
        let entries = lastSequence - checkpointed
        guard entries >= checkpointInterval else { return false }
        // Notices wait too, but go to no cache after it: only the records the cache will take
        // count against its limit. (Counted, they forced a checkpoint every 250,000 records at
        // 100,000 cases, a fifth of the gulf-charter benchmark's time writing records again.)
        let cached = dirty.cases.count + dirty.people.count + dirty.handoffs.count
        return entries >= 4 * Int64(cached + dirty.notices.count) || cached >= cache.limit
    }

    /// Creates a new store for `operation`; refuses a path that already exists.
    ///
    /// Atomic: the store is built whole under a temporary name beside `path`, closed, and then
    /// linked to `path`, which fails if anything is there by then. A process killed meanwhile
    /// leaves no file at `path` (only a `.NAME.creating-*` file beside it, which nothing reads),
    /// and of two processes creating the same store, one wins and the other is told it exists.
    public static func create(at path: String, operation: ReturnOperation, durability: Durability = .process,
                              cacheLimit: Int = 10_000) throws -> SQLiteStore {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.exists(path) }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).creating-\(UUID().uuidString)").path
        defer { remove(at: temporary) }
        do {
            let db = try DatabaseQueue(path: temporary, configuration: configuration(durability, wal: WALCopies()))
            try migrator.migrate(db)
            _ = try start(db: db, wal: WALCopies(), path: temporary, operation: operation, cacheLimit: cacheLimit)
        }  // released: checkpointed, its WAL copied in, the file closed
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw StoreError.exists(path) }
            throw StoreError.unusable(path, reason: "could not create it: \(String(cString: strerror(errno)))")
        }
        let store = try open(at: path, durability: durability, cacheLimit: cacheLimit)
        store.holdsEveryRecord = true  // its tables are empty: a lookup that misses memory needs no query
        return store
    }

    /// Writes the operation and the ledger's first entry into a new database.
    static func start(db: DatabaseQueue, wal: WALCopies, path: String, operation: ReturnOperation,
                              cacheLimit: Int) throws -> SQLiteStore {
        let (genesis, opening) = try LedgerChain.genesis(of: operation)
        let store = SQLiteStore(path: path, db: db, wal: wal, operation: operation, last: (1, genesis.hash), checkpointed: 1,
                                cacheLimit: cacheLimit)
        store.holdsEveryRecord = true  // its tables are empty
        try db.write { db in
            try db.execute(sql: "INSERT INTO operation (id, json) VALUES (1, ?)", arguments: [opening])
            for m in operation.movements {
                try db.execute(sql: "INSERT INTO movements (ref, json) VALUES (?, ?)", arguments: [m.ref.rawValue, try Canonical.string(m)])
            }
            try SQLiteStore.insert(genesis, journal: nil, in: db)
            try db.execute(sql: "UPDATE checkpoint SET seq = 1")
        }
        return store
    }

    /// A store that lives in memory only: for tests, scenarios and the REPL without `--store`.
    public static func inMemory(operation: ReturnOperation, cacheLimit: Int = 10_000) throws -> SQLiteStore {
        let db = try DatabaseQueue()
        try migrator.migrate(db)
        return try start(db: db, wal: WALCopies(), path: ":memory:", operation: operation, cacheLimit: cacheLimit)
    }

    /// Opens an existing store.
    public static func open(at path: String, durability: Durability = .process, cacheLimit: Int = 10_000) throws -> SQLiteStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path) }
        let walExisted = FileManager.default.fileExists(atPath: path + "-wal")
        let db: DatabaseQueue
        let wal = WALCopies()
        let operation: ReturnOperation, last: (Int64, String), checkpointed: Int64
        // Another process holding the file may answer busy at any of these steps, not only the
        // first: each is the same refusal.
        do {
            db = try DatabaseQueue(path: path, configuration: configuration(durability, wal: wal))
            // Only a store from an earlier version is written to before its recovery: a
            // recovery that fails then leaves a current store's files as they were.
            if try !db.read(migrator.hasCompletedMigrations) { try migrator.migrate(db) }
            (operation, last, checkpointed) = try db.read { conn -> (ReturnOperation, (Int64, String), Int64) in
                guard let json = try String.fetchOne(conn, sql: "SELECT json FROM operation WHERE id = 1") else {
                    throw StoreError.notAStore(path, reason: "it has no operation")
                }
                let row = try Row.fetchOne(conn, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
                let checkpointed = try Int64.fetchOne(conn, sql: "SELECT seq FROM checkpoint") ?? 0
                return (try Canonical.decode(ReturnOperation.self, json), (try row?.decode(Int64.self, forColumn: "seq") ?? 0, try row?.decode(String.self, forColumn: "hash") ?? LedgerEntry.genesisHash),
                        checkpointed)
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
            throw StoreError.inUse(path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.notAStore(path, reason: String(describing: error))
        }
        let store = SQLiteStore(path: path, db: db, wal: wal, operation: operation, last: last, checkpointed: checkpointed,
                                cacheLimit: cacheLimit)
        do {
            try store.recover()
        } catch {
            store.abandon(keepingWAL: walExisted)
            throw error
        }
        return store
    }

    /// Removes a store and its WAL files (after an import that was refused).
    public static func remove(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    init(path: String, db: DatabaseQueue, wal: WALCopies, operation: ReturnOperation, last: (Int64, String),
                 checkpointed: Int64, cacheLimit: Int) {
        self.path = path
        self.db = db
        self.wal = wal
        self.operation = operation
        (lastSequence, lastHash) = last
        self.checkpointed = checkpointed
        cache = RecordCache(limit: cacheLimit)
    }

    /// Gives the file up untouched, after a recovery that could not finish: no checkpoint of
    /// what was replayed and, when the store came with a WAL (a crash leaves one), no copy of
    /// it into the database file when the connection closes (without one, closing removes the
    /// WAL it opened, empty). Opening it again tries the recovery again, and refuses again, the
    /// same way.
    func abandon(keepingWAL: Bool) {
        abandoned = true
        guard keepingWAL else { return }
        db.writeWithoutTransaction(Self.keepWALOnClose)
    }

    /// Closing `db` will not copy its WAL into the database file.
    static func keepWALOnClose(_ db: Database) {
        _ = liaison_sqlite_no_checkpoint_on_close(db.sqliteConnection)
    }

    deinit {
        // Best effort: a store released without its last checkpoint is recovered when it is
        // next opened. (Not one whose recovery failed: that would write what it could not trust.)
        if !abandoned { try? checkpoint() }
        // Each block queued on the database's queue (the checkpoint's write, a copy of the
        // WAL) holds the connection until it has run. Waiting for an empty block behind them
        // makes this release the one that closes the file, so that another connection can
        // open it as soon as the store is gone.
        db.writeWithoutTransaction { _ in }
    }

    static func configuration(_ durability: Durability, wal: WALCopies) -> Configuration {
        var config = Configuration()
        config.busyMode = .timeout(1)  // a process that is closing the store: wait a moment for it
        config.prepareDatabase { db in
            try db.execute(sql: durability == .power ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            // The store is its file's only writer by design: records wait in its memory until a
            // checkpoint, so a second writer would decide commands against stale tables. The
            // exclusive lock makes that a clear refusal (`StoreError.inUse`) instead, and
            // spares the six file-lock system calls SQLite otherwise makes per transaction
            // (about a fifth of a command's cost when each is durable before the next). The
            // price: no other process can read a store while it is open.
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            // WAL mode, set here rather than through GRDB's `journalMode`, whose set-up writes
            // to a store that is already in WAL mode: opening a store then changed its file
            // before its recovery had decided anything.
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            wal.watch(db)
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
        m.registerMigration("v3: checkpointed records") { db in
            // Stores written before this migration wrote every record with its command: their
            // tables reflect the whole ledger.
            try db.execute(sql: """
                CREATE TABLE checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
                INSERT INTO checkpoint (id, seq) VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM ledger));
                CREATE TABLE journal (seq INTEGER PRIMARY KEY, command TEXT NOT NULL);
                """)
        }
        return m
    }()

    // MARK: Reading (the rules read through these)

    // A record is looked up where it is newest: changed since the checkpoint, then the cache,
    // then the database. A record read from the database enters the cache.
    //
    // A read of one statement runs on the connection as it is (`inDatabase`), in SQLite's own
    // implicit transaction: GRDB's `read` adds a transaction and two `query_only` pragmas
    // around it, which made a lookup that finds nothing (every new person, case and notice
    // is looked up first) cost as much as the rest of its command.

    public func person(_ ref: PersonRef) throws -> Person? {
        try record(\.people, ref) { try readThrough("people", ref.rawValue) { cache.keep($0) } }
    }

    public func returnCase(_ ref: CaseRef) throws -> ReturnCase? {
        try record(\.cases, ref) { try readThrough("cases", ref.rawValue) { cache.keep($0) } }
    }

    public func handoff(_ ref: HandoffRef) throws -> Handoff? {
        try record(\.handoffs, ref) { try readThrough("handoffs", ref.rawValue) { cache.keep($0) } }
    }

    public func movement(_ ref: MovementRef) throws -> Movement? {
        try held(\.movements, ref) ?? readThrough("movements", ref.rawValue) { _ in }
    }

    public func notice(_ ref: NoticeRef) throws -> Notice? {
        if let n = held(\.notices, ref) { return n }
        // Every notice is looked up before it is sent, and not found: at 100,000 cases that
        // query was a fifth of what sending a notice cost.
        if holdsEveryRecord && !noticesOnFile.contains(ref) { return nil }
        return try readThrough("notices", ref.rawValue) { _ in }  // notices are not cached
    }

    func readThrough<T: Decodable>(_ table: String, _ key: String, keep: (T) -> Void) throws -> T? {
        let record = try db.inDatabase { try Self.fetch(T.self, table, key, $0) }
        if let record { keep(record) }
        return record
    }

    // Queries over whole tables read them, and correct what they find with the records
    // changed since the checkpoint.

    /// The cases whose stored progress is `state` (all cases when nil), by reference.
    public func caseRefs(in state: CaseState? = nil) throws -> [CaseRef] {
        try caseRefSet(in: state).sorted()
    }

    /// `caseRefs(in:)` unordered, for a caller that corrects it before sorting. A store that
    /// holds every case in memory answers without a query: at 100,000 cases, fetching and
    /// hashing every reference from the table made each `model.cases{}` a tenth of a second.
    public func caseRefSet(in state: CaseState? = nil) throws -> Set<CaseRef> {
        if knowsEveryRecord {
            var refs = Set<CaseRef>(minimumCapacity: dirty.cases.count + cache.cases.count)
            for (ref, c) in dirty.cases where state == nil || c.progress == state { refs.insert(ref) }
            for (ref, c) in cache.cases where (state == nil || c.progress == state) && dirty.cases[ref] == nil { refs.insert(ref) }
            return refs
        }
        var refs = Set(try db.inDatabase { db in
            if let state {
                return try String.fetchAll(db, sql: "SELECT ref FROM cases WHERE state = ?", arguments: [state.rawValue]).map(CaseRef.init)
            }
            return try String.fetchAll(db, sql: "SELECT ref FROM cases").map(CaseRef.init)
        })
        for (ref, c) in dirty.cases {
            if state == nil || c.progress == state { refs.insert(ref) } else { refs.remove(ref) }
        }
        return refs
    }

    /// Every notice in the outbox, oldest first.
    public func notices() throws -> [Notice] {
        try overlaid(dirty.notices, "SELECT json FROM notices")
    }

    /// Every handoff, by reference.
    public func handoffs() throws -> [Handoff] {
        try overlaid(dirty.handoffs, "SELECT json FROM handoffs")
    }

    /// Notices not yet acknowledged whose deadline falls in `range`.
    public func unacknowledgedNotices(dueIn range: ClosedRange<Date>) throws -> [Notice] {
        let bounds = (range.lowerBound.timeIntervalSince1970, range.upperBound.timeIntervalSince1970)
        return try overlaid(dirty.notices, "SELECT json FROM notices WHERE acknowledged = 0 AND due_seconds > ? AND due_seconds <= ?",
                            [bounds.0, bounds.1]) { n in
            guard n.acknowledgedAt == nil, let due = n.due?.timeIntervalSince1970 else { return false }
            return due > bounds.0 && due <= bounds.1
        }
    }

    /// The records a query finds in the table, with those changed since the checkpoint in
    /// place of their stored versions (when they still match), by reference.
    func overlaid<T: Decodable & Referenced>(
        _ changed: [T.Ref: T], _ sql: String, _ arguments: StatementArguments = [], matching: (T) -> Bool = { _ in true }
    ) throws -> [T] {
        var found = Dictionary(uniqueKeysWithValues: try db.inDatabase { db in
            try String.fetchAll(db, sql: sql, arguments: arguments).map { try Canonical.decode(T.self, $0) }
        }.map { ($0.ref, $0) })
        for (ref, record) in changed {
            if matching(record) { found[ref] = record } else if !found.isEmpty { found[ref] = nil }
        }
        return found.keys.sorted().map { found[$0]! }
    }

    /// How many records of each kind the store holds: for new references (`H-3`, `N-000012`).
    public func count(_ table: RecordTable) throws -> Int {
        if table == .ledger { return Int(lastSequence) }
        try checkpoint()
        return try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table.rawValue)") ?? 0 }
    }


    /// How many cases are in each state (as stored: the progress each has reached).
    public func caseCounts() throws -> [String: Int] {
        try checkpoint()
        return try db.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM cases GROUP BY state") {
                counts[try row.decode(forColumn: "state")] = try row.decode(forColumn: "n")
            }
            return counts
        }
    }

    /// One record by reference. Every new person, case, handoff and notice is looked up first
    /// and not found, so this runs through SQLite's C API: through GRDB's `fetchOne` a lookup
    /// that found nothing cost about 14,000 instructions, more than SQLite's own work.
    static func fetch<T: Decodable>(_ type: T.Type, _ table: String, _ key: String, _ db: Database) throws -> T? {
        let statement = try db.cachedStatement(sql: "SELECT json FROM \(table) WHERE ref = ?")
        guard let json = try RawStatement(statement, in: db).text(binding: { $0.bind(key) }) else { return nil }
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

    /// Begins a transaction whose records are staged in this store's memory (see `stage`).
    public func begin(at now: Date) -> StoreTransaction { StoreTransaction(store: self, now: now) }

    @discardableResult
    package func commit(_ submissions: [Submission], at now: Date) throws -> [Applied] {
        try checkUsable()
        let decided: Decided
        let stagedByEngine = !submissions.isEmpty && submissions.allSatisfy(\.staged)
        if stagedByEngine && groupCommit == 1 && unwritten.isEmpty && submissions.count >= Self.pipelined {
            decided = try writePipelined(submissions, at: now)
        } else if groupCommit == 1 && unwritten.isEmpty {
            // Durable before returning: decided and written in one write transaction, so the
            // reads of records not yet in memory (every new person, case and handoff) take no
            // read locks of their own. A refusal rolls back a transaction that wrote nothing.
            decided = try writeTransaction { db in
                let decided = try decide(submissions, at: now, in: db)
                for row in decided.rows { try Self.insert(row.entry, journal: row.journal, in: db) }
                return decided
            }
        } else {
            // Commands an engine decided need no database to be entered in the ledger: asking
            // for it would wait for the group being written in the background.
            decided = stagedByEngine || submissions.allSatisfy({ $0.decided != nil }) ? try decide(submissions, at: now, in: nil)
                : try db.inDatabase { try decide(submissions, at: now, in: $0) }
            unwritten += decided.rows
            if unwritten.count >= groupCommit {
                writeInBackground()
                if groupCommit == 1 { try awaitWrites() }  // durable before returning, as asked
            }
        }
        copyWALInBackground()
        (lastSequence, lastHash) = decided.head
        if stagedByEngine {
            stagedChanges = 0  // entered in the ledger: the engine can no longer take them back
        } else {
            for i in decided.submissions.indices { dirty.absorb(decided.submissions[i].decided!) }
        }
        if checkpointDue { try checkpoint() }
        return decided.applied
    }

}

