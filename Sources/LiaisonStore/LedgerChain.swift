import Foundation
import LiaisonModel

/// Entering decided commands in the ledger, the same for every store: the operation's first
/// entry, each command's texts, and the hash chain. A store only keeps what this gives.
package enum LedgerChain {
    /// What an entry holds of a decided command, and (where the entry keeps only digests of a
    /// person's record or a notice's text) the command's full form, which a store journals for
    /// a replay before its next checkpoint, or keeps beside the ledger.
    package struct Texts: Sendable {
        package var payload: String
        package var events: String
        package var journal: String?
    }

    /// The ledger's first entry, which holds the operation as `opening` (its canonical JSON).
    package static func genesis(of operation: ReturnOperation) throws -> (entry: LedgerEntry, opening: String) {
        let opening = try Canonical.string(operation)
        let entry = LedgerEntry(sequence: 1, at: Date(timeIntervalSince1970: 0), actor: AgencyID(operation.name),
                                command: "operation.create", payload: opening, events: "[]", previousHash: LedgerEntry.genesisHash)
        return (entry, opening)
    }

    /// Each decided command's texts. They depend on nothing but the command, so a big
    /// transaction's are written on every core; only the chain is one after another.
    package static func texts(_ submissions: [Submission]) throws -> [Texts] {
        try [Texts](concurrentlyMapping: submissions.count) { i in
            let ledgerForm = submissions[i].command.ledgerForm(digest: Canonical.digest, noticeDigest: Canonical.noticeDigest)
            return Texts(payload: try Canonical.record(ledgerForm), events: try Canonical.record(submissions[i].decided!.events),
                         journal: ledgerForm == submissions[i].command ? nil : try Canonical.record(submissions[i].command))
        }
    }

    /// The entries of a transaction's submissions, chained after `head`, with their events.
    package static func chain(_ submissions: [Submission], after head: (sequence: Int64, hash: String), at now: Date) throws -> [Applied] {
        let texts = try texts(submissions)
        let time = LedgerEntry.HashedTime(now)
        var head = head
        var applied: [Applied] = []
        applied.reserveCapacity(submissions.count)
        for i in submissions.indices {
            let entry = entry(after: head, at: time, submissions[i], texts[i])
            head = (entry.sequence, entry.hash)
            applied.append(Applied(entry: entry, events: submissions[i].decided!.events))
        }
        return applied
    }

    /// The entry that follows `head` for a submission with these texts.
    package static func entry(after head: (sequence: Int64, hash: String), at time: LedgerEntry.HashedTime, _ submission: Submission,
                      _ texts: Texts) -> LedgerEntry {
        LedgerEntry(sequence: head.sequence + 1, at: time, actor: submission.actor, command: submission.command.name,
                    payload: texts.payload, events: texts.events, previousHash: head.hash, origin: submission.origin)
    }
}
