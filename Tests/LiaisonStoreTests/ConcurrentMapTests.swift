import Foundation
@testable import LiaisonStore
import Testing

/// Counts the instances alive, to show that an error midway leaves none behind and frees none
/// twice. (Behind an `NSLock`, which ThreadSanitizer understands; it takes the futex under
/// `Mutex` on Linux for no lock at all, and reports races that are not there.)
private final class Tracked: Sendable {
    static let alive = Counter()
    let value: Int
    init(_ value: Int) {
        self.value = value
        Self.alive.add(1)
    }
    deinit { Self.alive.add(-1) }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add(_ n: Int) { lock.withLock { count += n } }
        var value: Int { lock.withLock { count } }
    }
}

private struct Stop: Error, Equatable { let at: Int }

@Suite("Array(concurrentlyMapping:): the store's encodings on every core", .serialized)
struct ConcurrentMapTests {
    @Test("gives map's results in map's order, above and below the size worth threads", arguments: [0, 1, 511, 512, 513, 4_097, 20_000])
    func sameAsMap(count: Int) throws {
        #expect(try [String](concurrentlyMapping: count) { String($0 * 7) } == (0..<count).map { String($0 * 7) })
    }

    @Test("rethrows an element's error, and releases every result made before it", arguments: [0, 1, 700, 4_999])
    func errorMidway(failing: Int) throws {
        let before = Tracked.alive.value
        do {
            let made = try [Tracked](concurrentlyMapping: 5_000) { i in
                if i == failing { throw Stop(at: i) }
                return Tracked(i)
            }
            Issue.record("no error; \(made.count) results")
        } catch let stop as Stop {
            #expect(stop == Stop(at: failing))
        }
        #expect(Tracked.alive.value == before)
    }

    @Test("the results it returns are alive, each once")
    func resultsAlive() throws {
        let before = Tracked.alive.value
        var made: [Tracked]? = try [Tracked](concurrentlyMapping: 3_000) { Tracked($0) }
        #expect(made?.map(\.value) == Array(0..<3_000))
        #expect(Tracked.alive.value == before + 3_000)
        made = nil
        #expect(Tracked.alive.value == before)
    }
}
