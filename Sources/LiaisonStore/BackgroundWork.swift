import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

/// A ledger entry decided but not yet written, with its journal text.
struct Unwritten: Sendable {
    var entry: LedgerEntry
    var journal: String?
}

/// Work handed by the caller's thread, a part at a time, to one write transaction on the
/// database's queue, and that transaction's outcome (see `SQLiteStore.feed`). The caller
/// prepares the next part (hashes, JSON) while the queue writes the last one.
final class DatabaseFeed<Outcome>: @unchecked Sendable {
    typealias Work = @Sendable (Database) throws -> Void
    let condition = NSCondition()
    var parts: [Work?] = []
    var taken = 0
    var closed = false, cancelled = false
    var outcome: Result<Outcome, Error>?

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

    func next() throws -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while taken == parts.count && !closed && !cancelled { condition.wait() }
        if cancelled { throw CancellationError() }
        guard taken < parts.count else { return nil }
        defer { parts[taken] = nil; taken += 1 }  // released as soon as run
        return parts[taken]
    }

    func finish(_ result: Result<Outcome, Error>) { update { outcome = result } }

    func update(_ change: () -> Void) {
        condition.lock()
        change()
        condition.broadcast()
        condition.unlock()
    }
}

/// Groups of ledger entries being written on the database's queue (see `groupCommit`) and copies
/// of the WAL queued there: how many are under way, and the first failure of a group, after
/// which nothing more is written.
final class BackgroundWrites: @unchecked Sendable {
    let lock = NSLock()
    let pending = DispatchGroup()
    var error: Error?
    var lostRows = 0

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
    let lock = NSLock()
    var waiting: Int32 = 0
    var queued = false
    var made = 0
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

    func counted(_ pages: Int32) { lock.withLock { waiting = pages } }

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

