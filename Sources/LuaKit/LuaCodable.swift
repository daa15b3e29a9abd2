/// `Encodable` values to Lua tables and Lua tables to `Decodable` values.
///
/// ```swift
/// struct Leg: Codable { var from: String; var to: String; var minutes: Int }
/// let table = try LuaValue(encoding: Leg(from: "AEX", to: "DOH", minutes: 840))
/// let leg = try table.decode(Leg.self)
/// ```
///
/// Keyed containers become tables with string keys, unkeyed ones sequences; integers stay
/// integers, floating-point values floats; `nil` optionals are left out, as Lua cannot hold
/// nil in a table.
extension LuaValue {
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = TableEncoder(codingPath: [])
        try value.encode(to: encoder)
        self = encoder.node.value
    }

    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try T(from: TableDecoder(value: self, codingPath: []))
        } catch let error as DecodingError {
            throw LuaError.conversion(Self.describe(error))
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0 + 1)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "value" : "field '" + p.drop { $0 == "." } + "'"
        }
        switch error {
        case let .typeMismatch(_, c), let .valueNotFound(_, c), let .dataCorrupted(c):
            return "\(path(c)): \(c.debugDescription)"
        case let .keyNotFound(key, c):
            let parent = path(c)
            return (parent == "value" ? "" : parent + ": ") + "missing field '\(key.stringValue)'"
        @unknown default:
            return String(describing: error)
        }
    }
}

// MARK: Encoding

private final class Node {
    enum Content { case value(LuaValue), keyed([String: Node]), unkeyed([Node]) }
    var content: Content = .value(.nil)

    var value: LuaValue {
        switch content {
        case .value(let v): return v
        case .keyed(let d):
            return .table(Dictionary(d.compactMap { k, n in n.value.isNil ? nil : (.string(LuaString(k)), n.value) },
                                     uniquingKeysWith: { $1 }))
        case .unkeyed(let a): return .array(a.map(\.value))
        }
    }
}

private struct TableEncoder: Encoder {
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    let node: Node

    init(codingPath: [CodingKey], node: Node = Node()) {
        self.codingPath = codingPath
        self.node = node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed = node.content {} else { node.content = .keyed([:]) }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .unkeyed = node.content {} else { node.content = .unkeyed([]) }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }

    static func encode<T: Encodable>(_ value: T, into node: Node, path: [CodingKey]) throws {
        switch value {
        case let v as LuaValue: node.content = .value(v)
        case let v as LuaString: node.content = .value(.string(v))
        default: try value.encode(to: TableEncoder(codingPath: path, node: node))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [CodingKey]
        func child(_ key: Key) -> Node {
            guard case .keyed(var d) = node.content else { return Node() }
            let n = Node()
            d[key.stringValue] = n
            node.content = .keyed(d)
            return n
        }
        mutating func encodeNil(forKey key: Key) {}
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try TableEncoder.encode(value, into: child(key), path: codingPath + [key])
        }
        mutating func nestedContainer<NK: CodingKey>(keyedBy: NK.Type, forKey key: Key) -> KeyedEncodingContainer<NK> {
            TableEncoder(codingPath: codingPath + [key], node: child(key)).container(keyedBy: NK.self)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            TableEncoder(codingPath: codingPath + [key], node: child(key)).unkeyedContainer()
        }
        mutating func superEncoder() -> Encoder { TableEncoder(codingPath: codingPath, node: node) }
        mutating func superEncoder(forKey key: Key) -> Encoder { TableEncoder(codingPath: codingPath + [key], node: child(key)) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [CodingKey]
        var count: Int {
            if case .unkeyed(let a) = node.content { return a.count } else { return 0 }
        }
        func append() -> Node {
            guard case .unkeyed(var a) = node.content else { return Node() }
            let n = Node()
            a.append(n)
            node.content = .unkeyed(a)
            return n
        }
        mutating func encodeNil() { _ = append() }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try TableEncoder.encode(value, into: append(), path: codingPath)
        }
        mutating func nestedContainer<NK: CodingKey>(keyedBy: NK.Type) -> KeyedEncodingContainer<NK> {
            TableEncoder(codingPath: codingPath, node: append()).container(keyedBy: NK.self)
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            TableEncoder(codingPath: codingPath, node: append()).unkeyedContainer()
        }
        mutating func superEncoder() -> Encoder { TableEncoder(codingPath: codingPath, node: append()) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [CodingKey]
        mutating func encodeNil() { node.content = .value(.nil) }
        mutating func encode(_ v: Bool) { node.content = .value(.boolean(v)) }
        mutating func encode(_ v: String) { node.content = .value(.string(LuaString(v))) }
        mutating func encode(_ v: Double) { node.content = .value(.number(v)) }
        mutating func encode(_ v: Float) { node.content = .value(.number(Double(v))) }
        mutating func encode(_ v: Int) throws { try integer(v) }
        mutating func encode(_ v: Int8) throws { try integer(v) }
        mutating func encode(_ v: Int16) throws { try integer(v) }
        mutating func encode(_ v: Int32) throws { try integer(v) }
        mutating func encode(_ v: Int64) throws { try integer(v) }
        mutating func encode(_ v: UInt) throws { try integer(v) }
        mutating func encode(_ v: UInt8) throws { try integer(v) }
        mutating func encode(_ v: UInt16) throws { try integer(v) }
        mutating func encode(_ v: UInt32) throws { try integer(v) }
        mutating func encode(_ v: UInt64) throws { try integer(v) }
        private func integer<T: BinaryInteger & Encodable>(_ v: T) throws {
            guard let i = Int64(exactly: v) else {
                throw EncodingError.invalidValue(v, .init(codingPath: codingPath, debugDescription: "\(v) does not fit a Lua integer"))
            }
            node.content = .value(.integer(i))
        }
        mutating func encode<T: Encodable>(_ value: T) throws { try TableEncoder.encode(value, into: node, path: codingPath) }
    }
}

// MARK: Decoding

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ i: Int) { intValue = i }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

private struct TableDecoder: Decoder {
    let value: LuaValue
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "\(expected) expected, got \(value.typeName)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .table(let t) = value else { throw mismatch("table") }
        return KeyedDecodingContainer(Keyed<Key>(table: t, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .table(let t) = value else { throw mismatch("table") }
        guard let items = value.arrayValue ?? (t.isEmpty ? [] : nil) else { throw mismatch("sequence") }
        return Unkeyed(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(decoder: self) }

    static func decode<T: Decodable>(_ type: T.Type, from value: LuaValue, path: [CodingKey]) throws -> T {
        if T.self == LuaValue.self { return value as! T }
        if T.self == LuaString.self, case .string(let s) = value { return s as! T }
        return try T(from: TableDecoder(value: value, codingPath: path))
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let table: [LuaValue: LuaValue]
        var codingPath: [CodingKey]
        var allKeys: [Key] { table.keys.compactMap { $0.stringValue.flatMap(Key.init(stringValue:)) } }
        func contains(_ key: Key) -> Bool { table[.string(LuaString(key.stringValue))] != nil }
        func child(_ key: Key) throws -> LuaValue {
            guard let v = table[.string(LuaString(key.stringValue))] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return v
        }
        func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try TableDecoder.decode(T.self, from: child(key), path: codingPath + [key])
        }
        func nestedContainer<NK: CodingKey>(keyedBy: NK.Type, forKey key: Key) throws -> KeyedDecodingContainer<NK> {
            try TableDecoder(value: child(key), codingPath: codingPath + [key]).container(keyedBy: NK.self)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try TableDecoder(value: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> Decoder { TableDecoder(value: .table(table), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder { TableDecoder(value: try child(key), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [LuaValue]
        var codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }
        mutating func next() throws -> (LuaValue, [CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "sequence ended"))
            }
            defer { currentIndex += 1 }
            return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
        }
        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (v, p) = try next()
            return try TableDecoder.decode(T.self, from: v, path: p)
        }
        mutating func nestedContainer<NK: CodingKey>(keyedBy: NK.Type) throws -> KeyedDecodingContainer<NK> {
            let (v, p) = try next()
            return try TableDecoder(value: v, codingPath: p).container(keyedBy: NK.self)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            let (v, p) = try next()
            return try TableDecoder(value: v, codingPath: p).unkeyedContainer()
        }
        mutating func superDecoder() throws -> Decoder {
            let (v, p) = try next()
            return TableDecoder(value: v, codingPath: p)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: TableDecoder
        var codingPath: [CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool { decoder.value.isNil }
        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .boolean(let b) = decoder.value else { throw decoder.mismatch("boolean") }
            return b
        }
        func decode(_ type: String.Type) throws -> String {
            guard case .string(let s) = decoder.value else { throw decoder.mismatch("string") }
            return s.description
        }
        func decode(_ type: Double.Type) throws -> Double {
            guard let d = decoder.value.doubleValue else { throw decoder.mismatch("number") }
            return d
        }
        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
        func decode(_ type: Int.Type) throws -> Int { try integer() }
        func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
        func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
        func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
        func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
        func decode(_ type: UInt.Type) throws -> UInt { try integer() }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }
        private func integer<T: BinaryInteger & Decodable>() throws -> T {
            let i: Int64
            switch decoder.value {
            case .integer(let v): i = v
            case .number(let d):
                guard let v = Int64(exactly: d) else { throw decoder.mismatch("integer") }
                i = v
            default: throw decoder.mismatch("integer")
            }
            guard let v = T(exactly: i) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "\(i) does not fit \(T.self)"))
            }
            return v
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try TableDecoder.decode(T.self, from: decoder.value, path: codingPath)
        }
    }
}
