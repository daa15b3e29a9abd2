import Foundation
@testable import LiaisonStore
import Synchronization
import Testing

/// Counts the instances alive, to show that an error midway leaves none behind and frees none
/// twice.
private final class Tracked: Sendable {
    static let alive = Mutex(0)
    let value: Int
    init(_ value: Int) {
        self.value = value
        Self.alive.withLock { $0 += 1 }
    }
    deinit { Self.alive.withLock { $0 -= 1 } }
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
        let before = Tracked.alive.withLock { $0 }
        do {
            let made = try [Tracked](concurrentlyMapping: 5_000) { i in
                if i == failing { throw Stop(at: i) }
                return Tracked(i)
            }
            Issue.record("no error; \(made.count) results")
        } catch let stop as Stop {
            #expect(stop == Stop(at: failing))
        }
        #expect(Tracked.alive.withLock { $0 } == before)
    }

    @Test("the results it returns are alive, each once")
    func resultsAlive() throws {
        let before = Tracked.alive.withLock { $0 }
        var made: [Tracked]? = try [Tracked](concurrentlyMapping: 3_000) { Tracked($0) }
        #expect(made?.map(\.value) == Array(0..<3_000))
        #expect(Tracked.alive.withLock { $0 } == before + 3_000)
        made = nil
        #expect(Tracked.alive.withLock { $0 } == before)
    }
}
