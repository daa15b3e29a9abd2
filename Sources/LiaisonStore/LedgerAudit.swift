import Foundation
import LiaisonModel

/// What an audit reads of a store: its ledger, in order, and the records it accounts for, as
/// stored. Each store gives its own (`SQLiteStore` reads its tables; `InMemoryStore` its
/// values); the checks are the same for all.
package protocol AuditSource {
    /// The operation as stored beside the ledger (its JSON).
    func storedOperation() throws -> String?
    /// How many entries the ledger holds, for progress.
    func entryCount() throws -> Int64
    /// Every entry in sequence order, each with the readable time its row holds beside the
    /// seconds the hash covers; `body` returns false to stop.
    func forEachEntry(_ body: (LedgerEntry, String) throws -> Bool) throws
    /// A person's or a notice's record as stored (the ledger keeps digests of them).
    func storedPerson(_ ref: PersonRef) throws -> Person?
    func storedNotice(_ ref: NoticeRef) throws -> Notice?
    /// Every stored record of a kind, by reference, decoded (nil where it cannot be).
    func storedRecords<T: Decodable>(_ table: AuditTable, as type: T.Type) throws -> [(ref: String, record: T?)]
    /// The first stored value beside the records that does not say what `model` (the records
    /// as the ledger gives them, which the stored records were just found equal to) says: a
    /// column a query filters by, the checkpoint mark, a journal row left over; nil when there
    /// is none, or no such value.
    func storedColumnProblem(_ model: InMemoryModel) throws -> String?
}

/// The record tables an audit compares with what the ledger gives.
package enum AuditTable: String { case cases, handoffs, movements, people, notices }

/// `liaison audit verify`: four checks, each naming the first thing that fails.
///
/// 1. The chain: entries numbered 1, 2, 3… without a gap, each holding the hash of the one
///    before, each hash matching the entry's contents, and the readable time beside it the time
///    the hash covers.
/// 2. The replay: the first entry holds the operation as stored; every later command, run
///    again through the rules at its time by its actor, gives the events recorded beside it.
///    A person's record and a notice's text, kept beside the ledger, must match the digests
///    the ledger holds.
/// 3. The records: what the replay built equals the stored cases, handoffs, movements, people
///    and notices; and every value stored beside them (a case's state and person, a notice's
///    recipient, deadline and acknowledgement, each row's reference, the checkpoint mark, the
///    journal) says what its record says, since queries and the host read them.
/// 4. The heads an agency kept: the ledger still holds each, with the same hash.
///
/// So an edit anywhere — a ledger row, a case row, a person — is found, and named.
package struct LedgerAudit {
    package let source: any AuditSource
    /// Told (entries checked, entries in all) every 100,000 entries.
    package var progress: ((Int64, Int64) -> Void)?
    /// Heads an agency kept: the ledger must still hold each, with the same hash.
    package var heads: [LedgerHead] = []

    package init(source: any AuditSource, progress: ((Int64, Int64) -> Void)?, heads: [LedgerHead]) {
        (self.source, self.progress, self.heads) = (source, progress, heads)
    }

    package func run() throws -> Verification {
        var model: InMemoryModel?
        var previous = LedgerEntry.genesisHash
        var expected: Int64 = 1
        let total = try source.entryCount()
        let kept = Dictionary(heads.map { ($0.sequence, $0.hash) }, uniquingKeysWith: { a, _ in a })
        var broken: Verification?
        try source.forEachEntry { entry, atText in
            if let failure = try check(entry, atText: atText, expected: expected, previous: previous, kept: kept, into: &model) {
                broken = failure
                return false
            }
            previous = entry.hash
            if expected % 100_000 == 0 { progress?(expected, total) }
            expected += 1
            return true
        }
        if let broken { return broken }
        guard let model else { return .broken(entry: 1, reason: "the ledger is empty: the operation's first entry is missing") }
        if let beyond = heads.filter({ $0.sequence >= expected }).min(by: { $0.sequence < $1.sequence }) {
            return .broken(entry: beyond.sequence, reason: "the ledger ends at entry \(expected - 1), before entry \(beyond.sequence), which was kept as a head: entries were cut off its end")
        }
        if let failure = try compare(model) ?? source.storedColumnProblem(model) { return .broken(entry: nil, reason: failure) }
        return .intact(entries: expected - 1)
    }

    private func check(_ entry: LedgerEntry, atText: String, expected: Int64, previous: String, kept: [Int64: String],
                       into model: inout InMemoryModel?) throws -> Verification? {
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
        // The readable time is a column of its own; the hash covers the time as the seconds
        // give it, so the two must agree.
        if atText != Timestamp.iso(entry.at) {
            return .broken(entry: entry.sequence, reason: "its time reads \(atText), but the time its hash covers is \(Timestamp.iso(entry.at)) (edited after it was written)")
        }
        if let failure = try replay(entry, into: &model) { return .broken(entry: entry.sequence, reason: failure) }
        return nil
    }

    private func replay(_ entry: LedgerEntry, into model: inout InMemoryModel?) throws -> String? {
        guard model != nil else {
            guard entry.command == "operation.create" else { return "the first entry must create the operation" }
            guard let stored = try source.storedOperation(), stored == entry.payload else {
                return "the stored operation differs from the one the ledger was started with"
            }
            model = InMemoryModel(operation: try Canonical.decode(ReturnOperation.self, entry.payload))
            return nil
        }
        let recorded: Command
        do {
            recorded = try Canonical.decode(Command.self, entry.payload)
        } catch {
            return "its command cannot be read: \(error)"
        }
        // A person's record and a notice's text are kept beside the ledger, which holds their
        // digests: the full command is the stored record, if its digest is the one recorded.
        var command = recorded
        if case .registerPerson(let p) = recorded {
            guard let person = try source.storedPerson(p.ref) else { return "person \(p.ref) is missing from the people table" }
            command = .registerPerson(person)
        }
        if case .sendNotice(let n) = recorded {
            guard let stored = try source.storedNotice(n.ref) else { return "notice \(n.ref) is missing from the notices table" }
            var full = n
            full.body = stored.body
            command = .sendNotice(full)
        }
        if let failure = LedgerReplay.checkFullForm(command, recorded: recorded) {
            if case .registerPerson(let p) = recorded { return "person \(p.ref) in the people table differs from the record the ledger holds a digest of" }
            if case .sendNotice(let n) = recorded { return "notice \(n.ref) in the notices table differs from the text the ledger holds a digest of" }
            return failure
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

    private func compare(_ model: InMemoryModel) throws -> String? {
        func check<T: Decodable & Equatable, K: Identifier>(_ table: AuditTable, _ replayed: [K: T], _ what: String) throws -> String? {
            let stored = try source.storedRecords(table, as: T.self)
            for (ref, record) in stored {
                guard let expected = replayed[K(ref)] else { return "\(what) \(ref) is in the \(table.rawValue) table but no ledger entry made it" }
                guard record == expected else { return "\(what) \(ref) in the \(table.rawValue) table differs from what the ledger gives" }
            }
            if stored.count != replayed.count {
                let missing = Set(replayed.keys).subtracting(stored.map { K($0.ref) }).sorted()
                return "\(what) \(missing.first.map(\.rawValue) ?? "?") is missing from the \(table.rawValue) table"
            }
            return nil
        }
        return try check(.cases, model.cases, "case") ?? check(.handoffs, model.handoffs, "handoff")
            ?? check(.movements, model.movements, "movement") ?? check(.people, model.people, "person")
            ?? check(.notices, model.notices, "notice")
    }
}

/// What a recovery and an audit both check of an entry replayed: that the full form of a
/// command whose ledger form keeps only digests is the one the digests were made of.
enum LedgerReplay {
    /// Nil when `full` is what `recorded` (the ledger's form) was made from.
    static func checkFullForm(_ full: Command, recorded: Command) -> String? {
        let ledgerForm = full.ledgerForm(digest: Canonical.digest, noticeDigest: Canonical.noticeDigest)
        return ledgerForm == recorded ? nil : "the command's full form is not the one the ledger holds the digests of"
    }
}

extension LedgerEntry {
    /// Whether this entry records `command`: its ledger form, where a person's record is kept
    /// as digests, is the one `command` gives.
    public func records(_ command: Command) throws -> Bool {
        LedgerReplay.checkFullForm(command, recorded: try decodedCommand()) == nil
    }
}
