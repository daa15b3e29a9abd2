import Foundation
import GRDB
import LiaisonModel
import LiaisonSynthetic
@testable import LiaisonStore
import Synchronization
import Testing

func temporaryStorePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("liaison-store-\(UUID().uuidString).sqlite").path
}

/// The path of a store with `n` synthetic cases taken the whole way, closed (so that a test can
/// edit it behind the store's back: an open store holds its file exclusively).
func closedSyntheticStore(cases n: Int) throws -> String {
    try syntheticStore(cases: n).path  // released here, which checkpoints and closes it
}

/// A store with `n` synthetic cases taken the whole way, its records checkpointed.
func syntheticStore(cases n: Int) throws -> SQLiteStore {
    let store = try SQLiteStore.create(at: temporaryStorePath(), operation: Synthetic.operation(cases: n))
    var t = Synthetic.start
    try apply(Synthetic.opening + (1...n).flatMap(Synthetic.lifecycle), to: store, from: &t)
    try store.checkpoint()
    return store
}

@Suite("The SQLite store")
struct StoreTests {
    @Test("commands persist, and a reopened store reads the same records and continues the chain")
    func persistAndReopen() throws {
        var store: SQLiteStore? = try syntheticStore(cases: 3)
        let path = store!.path
        let before = try store!.returnCase("S-0000002")
        #expect(before?.progress == .received)
        #expect(try store!.caseCounts() == ["received": 3])
        store = nil
        let reopened = try SQLiteStore.open(at: path)
        #expect(try reopened.returnCase("S-0000002") == before)
        try reopened.apply(.close("S-0000002"), by: Synthetic.reception, at: Synthetic.start + 1000)
        #expect(try reopened.verify() == .intact(entries: 1 + 1 + 3 * 12 + 1))
    }

    @Test("a refused command writes nothing, and a refused batch writes none of its commands")
    func refusalsWriteNothing() throws {
        let store = try syntheticStore(cases: 1)
        let before = try store.ledger(after: 0, limit: 1000).count
        #expect(throws: Refusal.self) { try store.apply(.clear("S-0000001"), by: Synthetic.sending, at: Synthetic.start) }
        let c = Synthetic.lifecycle(2)
        #expect(throws: Refusal.self) { try store.applyAll([c[0], c[1], (.clear("S-0000002"), Synthetic.sending)], at: Synthetic.start) }
        #expect(try store.ledger(after: 0, limit: 1000).count == before)
        #expect(try store.person("SP-0000002") == nil)
        try store.applyAll([c[0], c[1]], at: Synthetic.start)  // the chain's head was restored
        #expect(try store.verify() == .intact(entries: Int64(before + 2)))
    }

    @Test("an open store holds its file: a second store on it is refused, saying why, until the first is released")
    func exclusive() throws {
        var first: SQLiteStore? = try syntheticStore(cases: 1)
        let path = first!.path
        let error = #expect(throws: StoreError.self) { try SQLiteStore.open(at: path) }
        #expect(error == .inUse(path))
        #expect(String(describing: error!).contains("is open in another process"))
        #expect(try first!.verify() == .intact(entries: 14))  // the first store is unharmed
        first = nil
        #expect(try SQLiteStore.open(at: path).verify() == .intact(entries: 14))
    }

    @Test("the ledger table refuses updates and deletes")
    func appendOnly() throws {
        let db = try DatabaseQueue(path: try closedSyntheticStore(cases: 1))
        for sql in ["UPDATE ledger SET actor = 'X' WHERE seq = 3", "DELETE FROM ledger WHERE seq = 3"] {
            let error = #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: sql) } }
            #expect(error?.message == "the ledger is append-only", "\(sql)")
        }
        #expect(try db.read { try String.fetchOne($0, sql: "SELECT actor FROM ledger WHERE seq = 3") } == "SYN-ENF")
    }

    @Test("the store reads through the same disclosure policy as the model")
    func disclosure() throws {
        let store = try syntheticStore(cases: 1)
        let view = try CaseView("S-0000001", for: Synthetic.transit, at: Synthetic.start, in: store)
        #expect(throws: DisclosureError.self) { try view.read("fit_to_fly_conditions") }
        #expect(try view.read("names") == .list([.text("Synthetic Person 1")]))
    }

    @Test("an existing path is not overwritten, and a missing store says how to make one")
    func paths() throws {
        let store = try syntheticStore(cases: 1)
        #expect(throws: StoreError.exists(store.path)) { try SQLiteStore.create(at: store.path, operation: Synthetic.operation(cases: 1)) }
        #expect(throws: StoreError.missing("/nonexistent/liaison.sqlite")) { try SQLiteStore.open(at: "/nonexistent/liaison.sqlite") }
        #expect(String(describing: StoreError.missing("x")) == "no store at x")
    }
}

/// Edits made behind the store's back, as an attacker or a broken tool would make them.
struct Tampering: CustomTestStringConvertible, Sendable {
    var name: String
    var sql: String
    var expected: Verification
    var testDescription: String { name }
}

let tamperings: [Tampering] = [
    Tampering(name: "a ledger entry's actor", sql: "UPDATE ledger SET actor = 'SYN-MFA' WHERE seq = 8",
              expected: .broken(entry: 8, reason: "its contents do not match its hash (edited after it was written)")),
    Tampering(name: "a ledger entry's events", sql: "UPDATE ledger SET events = '[]' WHERE seq = 12",
              expected: .broken(entry: 12, reason: "its contents do not match its hash (edited after it was written)")),
    Tampering(name: "a ledger entry's time", sql: "UPDATE ledger SET at_seconds = at_seconds + 3600 WHERE seq = 20",
              expected: .broken(entry: 20, reason: "its contents do not match its hash (edited after it was written)")),
    Tampering(name: "a deleted ledger entry", sql: "DELETE FROM ledger WHERE seq = 9",
              expected: .broken(entry: 9, reason: "entry 9 is missing")),
    Tampering(name: "a ledger entry's hash", sql: "UPDATE ledger SET hash = 'x' || substr(hash, 2) WHERE seq = 15",
              expected: .broken(entry: 15, reason: "its contents do not match its hash (edited after it was written)")),
    Tampering(name: "a case record", sql: "UPDATE cases SET json = replace(json, '\"received\"', '\"closed\"') WHERE ref = 'S-0000002'",
              expected: .broken(entry: nil, reason: "case S-0000002 in the cases table differs from what the ledger gives")),
    Tampering(name: "a person's record", sql: "UPDATE people SET json = replace(json, 'Synthetic Person 2', 'Someone Else') WHERE ref = 'SP-0000002'",
              expected: .broken(entry: 15, reason: "person SP-0000002 in the people table differs from the record the ledger holds a digest of")),
    Tampering(name: "an added case", sql: "INSERT INTO cases SELECT 'S-9999999', person, state, json FROM cases WHERE ref = 'S-0000001'",
              expected: .broken(entry: nil, reason: "case S-9999999 is in the cases table but no ledger entry made it")),
    Tampering(name: "a removed handoff", sql: "DELETE FROM handoffs WHERE ref = 'SH-2'",
              expected: .broken(entry: nil, reason: "handoff SH-2 is missing from the handoffs table")),
    Tampering(name: "the operation's rules", sql: "UPDATE operation SET json = replace(json, '\"capacity\":3', '\"capacity\":300')",
              expected: .broken(entry: 1, reason: "the stored operation differs from the one the ledger was started with")),
]

@Suite("audit verify finds any edit and names it")
struct TamperingTests {
    @Test("an untouched store verifies")
    func intact() throws {
        #expect(try syntheticStore(cases: 3).verify() == .intact(entries: 38))
    }

    @Test("an entry edited and re-hashed to hide the edit breaks the link to the next entry")
    func rehashed() throws {
        let path = try closedSyntheticStore(cases: 3)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            // Who caused it is hashed but not replayed: an edit of it, re-hashed, passes both
            // checks of the entry itself, and only the next entry's link shows it.
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM ledger WHERE seq = 15"))
            let origin = "plugin forged, hook case.opened"
            let hash = LedgerEntry.hash(sequence: 15, at: Date(timeIntervalSince1970: row["at_seconds"]), actor: AgencyID(row["actor"] as String),
                                        command: row["command"], payload: row["payload"], events: row["events"], previousHash: row["prev_hash"],
                                        origin: origin)
            try db.execute(sql: "UPDATE ledger SET origin = ?, hash = ? WHERE seq = 15", arguments: [origin, hash])
        }
        let result = try SQLiteStore.open(at: path).verify()
        #expect(result == .broken(entry: 16, reason: "it does not hold the hash of entry 15"), "\(result)")
    }

    @Test("each edit is found, at the entry or record it touched", arguments: tamperings)
    func tampered(_ t: Tampering) throws {
        let path = try closedSyntheticStore(cases: 3)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete")
            try db.execute(sql: t.sql)
            #expect(db.changesCount == 1, "the tampering SQL must change one row")
        }
        let result = try SQLiteStore.open(at: path).verify()
        #expect(result == t.expected, "\(result)")
    }
}

@Suite("Anchors: a ledger head an agency keeps catches what the hash chain alone cannot")
struct LedgerHeadTests {
    @Test("a ledger entry's readable time, edited with its triggers dropped, is found")
    func readableTime() throws {
        let path = try closedSyntheticStore(cases: 3)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_update")
            try db.execute(sql: "UPDATE ledger SET at = '2030-01-01T00:00:00Z' WHERE seq = 20")
        }
        let result = try SQLiteStore.open(at: path).verify()
        guard case let .broken(entry, reason) = result else { Issue.record("an edited time verified: \(result)"); return }
        #expect(entry == 20)
        #expect(reason.hasPrefix("its time reads 2030-01-01T00:00:00Z, but the time its hash covers is "))
    }

    @Test("entries cut off the end keep the chain whole, and the head kept before the cut finds them gone")
    func truncated() throws {
        // The store is released at the end of the closure, which closes its file.
        let (path, head) = try { () throws -> (String, LedgerHead) in
            let store = try syntheticStore(cases: 3)
            return (store.path, try store.head())
        }()
        #expect(head.sequence == 38)
        #expect(LedgerHead(head.description) == head)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DROP TRIGGER ledger_no_delete")
            try db.execute(sql: "DELETE FROM ledger WHERE seq > 30")
        }
        let cut = try SQLiteStore.open(at: path)
        // The chain alone holds, whatever the records say of the missing entries.
        let withHead = try cut.verify(heads: [head], progress: nil)
        #expect(withHead == .broken(entry: 38, reason: "the ledger ends at entry 30, before entry 38, which was kept as a head: entries were cut off its end"))
    }

    @Test("a ledger written again (another history of the same operation) does not hold the head kept from the first")
    func forked() throws {
        let first = try syntheticStore(cases: 3)
        let kept = try first.head()
        let other = try syntheticStore(cases: 4)  // the same opening, another history from there
        #expect(try other.verify() == .intact(entries: 50))
        let result = try other.verify(heads: [kept], progress: nil)
        guard case let .broken(entry, reason) = result else { Issue.record("a forked ledger verified against a kept head"); return }
        #expect(entry == 38)
        #expect(reason == "its hash is \(try other.ledger(after: 37, limit: 1)[0].hash), not \(kept.hash) as kept: the ledger was written again from this entry or before")
        #expect(try first.verify(heads: [kept], progress: nil) == .intact(entries: 38))
    }

    @Test("a head is SEQ:HASH, with 64 lower-case hexadecimal digits")
    func parsing() {
        let hash = String(repeating: "a", count: 64)
        #expect(LedgerHead("12:\(hash)") == LedgerHead(sequence: 12, hash: hash))
        for bad in ["12", "x:\(hash)", "0:\(hash)", "12:\(hash.uppercased())", "12:\(hash.dropLast())", "12:\(hash):1"] {
            #expect(LedgerHead(bad) == nil, "\(bad)")
        }
    }
}

@Suite("Stores written by earlier versions")
struct MigrationTests {
    @Test("a store from before origins, notices, checkpoints and grants opens, migrates, verifies and goes on")
    func fromVersionOne() throws {
        let path = try closedSyntheticStore(cases: 2)
        // Take the store back to the first schema: no origins, no notices, no journal or
        // checkpoint table, and an operation written before grants and plugin lists existed,
        // with the ledger's hashes chained again over it as that version wrote them.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;
                DROP TABLE notices; DROP TABLE journal; DROP TABLE checkpoint;
                ALTER TABLE ledger DROP COLUMN origin;
                DELETE FROM grdb_migrations WHERE identifier <> 'v1';
                """)
            let json = try #require(try String.fetchOne(db, sql: "SELECT json FROM operation"))
            var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            object["grants"] = nil
            object["signals"] = nil
            let old = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
            #expect(!old.contains("grants"))
            try db.execute(sql: "UPDATE operation SET json = ?", arguments: [old])
            try db.execute(sql: "UPDATE ledger SET payload = ? WHERE seq = 1", arguments: [old])
            var previous = LedgerEntry.genesisHash
            for row in try Row.fetchAll(db, sql: "SELECT * FROM ledger ORDER BY seq") {
                let hash = LedgerEntry.hash(sequence: row["seq"], at: Date(timeIntervalSince1970: row["at_seconds"]), actor: AgencyID(row["actor"] as String),
                                            command: row["command"], payload: row["payload"], events: row["events"], previousHash: previous)
                try db.execute(sql: "UPDATE ledger SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [previous, hash, row["seq"] as Int64])
                previous = hash
            }
            try db.execute(sql: """
                CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                """)
        }
        let store = try SQLiteStore.open(at: path)
        #expect(try store.verify() == .intact(entries: 26))
        #expect(store.operation.grants == .standard)
        #expect(try store.db.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier") }
            == ["v1", "v2: notices and origins", "v3: checkpointed records"])
        // It goes on: a third person to fit to fly (the movement's two seats are taken).
        var t = Synthetic.start.addingTimeInterval(86_400)
        try apply(Array(Synthetic.lifecycle(3).prefix(6)), to: store, from: &t)
        #expect(try store.returnCase("S-0000003")?.progress == .fit)
        #expect(try store.verify() == .intact(entries: 32))
    }
}

@Suite("audit verify checks every stored column, not only the records")
struct ColumnTamperingTests {
    /// An edit of a value stored beside the records, and what verify must say of it.
    static let edits: [(String, String)] = [
        ("UPDATE cases SET state = 'closed' WHERE ref = 'S-0000002'",
         "case S-0000002's state column reads 'closed', but the case is received (as the ledger gives it): queries by state would answer wrongly"),
        ("UPDATE cases SET person = 'SP-0000001' WHERE ref = 'S-0000002'",
         "case S-0000002's person column reads 'SP-0000001', but its record (as the ledger gives it) names SP-0000002"),
        ("UPDATE notices SET acknowledged = 1 WHERE ref = 'N-000001'",
         "notice N-000001's acknowledged column reads 1, but the notice was not acknowledged"),
        ("UPDATE notices SET due_seconds = due_seconds + 86400 WHERE ref = 'N-000001'",
         "notice N-000001's deadline column reads 1796090037.0, but the notice is due 2026-11-30T01:53:57Z: overdue notices would be missed or invented"),
        ("UPDATE notices SET recipient = 'SYN-TRANSIT' WHERE ref = 'N-000001'",
         "notice N-000001's recipient column reads 'SYN-TRANSIT', but the notice is to SYN-MFA"),
        // (A mark moved back is refused at the next open: the entries after it do not replay
        // on the tables. CheckpointTests holds that.)
        ("UPDATE checkpoint SET seq = 100",
         "the checkpoint mark reads 100, but the tables were just brought up to the ledger's last entry, 39"),
        ("INSERT INTO journal (seq, command) VALUES (12, '{}')",
         "the journal holds a row for entry 12 after the checkpoint that makes every row redundant: it was written behind the store's back"),
    ]

    @Test("each edit is found and named", arguments: edits)
    func column(sql: String, message: String) throws {
        var store: (any Store)? = try conformanceStore(.sqliteFile).0
        let path = store!.location
        store = nil
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: sql)
            #expect(db.changesCount == 1, "the edit must change one row")
        }
        let result = try SQLiteStore.open(at: path).verify()
        #expect(result == .broken(entry: nil, reason: message), "\(result)")
    }

    @Test("a row relabelled under another reference, in every table, is found")
    func relabelled() throws {
        for (table, ref, other) in [("cases", "S-0000001", "S-0000009"), ("people", "SP-0000001", "SP-0000009"), ("handoffs", "SH-1", "SH-9"),
                                    ("notices", "N-000001", "N-000009")] {
            var store: (any Store)? = try conformanceStore(.sqliteFile).0
            let path = store!.location
            store = nil
            try DatabaseQueue(path: path).write { try $0.execute(sql: "UPDATE \(table) SET ref = ? WHERE ref = ?", arguments: [other, ref]) }
            // A person's or a notice's record is found missing at the entry that made it; the
            // others when the tables are compared with the replay.
            guard case .broken(_, let reason) = try SQLiteStore.open(at: path).verify() else {
                Issue.record("a relabelled \(table) row verified")
                continue
            }
            #expect(reason.contains(other) || reason.contains(ref), "\(table): \(reason)")
        }
    }
}

@Suite("Creating a store is atomic")
struct StoreCreationTests {
    @Test("a store appears whole or not at all: of eight creating the same path at once, one wins and the others are told it exists, and nothing is left beside it")
    func racing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-create-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("op.sqlite").path
        let results = Mutex<[Result<Void, StoreError>]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let result: Result<Void, StoreError>
            do {
                _ = try SQLiteStore.create(at: path, operation: Synthetic.operation(cases: 1))
                result = .success(())
            } catch let error as StoreError {
                result = .failure(error)
            } catch {
                result = .failure(.unusable(path, reason: "\(error)"))
            }
            results.withLock { $0.append(result) }
        }
        let all = results.withLock { $0 }
        #expect(all.filter { if case .success = $0 { return true } else { return false } }.count == 1)
        for case .failure(let error) in all { #expect(error == .exists(path) || error == .inUse(path), "\(error)") }
        #expect(try SQLiteStore.open(at: path).verify() == .intact(entries: 1))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("creating") }
        #expect(left.isEmpty, "\(left)")
    }

    @Test("a file left by a creation that was killed midway is not a store at the path, and does not stop the next creation")
    func leftover() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-create-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("half a database".utf8).write(to: folder.appendingPathComponent(".op.sqlite.creating-dead"))
        let path = folder.appendingPathComponent("op.sqlite").path
        #expect(throws: StoreError.missing(path)) { try SQLiteStore.open(at: path) }
        #expect(try SQLiteStore.create(at: path, operation: Synthetic.operation(cases: 1)).verify() == .intact(entries: 1))
    }
}
