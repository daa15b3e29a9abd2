import Foundation
import LiaisonModel
import LiaisonStore
import PostgresNIO

/// An operation's store in PostgreSQL: the same boundary, ledger and audit as the SQLite store,
/// in a database several processes (and machines) can reach.
///
/// Layout: one schema per operation (`?schema=` in the URL, `liaison` by default) holding the
/// operation, the hash-chained ledger (append-only: a trigger refuses every UPDATE, DELETE and
/// TRUNCATE), and one table per kind of record, written in the same PostgreSQL transaction as
/// the entries that changed them. There is no journal and no checkpoint: what commits is the
/// ledger and the records together, durable when `commit` returns (PostgreSQL's
/// `synchronous_commit`).
///
/// Reads come from memory: the store loads the operation's records when it opens and keeps
/// what its transactions change, as the in-memory store does, so deciding a command costs no
/// round trip. Writes are serialised across processes by a transaction-scoped advisory lock
/// on the operation's schema, taken before the ledger's head is read: two processes can never
/// give the same sequence number or fork the chain. A store whose head another process has
/// moved since it read it refuses to write (`StoreError.stale`) rather than decide against
/// records it has not seen; open it again to read them.
///
/// A write is one statement, one round trip: the schema's `ledger_append` function takes the
/// lock, checks the head, and inserts the entries and upserts the records from arrays (one
/// parameter a column), all in the statement's own transaction. Written as six statements in
/// an explicit transaction it cost six round trips, and the round trips, not PostgreSQL's work
/// or the WAL flush, were most of a served command's time (2.3 ms a batch, against ~0.4 ms).
public final class PostgresStore: RecordsInMemory {
    public let operation: ReturnOperation
    public var location: String { link.url.description }
    /// Where the store is: its database and schema.
    public var url: PostgresURL { link.url }
    let link: PostgresLink
    package var records = RecordCache(limit: .max)
    /// The last entry this store knows the ledger to have.
    var last: (sequence: Int64, hash: String)
    /// Set when another process wrote to the ledger behind this store: it writes no more.
    private(set) var stale = false

    private init(link: PostgresLink, operation: ReturnOperation, last: (Int64, String)) {
        self.link = link
        self.operation = operation
        self.last = last
    }

    var schema: String { "\"\(link.url.schema)\"" }

    // MARK: Creating and opening

    /// Creates the operation's schema and tables and writes its first entry. Refused when the
    /// schema holds a store already.
    public static func create(_ url: PostgresURL, operation: ReturnOperation) throws -> PostgresStore {
        let link = try PostgresLink(url)
        let s = "\"\(url.schema)\""
        if try exists(link) { throw StoreError.exists(url.description) }
        let (genesis, opening) = try LedgerChain.genesis(of: operation)
        try link.rows("BEGIN")
        do {
            for statement in Self.schemaStatements(s) { try link.rows(statement) }
            try link.rows("INSERT INTO \(s).operation (id, name, json) VALUES (1, $1, $2)", [.text(operation.name), .text(opening)])
            try insert([genesis], link: link, schema: s)
            for m in operation.movements { try link.rows("INSERT INTO \(s).movements (ref, json) VALUES ($1, $2)", [.text(m.ref.rawValue), .text(try Canonical.record(m))]) }
            try link.rows("COMMIT")
        } catch {
            _ = try? link.rows("ROLLBACK")
            throw error
        }
        let store = PostgresStore(link: link, operation: operation, last: (genesis.sequence, genesis.hash))
        for m in operation.movements { store.records.movements[m.ref] = m }
        return store
    }

    /// Opens the store in `url`'s schema, loading its records.
    public static func open(_ url: PostgresURL) throws -> PostgresStore {
        let link = try PostgresLink(url)
        let s = "\"\(url.schema)\""
        guard try exists(link) else { throw StoreError.missing(url.description) }
        guard let json = try link.rows("SELECT json FROM \(s).operation WHERE id = 1").first?.decode(String.self) else {
            throw StoreError.notAStore(url.description, reason: "it holds no operation")
        }
        let operation: ReturnOperation
        do { operation = try Canonical.decode(ReturnOperation.self, json) } catch {
            throw StoreError.notAStore(url.description, reason: "its operation cannot be read: \(error)")
        }
        let head = try link.rows("SELECT sequence, hash FROM \(s).ledger ORDER BY sequence DESC LIMIT 1").first.map { try $0.decode((Int64, String).self) }
        guard let head else { throw StoreError.notAStore(url.description, reason: "its ledger is empty") }
        let store = PostgresStore(link: link, operation: operation, last: head)
        store.lacksAppendFunction = try !hasAppendFunction(link)
        try store.load()
        return store
    }

    /// Whether the schema has `ledger_append`: a store made before writes went through it has not.
    static func hasAppendFunction(_ link: PostgresLink) throws -> Bool {
        try !link.rows("SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'ledger_append'",
                       [.text(link.url.schema)]).isEmpty
    }

    /// Set when the schema lacks `ledger_append`: the first write adds it. Not when the store is
    /// opened, so that whoever only reads (an audit with a read-only role) changes nothing.
    private var lacksAppendFunction = false

    /// Adds `ledger_append` to a store made before it (once: under the operation's lock, so two
    /// servers writing together do not both add it).
    private func addAppendFunction() throws {
        try link.rows("BEGIN")
        do {
            try link.rows("SELECT pg_advisory_xact_lock(hashtext($1))", [.text("liaison:" + link.url.schema)])
            if try !Self.hasAppendFunction(link) { try link.rows(Self.appendFunction(schema)) }
            try link.rows("COMMIT")
        } catch {
            _ = try? link.rows("ROLLBACK")
            throw error
        }
        lacksAppendFunction = false
    }

    /// Whether `url`'s schema holds a store.
    public static func exists(_ url: PostgresURL) throws -> Bool { try exists(PostgresLink(url)) }

    static func exists(_ link: PostgresLink) throws -> Bool {
        !(try link.rows("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'ledger'", [.text(link.url.schema)])).isEmpty
    }

    static func schemaStatements(_ s: String) -> [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \(s)",
            "CREATE TABLE \(s).operation (id integer PRIMARY KEY CHECK (id = 1), name text NOT NULL, json text NOT NULL)",
            """
            CREATE TABLE \(s).ledger (sequence bigint PRIMARY KEY, at_seconds double precision NOT NULL, at_text text NOT NULL,
              actor text NOT NULL, command text NOT NULL, payload text NOT NULL, events text NOT NULL, previous_hash text NOT NULL,
              hash text NOT NULL, origin text NOT NULL)
            """,
            "CREATE INDEX ON \(s).ledger (command)",
            """
            CREATE FUNCTION \(s).ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the ledger is append-only: entries are never changed or removed'; END $$
            """,
            "CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON \(s).ledger FOR EACH ROW EXECUTE FUNCTION \(s).ledger_append_only()",
            "CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON \(s).ledger FOR EACH STATEMENT EXECUTE FUNCTION \(s).ledger_append_only()",
            "CREATE TABLE \(s).people (ref text PRIMARY KEY, json text NOT NULL)",
            "CREATE TABLE \(s).cases (ref text PRIMARY KEY, person text NOT NULL, progress text NOT NULL, json text NOT NULL)",
            "CREATE INDEX ON \(s).cases (progress)",
            "CREATE TABLE \(s).handoffs (ref text PRIMARY KEY, json text NOT NULL)",
            "CREATE TABLE \(s).movements (ref text PRIMARY KEY, json text NOT NULL)",
            """
            CREATE TABLE \(s).notices (ref text PRIMARY KEY, recipient text NOT NULL, due_seconds double precision,
              acknowledged boolean NOT NULL, json text NOT NULL)
            """,
            appendFunction(s),
        ]
    }

    /// The function a write calls (see the type's notes): under the lock, if the ledger's head is
    /// still `base_sequence`/`base_hash`, appends the entries and upserts the records; answers the
    /// head it found, so the caller knows whether it wrote (the head was its base) or is stale.
    /// A notice's missing deadline travels as NaN (an array parameter holds no NULLs here).
    static func appendFunction(_ s: String) -> String {
        """
        CREATE FUNCTION \(s).ledger_append(lock_key text, base_sequence bigint, base_hash text,
          e_sequence bigint[], e_at_seconds double precision[], e_at_text text[], e_actor text[], e_command text[],
          e_payload text[], e_events text[], e_previous_hash text[], e_hash text[], e_origin text[],
          p_ref text[], p_json text[], c_ref text[], c_person text[], c_progress text[], c_json text[],
          h_ref text[], h_json text[], m_ref text[], m_json text[],
          n_ref text[], n_recipient text[], n_due_seconds double precision[], n_acknowledged boolean[], n_json text[])
        RETURNS TABLE (found_sequence bigint, found_hash text) LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock(hashtext(lock_key));
          SELECT l.sequence, l.hash INTO found_sequence, found_hash FROM \(s).ledger l ORDER BY l.sequence DESC LIMIT 1;
          IF found_sequence IS DISTINCT FROM base_sequence OR found_hash IS DISTINCT FROM base_hash THEN
            RETURN NEXT;
            RETURN;
          END IF;
          INSERT INTO \(s).ledger (sequence, at_seconds, at_text, actor, command, payload, events, previous_hash, hash, origin)
            SELECT * FROM unnest(e_sequence, e_at_seconds, e_at_text, e_actor, e_command, e_payload, e_events, e_previous_hash, e_hash, e_origin);
          INSERT INTO \(s).people (ref, json) SELECT * FROM unnest(p_ref, p_json)
            ON CONFLICT (ref) DO UPDATE SET json = excluded.json;
          INSERT INTO \(s).cases (ref, person, progress, json) SELECT * FROM unnest(c_ref, c_person, c_progress, c_json)
            ON CONFLICT (ref) DO UPDATE SET person = excluded.person, progress = excluded.progress, json = excluded.json;
          INSERT INTO \(s).handoffs (ref, json) SELECT * FROM unnest(h_ref, h_json)
            ON CONFLICT (ref) DO UPDATE SET json = excluded.json;
          INSERT INTO \(s).movements (ref, json) SELECT * FROM unnest(m_ref, m_json)
            ON CONFLICT (ref) DO UPDATE SET json = excluded.json;
          INSERT INTO \(s).notices (ref, recipient, due_seconds, acknowledged, json)
            SELECT r, rc, NULLIF(d, 'NaN'), a, j FROM unnest(n_ref, n_recipient, n_due_seconds, n_acknowledged, n_json) AS t(r, rc, d, a, j)
            ON CONFLICT (ref) DO UPDATE SET recipient = excluded.recipient, due_seconds = excluded.due_seconds,
              acknowledged = excluded.acknowledged, json = excluded.json;
          RETURN NEXT;
        END $$
        """
    }

    /// Reads every record into memory.
    private func load() throws {
        for row in try link.rows("SELECT json FROM \(schema).people") { let p = try decode(Person.self, row); records.people[p.ref] = p }
        for row in try link.rows("SELECT json FROM \(schema).cases") { let c = try decode(ReturnCase.self, row); records.cases[c.ref] = c }
        for row in try link.rows("SELECT json FROM \(schema).handoffs") { let h = try decode(Handoff.self, row); records.handoffs[h.ref] = h }
        for row in try link.rows("SELECT json FROM \(schema).movements") { let m = try decode(Movement.self, row); records.movements[m.ref] = m }
        for row in try link.rows("SELECT json FROM \(schema).notices") { let n = try decode(Notice.self, row); records.notices[n.ref] = n }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ row: PostgresRow) throws -> T {
        let text = try row.decode(String.self)
        do { return try Canonical.decode(T.self, text) } catch {
            throw StoreError.notAStore(location, reason: "a \(T.self) record cannot be read: \(error)")
        }
    }

    // MARK: Reading and writing: records, transactions and staging are `RecordsInMemory`'s

    public func count(_ table: RecordTable) throws -> Int {
        try recordCount(table) ?? Int(link.rows("SELECT count(*) FROM \(schema).ledger")[0].decode(Int64.self))
    }

    /// Writes a transaction's entries and the records they changed in one PostgreSQL
    /// transaction, under the operation's advisory lock, after checking that no other process
    /// moved the ledger's head since this store read it. Inside `inGroups` the writing waits
    /// for the group's end (or its size), and then covers every transaction of the group.
    package func commit(_ submissions: [Submission], at now: Date) throws -> [Applied] {
        precondition(submissions.allSatisfy(\.staged), "a PostgreSQL store commits only what a transaction staged")
        if stale { throw StoreError.stale(location, head: last.sequence) }
        guard !submissions.isEmpty else { return [] }
        let applied = try LedgerChain.chain(submissions, after: last, at: now)
        let base = group?.base ?? last
        var changes = group?.changes ?? ChangedRecords()
        changes.note(submissions)
        let entries = (group?.entries ?? []) + applied.map(\.entry)
        last = (applied.last!.entry.sequence, applied.last!.entry.hash)
        if let g = group, g.commands + 1 < g.size {
            group = Group(size: g.size, base: base, entries: entries, changes: changes, commands: g.commands + 1)
            return applied
        }
        try write(entries, changes, after: base)
        if let g = group { group = Group(size: g.size, base: last) }
        return applied
    }

    /// Commands given in `inGroups`, acknowledged and not yet written: one PostgreSQL
    /// transaction writes them all, at the group's end or when `size` have gathered.
    private struct Group {
        var size: Int
        /// The head the database had when the group began.
        var base: (sequence: Int64, hash: String)
        var entries: [LedgerEntry] = []
        var changes = ChangedRecords()
        var commands = 0
    }
    private var group: Group?

    /// Gives the commands `body` gives with one PostgreSQL transaction (one round of locking,
    /// checking and a WAL flush) for every `size` of them instead of one each: what a server
    /// does with the requests that arrive together. Everything is written before this returns,
    /// also when `body` throws; when writing fails, none of the group is in the database, and
    /// the store refuses to write again (its memory holds what the database does not) until it
    /// is opened again.
    public func inGroups<T>(of size: Int, _ body: () throws -> T) throws -> T {
        guard group == nil else { return try body() }
        group = Group(size: max(1, size), base: last)
        let result: Result<T, Error> = Result { try body() }
        let pending = group!
        group = nil
        if !pending.entries.isEmpty { try write(pending.entries, pending.changes, after: pending.base) }
        return try result.get()
    }

    public func flush() throws {}

    /// Writes `entries` and the records `changes` names (as memory holds them now) in one
    /// statement (`ledger_append`, its own transaction), if the database's head is still `base`.
    private func write(_ entries: [LedgerEntry], _ changes: ChangedRecords, after base: (sequence: Int64, hash: String)) throws {
        // The head the function found: nil in both when the ledger is empty.
        let found: (sequence: Int64?, hash: String?)?
        do {
            if lacksAppendFunction { try addAppendFunction() }
            let arguments = try appendArguments(entries, changes, after: base)
            let call = "SELECT found_sequence, found_hash FROM \(schema).ledger_append(" + arguments.indices.map { "$\($0 + 1)" }.joined(separator: ", ") + ")"
            found = try link.rows(call, arguments).first.map { try $0.decode((Int64?, String?).self) }
        } catch {
            // Memory holds what the database refused: nothing more may be decided against it.
            stale = true
            throw error
        }
        guard let found, found.sequence == base.sequence, found.hash == base.hash else {
            stale = true
            throw StoreError.stale(location, head: found?.sequence ?? 0)
        }
    }

    /// `ledger_append`'s arguments: the lock, the base, then the entries and each kind of changed
    /// record as columns.
    private func appendArguments(_ entries: [LedgerEntry], _ changes: ChangedRecords, after base: (sequence: Int64, hash: String)) throws -> [PostgresBindable] {
        var binds: [PostgresBindable] = [.text("liaison:" + link.url.schema), .integer(base.sequence), .text(base.hash)]
        binds += [.integers(entries.map(\.sequence)), .floats(entries.map { $0.at.timeIntervalSince1970 }), .texts(entries.map { Timestamp.iso($0.at) }),
                  .texts(entries.map(\.actor.rawValue)), .texts(entries.map(\.command)), .texts(entries.map(\.payload)), .texts(entries.map(\.events)),
                  .texts(entries.map(\.previousHash)), .texts(entries.map(\.hash)), .texts(entries.map(\.origin))]
        let people = try changes.people.sorted().compactMap { r in try records.people[r].map { (r.rawValue, try Canonical.record($0)) } }
        binds += [.texts(people.map(\.0)), .texts(people.map(\.1))]
        let cases = try changes.cases.sorted().compactMap { r in try records.cases[r].map { (r.rawValue, $0.person.rawValue, $0.progress.rawValue, try Canonical.record($0)) } }
        binds += [.texts(cases.map(\.0)), .texts(cases.map(\.1)), .texts(cases.map(\.2)), .texts(cases.map(\.3))]
        let handoffs = try changes.handoffs.sorted { $0.rawValue < $1.rawValue }.compactMap { r in try records.handoffs[r].map { (r.rawValue, try Canonical.record($0)) } }
        binds += [.texts(handoffs.map(\.0)), .texts(handoffs.map(\.1))]
        let movements = try changes.movements.sorted { $0.rawValue < $1.rawValue }.compactMap { r in try records.movements[r].map { (r.rawValue, try Canonical.record($0)) } }
        binds += [.texts(movements.map(\.0)), .texts(movements.map(\.1))]
        let notices = try changes.notices.sorted().compactMap { r in
            try records.notices[r].map { n in (r.rawValue, n.recipient.rawValue, n.due?.timeIntervalSince1970 ?? .nan, n.acknowledgedAt != nil, try Canonical.record(n)) }
        }
        binds += [.texts(notices.map(\.0)), .texts(notices.map(\.1)), .floats(notices.map(\.2)), .flags(notices.map(\.3)), .texts(notices.map(\.4))]
        return binds
    }

    /// Inserts entries, a few hundred rows a statement (the genesis entry, when the store is made).
    static func insert(_ entries: [LedgerEntry], link: PostgresLink, schema: String) throws {
        let columns = 10
        for chunk in stride(from: 0, to: entries.count, by: 500).map({ entries[$0..<min($0 + 500, entries.count)] }) {
            var values: [String] = [], binds: [PostgresBindable] = []
            for (i, e) in chunk.enumerated() {
                values.append("(" + (1...columns).map { "$\(i * columns + $0)" }.joined(separator: ", ") + ")")
                binds += [.integer(e.sequence), .float(e.at.timeIntervalSince1970), .text(Timestamp.iso(e.at)), .text(e.actor.rawValue),
                          .text(e.command), .text(e.payload), .text(e.events), .text(e.previousHash), .text(e.hash), .text(e.origin)]
            }
            try link.rows("""
                INSERT INTO \(schema).ledger (sequence, at_seconds, at_text, actor, command, payload, events, previous_hash, hash, origin)
                VALUES \(values.joined(separator: ", "))
                """, binds)
        }
    }

    /// The records some submissions changed, by kind.
    struct ChangedRecords {
        var people = Set<PersonRef>(), cases = Set<CaseRef>(), handoffs = Set<HandoffRef>(), movements = Set<MovementRef>(), notices = Set<NoticeRef>()

        mutating func note(_ submissions: [Submission]) {
            for s in submissions {
                let d = s.decided!
                people.formUnion(d.people.keys); cases.formUnion(d.cases.keys); handoffs.formUnion(d.handoffs.keys)
                movements.formUnion(d.movements.keys); notices.formUnion(d.notices.keys)
            }
        }
    }

    // MARK: The ledger

    static let entryColumns = "sequence, at_seconds, actor, command, payload, events, previous_hash, hash, origin, at_text"

    static func entry(_ row: PostgresRow) throws -> (LedgerEntry, String) {
        let (sequence, at, actor, command, payload, events, previous, hash, origin, atText) =
            try row.decode((Int64, Double, String, String, String, String, String, String, String, String).self)
        return (LedgerEntry(sequence: sequence, at: Date(timeIntervalSince1970: at), actor: AgencyID(actor), command: command, payload: payload,
                            events: events, previousHash: previous, hash: hash, origin: origin), atText)
    }

    public func ledger(after sequence: Int64, limit: Int) throws -> [LedgerEntry] {
        try link.rows("SELECT \(Self.entryColumns) FROM \(schema).ledger WHERE sequence > $1 ORDER BY sequence LIMIT $2",
                      [.integer(sequence), .integer(Int64(max(0, limit)))]).map { try Self.entry($0).0 }
    }

    public func ledger(command: String) throws -> [LedgerEntry] {
        try link.rows("SELECT \(Self.entryColumns) FROM \(schema).ledger WHERE command = $1 ORDER BY sequence", [.text(command)]).map { try Self.entry($0).0 }
    }

    public func head() throws -> LedgerHead {
        let row = try link.rows("SELECT sequence, hash FROM \(schema).ledger ORDER BY sequence DESC LIMIT 1").first
        guard let (sequence, hash) = try row.map({ try $0.decode((Int64, String).self) }) else { return LedgerHead(sequence: 0, hash: LedgerEntry.genesisHash) }
        return LedgerHead(sequence: sequence, hash: hash)
    }

    public func verify(heads: [LedgerHead], progress: ((Int64, Int64) -> Void)?) throws -> Verification {
        try LedgerAudit(source: AuditReader(store: self), progress: progress, heads: heads).run()
    }

    /// What an audit reads: the tables as PostgreSQL holds them, never this store's memory.
    private struct AuditReader: AuditSource {
        let store: PostgresStore
        var link: PostgresLink { store.link }
        var s: String { store.schema }

        func storedOperation() throws -> String? { try link.rows("SELECT json FROM \(s).operation WHERE id = 1").first?.decode(String.self) }
        func entryCount() throws -> Int64 { try link.rows("SELECT count(*) FROM \(s).ledger")[0].decode(Int64.self) }

        func forEachEntry(_ body: (LedgerEntry, String) throws -> Bool) throws {
            var after: Int64 = 0
            while true {
                let page = try link.rows("SELECT \(PostgresStore.entryColumns) FROM \(s).ledger WHERE sequence > $1 ORDER BY sequence LIMIT 10000",
                                         [.integer(after)])
                guard !page.isEmpty else { return }
                for row in page {
                    let (entry, atText) = try PostgresStore.entry(row)
                    after = entry.sequence
                    guard try body(entry, atText) else { return }
                }
            }
        }

        func storedPerson(_ ref: PersonRef) throws -> Person? { try one("people", ref.rawValue) }
        func storedNotice(_ ref: NoticeRef) throws -> Notice? { try one("notices", ref.rawValue) }

        private func one<T: Decodable>(_ table: String, _ ref: String) throws -> T? {
            guard let text = try link.rows("SELECT json FROM \(s).\(table) WHERE ref = $1", [.text(ref)]).first?.decode(String.self) else { return nil }
            return try? Canonical.decode(T.self, text)
        }

        func storedRecords<T: Decodable>(_ table: AuditTable, as type: T.Type) throws -> [(ref: String, record: T?)] {
            try link.rows("SELECT ref, json FROM \(s).\(table.rawValue) ORDER BY ref COLLATE \"C\"").map { row in
                let (ref, json) = try row.decode((String, String).self)
                return (ref, try? Canonical.decode(T.self, json))
            }
        }

        func storedColumnProblem(_ model: InMemoryModel) throws -> String? {
            func text(_ v: String?) -> String { v.map { "'\($0)'" } ?? "nothing" }
            for row in try link.rows("SELECT ref, person, progress FROM \(s).cases ORDER BY ref COLLATE \"C\"") {
                let (ref, person, progress) = try row.decode((String, String, String).self)
                guard let c = model.cases[CaseRef(ref)] else { continue }
                if person != c.person.rawValue {
                    return "case \(ref)'s person column reads \(text(person)), but its record (as the ledger gives it) names \(c.person)"
                }
                if progress != c.progress.rawValue {
                    return "case \(ref)'s progress column reads \(text(progress)), but the case is \(c.progress.rawValue) (as the ledger gives it): queries by state would answer wrongly"
                }
            }
            for row in try link.rows("SELECT ref, recipient, due_seconds, acknowledged FROM \(s).notices ORDER BY ref COLLATE \"C\"") {
                let (ref, recipient, due, acknowledged) = try row.decode((String, String, Double?, Bool).self)
                guard let n = model.notices[NoticeRef(ref)] else { continue }
                if recipient != n.recipient.rawValue { return "notice \(ref)'s recipient column reads \(text(recipient)), but the notice is to \(n.recipient)" }
                if due != n.due?.timeIntervalSince1970 {
                    return "notice \(ref)'s deadline column reads \(due.map { String($0) } ?? "nothing"), but the notice is due \(n.due.map(Timestamp.iso) ?? "at no time"): overdue notices would be missed or invented"
                }
                if acknowledged != (n.acknowledgedAt != nil) {
                    return "notice \(ref)'s acknowledged column reads \(acknowledged), but the notice was \(n.acknowledgedAt == nil ? "not acknowledged" : "acknowledged")"
                }
            }
            return nil
        }
    }
}
