import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

// Recovery after a process died between checkpoints.

extension SQLiteStore {
    /// Replays the ledger entries written after the last checkpoint (the process that wrote
    /// them ended before it checkpointed them), then checkpoints. Only entries whose hashes
    /// hold, whose journalled full form (where the ledger keeps digests) matches them, and
    /// whose replay gives the events they record are taken; anything else refuses to open.
    func recover() throws {
        guard checkpointed < lastSequence else { return }
        var after = checkpointed
        var previous = try db.inDatabase { try String.fetchOne($0, sql: "SELECT hash FROM ledger WHERE seq = ?", arguments: [after]) }
            ?? LedgerEntry.genesisHash
        while true {
            let batch = try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT \(Self.entryColumns.split(separator: ",").map { "ledger." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")),
                           journal.command AS full FROM ledger LEFT JOIN journal ON journal.seq = ledger.seq
                    WHERE ledger.seq > ? ORDER BY ledger.seq LIMIT 1000
                    """, arguments: [after])
                    .map { (try Self.entry($0), try $0.decode(String?.self, atIndex: 10)) }
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

    func replayForRecovery(_ entry: LedgerEntry, full: String?, after previous: String) throws {
        func failure(_ reason: String) -> StoreError {
            .unrecoverable(path, entry: entry.sequence, reason: reason)
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
        guard full != nil || LedgerReplay.checkFullForm(command, recorded: command) == nil else {
            throw failure("its full form is missing from the journal")
        }
        guard full == nil || LedgerReplay.checkFullForm(command, recorded: recorded) == nil else {
            throw failure("the journal holds another command than the ledger")
        }
        let decision: Decision
        do { decision = try Rules.decide(command, by: entry.actor, at: entry.at, reading: self) } catch { throw failure("\(error)") }
        guard try Canonical.sameEvents(decision.events, entry.events) else { throw failure("it gives other events than it records") }
        dirty.absorb(decision)
    }
}
