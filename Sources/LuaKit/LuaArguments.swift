import CLua
import CLuaShim

/// The arguments of a call from Lua into a Swift function, read and checked in place.
///
/// Each accessor checks the argument as Lua's own `luaL_check*` functions do, and a wrong one
/// becomes the message Lua would give: `bad argument #2 to 'send' (string expected, got nil)`.
/// Positions count from 1; in a method, 1 is the first argument after self.
public struct LuaArguments {
    public let stack: LuaStack
    @usableFromInline let base: Int32

    /// The state the call runs in.
    public var state: LuaState { stack.state }
    /// How many arguments were passed (self not counted in a method).
    public var count: Int { Int(lua_gettop(stack.L) - base) }

    @inlinable func index(_ i: Int) -> Int32 { base + Int32(i) }

    /// True if the argument is nil or absent.
    public func isNil(_ i: Int) -> Bool { lua_type(stack.L, index(i)) <= LUA_TNIL }

    public func int(_ i: Int) throws -> Int {
        var ok: Int32 = 0
        let v = lua_tointegerx(stack.L, index(i), &ok)
        if ok != 0 { return Int(v) }
        if lua_type(stack.L, index(i)) == LUA_TNUMBER {
            throw LuaArgumentError(position: Int(index(i)), "number has no integer representation")
        }
        throw typeError(i, "number")
    }

    public func double(_ i: Int) throws -> Double {
        var ok: Int32 = 0
        let v = lua_tonumberx(stack.L, index(i), &ok)
        if ok != 0 { return v }
        throw typeError(i, "number")
    }

    /// Lua truthiness: any value but nil and false is true.
    public func bool(_ i: Int) -> Bool { lua_toboolean(stack.L, index(i)) != 0 }

    /// A string (or a number, converted as Lua converts it), decoded as UTF-8.
    public func string(_ i: Int) throws -> String {
        var len = 0
        let t = lua_type(stack.L, index(i))
        guard t == LUA_TSTRING || t == LUA_TNUMBER, let p = lua_tolstring(stack.L, index(i), &len) else {
            throw typeError(i, "string")
        }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// A string's exact bytes.
    public func bytes(_ i: Int) throws -> LuaString {
        var len = 0
        let t = lua_type(stack.L, index(i))
        guard t == LUA_TSTRING || t == LUA_TNUMBER, let p = lua_tolstring(stack.L, index(i), &len) else {
            throw typeError(i, "string")
        }
        return LuaString(bytes: Array(UnsafeRawBufferPointer(start: p, count: len)))
    }

    /// Any value, tables copied out as snapshots.
    public func value(_ i: Int) throws -> LuaValue {
        try stack.value(at: index(i))
    }

    /// Whether argument `i` is a table.
    public func isTable(_ i: Int) -> Bool { i <= count && lua_type(stack.L, index(i)) == LUA_TTABLE }

    /// A table's entries, in its own order, without building a dictionary (see
    /// `LuaStack.entries(at:)`).
    public func entries(_ i: Int) throws -> [(key: LuaValue, value: LuaValue)] {
        guard lua_type(stack.L, index(i)) == LUA_TTABLE else { throw typeError(i, "table") }
        return try stack.entries(at: index(i))
    }

    public func table(_ i: Int) throws -> [LuaValue: LuaValue] {
        guard lua_type(stack.L, index(i)) == LUA_TTABLE, case .table(let t) = try value(i) else {
            throw typeError(i, "table")
        }
        return t
    }

    public func function(_ i: Int) throws -> LuaFunction {
        guard lua_type(stack.L, index(i)) == LUA_TFUNCTION else { throw typeError(i, "function") }
        lua_pushvalue(stack.L, index(i))
        return LuaFunction(popping: state, on: stack.L)
    }

    /// A bridged object of type `T` (recognised by its metatable, never by name).
    public func object<T: AnyObject>(_ i: Int, as type: T.Type = T.self) throws -> T {
        guard let registration = state.typesByClass[ObjectIdentifier(type)] else {
            throw LuaError.conversion("\(type) is not registered with this Lua state")
        }
        if let object = registration.object(in: stack.L, at: index(i)) as? T { return object }
        throw typeError(i, registration.name)
    }

    /// A table decoded into a `Decodable` value.
    public func decode<T: Decodable>(_ type: T.Type, _ i: Int) throws -> T {
        do {
            return try value(i).decode(T.self)
        } catch let error as LuaError {
            throw LuaArgumentError(position: Int(index(i)), error.description)
        }
    }

    /// The argument read by `get`, or nil when it is nil or absent.
    ///
    /// `let due = try args.optional(3, args.int)`
    public func optional<T>(_ i: Int, _ get: (Int) throws -> T) rethrows -> T? {
        isNil(i) ? nil : try get(i)
    }

    func typeError(_ i: Int, _ expected: String) -> LuaArgumentError {
        let got = lua_type(stack.L, index(i)) == LUA_TNONE ? "no value" : String(cString: lk_typename(stack.L, index(i)))
        return LuaArgumentError(position: Int(index(i)), "\(expected) expected, got \(got)")
    }
}

extension LuaArguments {
    /// Where the Lua code that called this function stands: `plugins/ir-mfa/main.lua:14`, or nil
    /// when Lua does not know (a call from C). For errors and records that must name a line.
    public var callerLocation: String? { location(level: 1) }

    /// Where the Lua function `level` calls up stands: 1 is the caller of this Swift function,
    /// 2 its caller, and so on; nil beyond the stack or in C.
    public func location(level: Int) -> String? {
        let L = stack.L
        lk_push_where(L, Int32(level))  // a short string; the allocator never fails while Swift runs
        defer { lk_pop(L, 1) }
        guard let text = lua_tolstring(L, -1, nil) else { return nil }
        var location = Substring(String(cString: text))
        while location.last == " " || location.last == ":" { location.removeLast() }
        return location.isEmpty ? nil : String(location)
    }
}
