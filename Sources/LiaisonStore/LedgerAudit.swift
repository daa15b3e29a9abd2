import Foundation
import GRDB
import LiaisonModel

/// `liaison audit verify`: three checks, each naming the first thing that fails.
///
/// 1. The chain: entries numbered 1, 2, 3… without a gap, each holding the hash of the one
///    before, each hash matching the entry's contents.
/// 2. The replay: the first entry holds the operation as stored; every later command, run
///    again through the rules at its time by its actor, gives the events recorded beside it.
///    A person's record, kept in the people table, must match the digest the ledger holds.
/// 3. The records: what the replay built equals the stored cases, handoffs, movements, people
///    and notices (a notice's text is checked against the digest its entry holds).
///
/// So an edit anywhere — a ledger row, a case row, a person — is found, and named.
struct LedgerAudit {
    let store: SQLiteStore
    /// Told (entries checked, entries in all) every 100,000 entries.
    var progress: ((Int64, Int64) -> Void)?
    /// Heads an agency kept: the ledger must still hold each, with the same hash.
    var heads: [LedgerHead] = []

    func run() throws -> Verification {
        try store.db.read { db in
            var model: InMemoryModel?
            var previous = LedgerEntry.genesisHash
            var expected: Int64 = 1
            let total = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM ledger") ?? 0
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM ledger ORDER BY seq")
            let kept = Dictionary(heads.map { ($0.sequence, $0.hash) }, uniquingKeysWith: { a, _ in a })
            while let row = try rows.next() {
                let entry = SQLiteStore.entry(row)
                if entry.sequence != expected {
                    return .broken(entry: expected, reason: entry.sequence > expected ? "entry \(expected) is missing" : "entry \(entry.sequence) is out of order")
                }
                if let hash = kept[entry.sequence], hash != entry.hash {
                    return .broken(entry: entry.sequence, reason: "its hash is \(entry.hash), not \(hash) as kept: the ledger was written again from this entry or before")
                }
                if entry.previousHash != previous {
                    return .broken(entry: entry.sequence, reason: "it does not hold the hash of entry \(entry.sequence - 1)")
                }
                if entry.hash != entry.expectedHash {
                    return .broken(entry: entry.sequence, reason: "its contents do not match its hash (edited after it was written)")
                }
                // The readable time is a column of its own; the hash covers the time as the
                // seconds column gives it, so the two must agree.
                let text: String = row["at"]
                if text != Timestamp.iso(entry.at) {
                    return .broken(entry: entry.sequence, reason: "its time reads \(text), but the time its hash covers is \(Timestamp.iso(entry.at)) (edited after it was written)")
                }
                if let failure = try replay(entry, into: &model, db) { return .broken(entry: entry.sequence, reason: failure) }
                previous = entry.hash
                if expected % 100_000 == 0 { progress?(expected, total) }
                expected += 1
            }
            guard let model else { return .broken(entry: 1, reason: "the ledger is empty: the operation's first entry is missing") }
            if let beyond = heads.filter({ $0.sequence >= expected }).min(by: { $0.sequence < $1.sequence }) {
                return .broken(entry: beyond.sequence, reason: "the ledger ends at entry \(expected - 1), before entry \(beyond.sequence), which was kept as a head: entries were cut off its end")
            }
            if let failure = try compare(model, db) { return .broken(entry: nil, reason: failure) }
            return .intact(entries: expected - 1)
        }
    }

    private func replay(_ entry: LedgerEntry, into model: inout InMemoryModel?, _ db: Database) throws -> String? {
        guard model != nil else {
            guard entry.command == "operation.create" else { return "the first entry must create the operation" }
            guard let stored = try String.fetchOne(db, sql: "SELECT json FROM operation WHERE id = 1"), stored == entry.payload else {
                return "the stored operation differs from the one the ledger was started with"
            }
            model = InMemoryModel(operation: try Canonical.decode(ReturnOperation.self, entry.payload))
            return nil
        }
        var command: Command
        do {
            command = try Canonical.decode(Command.self, entry.payload)
        } catch {
            return "its command cannot be read: \(error)"
        }
        if case .registerPerson(let recorded) = command {
            guard let person = try SQLiteStore.fetch(Person.self, "people", recorded.ref.rawValue, db) else {
                return "person \(recorded.ref) is missing from the people table"
            }
            guard recorded.names.first == "sha256:" + Canonical.digest(person) else {
                return "person \(recorded.ref) in the people table differs from the record the ledger holds a digest of"
            }
            command = .registerPerson(person)
        }
        if case .sendNotice(var recorded) = command {
            guard let stored = try SQLiteStore.fetch(Notice.self, "notices", recorded.ref.rawValue, db) else {
                return "notice \(recorded.ref) is missing from the notices table"
            }
            guard recorded.body == "sha256:" + Canonical.noticeDigest(stored) else {
                return "notice \(recorded.ref) in the notices table differs from the text the ledger holds a digest of"
            }
            recorded.body = stored.body
            command = .sendNotice(recorded)
        }
        guard command.name == entry.command else { return "its command is \(command.name), but it is filed as \(entry.command)" }
        // Applied in place: a copy of the model per entry would make the audit quadratic, and a
        // refused command changes nothing anyway.
        let events: [Event]
        do {
            events = try model!.apply(command, by: entry.actor, at: entry.at)
        } catch {
            return "replaying \(entry.command) by \(entry.actor) is refused: \(error)"
        }
        guard try Canonical.sameEvents(events, entry.events) else {
            return "replaying \(entry.command) by \(entry.actor) gives other events than the ledger records"
        }
        return nil
    }

    private func compare(_ model: InMemoryModel, _ db: Database) throws -> String? {
        func check<T: Decodable & Equatable, K: Identifier>(_ table: String, _ replayed: [K: T], _ what: String) throws -> String? {
            var seen = 0
            for row in try Row.fetchAll(db, sql: "SELECT ref, json FROM \(table) ORDER BY ref") {
                let ref = K(row["ref"] as String)
                seen += 1
                guard let expected = replayed[ref] else { return "\(what) \(ref) is in the \(table) table but no ledger entry made it" }
                guard (try? Canonical.decode(T.self, row["json"])) == expected else {
                    return "\(what) \(ref) in the \(table) table differs from what the ledger gives"
                }
            }
            if seen != replayed.count {
                let missing = Set(replayed.keys).subtracting(try String.fetchAll(db, sql: "SELECT ref FROM \(table)").map(K.init)).sorted()
                return "\(what) \(missing.first.map(\.rawValue) ?? "?") is missing from the \(table) table"
            }
            return nil
        }
        return try check("cases", model.cases, "case") ?? check("handoffs", model.handoffs, "handoff")
            ?? check("movements", model.movements, "movement") ?? check("people", model.people, "person")
            ?? check("notices", model.notices, "notice")
    }
}
