import CLua
import CLuaShim

/// A Lua value that Swift holds by reference (in the state's registry) until the last
/// Swift reference to it goes. It keeps its state alive; it becomes inert once the state is
/// closed.
public class LuaReference {
    let state: LuaState
    let ref: Int32
    /// Lua's name for the value's type.
    public let typeName: String

    /// Takes the value on top of `L`'s stack into the registry and pops it.
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
    public func call<each A: LuaPushable, R: LuaPullable>(_ args: repeat each A, returning: R.Type) throws -> R {
        var n: Int32 = 0
        for _ in repeat each args { n += 1 }
        return try invoke(arguments: n, results: 1) { stack in
            for arg in repeat each args { try arg.push(to: stack) }
        } reading: { stack, _ in
            try R.pull(from: stack, at: -1)
        }
    }

    /// Calls the function under the state's limits and returns all its results.
    @discardableResult
    public func call<each A: LuaPushable>(_ args: repeat each A) throws -> [LuaValue] {
        var n: Int32 = 0
        for _ in repeat each args { n += 1 }
        return try invoke(arguments: n, results: LUA_MULTRET, pushing: { stack in
            for arg in repeat each args { try arg.push(to: stack) }
        }, reading: Self.allResults)
    }

    /// Calls the function with arguments built at run time.
    @discardableResult
    public func call(arguments: [LuaValue]) throws -> [LuaValue] {
        try invoke(arguments: Int32(clamping: arguments.count), results: LUA_MULTRET, pushing: { stack in
            for arg in arguments { try stack.push(arg) }
        }, reading: Self.allResults)
    }

    private static func allResults(_ stack: LuaStack, _ top: Int32) throws -> [LuaValue] {
        try (top + 1..<lua_gettop(stack.L) + 1).map { try stack.value(at: $0) }
    }

    /// One call frame: push the function and `arguments` values, call under the limits, read
    /// the results, and leave the stack as it was, whatever happens.
    @inline(__always)
    private func invoke<R>(arguments: Int32, results: Int32, pushing: (LuaStack) throws -> Void,
                           reading: (LuaStack, Int32) throws -> R) throws -> R {
        try state.checkOpen()
        let L = state.currentL
        let stack = LuaStack(L: L, state: state)
        let top = lua_gettop(L)
        try state.ensureStack(arguments + 2)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, lk_registryindex(), lua_Integer(ref))
        try pushing(stack)
        try state.protectedCall(nargs: arguments, nresults: results)
        return try reading(stack, top)
    }
}
