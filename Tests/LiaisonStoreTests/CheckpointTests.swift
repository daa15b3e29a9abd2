import Foundation
import GRDB
import LiaisonModel
import LiaisonSynthetic
@testable import LiaisonStore
import Synchronization
import Testing

/// Applies `commands` one by one, a second apart from `t` on.
func apply(_ commands: [(Command, AgencyID)], to store: SQLiteStore, from t: inout Date) throws {
    for (command, actor) in commands {
        try store.apply(command, by: actor, at: t)
        t += 1
    }
}

/// A store of three synthetic cases that commits in groups of `group`, with the transit
/// authorisation and the first `n` commands of case 1 applied.
func groupedStore(_ group: Int, firstCommands n: Int, from t: inout Date) throws -> SQLiteStore {
    let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 3))
    store.groupCommit = group
    try apply(Synthetic.opening + Array(Synthetic.lifecycle(1).prefix(n)), to: store, from: &t)
    return store
}

/// What a store's files hold at this moment, copied as a crash would leave them: the database
/// and its WAL, without the process that was writing them.
func crashImage(of store: SQLiteStore) throws -> String {
    let copy = temporaryStorePath()
    try FileManager.default.copyItem(atPath: store.path, toPath: copy)
    if FileManager.default.fileExists(atPath: store.path + "-wal") {
        try FileManager.default.copyItem(atPath: store.path + "-wal", toPath: copy + "-wal")
    }
    return copy
}

/// The ledger entry the record tables of `store` reflect, read from its database rather than
/// asked of it. (Through its own connection: the store holds its file exclusively.)
func checkpointed(_ store: SQLiteStore) throws -> Int64 {
    try store.db.read { try Int64.fetchOne($0, sql: "SELECT seq FROM checkpoint") ?? -1 }
}

/// A notice sent about `c` and what the ledger will keep of it.
func notice(_ ref: NoticeRef, about c: CaseRef, due: Date) -> Notice {
    Notice(ref: ref, from: Synthetic.sending, to: "SYN-MFA/consular", template: "identity-request", cases: [c], due: due,
           sentAt: Synthetic.start, body: "Please confirm the identity of the person in case \(c).\n")
}

@Suite("Checkpoints, recovery and grouped commits")
struct CheckpointTests {
    @Test("records changed since the checkpoint are read, queried and recovered after a crash, a person's and a notice's text from the journal")
    func recovery() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 3))
        var t = Synthetic.start
        try apply(Synthetic.opening + Synthetic.lifecycle(1) + Array(Synthetic.lifecycle(2).prefix(5)), to: store, from: &t)
        try store.apply(.sendNotice(notice("N-000001", about: "S-0000002", due: t + 3600)), by: Synthetic.sending, at: t)
        try store.apply(.sendNotice(notice("N-000002", about: "S-0000001", due: t + 7200)), by: Synthetic.sending, at: t)
        try store.apply(.acknowledgeNotice("N-000001"), by: Synthetic.ministry, at: t + 60)

        // Nothing has been checkpointed since the store was made, yet every query sees it all.
        #expect(try checkpointed(store) == 1)
        #expect(try store.caseRefs(in: .received) == ["S-0000001"])
        #expect(try store.caseRefs(in: .documented) == ["S-0000002"])
        #expect(try store.caseRefs() == ["S-0000001", "S-0000002"])
        #expect(try store.notices().map(\.ref) == ["N-000001", "N-000002"])
        #expect(try store.unacknowledgedNotices(dueIn: t...(t + 86_400)).map(\.ref) == ["N-000002"])
        #expect(try store.handoffs().map(\.ref) == ["SH-1"])

        let recovered = try SQLiteStore.open(at: try crashImage(of: store))
        #expect(try checkpointed(recovered) == 1 + 12 + 5 + 3 + 1)
        #expect(try recovered.returnCase("S-0000002") == store.returnCase("S-0000002"))
        #expect(try recovered.person("SP-0000002")?.names == ["Synthetic Person 2"])
        #expect(try recovered.notice("N-000001")?.body == "Please confirm the identity of the person in case S-0000002.\n")
        #expect(try recovered.notice("N-000001")?.acknowledgedAt == t + 60)
        #expect(try recovered.verify() == .intact(entries: 22))
        // The journal keeps personal data only until the checkpoint has it in the tables.
        #expect(try recovered.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM journal") } == 0)
    }

    @Test("a checkpoint runs every checkpointInterval entries, and a crash after it replays only the entries since")
    func interval() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 4))
        store.checkpointInterval = 20
        var t = Synthetic.start
        try apply(Synthetic.opening + (1...2).flatMap(Synthetic.lifecycle), to: store, from: &t)
        #expect(try checkpointed(store) == 21)  // the operation, then 20 entries; the last 5 wait for the next
        let image = try crashImage(of: store)
        let result = try SQLiteStore.open(at: image).verify()
        #expect(result == .intact(entries: 26), "\(result)")
    }

    @Test("past the interval, a checkpoint waits while many records wait, but no longer than the cache holds")
    func waitingRecords() throws {
        for (cacheLimit, expected) in [(1_000, Int64(1)), (30, 42)] {
            let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 20), cacheLimit: cacheLimit)
            store.checkpointInterval = 10
            // One batch that changes 40 records in 41 entries: fewer than four entries a record.
            let batch = Synthetic.opening + (1...20).flatMap { Array(Synthetic.lifecycle($0).prefix(2)) }
            try store.applyAll(batch.map { ($0.0, $0.1) }, at: Synthetic.start)
            #expect(try checkpointed(store) == expected, "cache limit \(cacheLimit)")
        }
        // Notices wait as well but enter no cache afterwards: forty of them do not count
        // against a cache of thirty.
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 20), cacheLimit: 30)
        store.checkpointInterval = 10
        let notices = (1...40).map { i in
            (Command.sendNotice(notice(NoticeRef("N-" + zeroPadded(i, 6)), about: "S-0000001", due: Synthetic.start + 3600)), Synthetic.sending)
        }
        try store.applyAll(Synthetic.opening + Array(Synthetic.lifecycle(1).prefix(2)) + notices, at: Synthetic.start)
        #expect(try checkpointed(store) == 1)
    }

    @Test("a new store answers a lookup that misses memory without its tables only while its cache has evicted nothing")
    func lookupsAfterEviction() throws {
        var listed: [[[CaseRef]]] = []  // per cache limit: every case, then the cases of each state
        for cacheLimit in [1_000, 4] {
            let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 12), cacheLimit: cacheLimit)
            store.checkpointInterval = 1
            var t = Synthetic.start
            try apply(Synthetic.opening + (1...12).flatMap { Array(Synthetic.lifecycle($0).prefix(3)) }, to: store, from: &t)
            try store.checkpoint()
            // With a cache of four, most of the twelve cases and people live only in the tables now.
            for i in 1...12 {
                let ref = CaseRef(String(format: "S-%07d", i))
                let c = try #require(try store.returnCase(ref), "\(ref) with a cache of \(cacheLimit)")
                #expect(try store.person(c.person) == syntheticPerson(i))
            }
            #expect(try store.returnCase("S-9999999") == nil)
            #expect(try store.person("P-9999999") == nil)
            #expect(try store.handoff("H-9") == nil)
            // A command deciding against a case evicted from the cache finds it in the tables.
            try apply([Synthetic.lifecycle(1)[3]], to: store, from: &t)
            // Listing cases: from memory with the big cache, from the tables (corrected by what
            // changed since the checkpoint) with the small one.
            listed.append([try store.caseRefs()] + (try CaseState.allCases.map { try store.caseRefs(in: $0) }))
        }
        #expect(listed[0] == listed[1])
        #expect(listed[0][0] == (1...12).map { CaseRef(String(format: "S-%07d", $0)) })
        #expect(listed[0].dropFirst().map(\.count).reduce(0, +) == 12)
        // Case 1 moved on alone: it is cleared, the eleven others identified, each state listed apart.
        let byState = Dictionary(uniqueKeysWithValues: zip(CaseState.allCases, listed[0].dropFirst()))
        #expect(byState[.cleared] == ["S-0000001"])
        #expect(byState[.identified] == (2...12).map { CaseRef(String(format: "S-%07d", $0)) })
        #expect(byState.filter { ![.cleared, .identified].contains($0.key) }.allSatisfy { $0.value.isEmpty })
    }

    @Test("a new store finds a notice in memory or, once checkpointed, in its tables, and knows without them that a new one does not exist")
    func noticeLookups() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 2))
        var t = Synthetic.start
        try apply(Synthetic.opening + Array(Synthetic.lifecycle(1).prefix(2)), to: store, from: &t)
        try store.apply(.sendNotice(notice("N-000001", about: "S-0000001", due: t + 3600)), by: Synthetic.sending, at: t)
        try store.checkpoint()
        try store.apply(.sendNotice(notice("N-000002", about: "S-0000001", due: t + 3600)), by: Synthetic.sending, at: t)
        #expect(try store.notice("N-000001")?.body == "Please confirm the identity of the person in case S-0000001.\n")  // from the table
        #expect(try store.notice("N-000002")?.ref == "N-000002")  // changed since the checkpoint
        #expect(try store.notice("N-000003") == nil)
        // A notice already in the tables cannot be sent again.
        #expect(throws: Refusal.self) {
            try store.apply(.sendNotice(notice("N-000001", about: "S-0000001", due: t + 3600)), by: Synthetic.sending, at: t)
        }
    }

    @Test("grouped commits: nothing is durable until the group is written, then all of it is; a refusal inside a group drops only itself")
    func groups() throws {
        var t = Synthetic.start
        let store = try groupedStore(10, firstCommands: 5, from: &t)
        #expect(store.durableSequence == 1)
        #expect(try store.returnCase("S-0000001")?.progress == .documented)  // applied, though not yet durable
        #expect(try SQLiteStore.open(at: try crashImage(of: store)).verify() == .intact(entries: 1))

        #expect(throws: Refusal.self) { try store.apply(.receive("S-0000001"), by: Synthetic.reception, at: t) }
        try store.flush()
        #expect(store.durableSequence == 7)
        #expect(try SQLiteStore.open(at: try crashImage(of: store)).verify() == .intact(entries: 7))

        // Eleven commands: one group of ten is written as the tenth arrives.
        try apply(Array(Synthetic.lifecycle(1).dropFirst(5)) + Synthetic.lifecycle(2).prefix(4), to: store, from: &t)
        #expect(store.durableSequence == 17)
        #expect(try store.ledger(after: 0, limit: 100).count == 18)  // reading the ledger writes what waits
        #expect(store.durableSequence == 18)
    }

    @Test("inGroups makes everything durable when it returns, or throws")
    func inGroups() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 3))
        var t = Synthetic.start
        try store.inGroups(of: 1_000) {
            try apply(Synthetic.opening + (1...3).flatMap(Synthetic.lifecycle), to: store, from: &t)
            #expect(store.durableSequence == 1)
        }
        #expect(store.groupCommit == 1)
        #expect(store.durableSequence == 38)
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try store.inGroups(of: 1_000) {
                try store.apply(.close("S-0000001"), by: Synthetic.reception, at: t)
                throw Stop()
            }
        }
        #expect(store.durableSequence == 39)  // what took effect before the error is kept
        #expect(try SQLiteStore.open(at: try crashImage(of: store)).verify() == .intact(entries: 39))
    }

    @Test("a store that could not write a group refuses further work and says to reopen it")
    func unusable() throws {
        var t = Synthetic.start
        let store = try groupedStore(100, firstCommands: 3, from: &t)
        // Sequence 2 is taken behind the store's back (on its own connection, since it holds
        // the file exclusively): the group cannot be written.
        try store.db.write { db in
            try db.execute(sql: "INSERT INTO ledger (seq, at, at_seconds, actor, command, payload, events, prev_hash, hash) VALUES (2, '', 0, '', '', '', '', '', '')")
        }
        #expect(throws: DatabaseError.self) { try store.flush() }
        let error = #expect(throws: StoreError.self) { try store.apply(.clear("S-0000001"), by: Synthetic.sending, at: t) }
        #expect(String(describing: error!).contains("open it again to recover every command that was durable"))
    }

    @Test("a group that fails in the background stops every later write, grouped or not: the file keeps an unbroken ledger")
    func failedBackgroundGroup() throws {
        var t = Synthetic.start
        let store = try groupedStore(100, firstCommands: 3, from: &t)  // entries 2 to 5 wait
        try store.db.write { db in
            try db.execute(sql: "INSERT INTO ledger (seq, at, at_seconds, actor, command, payload, events, prev_hash, hash) VALUES (2, '', 0, '', '', '', '', '', '')")
        }
        // Groups of two from here, of commands decided beforehand (as an engine's are), so
        // that entering them needs no database. Its queue is held shut meanwhile: none of the
        // calls can know yet that the first group (2 to 6) fails, and each must still not
        // write after it, neither a later group nor a command written at once.
        func decided(_ c: (Command, AgencyID)) throws -> [Submission] {
            [Submission(c.0, by: c.1, origin: "", decided: try Rules.decide(c.0, by: c.1, at: t, reading: store))]
        }
        // The gate opens when the three commits are entered, or, if entering them waited for
        // the database (a deadlock the test is there to catch), after a minute, saying so.
        let gate = DispatchSemaphore(value: 0), waited = Mutex(false), opened = Mutex(false)
        store.db.asyncWriteWithoutTransaction { _ in gate.wait() }
        @Sendable func open(waiting: Bool) {
            guard opened.withLock({ let first = !$0; $0 = true; return first }) else { return }
            if waiting { waited.withLock { $0 = true } }
            gate.signal()
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { open(waiting: true) }
        store.groupCommit = 2
        for command in Synthetic.lifecycle(1).dropFirst(3).prefix(3) { try store.commit(try decided(command), at: t) }  // 2-6, 7-8
        open(waiting: false)
        #expect(!waited.withLock { $0 }, "entering decided commands waited for the database")
        store.groupCommit = 1
        #expect(throws: StoreError.self) { try store.commit(try decided(Synthetic.lifecycle(1)[6]), at: t) }  // at once
        let flushed = #expect(throws: StoreError.self) { try store.flush() }
        guard case let .unusable(path, reason)? = flushed else { Issue.record("flush threw \(String(describing: flushed))"); return }
        #expect(path == store.path && reason.contains("UNIQUE constraint failed: ledger.seq"))
        #expect(throws: StoreError.self) { try store.apply(Synthetic.lifecycle(2)[0].0, by: Synthetic.lifecycle(2)[0].1, at: t) }
        // The genesis entry and the row taken behind the store's back, nothing after; and the
        // store says only the genesis entry of its own is durable.
        #expect(try store.db.read { try Int64.fetchOne($0, sql: "SELECT MAX(seq) FROM ledger") } == 2)
        #expect(store.durableSequence == 1)
    }
}

@Suite("Recovery refuses what it cannot trust")
struct RecoveryRefusalTests {
    /// A crash image of a store whose last commands (a person's registration among them) were
    /// not checkpointed, edited by `sql` behind its back.
    func image(editedBy sql: String) throws -> String {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 2))
        var t = Synthetic.start
        try apply(Synthetic.opening + Array(Synthetic.lifecycle(1).prefix(4)), to: store, from: &t)
        let image = try crashImage(of: store)
        try DatabaseQueue(path: image).write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete")
            try db.execute(sql: sql)
            SQLiteStore.keepWALOnClose(db)  // the edit stays in the WAL, as a crash leaves it
        }
        return image
    }

    @Test("each edit refuses to open, naming the entry", arguments: [
        ("DELETE FROM journal WHERE seq = 3", "ledger entry 3 cannot be replayed after an interrupted run: its full form is missing from the journal"),
        ("UPDATE journal SET command = replace(command, 'Synthetic Person 1', 'Someone Else') WHERE seq = 3",
         "ledger entry 3 cannot be replayed after an interrupted run: the journal holds another command than the ledger"),
        ("UPDATE ledger SET actor = 'SYN-MFA' WHERE seq = 5", "ledger entry 5 cannot be replayed after an interrupted run: its hash chain does not hold"),
    ])
    func refused(sql: String, message: String) throws {
        let path = try image(editedBy: sql)
        func files() -> [Data?] { ["", "-wal"].map { FileManager.default.contents(atPath: path + $0) } }
        let before = files()
        #expect(before[1] != nil, "the crash image has a WAL")
        let error = #expect(throws: StoreError.self) { try SQLiteStore.open(at: path) }
        #expect(String(describing: error!).contains(message), "\(error!)")
        guard case .unrecoverable(path, _, _)? = error else { Issue.record("\(error!)"); return }
        // All or nothing: the refused recovery left both files byte for byte as they were, so
        // the next open refuses the same way, and the journal still holds what it held.
        #expect(files() == before, "a refused recovery changed the store's files")
        let again = #expect(throws: StoreError.self) { try SQLiteStore.open(at: path) }
        #expect(again == error)
    }
}

@Suite("Big transactions and the WAL, written on the database's queue")
struct PipelinedWriteTests {
    /// Commands decided and staged in the store one after another, as an engine's transaction
    /// stages them; committed together, a big batch is written while it is entered.
    struct Staged {
        var submissions: [Submission] = []
        var log: [StagedChange] = []

        mutating func add(_ command: Command, by actor: AgencyID, at t: Date, in store: SQLiteStore) throws {
            let decision = try Rules.decide(command, by: actor, at: t, reading: store)
            store.stage(decision, noting: &log)
            submissions.append(Submission(command, by: actor, origin: "", decided: decision, staged: true))
        }
    }

    /// The registrations of `range`'s synthetic people, staged in `batch`.
    func register(_ range: ClosedRange<Int>, in store: SQLiteStore, at t: Date, into batch: inout Staged) throws {
        for i in range {
            let (command, actor) = Synthetic.lifecycle(i)[0]
            try batch.add(command, by: actor, at: t, in: store)
        }
    }

    func registrations(_ range: ClosedRange<Int>, in store: SQLiteStore, at t: Date) throws -> [Submission] {
        var batch = Staged()
        try register(range, in: store, at: t, into: &batch)
        return batch.submissions
    }

    @Test("a transaction of many staged commands is written whole, its hash chain unbroken")
    func written() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 5_000))
        let t = Synthetic.start
        let n = SQLiteStore.pipelined + 900
        let applied = try store.commit(try registrations(1...n, in: store, at: t), at: t)
        #expect(applied.count == n && applied.last?.entry.sequence == Int64(n + 1))
        #expect(store.durableSequence == Int64(n + 1))
        #expect(try store.db.read { try Int64.fetchOne($0, sql: "SELECT COUNT(*) FROM journal") } == Int64(n))
        #expect(try store.person(PersonRef("SP-" + zeroPadded(n, 7))) == syntheticPerson(n))
        guard case .intact(let entries) = try store.verify() else { Issue.record("the ledger does not verify"); return }
        #expect(entries == n + 1)
    }

    @Test("a staged transaction whose write fails midway leaves no rows; taken back, no records; and the store goes on")
    func failedWrite() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 5_000))
        var t = Synthetic.start
        try apply(Synthetic.opening + Array(Synthetic.lifecycle(1).prefix(2)), to: store, from: &t)  // person 1, case 1
        let before = try #require(try store.returnCase("S-0000001"))
        // One command that changes a record already in memory, then many new ones.
        func staged() throws -> Staged {
            var batch = Staged()
            try batch.add(.recordConsent("S-0000001", scope: .returnItself, interpreter: "interpreter"), by: Synthetic.sending, at: t, in: store)
            try register(2...(SQLiteStore.pipelined + 100), in: store, at: t, into: &batch)
            return batch
        }
        var batch = try staged()
        #expect(try store.returnCase("S-0000001")?.consents.count == 1, "staged records are read at once")
        // The database refuses one row deep in the transaction, long after the first were sent.
        let failing = Int64(4 + SQLiteStore.pipelined / 2 + 1_000)
        try store.db.write { db in
            try db.execute(sql: "CREATE TRIGGER fail BEFORE INSERT ON ledger WHEN NEW.seq = \(failing) BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
        }
        let error = #expect(throws: (any Error).self) { try store.commit(batch.submissions, at: t) }
        #expect(String(describing: error!).contains("disk trouble"))
        #expect(try store.db.read { try Int64.fetchOne($0, sql: "SELECT MAX(seq) FROM ledger") } == 4)
        #expect(store.durableSequence == 4)
        store.unstage(&batch.log, to: 0)  // as the engine does with a transaction that did not commit
        #expect(batch.log.isEmpty)
        #expect(try store.returnCase("S-0000001") == before)
        #expect(try store.person("SP-0000002") == nil)

        try store.db.write { try $0.execute(sql: "DROP TRIGGER fail") }
        batch = try staged()
        #expect(try store.commit(batch.submissions, at: t).count == batch.submissions.count)
        store.unstage(&batch.log, to: 0)  // once committed, nothing is taken back
        #expect(try store.returnCase("S-0000001")?.consents.count == 1)
        #expect(try store.person("SP-0000002") == syntheticPerson(2))
        guard case .intact(let entries) = try store.verify() else { Issue.record("the ledger does not verify"); return }
        #expect(entries == 4 + batch.submissions.count)
    }

    @Test("a checkpoint whose write fails in a later part leaves the tables as they were, and the records in memory for the next")
    func failedCheckpoint() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 5_000))
        let t = Synthetic.start
        try store.commit(try registrations(1...4_500, in: store, at: t), at: t)  // people sent in two parts
        try store.db.write { db in
            try db.execute(sql: "CREATE TRIGGER fail BEFORE INSERT ON people WHEN NEW.ref = 'SP-0004400' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
        }
        let refused = #expect(throws: DatabaseError.self) { try store.checkpoint() }
        #expect(refused?.resultCode == .SQLITE_CONSTRAINT && refused?.message == "disk trouble")
        #expect(try checkpointed(store) == 1)
        #expect(try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM people") } == 0)
        #expect(try store.person("SP-0004500") == syntheticPerson(4_500))

        try store.db.write { try $0.execute(sql: "DROP TRIGGER fail") }
        try store.checkpoint()
        #expect(try checkpointed(store) == 4_501)
        #expect(try store.db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM people") } == 4_500)
    }

    @Test("the store copies its WAL into the database itself, after the writes that make a copy due, and the WAL stays small")
    func walCopies() throws {
        let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: 18_000))
        let t = Synthetic.start
        for round in 0..<12 {
            try store.commit(try registrations((round * 1_500 + 1)...(round * 1_500 + 1_500), in: store, at: t), at: t)
        }
        try store.flush()
        // Twelve transactions of 1,500 people pass the 1,000-page mark three times: the hook
        // counts pages, and each copy is queued behind the write that passed it, so the count
        // is the same on every run.
        #expect(store.wal.copies == 3)
        // SQLite copies nothing itself once the store's hook replaces its own: without the
        // store's copies the database file would hold only the first pages, and the WAL all the rest.
        func size(_ path: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 }
        let (file, wal) = (try size(store.path), try size(store.path + "-wal"))
        #expect(file > 2 * 1_000 * 4_096 && wal < file, "database file \(file) bytes, WAL \(wal) bytes")
    }
}

/// The person `Synthetic.lifecycle(n)` registers.
func syntheticPerson(_ n: Int) -> Person? {
    if case .registerPerson(let p) = Synthetic.lifecycle(n)[0].0 { return p }
    return nil
}
