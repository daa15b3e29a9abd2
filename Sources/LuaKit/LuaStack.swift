import CLua
import CLuaShim

/// Where values move between Swift and one Lua thread. Conformances to `LuaPushable` and
/// `LuaPullable` use it; it is only valid during the call that handed it out.
public struct LuaStack {
    @usableFromInline let L: OpaquePointer
    @usableFromInline unowned(unsafe) let state: LuaState

    @inlinable
    init(L: OpaquePointer, state: LuaState) {
        self.L = L
        self.state = state
    }

    /// Deepest table nesting converted either way; deeper data is refused, not truncated.
    static let maxDepth = 100

    @inlinable
    public func push(_ value: Int) { lua_pushinteger(L, lua_Integer(value)) }
    @inlinable
    public func push(_ value: Double) { lua_pushnumber(L, value) }
    @inlinable
    public func push(_ value: Bool) { lua_pushboolean(L, value ? 1 : 0) }
    public func push(_ value: String) {
        var value = value
        value.withUTF8 { buf in
            _ = lua_pushlstring(L, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count)
        }
    }
    public func push(_ value: LuaString) {
        value.bytes.withUnsafeBufferPointer { buf in
            _ = lua_pushlstring(L, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count)
        }
    }

    public func push(_ value: LuaValue) throws {
        try push(value, depth: 0)
    }

    private func push(_ value: LuaValue, depth: Int) throws {
        switch value {
        case .nil: lua_pushnil(L)
        case .boolean(let b): push(b)
        case .integer(let i): lua_pushinteger(L, i)
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): push(s)
        case .table(let t):
            guard depth < Self.maxDepth else {
                throw LuaError.conversion("table nested deeper than \(Self.maxDepth) levels")
            }
            guard lua_checkstack(L, 3) != 0 else { throw LuaError.conversion("Lua stack overflow") }
            // Room for a sequence when the table looks like one (its first and last index are
            // there): checking every index cost a hash lookup per element of a long list. A
            // small table (an event, a record) is not worth even the two lookups.
            let sequence = t.count > 8 && t[.integer(1)] != nil && t[.integer(Int64(t.count))] != nil
            lua_createtable(L, sequence ? Int32(clamping: t.count) : 0, sequence ? 0 : Int32(clamping: t.count))
            for (k, v) in t {
                if case .number(let d) = k, d.isNaN { lk_pop(L, 1); throw LuaError.conversion("a table key is NaN") }
                if case .nil = k { continue }
                try withPopOnError { try push(k, depth: depth + 1) }
                try withPopOnError(2) { try push(v, depth: depth + 1) }
                lua_rawset(L, -3)  // the key is neither nil nor NaN: cannot raise
            }
        case .function(let f): try pushReference(f)
        case .reference(let r): try pushReference(r)
        case .object(let o): try state.pushObject(o, on: L)
        }
    }

    /// Pushes a new table holding `fields` under their names.
    public func push(_ fields: LuaRecord) throws {
        guard lua_checkstack(L, 3) != 0 else { throw LuaError.conversion("Lua stack overflow") }
        lua_createtable(L, 0, Int32(clamping: fields.fields.count))
        for (k, v) in fields.fields {
            push(k)
            try withPopOnError(2) { try push(v, depth: 1) }
            lua_rawset(L, -3)  // a string key: cannot raise
        }
    }

    private func withPopOnError(_ n: Int32 = 1, _ body: () throws -> Void) throws {
        do { try body() } catch {
            lk_pop(L, n)
            throw error
        }
    }

    @usableFromInline
    func pushReference(_ r: LuaReference) throws {
        guard r.state === state else { throw LuaError.conversion("a \(r.typeName) from another Lua state") }
        lua_rawgeti(L, lk_registryindex(), lua_Integer(r.ref))
    }

    /// The value at `index`, tables copied out without running metamethods.
    public func value(at index: Int32) throws -> LuaValue {
        var seen: [UnsafeRawPointer] = []
        return try value(at: lua_absindex(L, index), depth: 0, seen: &seen)
    }

    /// The entries of the table at `index`, each converted as `value(at:)` converts values, in
    /// the table's own order: for a table read once (named arguments, say), without the
    /// dictionary keyed by Lua values that `value(at:)` builds and hashes.
    public func entries(at index: Int32) throws -> [(key: LuaValue, value: LuaValue)] {
        let idx = lua_absindex(L, index)
        guard lua_type(L, idx) == LUA_TTABLE else { throw LuaError.conversion("table expected") }
        var seen: [UnsafeRawPointer] = []
        var out: [(key: LuaValue, value: LuaValue)] = []
        try walk(idx, depth: 0, seen: &seen) { out.append(($0, $1)) }
        return out
    }

    /// Converts each entry of the table at absolute index `idx` and hands it to `body`, for
    /// both conversions above. `seen` holds the tables being copied, outermost first: a table
    /// met again among them contains itself. (A set of them was built and hashed for every
    /// argument table.)
    private func walk(_ idx: Int32, depth: Int, seen: inout [UnsafeRawPointer], _ body: (LuaValue, LuaValue) -> Void) throws {
        let id = lua_topointer(L, idx)!
        guard depth < Self.maxDepth else { throw LuaError.conversion("table nested deeper than \(Self.maxDepth) levels") }
        guard !seen.contains(id) else { throw LuaError.conversion("cannot copy a table that contains itself") }
        seen.append(id)
        defer { seen.removeLast() }
        guard lua_checkstack(L, 3) != 0 else { throw LuaError.conversion("Lua stack overflow") }
        lua_pushnil(L)
        // lua_next raises only for a key that is not in the table; each key here comes
        // from the previous lua_next on a table nothing modifies meanwhile.
        while lua_next(L, idx) != 0 {
            let top = lua_gettop(L)
            do {
                body(try value(at: top - 1, depth: depth + 1, seen: &seen), try value(at: top, depth: depth + 1, seen: &seen))
            } catch {
                lk_pop(L, 2)
                throw error
            }
            lk_pop(L, 1)
        }
    }

    private func value(at idx: Int32, depth: Int, seen: inout [UnsafeRawPointer]) throws -> LuaValue {
        switch lua_type(L, idx) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            return lua_isinteger(L, idx) != 0 ? .integer(lua_tointegerx(L, idx, nil)) : .number(lua_tonumberx(L, idx, nil))
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, idx, &len)!
            return .string(LuaString(bytes: Array(UnsafeRawBufferPointer(start: p, count: len))))
        case LUA_TTABLE:
            var out: [LuaValue: LuaValue] = [:]
            try walk(idx, depth: depth, seen: &seen) { out[$0] = $1 }
            return .table(out)
        case LUA_TFUNCTION:
            lua_pushvalue(L, idx)
            return .function(LuaFunction(popping: state, on: L))
        case LUA_TUSERDATA:
            if let object = state.bridgedObject(in: L, at: idx) { return .object(object) }
            fallthrough
        default:
            lua_pushvalue(L, idx)
            return .reference(LuaReference(popping: state, on: L))
        }
    }
}

extension LuaState {
    /// Pushes a value on the current thread (Swift code may call this between calls).
    func push(_ value: LuaValue) throws {
        try LuaStack(L: currentL, state: self).push(value)
    }

    func value(at idx: Int32) throws -> LuaValue {
        try LuaStack(L: currentL, state: self).value(at: idx)
    }
}
