import CLua
import CLuaShim

/// A Lua value that Swift holds by reference (in the state's registry) until the last
/// Swift reference to it goes. It keeps its state alive; it becomes inert once the state is
/// closed.
public class LuaReference {
    @usableFromInline let state: LuaState
    @usableFromInline let ref: Int32
    /// Lua's name for the value's type.
    public let typeName: String

    /// Takes the value on top of `L`'s stack into the registry and pops it.
    @usableFromInline
    init(popping state: LuaState, on L: OpaquePointer) {
        self.state = state
        self.typeName = String(cString: lua_typename(L, lua_type(L, -1)))
        self.ref = luaL_ref(L, lk_registryindex())
    }

    deinit {
        if !state.isClosed { luaL_unref(state.currentL, lk_registryindex(), ref) }
    }
}

/// A Lua function held from Swift.
///
/// ```swift
/// let f = try lua.load("return function(a, b) return a + b end", name: "f.lua").call(returning: LuaFunction.self)
/// let sum = try f.call(2.0, 3.0, returning: Double.self)     // 5.0
/// let all = try f.call(1, 2)                                  // [.integer(3)]
/// ```
public final class LuaFunction: LuaReference {
    /// Calls the function under the state's limits and converts its first result.
    ///
    /// Calls with up to three arguments are fully specialised; longer ones push their
    /// arguments through protocol witnesses, a few nanoseconds more each.
    @inlinable
    public func call<each A: LuaPushable, R: LuaPullable>(_ args: repeat each A, returning: R.Type) throws -> R {
        let (stack, top) = try prepare(room: packLength(repeat each args))
        defer { lua_settop(stack.L, top) }
        repeat try (each args).push(to: stack)
        return try finish(stack, top, returning: R.self)
    }

    @inlinable
    public func call<R: LuaPullable>(returning: R.Type) throws -> R {
        let (stack, top) = try prepare(room: 0)
        defer { lua_settop(stack.L, top) }
        return try finish(stack, top, returning: R.self)
    }

    @inlinable
    public func call<A: LuaPushable, R: LuaPullable>(_ a: A, returning: R.Type) throws -> R {
        let (stack, top) = try prepare(room: 1)
        defer { lua_settop(stack.L, top) }
        try a.push(to: stack)
        return try finish(stack, top, returning: R.self)
    }

    @inlinable
    public func call<A: LuaPushable, B: LuaPushable, R: LuaPullable>(_ a: A, _ b: B, returning: R.Type) throws -> R {
        let (stack, top) = try prepare(room: 2)
        defer { lua_settop(stack.L, top) }
        try a.push(to: stack)
        try b.push(to: stack)
        return try finish(stack, top, returning: R.self)
    }

    @inlinable
    public func call<A: LuaPushable, B: LuaPushable, C: LuaPushable, R: LuaPullable>(
        _ a: A, _ b: B, _ c: C, returning: R.Type
    ) throws -> R {
        let (stack, top) = try prepare(room: 3)
        defer { lua_settop(stack.L, top) }
        try a.push(to: stack)
        try b.push(to: stack)
        try c.push(to: stack)
        return try finish(stack, top, returning: R.self)
    }

    /// Calls the function pushed by `prepare` with the arguments above it, and converts the
    /// first result.
    @inlinable
    func finish<R: LuaPullable>(_ stack: LuaStack, _ top: Int32, returning: R.Type) throws -> R {
        try state.protectedCall(nargs: lua_gettop(stack.L) - top - 2, nresults: 1, handler: top + 1)
        return try R.pull(from: stack, at: -1)
    }

    /// Calls the function under the state's limits and returns all its results.
    @inlinable @discardableResult
    public func call<each A: LuaPushable>(_ args: repeat each A) throws -> [LuaValue] {
        let (stack, top) = try prepare(room: packLength(repeat each args))
        defer { lua_settop(stack.L, top) }
        repeat try (each args).push(to: stack)
        try state.protectedCall(nargs: lua_gettop(stack.L) - top - 2, nresults: LUA_MULTRET, handler: top + 1)
        return try (top + 2..<lua_gettop(stack.L) + 1).map { try stack.value(at: $0) }
    }

    /// Calls the function with arguments built at run time.
    @discardableResult
    public func call(arguments: [LuaValue]) throws -> [LuaValue] {
        let (stack, top) = try prepare(room: Int32(clamping: arguments.count))
        defer { lua_settop(stack.L, top) }
        for arg in arguments { try stack.push(arg) }
        try state.protectedCall(nargs: Int32(arguments.count), nresults: LUA_MULTRET, handler: top + 1)
        return try (top + 2..<lua_gettop(stack.L) + 1).map { try stack.value(at: $0) }
    }

    /// Starts a call frame: pushes the message handler and the function, with `room` more
    /// slots for arguments. The caller restores the stack to `top` when the call is done.
    @inlinable
    func prepare(room: Int32) throws -> (LuaStack, top: Int32) {
        try state.checkOpen()
        let L = state.currentL
        let top = lua_gettop(L)
        try state.ensureStack(room + 3)
        lk_pushmsgh(L)
        lua_rawgeti(L, lk_registryindex(), lua_Integer(ref))
        return (LuaStack(L: L, state: state), top)
    }
}

/// The number of values in a parameter pack (a constant once the call is specialised).
@inlinable
func packLength<each T>(_ values: repeat each T) -> Int32 {
    var n: Int32 = 0
    for _ in repeat each values { n += 1 }
    return n
}

/// A Lua table held from Swift by reference: reads and writes go to the live table, raw (no
/// metamethods run). Use `LuaValue.table` for a copy instead.
///
/// ```swift
/// let config = try lua.evaluate("return { retries = 3 }", name: "c.lua", as: LuaTable.self)
/// try config.set("retries", 5)
/// try config.get("retries")      // .integer(5)
/// ```
public final class LuaTable: LuaReference {
    public func get(_ key: LuaValue) throws -> LuaValue {
        try withTable { stack in
            try stack.push(key)
            lua_rawget(stack.L, -2)
            return try stack.value(at: -1)
        }
    }

    /// Sets `key` to `value`; a nil `value` removes the key. The key may not be nil or NaN.
    public func set(_ key: LuaValue, _ value: LuaValue) throws {
        switch key {
        case .nil: throw LuaError.conversion("a table key cannot be nil")
        case .number(let d) where d.isNaN: throw LuaError.conversion("a table key cannot be NaN")
        default: break
        }
        try withTable { stack in
            try stack.push(key)
            try stack.push(value)
            lua_rawset(stack.L, -3)  // key checked above: cannot raise
        }
    }

    /// The raw length (`#t` without `__len`).
    public var count: Int {
        (try? withTable { stack in Int(lua_rawlen(stack.L, -1)) }) ?? 0
    }

    /// A copy of the table's contents now.
    public func snapshot() throws -> [LuaValue: LuaValue] {
        try withTable { stack in
            guard case .table(let t) = try stack.value(at: -1) else { return [:] }
            return t
        }
    }

    private func withTable<R>(_ body: (LuaStack) throws -> R) throws -> R {
        try state.checkOpen()
        let L = state.currentL
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try state.ensureStack(4)
        lua_rawgeti(L, lk_registryindex(), lua_Integer(ref))
        return try body(LuaStack(L: L, state: state))
    }
}

extension LuaTable: LuaPushable, LuaPullable {
    public func push(to stack: LuaStack) throws { try stack.pushReference(self) }
    public static func pull(from stack: LuaStack, at index: Int32) throws -> LuaTable {
        guard lua_type(stack.L, index) == LUA_TTABLE else { throw conversionError(stack, index, "table") }
        lua_pushvalue(stack.L, index)
        return LuaTable(popping: stack.state, on: stack.L)
    }
}
