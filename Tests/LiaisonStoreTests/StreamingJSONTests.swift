import Foundation
import LiaisonModel
import LiaisonSynthetic
import Testing
@testable import LiaisonStore

/// Writes to its outer container after a nested one: a use of `Codable` the streaming writer
/// cannot follow, so it must hand the value to the tree encoder.
private struct OutOfOrder: Encodable {
    enum Keys: String, CodingKey { case a, b, c }
    func encode(to encoder: Encoder) throws {
        var outer = encoder.container(keyedBy: Keys.self)
        var nested = outer.nestedContainer(keyedBy: Keys.self, forKey: .a)
        try outer.encode(1, forKey: .b)
        try nested.encode("late", forKey: .c)
    }
}

private struct WithSuper: Encodable {
    enum Keys: String, CodingKey { case x }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(2, forKey: .x)
        try "base".encode(to: c.superEncoder())
    }
}

/// Asks for an array twice, as `JSONEncoder` allows (both add to one array).
private struct TwoArrays: Encodable {
    func encode(to encoder: Encoder) throws {
        var a = encoder.unkeyedContainer()
        try a.encode(1)
        var b = encoder.unkeyedContainer()
        try b.encode(2)
    }
}

@Suite("The store's streaming JSON writer")
struct StreamingJSONTests {
    func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        let text = try StreamingJSON().string(value)
        #expect(try Canonical.decode(T.self, text) == value, "\(text)")
    }

    @Test("every command of a lifecycle, its events and the records it leaves read back equal")
    func model() throws {
        let store = try syntheticStore(cases: 2)
        for (command, _) in Synthetic.opening + Synthetic.lifecycle(7) { try roundTrip(command) }
        for entry in try store.ledger(after: 1, limit: 100) { try roundTrip(try entry.decodedEvents()) }
        try roundTrip(try #require(try store.returnCase("S-0000002")))
        try roundTrip(try #require(try store.handoff("SH-2")))
        try roundTrip(try #require(try store.movement("SYN-M")))
        try roundTrip(try #require(try store.person("SP-0000001")))
        try roundTrip(store.operation)
    }

    @Test("strings are escaped as JSON requires, and nothing else is")
    func strings() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} slash / Farsi فارسی emoji 🛬"
        try roundTrip(awkward)
        try roundTrip(Notice(ref: "N-1", from: "US-ENF", to: "IR-MFA/consular", template: "t", cases: ["R-1"], due: nil,
                             sentAt: Date(timeIntervalSince1970: 1.5), body: awkward))
        #expect(try StreamingJSON().string("a/b\u{07}") == #""a/b\u0007""#)
    }

    @Test("a dictionary of strings is written with sorted keys, so the same value gives the same bytes every run")
    func dictionaries() throws {
        let signal = Signal(name: "leg.landed", fields: ["movement": "M-1", "leg": "2", "at": "IKA", "zone": "B"])
        let text = try StreamingJSON().string(Command.signal(signal))
        #expect(text == #"{"signal":{"_0":{"name":"leg.landed","fields":{"at":"IKA","leg":"2","movement":"M-1","zone":"B"}}}}"#)
        try roundTrip(Command.signal(signal))
    }

    @Test("a value that uses Codable in ways the writer cannot stream is written by the tree encoder instead")
    func fallback() throws {
        #expect(try StreamingJSON().string(OutOfOrder()) == CanonicalJSON(sortedKeys: false).string(OutOfOrder()))
        #expect(try StreamingJSON().string(OutOfOrder()) == #"{"a":{"c":"late"},"b":1}"#)
        #expect(try StreamingJSON().string([WithSuper()]) == CanonicalJSON(sortedKeys: false).string([WithSuper()]))
        #expect(try StreamingJSON().string(TwoArrays()) == "[1,2]")
        #expect(throws: EncodingError.self) { try StreamingJSON().string([Double.nan]) }
    }
}

@Suite("The text a ledger entry's hash covers")
struct HashedTextTests {
    @Test("whole seconds are written as String(Double) writes them, without its general printing")
    func seconds() {
        var values: [Double] = [0, -0.0, 1, -1, 1_796_000_000, 1e15 - 1, 1e15, 1e16, 0.5, -2.25, 1_796_000_000.125, .pi]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            values.append(Double(Int64.random(in: -4_000_000_000...4_000_000_000, using: &rng)))
            values.append(Double.random(in: -1e17...1e17, using: &rng))
        }
        for v in values { #expect(LedgerEntry.secondsText(v) == String(v), "\(v)") }
    }

    @Test("zero-padded numbers are what String(format:) gives")
    func padding() {
        for (n, width) in [(0, 6), (7, 6), (123456, 6), (1234567, 6), (-42, 5), (2026, 4), (3, 2)] {
            #expect(zeroPadded(n, width) == String(format: "%0\(width)d", n))
        }
    }
}

@Suite("The JSON writers and Swift's other number types")
struct OtherScalarTests {
    struct Sizes: Codable, Equatable {
        var small: Int8 = -3, unsigned: UInt16 = 7, wide: UInt64 = 1 << 40, single: Float = 1.5, flags: [Int32] = [1, 2]
    }

    @Test("integers and floats of every width are written as numbers and read back equal, by both writers")
    func widths() throws {
        let text = try StreamingJSON().string(Sizes())
        #expect(text == #"{"small":-3,"unsigned":7,"wide":1099511627776,"single":1.5,"flags":[1,2]}"#)
        #expect(try Canonical.decode(Sizes.self, text) == Sizes())
        #expect(try CanonicalJSON(sortedKeys: false).string(Sizes()) == text)
        #expect(throws: EncodingError.self) { try StreamingJSON().string([Float.infinity]) }
    }
}
