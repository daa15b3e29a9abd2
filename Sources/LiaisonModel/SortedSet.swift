/// A set that encodes as a sorted array, so that a record always encodes to the same bytes:
/// the ledger hashes them, and Swift's own set order changes from one process to the next.
@propertyWrapper
public struct SortedSet<Element: Hashable & Codable & Comparable & Sendable>: Codable, Hashable, Sendable {
    public var wrappedValue: Set<Element>

    public init(wrappedValue: Set<Element>) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws { wrappedValue = Set(try [Element](from: decoder)) }

    public func encode(to encoder: Encoder) throws { try wrappedValue.sorted().encode(to: encoder) }
}

/// Encodes a dictionary of sets as a JSON object of sorted arrays, keyed by raw value; an
/// encoder with sorted keys then writes it the same way every time.
struct SortedSetTable<Key: RawRepresentable & Hashable, Value: Hashable & Codable & Comparable>: Codable
where Key.RawValue == String {
    var table: [Key: Set<Value>]

    init(_ table: [Key: Set<Value>]) { self.table = table }

    init(from decoder: Decoder) throws {
        let raw = try [String: [Value]](from: decoder)
        var table: [Key: Set<Value>] = [:]
        for (k, v) in raw {
            guard let key = Key(rawValue: k) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown key '\(k)'"))
            }
            table[key] = Set(v)
        }
        self.table = table
    }

    func encode(to encoder: Encoder) throws {
        try Dictionary(uniqueKeysWithValues: table.map { ($0.key.rawValue, $0.value.sorted()) }).encode(to: encoder)
    }
}
