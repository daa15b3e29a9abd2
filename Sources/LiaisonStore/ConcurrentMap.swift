import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `map(transform)`, spread over the machine's cores when there are at least `minimum`
    /// elements (below that, threads cost more than they save), in order, and rethrowing the
    /// first error any element threw.
    ///
    /// For the store's pure encodings of many independent values: a big transaction's ledger
    /// texts and a checkpoint's records.
    func concurrentMap<R: Sendable>(minimum: Int = 512, _ transform: @Sendable (Element) throws -> R) throws -> [R] {
        guard count >= minimum, concurrentMapWorkers > 1 else { return try map(transform) }
        let workers = concurrentMapWorkers
        let failure = Mutex<(any Error)?>(nil)
        return try [R](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Each worker fills its own contiguous part of the buffer.
            let part = (count + workers - 1) / workers
            let filled = Mutex([Int](repeating: 0, count: workers))
            let out = UncheckedBuffer(buffer), items = self
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let range = Swift.min(w * part, items.count)..<Swift.min((w + 1) * part, items.count)
                var done = 0
                for i in range {
                    do {
                        (out.buffer.baseAddress! + i).initialize(to: try transform(items[i]))
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

/// Threads `concurrentMap` uses: the cores this process may run on, asked once (Foundation
/// reads them from the system on every call).
private let concurrentMapWorkers = min(ProcessInfo.processInfo.activeProcessorCount, 8)

/// A buffer handed to the workers of `concurrentMap`, each writing only its own indices.
private struct UncheckedBuffer<R>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<R>
    init(_ buffer: UnsafeMutableBufferPointer<R>) { self.buffer = buffer }
}
