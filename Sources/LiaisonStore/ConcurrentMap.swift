import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `(0..<count).map(transform)`, spread over the machine's cores when `count` is at least
    /// `minimum` (below that, threads cost more than they save), in order, and rethrowing the
    /// first error any index threw.
    ///
    /// For the store's pure encodings of many independent values: a big transaction's ledger
    /// texts and a checkpoint's records. Indices rather than elements, so that a caller maps
    /// what it already holds (parallel arrays, a slice) without first copying it into one.
    init(concurrentlyMapping count: Int, minimum: Int = 512, _ transform: @Sendable (Int) throws -> Element) throws {
        guard count >= minimum, concurrentMapWorkers > 1 else {
            self = try (0..<count).map(transform)
            return
        }
        let workers = concurrentMapWorkers
        let failure = Mutex<(any Error)?>(nil)
        self = try [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Each worker fills its own contiguous part of the buffer.
            let part = (count + workers - 1) / workers
            let filled = Mutex([Int](repeating: 0, count: workers))
            let out = UncheckedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var done = 0
                for i in Swift.min(w * part, count)..<Swift.min((w + 1) * part, count) {
                    do {
                        (out.buffer.baseAddress! + i).initialize(to: try transform(i))
                        done += 1
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        break
                    }
                }
                filled.withLock { $0[w] = done }
            }
            if let error = failure.withLock({ $0 }) {
                // Release what each worker made before the error.
                let counts = filled.withLock { $0 }
                for w in 0..<workers { (buffer.baseAddress! + Swift.min(w * part, count)).deinitialize(count: counts[w]) }
                initialized = 0
                throw error
            }
            initialized = count
        }
    }
}

/// Threads `Array(concurrentlyMapping:)` uses: the cores this process may run on, asked once
/// (Foundation reads them from the system on every call).
private let concurrentMapWorkers = min(ProcessInfo.processInfo.activeProcessorCount, 8)

/// A buffer handed to the workers of `Array(concurrentlyMapping:)`, each writing only its own
/// indices.
private struct UncheckedBuffer<R>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<R>
    init(_ buffer: UnsafeMutableBufferPointer<R>) { self.buffer = buffer }
}
