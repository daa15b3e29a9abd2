import Foundation
import GRDB
@testable import LiaisonPostgres
import LiaisonTestSupport
import LiaisonModel
import LiaisonSynthetic
@testable import LiaisonStore
import Testing

/// The stores every conformance test runs against. A new backend joins this list and must pass
/// the suite unchanged: what differs between backends (opening a store again, a crash, an
/// edit behind the store's back) is the fixture's, below; what a store must do is the suite's.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqliteFile = "SQLite, a file"
    case sqliteMemory = "SQLite, in memory"
    case memory = "the in-memory store"
    case postgres = "PostgreSQL"

    var testDescription: String { rawValue }

    func make(_ operation: ReturnOperation) throws -> any Store {
        switch self {
        case .sqliteFile: return try SQLiteStore.create(at: temporaryStorePath(), operation: operation)
        case .sqliteMemory: return try SQLiteStore.inMemory(operation: operation)
        case .memory: return try InMemoryStore(operation: operation)
        case .postgres: return try PostgresStore.create(TestDatabase.fresh(), operation: operation)
        }
    }

    /// Whether what a store committed outlives it (and its process).
    var outlivesProcess: Bool { self == .sqliteFile || self == .postgres }

    /// The store as the next process finds it, after this one released it; `store` is gone.
    func reopen(_ store: inout (any Store)?) throws -> any Store {
        precondition(outlivesProcess)
        if let pg = store as? PostgresStore {
            let url = pg.url
            store = nil
            return try PostgresStore.open(url)
        }
        let path = store!.location
        store = nil
        return try SQLiteStore.open(at: path)
    }

    /// The store as the next process finds it after this one died at this instant, without
    /// releasing it.
    func crash(_ store: any Store) throws -> any Store {
        precondition(outlivesProcess)
        // PostgreSQL has every committed transaction and none that did not commit: the next
        // process opens the database as it is, while this one still holds its connection.
        if let pg = store as? PostgresStore { return try PostgresStore.open(pg.url) }
        return try SQLiteStore.open(at: try crashImage(of: store as! SQLiteStore))
    }

    /// Makes `edit` behind the store's back, as an attacker or a broken tool would, and gives
    /// the store an auditor then opens.
    func tamper(_ store: inout (any Store)?, _ edit: Edit) throws -> any Store {
        switch self {
        case .sqliteFile:
            let path = store!.location
            store = nil  // released: checkpointed and closed
            try DatabaseQueue(path: path).write { try edit.apply(to: $0) }
            return try SQLiteStore.open(at: path)
        case .sqliteMemory:
            let s = store as! SQLiteStore
            try s.checkpoint()
            try s.db.write { try edit.apply(to: $0) }
            return s
        case .postgres:
            let url = (store as! PostgresStore).url
            store = nil
            try edit.apply(to: try PostgresLink(url), schema: "\"\(url.schema)\"")
            return try PostgresStore.open(url)
        case .memory:
            let s = store as! InMemoryStore
            edit.apply(to: s)
            return s
        }
    }
}

/// An edit behind a store's back, in each backend's terms.
enum Edit: CustomTestStringConvertible, Sendable, CaseIterable {
    case entryActor, deletedEntry, caseRecord, personRecord, addedCase, removedHandoff, noticeText, cutEnd

    var testDescription: String {
        switch self {
        case .entryActor: return "a ledger entry's actor"
        case .deletedEntry: return "a deleted ledger entry"
        case .caseRecord: return "a case record"
        case .personRecord: return "a person's record"
        case .addedCase: return "an added case"
        case .removedHandoff: return "a removed handoff"
        case .noticeText: return "a notice's text"
        case .cutEnd: return "entries cut off the ledger's end"
        }
    }

    /// What `verify` must say of the store `conformanceStore` made, edited so.
    var expected: Verification {
        let edited = "its contents do not match its hash (edited after it was written)"
        switch self {
        case .entryActor: return .broken(entry: 8, reason: edited)
        case .deletedEntry: return .broken(entry: 9, reason: "entry 9 is missing")
        case .caseRecord: return .broken(entry: nil, reason: "case S-0000002 in the cases table differs from what the ledger gives")
        case .personRecord: return .broken(entry: 15, reason: "person SP-0000002 in the people table differs from the record the ledger holds a digest of")
        case .addedCase: return .broken(entry: nil, reason: "case S-9999999 is in the cases table but no ledger entry made it")
        case .removedHandoff: return .broken(entry: nil, reason: "handoff SH-2 is missing from the handoffs table")
        case .noticeText: return .broken(entry: 39, reason: "notice N-000001 in the notices table differs from the text the ledger holds a digest of")
        // The chain alone holds: only the head kept before the cut finds it.
        case .cutEnd: return .broken(entry: 39, reason: "the ledger ends at entry 30, before entry 39, which was kept as a head: entries were cut off its end")
        }
    }

    func apply(to db: Database) throws {
        try db.execute(sql: "DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete")
        switch self {
        case .entryActor: try db.execute(sql: "UPDATE ledger SET actor = 'SYN-MFA' WHERE seq = 8")
        case .deletedEntry: try db.execute(sql: "DELETE FROM ledger WHERE seq = 9")
        case .caseRecord: try db.execute(sql: "UPDATE cases SET json = replace(json, '\"received\"', '\"closed\"') WHERE ref = 'S-0000002'")
        case .personRecord: try db.execute(sql: "UPDATE people SET json = replace(json, 'Synthetic Person 2', 'Someone Else') WHERE ref = 'SP-0000002'")
        case .addedCase: try db.execute(sql: "INSERT INTO cases SELECT 'S-9999999', person, state, json FROM cases WHERE ref = 'S-0000001'")
        case .removedHandoff: try db.execute(sql: "DELETE FROM handoffs WHERE ref = 'SH-2'")
        case .noticeText: try db.execute(sql: "UPDATE notices SET json = replace(json, 'Please confirm', 'Please deny') WHERE ref = 'N-000001'")
        case .cutEnd: try db.execute(sql: "DELETE FROM ledger WHERE seq > 30")
        }
        #expect(db.changesCount == (self == .cutEnd ? 9 : 1), "the edit must change what it names")
    }

    /// The edit in SQL, as someone with the database's rights would make it: triggers off for
    /// the session (`session_replication_role = replica`), then the statement.
    func apply(to link: PostgresLink, schema s: String) throws {
        try link.rows("SET session_replication_role = replica")
        let sql: String
        switch self {
        case .entryActor: sql = "UPDATE \(s).ledger SET actor = 'SYN-MFA' WHERE sequence = 8 RETURNING sequence"
        case .deletedEntry: sql = "DELETE FROM \(s).ledger WHERE sequence = 9 RETURNING sequence"
        case .caseRecord: sql = "UPDATE \(s).cases SET json = replace(json, '\"received\"', '\"closed\"') WHERE ref = 'S-0000002' RETURNING ref"
        case .personRecord: sql = "UPDATE \(s).people SET json = replace(json, 'Synthetic Person 2', 'Someone Else') WHERE ref = 'SP-0000002' RETURNING ref"
        case .addedCase: sql = "INSERT INTO \(s).cases SELECT 'S-9999999', person, progress, json FROM \(s).cases WHERE ref = 'S-0000001' RETURNING ref"
        case .removedHandoff: sql = "DELETE FROM \(s).handoffs WHERE ref = 'SH-2' RETURNING ref"
        case .noticeText: sql = "UPDATE \(s).notices SET json = replace(json, 'Please confirm', 'Please deny') WHERE ref = 'N-000001' RETURNING ref"
        case .cutEnd: sql = "DELETE FROM \(s).ledger WHERE sequence > 30 RETURNING sequence"
        }
        #expect(try link.rows(sql).count == (self == .cutEnd ? 9 : 1), "the edit must change what it names")
    }

    func apply(to store: InMemoryStore) {
        switch self {
        case .entryActor: store.entries[7].actor = "SYN-MFA"
        case .deletedEntry: store.entries.remove(at: 8)
        case .caseRecord: store.records.cases["S-0000002"]!.progress = .closed
        case .personRecord: store.records.people["SP-0000002"]!.names = ["Someone Else"]
        case .addedCase:
            var copy = store.records.cases["S-0000001"]!
            copy.ref = "S-9999999"
            store.records.cases[copy.ref] = copy
        case .removedHandoff: store.records.handoffs["SH-2"] = nil
        case .noticeText: store.records.notices["N-000001"]!.body = "Please deny everything.\n"
        case .cutEnd: store.entries.removeLast(9)
        }
    }
}

/// Applies `commands` one by one, a second apart from `t` on.
func apply(_ commands: [(Command, AgencyID)], to store: any Store, from t: inout Date) throws {
    for (command, actor) in commands {
        try store.apply(command, by: actor, at: t)
        t += 1
    }
}

/// Three synthetic cases taken the whole way (38 entries), then a notice about the second
/// (entry 39); the charter has seats for five.
func conformanceStore(_ backend: Backend) throws -> (any Store, Date) {
    let store = try backend.make(Synthetic.operation(cases: 5))
    var t = Synthetic.start
    try apply(Synthetic.opening + (1...3).flatMap(Synthetic.lifecycle), to: store, from: &t)
    try store.apply(.sendNotice(notice("N-000001", about: "S-0000002", due: t + 3600)), by: Synthetic.sending, at: t)
    return (store, t + 1)
}

/// Everything a store can be asked about, as one value: two stores that hold the same
/// operation answer every question alike.
struct StoreContents: Equatable {
    var cases: [ReturnCase], people: [Person], handoffs: [Handoff], notices: [Notice], movements: [Movement]
    var byState: [CaseState: [CaseRef]]
    var counts: [RecordTable: Int]
    var ledger: [LedgerEntry]
    var head: LedgerHead

    init(_ store: any Store) throws {
        let refs = try store.caseRefs()
        cases = try refs.map { try store.returnCase($0)! }
        people = try cases.map { try store.person($0.person)! }
        handoffs = try store.handoffs()
        #expect(try handoffs.allSatisfy { try store.handoff($0.ref) == $0 })
        notices = try store.notices()
        #expect(try notices.allSatisfy { try store.notice($0.ref) == $0 })
        movements = try store.operation.movements.map { try store.movement($0.ref)! }
        byState = Dictionary(uniqueKeysWithValues: try CaseState.allCases.map { ($0, try store.caseRefs(in: $0)) })
        #expect(try Set(refs) == store.caseRefSet())
        counts = Dictionary(uniqueKeysWithValues: try [RecordTable.cases, .people, .handoffs, .notices, .ledger].map { ($0, try store.count($0)) })
        ledger = try store.ledger(after: 0, limit: .max)
        head = try store.head()
    }
}

@Suite("Every store keeps the same promises", .serialized)
struct StoreConformanceTests {
    @Test("a committed command is read back at once, and where a store outlives its process, by the next one, which continues the chain",
          arguments: Backend.allCases)
    func committedIsKept(_ backend: Backend) throws {
        var (store, t): ((any Store)?, Date) = try conformanceStore(backend)
        let before = try StoreContents(store!)
        #expect(before.counts == [.cases: 3, .people: 3, .handoffs: 3, .notices: 1, .ledger: 39])
        #expect(before.byState[.received] == ["S-0000001", "S-0000002", "S-0000003"])
        guard backend.outlivesProcess else { return }
        let reopened = try backend.reopen(&store)
        #expect(try StoreContents(reopened) == before)
        try reopened.apply(.close("S-0000002"), by: Synthetic.reception, at: t)
        t += 1
        #expect(try reopened.verify() == .intact(entries: 40))
        #expect(try reopened.ledger(after: 39, limit: 5).map(\.previousHash) == [before.head.hash])
    }

    @Test("a crash keeps every acknowledged command and nothing of a transaction still open, and the store goes on",
          arguments: Backend.allCases.filter(\.outlivesProcess))
    func crash(_ backend: Backend) throws {
        let (store, t) = try conformanceStore(backend)
        try store.apply(.acknowledgeNotice("N-000001"), by: Synthetic.ministry, at: t)
        let acknowledged = try StoreContents(store)
        let open = store.begin(at: t + 1)
        defer { open.end() }
        try open.apply(Synthetic.lifecycle(4)[0].0, by: Synthetic.sending, origin: "")
        let recovered = try backend.crash(store)
        #expect(try StoreContents(recovered) == acknowledged)
        #expect(try recovered.person("SP-0000004") == nil)
        try recovered.apply(.close("S-0000001"), by: Synthetic.reception, at: t + 2)
        #expect(try recovered.verify() == .intact(entries: 41))
    }

    @Test("the same commands leave every store answering every question alike")
    func backendsAgree() throws {
        let answers = try Backend.allCases.map { backend -> StoreContents in
            let (store, t) = try conformanceStore(backend)
            try store.apply(.acknowledgeNotice("N-000001"), by: Synthetic.ministry, at: t)
            try store.apply(.close("S-0000003"), by: Synthetic.reception, at: t + 1)
            return try StoreContents(store)
        }
        for (backend, contents) in zip(Backend.allCases, answers).dropFirst() {
            #expect(contents == answers[0], "\(backend.rawValue) differs from \(Backend.allCases[0].rawValue)")
        }
        #expect(answers[0].byState[.closed] == ["S-0000003"])
        #expect(answers[0].notices.map(\.acknowledgedAt) == [Synthetic.start + 38])
    }

    @Test("a refused command changes nothing, and a refused batch none of its commands", arguments: Backend.allCases)
    func refusals(_ backend: Backend) throws {
        let (store, t) = try conformanceStore(backend)
        let before = try StoreContents(store)
        let refusal = #expect(throws: Refusal.self) { try store.apply(.receive("S-0000001"), by: Synthetic.reception, at: t) }
        #expect(refusal != nil)
        let lifecycle = Synthetic.lifecycle(4)
        #expect(throws: Refusal.self) {
            try store.applyAll([lifecycle[0], lifecycle[1], (.clear("S-0000004"), Synthetic.transit)], at: t)
        }
        #expect(try StoreContents(store) == before)
        #expect(try store.person("SP-0000004") == nil)
        try store.applyAll([lifecycle[0], lifecycle[1]], at: t)  // the head was put back too
        #expect(try store.verify() == .intact(entries: 41))
    }

    @Test("a transaction: reads see what it staged; a rollback to a savepoint takes back only what followed; one that does not commit changes nothing",
          arguments: Backend.allCases)
    func transactions(_ backend: Backend) throws {
        let (store, t) = try conformanceStore(backend)
        let before = try StoreContents(store)
        let lifecycle = Synthetic.lifecycle(4)

        let abandoned = store.begin(at: t)
        try abandoned.apply(lifecycle[0].0, by: lifecycle[0].1, origin: "")
        #expect(try store.person("SP-0000004") != nil, "what a transaction stages is read at once")
        abandoned.end()
        #expect(try StoreContents(store) == before)

        let tx = store.begin(at: t)
        try tx.apply(lifecycle[0].0, by: lifecycle[0].1, origin: "")
        try tx.apply(lifecycle[1].0, by: lifecycle[1].1, origin: "")
        let mark = tx.savepoint()
        try tx.apply(lifecycle[2].0, by: lifecycle[2].1, origin: "plugin p, hook case.opened")
        try tx.apply(.sendNotice(notice("N-000002", about: "S-0000004", due: t + 60)), by: Synthetic.sending, origin: "")
        #expect(try tx.returnCase("S-0000004")?.consents.count == 1)
        #expect(tx.sentNotices.map(\.ref) == ["N-000002"])
        tx.rollback(to: mark)
        #expect(try store.returnCase("S-0000004")?.consents.isEmpty == true)
        #expect(try store.notice("N-000002") == nil)
        #expect(tx.sentNotices.isEmpty && tx.submissions.count == 2)
        let applied = try tx.commit()
        tx.end()  // after a commit, takes nothing back
        #expect(applied.map(\.entry.sequence) == [40, 41])
        #expect(try store.returnCase("S-0000004")?.progress == .identified)
        #expect(try store.count(.ledger) == 41)
        #expect(try store.verify() == .intact(entries: 41))
    }

    @Test("commands given in groups are all kept when the group ends, in order", arguments: Backend.allCases)
    func groups(_ backend: Backend) throws {
        let (store, t) = try conformanceStore(backend)
        var time = t
        try store.inGroups(of: 5) { try apply((4...5).flatMap(Synthetic.lifecycle), to: store, from: &time) }
        try store.flush()
        #expect(try store.count(.ledger) == 39 + 24)
        #expect(try store.caseRefs(in: .received).count == 5)
        #expect(try store.verify() == .intact(entries: 63))
    }

    @Test("the entries of one command are found by its name, oldest first, those of a group included", arguments: Backend.allCases)
    func entriesOfACommand(_ backend: Backend) throws {
        let (store, t) = try conformanceStore(backend)
        var time = t
        let state = Command.setPluginState(PluginStateChange(plugin: "p", agency: Synthetic.ministry, key: "k", value: "[1]"))
        try store.inGroups(of: 5) {
            try store.apply(state, by: Synthetic.ministry, at: time)
            try apply(Synthetic.lifecycle(4), to: store, from: &time)
            try store.apply(state, by: Synthetic.ministry, at: time)
        }
        let all = try store.ledger(after: 0, limit: 1_000)
        let found = try store.ledger(command: "plugin.state")
        #expect(found.map(\.sequence) == [40, 53])
        #expect(found == all.filter { $0.command == "plugin.state" })
        #expect(try found.allSatisfy { try $0.records(state) })
        #expect(try store.ledger(command: "case.receive") == all.filter { $0.command == "case.receive" })
        #expect(try store.ledger(command: "no.such").isEmpty)
    }

    @Test("notices: each read back as sent, those unacknowledged found by their deadline", arguments: Backend.allCases)
    func notices(_ backend: Backend) throws {
        let (store, t) = try conformanceStore(backend)
        try store.apply(.sendNotice(notice("N-000002", about: "S-0000001", due: t + 7200)), by: Synthetic.sending, at: t)
        try store.apply(.acknowledgeNotice("N-000002"), by: Synthetic.ministry, at: t + 1)
        try store.apply(.sendNotice(notice("N-000003", about: "S-0000003", due: t + 90_000)), by: Synthetic.sending, at: t + 2)
        #expect(try store.notices().map(\.ref) == ["N-000001", "N-000002", "N-000003"])
        #expect(try store.unacknowledgedNotices(dueIn: t...(t + 86_400)).map(\.ref) == ["N-000001"])
        #expect(try store.unacknowledgedNotices(dueIn: (t + 3600)...(t + 100_000)).map(\.ref) == ["N-000003"])
        #expect(try store.notice("N-000001")?.body == "Please confirm the identity of the person in case S-0000002.\n")
    }

    @Test("the ledger: entries read in pages, its head, and an audit that holds", arguments: Backend.allCases)
    func ledger(_ backend: Backend) throws {
        let (store, _) = try conformanceStore(backend)
        let all = try store.ledger(after: 0, limit: 1000)
        #expect(all.map(\.sequence) == Array(1...39))
        #expect(try store.ledger(after: 10, limit: 3).map(\.sequence) == [11, 12, 13])
        #expect(try store.ledger(after: 39, limit: 3).isEmpty)
        #expect(all[0].command == "operation.create")
        #expect(zip(all, all.dropFirst()).allSatisfy { $1.previousHash == $0.hash })
        #expect(try store.head() == LedgerHead(sequence: 39, hash: all[38].hash))
        var told: [(Int64, Int64)] = []
        #expect(try store.verify(heads: [store.head(), LedgerHead(sequence: 5, hash: all[4].hash)], progress: { told.append(($0, $1)) })
                == .intact(entries: 39))
        #expect(told.isEmpty, "progress comes every 100,000 entries")
    }

    @Test("every edit behind a store's back is found by its audit, and named", arguments: Backend.allCases, Edit.allCases)
    func tampering(_ backend: Backend, _ edit: Edit) throws {
        var store: (any Store)? = try conformanceStore(backend).0
        let kept = try store!.head()  // as an agency keeps it
        let result = try backend.tamper(&store, edit).verify(heads: [kept], progress: nil)
        #expect(result == edit.expected, "\(result)")
    }
}
