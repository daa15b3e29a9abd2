import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

// An engine's transaction, staged in the store's memory.

extension SQLiteStore {
    // MARK: An engine's transaction, staged in memory

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
        dirty.stage(d, noting: &log)
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
        stagedChanges -= log.count - count
        dirty.unstage(&log, to: count)
    }
}
