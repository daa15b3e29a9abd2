import CLua
import CLuaShim

/// What a Swift function called from Lua may return: one value, several, or none.
public protocol LuaReturnable {
    /// Pushes the results and returns how many.
    func pushResults(to stack: LuaStack) throws -> Int32
}

/// A Swift value that becomes one Lua value.
public protocol LuaPushable: LuaReturnable {
    func push(to stack: LuaStack) throws
}

extension LuaPushable {
    public func pushResults(to stack: LuaStack) throws -> Int32 {
        try push(to: stack)
        return 1
    }
}

/// A Swift value that can be read from one Lua value.
public protocol LuaPullable {
    static func pull(from stack: LuaStack, at index: Int32) throws -> Self
}

/// Several results: `return LuaResults([true, "sent"])`.
public struct LuaResults: LuaReturnable {
    public var values: [LuaValue]
    public init(_ values: [LuaValue]) { self.values = values }
    public func pushResults(to stack: LuaStack) throws -> Int32 {
        try stack.state.ensureStack(Int32(clamping: values.count))
        for v in values { try stack.push(v) }
        return Int32(values.count)
    }
}

/// No results, for functions called only for their effect: `return .none`.
public struct LuaNoResults: LuaReturnable {
    public init() {}
    public func pushResults(to stack: LuaStack) throws -> Int32 { 0 }
}

extension LuaReturnable where Self == LuaNoResults {
    public static var none: LuaNoResults { LuaNoResults() }
}

@usableFromInline
func conversionError(_ stack: LuaStack, _ index: Int32, _ expected: String) -> LuaError {
    let got = lua_type(stack.L, index) == LUA_TNONE ? "no value" : String(cString: lk_typename(stack.L, index))
    return LuaError.conversion("\(expected) expected, got \(got)")
}

extension LuaValue: LuaPushable, LuaPullable {
    public func push(to stack: LuaStack) throws { try stack.push(self) }
    public static func pull(from stack: LuaStack, at index: Int32) throws -> LuaValue { try stack.value(at: index) }
}

extension Int: LuaPushable, LuaPullable {
    @inlinable
    public func push(to stack: LuaStack) { stack.push(self) }
    @inlinable
    public static func pull(from stack: LuaStack, at index: Int32) throws -> Int {
        var ok: Int32 = 0
        let v = lua_tointegerx(stack.L, index, &ok)
        if ok == 0 { throw conversionError(stack, index, "integer") }
        return Int(v)
    }
}

extension Int64: LuaPushable, LuaPullable {
    public func push(to stack: LuaStack) { lua_pushinteger(stack.L, self) }
    public static func pull(from stack: LuaStack, at index: Int32) throws -> Int64 {
        Int64(try Int.pull(from: stack, at: index))
    }
}

extension Double: LuaPushable, LuaPullable {
    @inlinable
    public func push(to stack: LuaStack) { stack.push(self) }
    @inlinable
    public static func pull(from stack: LuaStack, at index: Int32) throws -> Double {
        var ok: Int32 = 0
        let v = lua_tonumberx(stack.L, index, &ok)
        if ok == 0 { throw conversionError(stack, index, "number") }
        return v
    }
}

extension Bool: LuaPushable, LuaPullable {
    @inlinable
    public func push(to stack: LuaStack) { stack.push(self) }
    /// Lua truthiness.
    public static func pull(from stack: LuaStack, at index: Int32) throws -> Bool {
        lua_toboolean(stack.L, index) != 0
    }
}

extension String: LuaPushable, LuaPullable {
    public func push(to stack: LuaStack) { stack.push(self) }
    public static func pull(from stack: LuaStack, at index: Int32) throws -> String {
        try LuaString.pull(from: stack, at: index).description
    }
}

extension LuaString: LuaPushable, LuaPullable {
    public func push(to stack: LuaStack) { stack.push(self) }
    public static func pull(from stack: LuaStack, at index: Int32) throws -> LuaString {
        guard lua_type(stack.L, index) == LUA_TSTRING, case .string(let s) = try stack.value(at: index) else {
            throw conversionError(stack, index, "string")
        }
        return s
    }
}

extension LuaFunction: LuaPushable, LuaPullable {
    public func push(to stack: LuaStack) throws { try stack.pushReference(self) }
    public static func pull(from stack: LuaStack, at index: Int32) throws -> Self {
        guard lua_type(stack.L, index) == LUA_TFUNCTION, case .function(let f as Self) = try stack.value(at: index) else {
            throw conversionError(stack, index, "function")
        }
        return f
    }
}

extension Optional: LuaReturnable where Wrapped: LuaPushable {}

extension Optional: LuaPushable where Wrapped: LuaPushable {
    public func push(to stack: LuaStack) throws {
        if let self { try self.push(to: stack) } else { lua_pushnil(stack.L) }
    }
}

extension Optional: LuaPullable where Wrapped: LuaPullable {
    public static func pull(from stack: LuaStack, at index: Int32) throws -> Wrapped? {
        lua_type(stack.L, index) <= LUA_TNIL ? nil : try Wrapped.pull(from: stack, at: index)
    }
}

extension Array: LuaReturnable where Element: LuaPushable {}

extension Array: LuaPushable where Element: LuaPushable {
    /// A sequence table.
    public func push(to stack: LuaStack) throws {
        try stack.state.ensureStack(2)
        lua_createtable(stack.L, Int32(clamping: count), 0)
        for (i, element) in enumerated() {
            do { try element.push(to: stack) } catch {
                lk_pop(stack.L, 1)
                throw error
            }
            lua_rawseti(stack.L, -2, lua_Integer(i + 1))
        }
    }
}

extension Array: LuaPullable where Element: LuaPullable {
    /// A sequence table's elements 1...#t (raw length, no metamethods).
    public static func pull(from stack: LuaStack, at index: Int32) throws -> [Element] {
        guard lua_type(stack.L, index) == LUA_TTABLE else { throw conversionError(stack, index, "table") }
        let idx = lua_absindex(stack.L, index)
        try stack.state.ensureStack(1)
        return try (0..<Int(lua_rawlen(stack.L, idx))).map { i in
            lua_rawgeti(stack.L, idx, lua_Integer(i + 1))
            defer { lk_pop(stack.L, 1) }
            return try Element.pull(from: stack, at: -1)
        }
    }
}

extension Dictionary: LuaReturnable where Key == String, Value: LuaPushable {}

extension Dictionary: LuaPushable where Key == String, Value: LuaPushable {
    public func push(to stack: LuaStack) throws {
        try stack.state.ensureStack(3)
        lua_createtable(stack.L, 0, Int32(clamping: count))
        for (k, v) in self {
            stack.push(k)
            do { try v.push(to: stack) } catch {
                lk_pop(stack.L, 2)
                throw error
            }
            lua_rawset(stack.L, -3)
        }
    }
}

/// A table with string keys, such as an event, built as a short list and pushed field by field:
/// `LuaValue.table` is a dictionary keyed by Lua values, hashed as it is built and read again
/// to be pushed. The last value given a name wins, as in a table.
public struct LuaRecord: LuaPushable {
    public private(set) var fields: [(String, LuaValue)] = []

    public init(capacity: Int = 8) { fields.reserveCapacity(capacity) }

    public subscript(name: String) -> LuaValue? {
        get { fields.last { $0.0 == name }?.1 }
        set {
            fields.removeAll { $0.0 == name }
            if let newValue { fields.append((name, newValue)) }
        }
    }

    /// The same table as a `LuaValue`.
    public var value: LuaValue {
        .table(Dictionary(fields.map { (LuaValue.string(LuaString($0.0)), $0.1) }, uniquingKeysWith: { $1 }))
    }

    public func push(to stack: LuaStack) throws { try stack.push(self) }
}
