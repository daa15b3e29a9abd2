import Foundation

/// JSON for the ledger and the record tables, written in one pass over a small tree of byte
/// buffers.
///
/// Foundation's `JSONEncoder` was half of the store's time (by `perf`): it boxes every value
/// into an enum of existentials and tries a dynamic cast to Date, Data, URL and Decimal at each
/// one. This encoder knows the few scalar types the model uses, writes their bytes directly,
/// and sorts an object's keys (when asked) only once, when the object is rendered. Its output
/// is plain JSON that `JSONDecoder` reads back (dates as seconds since 1970, like
/// `.secondsSince1970`); the same value always gives the same bytes.
struct CanonicalJSON {
    /// Sorted keys make the text canonical (the ledger hashes it); records skip the sort.
    var sortedKeys: Bool

    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = NodeEncoder(sortedKeys: sortedKeys)
        try encoder.encodeValue(value)
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try encoder.node.render(into: &out, sorted: sortedKeys)
        return out
    }

    func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }
}

/// A value being encoded: bytes already written, or a container still being filled.
private enum Node {
    case empty
    case scalar([UInt8])
    case object(ObjectBox)
    case array(ArrayBox)

    func render(into out: inout [UInt8], sorted: Bool) throws {
        switch self {
        case .empty: out += Array("{}".utf8)  // a value that encoded nothing, as Foundation writes it
        case .scalar(let bytes): out += bytes
        case .array(let box):
            out.append(UInt8(ascii: "["))
            for (i, item) in box.items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try item.render(into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            out.append(UInt8(ascii: "{"))
            let entries = sorted ? box.entries.sorted { $0.key < $1.key } : box.entries
            for (i, entry) in entries.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeJSONString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                try entry.node.render(into: &out, sorted: sorted)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

private final class ObjectBox {
    var entries: [(key: String, node: Node)] = []
    func set(_ key: String, _ node: Node) {
        if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].node = node } else { entries.append((key, node)) }
    }
}

private final class ArrayBox {
    var items: [Node] = []
}

/// The bytes of a scalar the model uses, or nil for a value that encodes itself.
private func scalarBytes<T>(_ value: T) throws -> [UInt8]? {
    switch value {
    case let s as String:
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        writeJSONString(s, into: &out)
        return out
    case let b as Bool: return Array((b ? "true" : "false").utf8)
    case let n as Int: return Array(String(n).utf8)
    case let n as Int64: return Array(String(n).utf8)
    case let d as Double: return try number(d)
    case let d as Date: return try number(d.timeIntervalSince1970)
    default: return nil
    }
}

private func number(_ d: Double) throws -> [UInt8] {
    guard d.isFinite else {
        throw EncodingError.invalidValue(d, EncodingError.Context(codingPath: [], debugDescription: "\(d) cannot be written as JSON"))
    }
    var out: [UInt8] = []
    writeJSONNumber(d, into: &out)
    return out
}

private final class NodeEncoder: Encoder {
    let sortedKeys: Bool
    var node: Node = .empty
    var codingPath: [CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(sortedKeys: Bool) { self.sortedKeys = sortedKeys }

    func encodeValue<T: Encodable>(_ value: T) throws {
        if let bytes = try scalarBytes(value) { node = .scalar(bytes) } else { try value.encode(to: self) }
    }

    func child<T: Encodable>(_ value: T) throws -> Node {
        if let bytes = try scalarBytes(value) { return .scalar(bytes) }
        let encoder = NodeEncoder(sortedKeys: sortedKeys)
        try value.encode(to: encoder)
        return encoder.node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: ObjectBox
        if case .object(let existing) = node { box = existing } else { box = ObjectBox(); node = .object(box) }
        return KeyedEncodingContainer(Keyed<Key>(encoder: self, box: box))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        let box: ArrayBox
        if case .array(let existing) = node { box = existing } else { box = ArrayBox(); node = .array(box) }
        return Unkeyed(encoder: self, box: box)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { Single(encoder: self) }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: NodeEncoder
        let box: ObjectBox
        var codingPath: [CodingKey] { encoder.codingPath }

        mutating func encodeNil(forKey key: Key) throws { box.set(key.stringValue, .scalar(Array("null".utf8))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { box.set(key.stringValue, try encoder.child(value)) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectBox()
            box.set(key.stringValue, .object(nested))
            return KeyedEncodingContainer(Keyed<NestedKey>(encoder: encoder, box: nested))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.set(key.stringValue, .array(nested))
            return Unkeyed(encoder: encoder, box: nested)
        }

        mutating func superEncoder() -> Encoder { DeferredEncoder(parent: encoder) { [box] in box.set("super", $0) } }
        mutating func superEncoder(forKey key: Key) -> Encoder {
            DeferredEncoder(parent: encoder) { [box] in box.set(key.stringValue, $0) }
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: NodeEncoder
        let box: ArrayBox
        var codingPath: [CodingKey] { encoder.codingPath }
        var count: Int { box.items.count }

        mutating func encodeNil() throws { box.items.append(.scalar(Array("null".utf8))) }
        mutating func encode<T: Encodable>(_ value: T) throws { box.items.append(try encoder.child(value)) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectBox()
            box.items.append(.object(nested))
            return KeyedEncodingContainer(Keyed<NestedKey>(encoder: encoder, box: nested))
        }

        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.items.append(.array(nested))
            return Unkeyed(encoder: encoder, box: nested)
        }

        mutating func superEncoder() -> Encoder {
            let index = box.items.count
            box.items.append(.empty)
            return DeferredEncoder(parent: encoder) { [box] in box.items[index] = $0 }
        }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: NodeEncoder
        var codingPath: [CodingKey] { encoder.codingPath }
        mutating func encodeNil() throws { encoder.node = .scalar(Array("null".utf8)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            encoder.node = try otherNumberText(value).map { .scalar(Array($0.utf8)) } ?? encoder.child(value)
        }
    }
}

/// The encoder `superEncoder()` hands out: what it encodes lands where `deposit` puts it when
/// the encoder is done with (under a key of an object, or at a place in an array).
private final class DeferredEncoder: Encoder {
    let inner: NodeEncoder
    let deposit: (Node) -> Void
    var codingPath: [CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(parent: NodeEncoder, deposit: @escaping (Node) -> Void) {
        inner = NodeEncoder(sortedKeys: parent.sortedKeys)
        self.deposit = deposit
    }
    deinit { deposit(inner.node) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> { inner.container(keyedBy: type) }
    func unkeyedContainer() -> UnkeyedEncodingContainer { inner.unkeyedContainer() }
    func singleValueContainer() -> SingleValueEncodingContainer { inner.singleValueContainer() }
}
