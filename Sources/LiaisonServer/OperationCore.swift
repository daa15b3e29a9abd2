import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// The served operation's one engine, and the one thread that touches it. Requests arrive on
/// many threads at once; the engine (its Lua states, its store) is used by one at a time.
///
/// **Commands are decided in batches.** Every command waiting when the thread comes free is
/// decided in turn (each with its own cascade and plugins, each refused or accepted on its
/// own), inside one `Store.inGroups`, so the batch becomes durable with one write (one SQLite
/// transaction, or one PostgreSQL transaction under the operation's lock) instead of one each.
/// No answer leaves before the batch is durable: a client holding a 2xx holds a command that
/// is in the ledger. A batch whose write fails answers every one of its commands with an
/// error, and none of them is in the ledger.
///
/// **Another process may write the same operation** (two servers on one PostgreSQL database).
/// The store then refuses to write (`StoreError.stale`); the core opens the store again,
/// reading what the other process did, and decides the whole batch again against it.
public final class OperationCore: @unchecked Sendable {
    /// How the core (re)opens the operation: attach to the store as it is now.
    public typealias Opener = @Sendable () throws -> OperationHost

    private let queue = DispatchQueue(label: "liaison.operation")
    private let opener: Opener
    /// Used on `queue` only; nil after a failure until it is opened again.
    private var host: OperationHost?
    /// Whether the engine's clock follows the wall clock (a live operation), or stays where the
    /// store's last command left it (tests that replay a fixed time).
    public let wallClock: Bool

    private let lock = NSLock()
    private var waiting: [Waiting] = []
    private var draining = false
    private var watchers: [UUID: AsyncStream<Int64>.Continuation] = [:]
    private var knownHead: Int64 = 0
    private var refusedForGood: String?

    /// Told of every batch once it is answered: how many commands it held and how long deciding
    /// and writing them took (what /metrics shows). Set before the first command.
    public var batchObserver: (@Sendable (_ commands: Int, _ took: Duration) -> Void)?
    /// Told each time the store is opened again (after another process wrote, or a failure).
    public var reopenObserver: (@Sendable () -> Void)?

    public enum Order: Sendable {
        /// A command of the catalogue by name, with its subject and named arguments.
        case named(String, subject: String, args: [String: ArgValue])
        case command(Command)
    }

    private struct Waiting {
        var order: Order
        var agency: AgencyID
        var reader: CaseReader
        var continuation: CheckedContinuation<Decided, Error>
    }

    /// An outcome as its giver may learn of it (filtered in the batch, while the model is as
    /// the command left it), and the ledger's head after the batch.
    public struct Decided: @unchecked Sendable {
        public var outcome: Outcome
        public var head: Int64
    }

    public init(opening opener: @escaping Opener, wallClock: Bool = true) throws {
        self.opener = opener
        self.wallClock = wallClock
        let host = try opener()
        self.host = host
        knownHead = try host.store.head().sequence
    }

    // MARK: Reading

    /// Runs `body` on the engine's thread, with the host as it is between batches.
    public func read<T: Sendable>(_ body: @escaping @Sendable (OperationHost) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            queue.async {
                do { c.resume(returning: try body(try self.liveHost())) } catch { c.resume(throwing: error) }
            }
        }
    }

    /// Drops the engine after its store failed to answer (a database that went away): the next
    /// request opens the store again, on a new connection.
    public func invalidate() {
        queue.async { self.host = nil }
    }

    /// The host, opened again if a failure closed it.
    private func liveHost() throws -> OperationHost {
        if let host { return host }
        do {
            let host = try opener()
            self.host = host
            reopenObserver?()
            return host
        } catch {
            throw ServerError.unavailable("the operation's store cannot be opened: \(error)")
        }
    }

    /// `read`, for a caller that is not async (the command that starts the server).
    public func readNow<T>(_ body: (OperationHost) throws -> T) throws -> T {
        try queue.sync { try body(try liveHost()) }
    }

    // MARK: Commands

    /// Decides `order` as `agency`'s, with whatever else is waiting, and answers once it is
    /// durable, with what `reader` may learn of the outcome.
    public func submit(_ order: Order, by agency: AgencyID, seenBy reader: CaseReader) async throws -> Decided {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Decided, Error>) in
            lock.withLock {
                waiting.append(Waiting(order: order, agency: agency, reader: reader, continuation: c))
                if !draining {
                    draining = true
                    queue.async { self.drain() }
                }
            }
        }
    }

    private func drain() {
        while true {
            let batch: [Waiting] = lock.withLock {
                let b = waiting
                waiting = []
                if b.isEmpty { draining = false }
                return b
            }
            if batch.isEmpty { return }
            let started = ContinuousClock.now
            let results = decide(batch)
            let took = ContinuousClock.now - started
            let head = (try? host?.store.head().sequence) ?? nil
            for (w, r) in zip(batch, results) {
                switch r {
                case .success(let o): w.continuation.resume(returning: Decided(outcome: o, head: head ?? 0))
                case .failure(let e): w.continuation.resume(throwing: e)
                }
            }
            if let head { announce(head) }
            batchObserver?(batch.count, took)
        }
    }

    /// Decides a batch: each command on its own, all of them durable together. Opens the store
    /// again and decides the batch anew when another process wrote first.
    private func decide(_ batch: [Waiting]) -> [Result<Outcome, Error>] {
        for _ in 0..<8 {
            let host: OperationHost
            do { host = try liveHost() } catch { return batch.map { _ in .failure(error) } }
            var results: [Result<Outcome, Error>] = []
            do {
                try host.store.inGroups(of: batch.count + 1) {
                    if wallClock { try host.engine.advance(to: Date()) }
                    for w in batch {
                        do {
                            let outcome: Outcome
                            switch w.order {
                            case let .named(name, subject, args):
                                outcome = try host.engine.submit(named: name, subject: subject, args: args, by: w.agency)
                            case let .command(command):
                                outcome = try host.engine.submit(command, by: w.agency)
                            }
                            results.append(.success(outcome.seen(by: w.reader, in: host.store)))
                        } catch let error as CommandArgumentError {
                            results.append(.failure(ServerError.badRequest(error.message)))
                        } catch let error as ModelError {
                            results.append(.failure(ServerError.badRequest(error.description)))
                        }
                    }
                }
                return results
            } catch StoreError.stale {
                // Another process moved the ledger: read what it wrote, and decide again.
                self.host = nil
                continue
            } catch {
                // Nothing of the batch is durable, and memory may hold what the store does not:
                // the next request opens the store again.
                self.host = nil
                let reason = "the operation's store could not write (\(error)); nothing of this request was kept, try again"
                return batch.map { _ in .failure(ServerError.unavailable(reason)) }
            }
        }
        self.host = nil
        return batch.map { _ in .failure(ServerError.unavailable("other processes kept writing the operation first; nothing of this request was kept, try again")) }
    }

    // MARK: Watching the ledger

    /// The ledger's head after every batch, for event streams: the newest value only (a slow
    /// reader catches up from the ledger, not from this stream).
    public func heads() -> (id: UUID, stream: AsyncStream<Int64>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Int64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        lock.withLock {
            watchers[id] = continuation
            continuation.yield(knownHead)
        }
        continuation.onTermination = { [weak self] _ in self?.stopWatching(id) }
        return (id, stream)
    }

    public func stopWatching(_ id: UUID) {
        let c: AsyncStream<Int64>.Continuation? = lock.withLock { watchers.removeValue(forKey: id) }
        c?.finish()
    }

    /// Ends every event stream (the server is stopping).
    public func finishWatchers() {
        let all: [AsyncStream<Int64>.Continuation] = lock.withLock {
            defer { watchers = [:] }
            return Array(watchers.values)
        }
        for c in all { c.finish() }
    }

    private func announce(_ head: Int64) {
        let all: [AsyncStream<Int64>.Continuation] = lock.withLock {
            knownHead = head
            return Array(watchers.values)
        }
        for c in all { c.yield(head) }
    }

    /// Tells the event streams what another process wrote, once a read has opened the store again.
    public func refreshHead() async {
        if let head = try? await read({ try $0.store.head().sequence }), head != lock.withLock({ knownHead }) { announce(head) }
    }
}

/// What the server answers with an error status.
public enum ServerError: Error, CustomStringConvertible {
    case badRequest(String)
    case forbidden(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .badRequest(let s), .forbidden(let s), .unavailable(let s): return s
        }
    }
}
