import Foundation

/// A Lua value as Swift sees it.
///
/// Scalars and tables are copied out of Lua (a table becomes a dictionary snapshot); functions
/// stay in Lua and are held by reference; bridged Swift objects come back as themselves.
/// Integers and floats are kept apart, as Lua 5.4 keeps them.
///
/// ```swift
/// let v: LuaValue = ["ref": "R-0042", "holds": [1, 2]]
/// v["ref"]            // .string("R-0042")
/// v["holds"]?[2]      // .integer(2)
/// ```
public enum LuaValue: Hashable, CustomStringConvertible {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(LuaString)
    /// A snapshot of a table's raw contents (no metamethods were run to read it).
    case table([LuaValue: LuaValue])
    /// A Lua function, held in the registry until the last reference goes.
    case function(LuaFunction)
    /// A Swift object of a type registered with `LuaState.register(_:)`.
    case object(AnyObject)
    /// Any other Lua value (a coroutine, a foreign userdata), held by reference.
    case reference(LuaReference)

    public static func == (a: LuaValue, b: LuaValue) -> Bool {
        switch (a, b) {
        case (.nil, .nil): return true
        case let (.boolean(x), .boolean(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.table(x), .table(y)): return x == y
        case let (.function(x), .function(y)): return x === y
        case let (.object(x), .object(y)): return x === y
        case let (.reference(x), .reference(y)): return x === y
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .nil: h.combine(0)
        case let .boolean(x): h.combine(x)
        case let .integer(x): h.combine(x)
        case let .number(x): h.combine(x)
        case let .string(x): h.combine(x)
        case let .table(x): h.combine(x.count)
        case let .function(x): h.combine(ObjectIdentifier(x))
        case let .object(x): h.combine(ObjectIdentifier(x))
        case let .reference(x): h.combine(ObjectIdentifier(x))
        }
    }

    /// Lua's own name for the value's type.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .boolean: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .table: return "table"
        case .function: return "function"
        case .object: return "userdata"
        case .reference(let r): return r.typeName
        }
    }

    public var isNil: Bool { if case .nil = self { return true } else { return false } }

    /// Lua truthiness: everything but nil and false.
    public var isTruthy: Bool {
        switch self {
        case .nil, .boolean(false): return false
        default: return true
        }
    }

    public var stringValue: String? { if case .string(let s) = self { return s.description } else { return nil } }
    public var intValue: Int? {
        switch self {
        case .integer(let i): return Int(exactly: i)
        case .number(let d): return Int(exactly: d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
    public var boolValue: Bool? { if case .boolean(let b) = self { return b } else { return nil } }
    public var tableValue: [LuaValue: LuaValue]? { if case .table(let t) = self { return t } else { return nil } }

    /// The table as an array, if its keys are exactly 1...n.
    public var arrayValue: [LuaValue]? {
        guard case .table(let t) = self else { return nil }
        var out: [LuaValue] = []
        out.reserveCapacity(t.count)
        while let v = t[.integer(Int64(out.count + 1))] { out.append(v) }
        return out.count == t.count ? out : nil
    }

    /// A table field by string key, or nil (also when this is not a table).
    public subscript(key: String) -> LuaValue? { tableValue?[.string(LuaString(key))] }
    /// A table element by integer key, or nil.
    public subscript(index: Int) -> LuaValue? { tableValue?[.integer(Int64(index))] }

    /// A one-line rendering: strings quoted, tables with sorted keys.
    public var description: String {
        switch self {
        case .nil: return "nil"
        case .boolean(let b): return String(b)
        case .integer(let i): return String(i)
        case .number(let d): return LuaValue.format(d)
        case .string(let s): return "\"" + s.description + "\""
        case .table(let t):
            let items = t.sorted { $0.key.sortKey < $1.key.sortKey }.map { "[\($0.key)] = \($0.value)" }
            return "{" + items.joined(separator: ", ") + "}"
        case .function: return "function"
        case .object(let o): return "\(type(of: o)) object"
        case .reference(let r): return r.typeName
        }
    }

    /// Formats a float as Lua's `tostring` does: `%.14g`, with `.0` when it looks like an integer.
    static func format(_ d: Double) -> String {
        let s = String(format: "%.14g", d)
        return s.allSatisfy { "-0123456789".contains($0) } ? s + ".0" : s
    }

    /// Orders keys for printing: numbers first, then strings, then the rest.
    var sortKey: String {
        switch self {
        case .integer(let i): return "0" + String(format: "%020llu", UInt64(bitPattern: i) ^ (1 << 63))  // ordered, never overflowing
        case .number(let d): return "0" + String(d)
        case .string(let s): return "1" + s.description
        case .boolean(let b): return "2" + String(b)
        default: return "3" + description
        }
    }
}

extension LuaValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(LuaString(value)) }
    public init(arrayLiteral elements: LuaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, LuaValue)...) {
        self = .table(Dictionary(elements.map { (.string(LuaString($0.0)), $0.1) }, uniquingKeysWith: { $1 }))
    }

    /// A sequence table {values[1], values[2], ...}. Nil elements are left out, as Lua would.
    public static func array(_ values: [LuaValue]) -> LuaValue {
        var t: [LuaValue: LuaValue] = [:]
        t.reserveCapacity(values.count)  // growing it a step at a time rehashed every element
        for (i, v) in values.enumerated() where !v.isNil { t[.integer(Int64(i + 1))] = v }
        return .table(t)
    }
}

