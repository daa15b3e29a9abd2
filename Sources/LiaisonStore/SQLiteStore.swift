import Foundation
import GRDB
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
    /// Ledger entries decided but not yet written: see `groupCommit`.
    private var unwritten: [Unwritten] = []
    /// Why a group could not be written; the store then refuses further work.
    private var failure: Error?
    /// Groups being written on the database's own queue: see `groupCommit`.
    private let background = BackgroundWrites()
    /// How much of the WAL waits to be copied into the database file: see `WALCopies`.
    let wal: WALCopies
    /// Clean records, evicted as needed.
    private var cache: RecordCache
    /// Records changed since the last checkpoint; never evicted.
    private var dirty = RecordCache(limit: .max)
    /// Whether every person, case and handoff in the file is also held here (changed since the
    /// checkpoint, or cached): so for a store created by this one, until its cache first
    /// evicts. A lookup that misses memory then needs no query. Every new person, case and
    /// handoff is looked up first and not found, and at 100,000 cases those lookups were a
    /// B-tree search each.
    private var holdsEveryRecord = false
    private var knowsEveryRecord: Bool { holdsEveryRecord && !cache.evicted }
    /// The notices the tables hold, while `holdsEveryRecord`. Notices enter no cache, so a
    /// notice neither changed since the checkpoint nor among these does not exist.
    private var noticesOnFile = Set<NoticeRef>()
    /// The ledger entry the record tables reflect.
    private var checkpointed: Int64
    /// Records an engine's open transaction has staged and not committed: see `stage`.
    private var stagedChanges = 0

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

    private var checkpointDue: Bool {
        let entries = lastSequence - checkpointed
        guard entries >= checkpointInterval else { return false }
        // Notices wait too, but go to no cache after it: only the records the cache will take
        // count against its limit. (Counted, they forced a checkpoint every 250,000 records at
        // 100,000 cases, a fifth of the gulf-charter benchmark's time writing records again.)
        let cached = dirty.cases.count + dirty.people.count + dirty.handoffs.count
        return entries >= 4 * Int64(cached + dirty.notices.count) || cached >= cache.limit
    }

    /// Creates a new store for `operation`; refuses a path that already exists.
    public static func create(at path: String, operation: ReturnOperation, durability: Durability = .process,
                              cacheLimit: Int = 10_000) throws -> SQLiteStore {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.exists(path) }
        let wal = WALCopies()
        let db = try DatabaseQueue(path: path, configuration: configuration(durability, wal: wal))
        try migrator.migrate(db)
        return try start(db: db, wal: wal, path: path, operation: operation, cacheLimit: cacheLimit)
    }

    /// Writes the operation and the ledger's first entry into a new database.
    private static func start(db: DatabaseQueue, wal: WALCopies, path: String, operation: ReturnOperation,
                              cacheLimit: Int) throws -> SQLiteStore {
        let opening = try Canonical.string(operation)
        let genesis = LedgerEntry(sequence: 1, at: Date(timeIntervalSince1970: 0), actor: AgencyID(operation.name),
                                  command: "operation.create", payload: opening, events: "[]", previousHash: LedgerEntry.genesisHash)
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
        let db: DatabaseQueue
        let wal = WALCopies()
        do {
            db = try DatabaseQueue(path: path, configuration: configuration(durability, wal: wal))
            try migrator.migrate(db)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            throw StoreError.inUse(path)
        } catch {
            throw StoreError.notAStore(path, reason: String(describing: error))
        }
        let (operation, last, checkpointed) = try db.read { conn -> (ReturnOperation, (Int64, String), Int64) in
            guard let json = try String.fetchOne(conn, sql: "SELECT json FROM operation WHERE id = 1") else {
                throw StoreError.notAStore(path, reason: "it has no operation")
            }
            let row = try Row.fetchOne(conn, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
            let checkpointed = try Int64.fetchOne(conn, sql: "SELECT seq FROM checkpoint") ?? 0
            return (try Canonical.decode(ReturnOperation.self, json), (row?["seq"] ?? 0, row?["hash"] ?? LedgerEntry.genesisHash),
                    checkpointed)
        }
        let store = SQLiteStore(path: path, db: db, wal: wal, operation: operation, last: last, checkpointed: checkpointed,
                                cacheLimit: cacheLimit)
        try store.recover()
        return store
    }

    /// Replays the ledger entries written after the last checkpoint (the process that wrote
    /// them ended before it checkpointed them), then checkpoints. Only entries whose hashes
    /// hold, whose journalled full form (where the ledger keeps digests) matches them, and
    /// whose replay gives the events they record are taken; anything else refuses to open.
    private func recover() throws {
        guard checkpointed < lastSequence else { return }
        var after = checkpointed
        var previous = try db.inDatabase { try String.fetchOne($0, sql: "SELECT hash FROM ledger WHERE seq = ?", arguments: [after]) }
            ?? LedgerEntry.genesisHash
        while true {
            let batch = try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT ledger.*, journal.command AS full FROM ledger LEFT JOIN journal ON journal.seq = ledger.seq
                    WHERE ledger.seq > ? ORDER BY ledger.seq LIMIT 1000
                    """, arguments: [after])
                    .map { (Self.entry($0), $0["full"] as String?) }
            }
            guard let last = batch.last else { break }
            for (entry, full) in batch {
                try replayForRecovery(entry, full: full, after: previous)
                previous = entry.hash
            }
            after = last.0.sequence
        }
        try checkpoint()
    }

    private func replayForRecovery(_ entry: LedgerEntry, full: String?, after previous: String) throws {
        func failure(_ reason: String) -> StoreError {
            .notAStore(path, reason: "ledger entry \(entry.sequence) cannot be replayed after an interrupted run: \(reason); "
                       + "run 'liaison audit verify --store \(path)'")
        }
        guard entry.previousHash == previous, entry.hash == entry.expectedHash else {
            throw failure("its hash chain does not hold")
        }
        let recorded: Command, command: Command
        do {
            recorded = try Canonical.decode(Command.self, entry.payload)
            command = try full.map { try Canonical.decode(Command.self, $0) } ?? recorded
        } catch {
            throw failure("its command cannot be read: \(error)")
        }
        // The ledger form of a command that carries personal data is not the command: its full
        // form must be in the journal, and must be what the ledger holds the digest of.
        let ledgerForm = command.ledgerForm(digest: Canonical.digest, noticeDigest: Canonical.noticeDigest)
        guard full != nil || ledgerForm == command else { throw failure("its full form is missing from the journal") }
        guard full == nil || ledgerForm == recorded else { throw failure("the journal holds another command than the ledger") }
        let decision: Decision
        do { decision = try Rules.decide(command, by: entry.actor, at: entry.at, reading: self) } catch { throw failure("\(error)") }
        guard try Canonical.sameEvents(decision.events, entry.events) else { throw failure("it gives other events than it records") }
        dirty.absorb(decision)
    }

    /// Removes a store and its WAL files (after an import that was refused).
    public static func remove(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    private init(path: String, db: DatabaseQueue, wal: WALCopies, operation: ReturnOperation, last: (Int64, String),
                 checkpointed: Int64, cacheLimit: Int) {
        self.path = path
        self.db = db
        self.wal = wal
        self.operation = operation
        (lastSequence, lastHash) = last
        self.checkpointed = checkpointed
        cache = RecordCache(limit: cacheLimit)
    }

    deinit {
        // Best effort: a store released without its last checkpoint is recovered when it is
        // next opened.
        try? checkpoint()
        // Each block queued on the database's queue (the checkpoint's write, a copy of the
        // WAL) holds the connection until it has run. Waiting for an empty block behind them
        // makes this release the one that closes the file, so that another connection can
        // open it as soon as the store is gone.
        db.writeWithoutTransaction { _ in }
    }

    private static func configuration(_ durability: Durability, wal: WALCopies) -> Configuration {
        var config = Configuration()
        config.journalMode = .wal
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

    private func readThrough<T: Decodable>(_ table: String, _ key: String, keep: (T) -> Void) throws -> T? {
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
    private func overlaid<T: Decodable & Referenced>(
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

    public enum RecordTable: String, Sendable { case cases, people, handoffs, notices, ledger }

    /// How many cases are in each state (as stored: the progress each has reached).
    public func caseCounts() throws -> [String: Int] {
        try checkpoint()
        return try db.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM cases GROUP BY state") {
                counts[row["state"]] = row["n"]
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

    @discardableResult
    public func commit(_ submissions: [Submission], at now: Date) throws -> [Applied] {
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

    // MARK: An engine's transaction, staged in memory

    /// A record an engine's transaction changed in this store's memory, with the version it
    /// replaced there (nil: none had changed since the checkpoint).
    package enum StagedChange {
        case person(PersonRef, Person?), returnCase(CaseRef, ReturnCase?), handoff(HandoffRef, Handoff?)
        case movement(MovementRef, Movement?), notice(NoticeRef, Notice?)
    }

    /// Takes a decision's records into memory before its command is committed, noting in `log`
    /// what each replaced, so that reads see them at once: an engine's transaction stages what
    /// each command decides, commits the commands with `staged` set (their records are then
    /// not taken in again), and puts back what it staged when a handler's work is rolled back
    /// or the transaction does not commit (`unstage`).
    ///
    /// The transaction kept these records in dictionaries of its own before: every read looked
    /// there first, then here (one more hash and probe of a hundred thousand records for each
    /// of a big cascade's reads), and the commit took every record in again.
    ///
    /// Nothing may checkpoint while records are staged: the tables would hold what may yet be
    /// taken back.
    package func stage(_ d: Decision, noting log: inout [StagedChange]) {
        let before = log.count
        for (k, v) in d.people { log.append(.person(k, dirty.people.updateValue(v, forKey: k))) }
        for (k, v) in d.cases { log.append(.returnCase(k, dirty.cases.updateValue(v, forKey: k))) }
        for (k, v) in d.handoffs { log.append(.handoff(k, dirty.handoffs.updateValue(v, forKey: k))) }
        for (k, v) in d.movements { log.append(.movement(k, dirty.movements.updateValue(v, forKey: k))) }
        for (k, v) in d.notices { log.append(.notice(k, dirty.notices.updateValue(v, forKey: k))) }
        stagedChanges += log.count - before
    }

    /// Puts back what `stage` noted in `log` after its first `count` changes, newest first. Once
    /// the staged commands are entered in the ledger (even if the call that committed them then
    /// threw, at a checkpoint), nothing is put back: the records are the ledger's.
    package func unstage(_ log: inout [StagedChange], to count: Int) {
        guard stagedChanges > 0 else {
            log.removeSubrange(count...)
            return
        }
        while log.count > count {
            switch log.removeLast() {
            case let .person(k, v): dirty.people[k] = v
            case let .returnCase(k, v): dirty.cases[k] = v
            case let .handoff(k, v): dirty.handoffs[k] = v
            case let .movement(k, v): dirty.movements[k] = v
            case let .notice(k, v): dirty.notices[k] = v
            }
            stagedChanges -= 1
        }
    }

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
    private func writePipelined(_ submissions: [Submission], at now: Date) throws -> Decided {
        let rows = feed { db, feed in try feed.runAll(db) }
        let decided = try rows.feeding { try decide(submissions, at: now, in: nil, sending: rows) }
        try rows.result()
        return decided
    }

    /// Begins one write transaction on the database's queue, after whatever is queued there,
    /// which runs `body` with the work this thread then sends it (see `DatabaseFeed`).
    private func feed<T>(_ body: @escaping @Sendable (Database, DatabaseFeed<T>) throws -> T) -> DatabaseFeed<T> {
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
    private struct Decided {
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
    private func decide(_ submissions: [Submission], at now: Date, in db: Database?, sending rows: DatabaseFeed<Void>? = nil) throws -> Decided {
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
        // Each command's texts depend on nothing but the command: a big transaction's are
        // written on every core. Only the hash chain below is one after another.
        let texts = try [(payload: String, events: String, journal: String?)](concurrentlyMapping: submissions.count) { [submissions] i in
            let ledgerForm = submissions[i].command.ledgerForm(digest: Canonical.digest, noticeDigest: Canonical.noticeDigest)
            // What the ledger keeps only a digest of is journalled whole, for a replay before
            // the next checkpoint.
            return (payload: try Canonical.record(ledgerForm), events: try Canonical.record(submissions[i].decided!.events),
                    journal: ledgerForm == submissions[i].command ? nil : try Canonical.record(submissions[i].command))
        }
        if rows == nil { result.rows.reserveCapacity(submissions.count) }
        result.applied.reserveCapacity(submissions.count)
        let time = LedgerEntry.HashedTime(now)
        var chunk: [Unwritten] = []
        for i in submissions.indices {
            let entry = LedgerEntry(sequence: result.head.0 + 1, at: time, actor: submissions[i].actor, command: submissions[i].command.name,
                                    payload: texts[i].payload, events: texts[i].events, previousHash: result.head.1,
                                    origin: submissions[i].origin)
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
    private func awaitWrites() throws {
        background.wait()
        if let error = background.failure {
            failure = error
            throw error
        }
    }

    /// Hands the waiting commands to the database's queue as one transaction.
    private func writeInBackground() {
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
    private func copyWALInBackground() {
        guard wal.claim() else { return }
        let (background, wal) = (background, wal)
        background.started()
        db.asyncWriteWithoutTransaction { db in
            defer { background.finished() }
            wal.copy(db)
        }
    }

    /// One write transaction on the caller's thread, after any group being written.
    private func writeTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try db.writeWithoutTransaction { db in
            try background.refuseAfterFailure(of: path)
            return try Self.transaction(db) { try body(db) }
        }
    }

    /// One write transaction, begun and committed through prepared statements run through
    /// SQLite's C API. GRDB's `write` parses `BEGIN IMMEDIATE TRANSACTION` and `COMMIT
    /// TRANSACTION` anew every time, which was a tenth of what a command cost when each is
    /// durable before the next.
    private static func transaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
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
    private func checkUsable() throws {
        if failure == nil, let error = background.failure { failure = error }
        if let failure {
            throw StoreError.unusable(path, reason: String(describing: failure))
        }
    }

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
    private func write(_ d: RecordCache, to feed: DatabaseFeed<Bool>) throws {
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

    /// Appends an entry (and its journal row), binding the columns through SQLite's C API:
    /// GRDB's arguments box each value as an existential and convert it again to bind it,
    /// which cost more than SQLite's own insert. This is the one statement every command runs.
    private static func insert(_ entry: LedgerEntry, journal: String?, in db: Database) throws {
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

    /// `verify()`, telling `progress` (entries checked, entries in all) every 100,000 entries, and
    /// checking that the ledger still holds each of `heads` (kept by an agency from `head()`).
    public func verify(heads: [LedgerHead] = [], progress: ((Int64, Int64) -> Void)?) throws -> Verification {
        try checkpoint()
        return try LedgerAudit(store: self, progress: progress, heads: heads).run()
    }

    /// The ledger's last entry, as an agency keeps it to check later that nothing before it was
    /// cut or rewritten.
    public func head() throws -> LedgerHead {
        try flush()
        return try db.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1") else {
                return LedgerHead(sequence: 0, hash: LedgerEntry.genesisHash)
            }
            return LedgerHead(sequence: row["seq"], hash: row["hash"])
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

/// Decoded records kept between commands; cleared whole when it outgrows its limit, so memory
/// stays flat however many cases an operation has.
struct RecordCache {
    let limit: Int
    /// Whether a record has ever been evicted.
    private(set) var evicted = false
    var people: [PersonRef: Person] = [:]
    var cases: [CaseRef: ReturnCase] = [:]
    var handoffs: [HandoffRef: Handoff] = [:]
    var movements: [MovementRef: Movement] = [:]
    /// Only where nothing is evicted (a transaction's staged records, those changed since the
    /// checkpoint): the store reads notices from the database otherwise.
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
        evicted = true
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
        (d.people, d.cases, d.handoffs, d.movements, d.notices) = (other.people, other.cases, other.handoffs, other.movements, other.notices)
        absorb(d)
    }
}

/// A record known by its reference.
protocol Referenced {
    associatedtype Ref: Identifier
    var ref: Ref { get }
}

extension Notice: Referenced {}
extension Handoff: Referenced {}

/// A ledger entry decided but not yet written, with its journal text.
private struct Unwritten: Sendable {
    var entry: LedgerEntry
    var journal: String?
}

/// Work handed by the caller's thread, a part at a time, to one write transaction on the
/// database's queue, and that transaction's outcome (see `SQLiteStore.feed`). The caller
/// prepares the next part (hashes, JSON) while the queue writes the last one.
private final class DatabaseFeed<Outcome>: @unchecked Sendable {
    typealias Work = @Sendable (Database) throws -> Void
    private let condition = NSCondition()
    private var parts: [Work?] = []
    private var taken = 0
    private var closed = false, cancelled = false
    private var outcome: Result<Outcome, Error>?

    /// The caller's side: one more part of the work.
    func send(_ work: @escaping Work) { update { parts.append(work) } }

    /// Runs `prepare`, which sends the parts, then closes the feed: the transaction commits
    /// once it has run them. If `prepare` throws, the transaction rolls back instead.
    func feeding<T>(_ prepare: () throws -> T) throws -> T {
        do {
            let result = try prepare()
            update { closed = true }
            return result
        } catch {
            update { cancelled = true }
            _ = try? self.result()
            throw error
        }
    }

    /// Waits for the transaction's outcome.
    @discardableResult
    func result() throws -> Outcome {
        condition.lock()
        while outcome == nil { condition.wait() }
        let outcome = outcome!
        condition.unlock()
        return try outcome.get()
    }

    /// The queue's side: runs every part as it comes, until the caller closes the feed.
    func runAll(_ db: Database) throws {
        while let work = try next() { try work(db) }
    }

    private func next() throws -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while taken == parts.count && !closed && !cancelled { condition.wait() }
        if cancelled { throw CancellationError() }
        guard taken < parts.count else { return nil }
        defer { parts[taken] = nil; taken += 1 }  // released as soon as run
        return parts[taken]
    }

    func finish(_ result: Result<Outcome, Error>) { update { outcome = result } }

    private func update(_ change: () -> Void) {
        condition.lock()
        change()
        condition.broadcast()
        condition.unlock()
    }
}

/// Groups of ledger entries being written on the database's queue (see `groupCommit`) and copies
/// of the WAL queued there: how many are under way, and the first failure of a group, after
/// which nothing more is written.
private final class BackgroundWrites: @unchecked Sendable {
    private let lock = NSLock()
    private let pending = DispatchGroup()
    private var error: Error?
    private var lostRows = 0

    var failure: Error? { lock.withLock { error } }
    /// Ledger entries of the failed group and of the groups after it, none of them written.
    var lost: Int { lock.withLock { lostRows } }
    func fail(_ e: Error) { lock.withLock { if error == nil { error = e } } }
    /// Inside the database's queue, before a write: after a failed group nothing more is
    /// written (the ledger would have a gap), and the store at `path` refuses further work.
    func refuseAfterFailure(of path: String) throws {
        if let error = failure { throw StoreError.unusable(path, reason: String(describing: error)) }
    }
    func lose(_ rows: Int) { lock.withLock { lostRows += rows } }
    func started() { pending.enter() }
    func finished() { pending.leave() }
    func wait() { pending.wait() }
}

/// Copies of the WAL into the database file (SQLite's checkpoints, not the store's), made on the
/// database's queue after the write that makes one due, instead of inside it.
///
/// By itself SQLite makes the copy inside the COMMIT that grows the WAL past 1,000 pages, on
/// the committing thread: for each of a timeline's big transactions that was the caller's
/// thread, which waited for it (running the gulf-charter benchmark at 100,000 cases without
/// copies at all was about 6% faster). A WAL hook replaces SQLite's own (the way its manual
/// gives for copying on another thread: see `sqlite3_wal_hook`) and only counts the pages;
/// the store then queues the copy behind its write, where it runs on the second core while the
/// caller goes on with its handlers. Whatever touches the database next waits for it, as for
/// any write queued before.
///
/// A copy that fails leaves the pages in the WAL, where SQLite reads them (and recovers them
/// after a crash) as well as from the database file; the next write makes another copy due.
final class WALCopies: @unchecked Sendable {
    /// Pages the WAL may hold before a copy is due: SQLite's own default.
    static let pages: Int32 = 1_000
    private let lock = NSLock()
    private var waiting: Int32 = 0
    private var queued = false
    private var made = 0
    /// How many copies were made (for tests).
    var copies: Int { lock.withLock { made } }

    /// Counts `db`'s WAL pages after each commit, in place of SQLite's automatic copies.
    func watch(_ db: Database) {
        // The connection's configuration holds this object, so it outlives the hook.
        sqlite3_wal_hook(db.sqliteConnection, { context, _, _, pages in
            Unmanaged<WALCopies>.fromOpaque(context!).takeUnretainedValue().counted(pages)
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func counted(_ pages: Int32) { lock.withLock { waiting = pages } }

    /// Whether a copy is due and none is queued; if so, it is now counted as queued.
    func claim() -> Bool {
        lock.withLock {
            guard waiting >= Self.pages, !queued else { return false }
            queued = true
            return true
        }
    }

    /// Copies what the WAL holds into the database file, on the database's queue.
    func copy(_ db: Database) {
        _ = try? db.checkpoint(.passive)
        lock.withLock { (waiting, queued, made) = (0, false, made + 1) }
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
    fileprivate func held<K: Hashable, T>(_ table: KeyPath<RecordCache, [K: T]>, _ ref: K) -> T? {
        dirty[keyPath: table][ref] ?? cache[keyPath: table][ref]
    }

    /// A person, case or handoff: held in memory, else read by `read` from the tables, unless
    /// the store holds every record (see `holdsEveryRecord`) and so knows there is none.
    @inline(__always)
    fileprivate func record<K: Hashable, T>(_ table: KeyPath<RecordCache, [K: T]>, _ ref: K, read: () throws -> T?) rethrows -> T? {
        if let r = held(table, ref) { return r }
        return knowsEveryRecord ? nil : try read()
    }
}

/// A prepared statement run through SQLite's C API: parameters bound in order, then stepped.
/// Used only for statements no GRDB call runs, so GRDB's own bookkeeping of them never
/// disagrees; GRDB still prepares and caches them, and owns the connection.
private struct RawStatement {
    let statement: OpaquePointer
    let connection: OpaquePointer?
    private var column: Int32 = 0

    init(_ statement: Statement, in db: Database) {
        self.statement = statement.sqliteStatement
        self.connection = db.sqliteConnection
    }

    /// SQLite copies the text before `bind` returns (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func bind(_ value: Int64) {
        column += 1
        sqlite3_bind_int64(statement, column, value)
    }

    mutating func bind(_ value: Double?) {
        column += 1
        if let value { sqlite3_bind_double(statement, column, value) } else { sqlite3_bind_null(statement, column) }
    }

    mutating func bind(_ value: String) {
        column += 1
        var text = value
        let column = column
        text.withUTF8 { bytes in
            if let start = bytes.baseAddress {
                _ = start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(statement, column, $0, Int32(bytes.count), Self.transient)
                }
            } else {
                _ = sqlite3_bind_text(statement, column, "", 0, Self.transient)  // no address would bind NULL
            }
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ bindings: (inout RawStatement) throws -> Void = { _ in }) throws {
        try step(bindings) { code in
            guard code == SQLITE_DONE else { throw error(code) }
        }
    }

    /// The first column of the first row as text; nil when there is no row (or it is NULL).
    func text(binding bindings: (inout RawStatement) -> Void) throws -> String? {
        try step(bindings) { code in
            switch code {
            case SQLITE_ROW:
                return sqlite3_column_text(statement, 0).map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: Int(sqlite3_column_bytes(statement, 0))), as: UTF8.self)
                }
            case SQLITE_DONE: return nil
            default: throw error(code)
            }
        }
    }

    private func step<T>(_ bindings: (inout RawStatement) throws -> Void, _ result: (Int32) throws -> T) throws -> T {
        var s = self
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        try bindings(&s)
        precondition(s.column == sqlite3_bind_parameter_count(statement), "bound \(s.column) parameters of \(sqlite3_bind_parameter_count(statement))")
        defer { sqlite3_reset(statement) }
        return try result(sqlite3_step(statement))
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
                      sql: String(cString: sqlite3_sql(statement)))
    }
}
