import CLua
import CLuaShim

/// How a Swift class appears in Lua: its fields, methods and metamethods.
///
/// Build the descriptor once and register it with each state that needs it. The same
/// descriptor is what editor annotations and completion are generated from, so scripts see
/// exactly what the host offers.
///
/// ```swift
/// let caseType = LuaType<ReturnCase>("Case")
///     .field("ref") { $0.ref }
///     .field("note", get: { $0.note }, set: { $0.note = $1 })
///     .method("hold") { c, args in try c.hold(args.string(1)); return .none }
///     .tostring { "<case \($0.ref)>" }
/// try lua.register(caseType)
/// try lua.setGlobal("c", .object(someCase))
/// ```
///
/// In Lua, `c.ref` reads a field, `c:hold("appeal")` calls a method, `c.ref = "x"` on a
/// read-only field is an error naming it, and `getmetatable(c)` is `false`.
public final class LuaType<Object: AnyObject> {
    public let name: String
    /// One member as scripts see it.
    public struct Member: Sendable {
        public enum Kind: Sendable { case field, writableField, method }
        public var name: String
        public var kind: Kind
        public var valueType: String

        @inlinable
        public init(name: String, kind: Kind, valueType: String) {
            self.name = name
            self.kind = kind
            self.valueType = valueType
        }
    }

    @usableFromInline var fields: [FieldAccessor] = []
    @usableFromInline var methods: [MethodAccessor] = []
    /// Called with self at argument 0, unchecked: each checks what it needs.
    @usableFromInline var metamethods: [(name: String, body: (LuaArguments) throws -> Int32)] = []
    @usableFromInline var _members: [Member] = []
    /// Fields and methods in the order they were declared.
    public var members: [Member] { _members }

    public init(_ name: String) { self.name = name }

    // The declaring methods are inlinable so that each accessor closure is compiled in the
    // module that declares the type, specialised for its class and value types: a field read
    // or method call then costs no generic metadata lookups.

    /// A read-only field. `hint` ends the error a script gets when it assigns to the field
    /// (for example "use case:schedule()").
    @inlinable @discardableResult
    public func field<V: LuaPushable>(_ name: String, hint: String? = nil, _ get: @escaping (Object) throws -> V) -> Self {
        fields.append(FieldAccessor(name: name, hint: hint, get: { p, stack in
            try Unmanaged<Object>.fromOpaque(p)._withUnsafeGuaranteedRef { try get($0).push(to: stack) }
        }, set: nil))
        _members.append(Member(name: name, kind: .field, valueType: "\(V.self)"))
        return self
    }

    /// A field scripts may assign to.
    @inlinable @discardableResult
    public func field<V: LuaPushable & LuaPullable>(_ name: String, get: @escaping (Object) throws -> V,
                                                    set: @escaping (Object, V) throws -> Void) -> Self {
        let typeName = self.name
        fields.append(FieldAccessor(name: name, hint: nil, get: { p, stack in
            try Unmanaged<Object>.fromOpaque(p)._withUnsafeGuaranteedRef { try get($0).push(to: stack) }
        }, set: { p, args in
            let value: V
            do { value = try V.pull(from: args.stack, at: args.index(1)) } catch let error as LuaError {
                throw LuaScriptError("bad value for field '\(name)' of \(typeName) (\(error))")
            }
            try Unmanaged<Object>.fromOpaque(p)._withUnsafeGuaranteedRef { try set($0, value) }
        }))
        _members.append(Member(name: name, kind: .writableField, valueType: "\(V.self)"))
        return self
    }

    /// A method, called from Lua as `object:name(...)`; argument 1 is the first after self.
    @inlinable @discardableResult
    public func method<R: LuaReturnable>(_ name: String, _ body: @escaping (Object, LuaArguments) throws -> R) -> Self {
        methods.append(MethodAccessor(name: name) { p, args in
            try Unmanaged<Object>.fromOpaque(p)._withUnsafeGuaranteedRef { try body($0, args).pushResults(to: args.stack) }
        })
        _members.append(Member(name: name, kind: .method, valueType: "\(R.self)"))
        return self
    }

    /// `tostring(object)` and `print(object)`.
    @discardableResult
    public func tostring(_ body: @escaping (Object) throws -> String) -> Self {
        metamethod("__tostring") { object, args in try body(object).push(to: args.stack); return 1 }
    }

    /// `a == b` between two distinct objects of this type (the same object is always equal).
    /// Lua may call it with an object of another type on either side: that is never equal.
    @discardableResult
    public func eq(_ body: @escaping (Object, Object) throws -> Bool) -> Self {
        metamethods.append(("__eq", { args in
            guard let a = try? args.object(0, as: Object.self), let b = try? args.object(1, as: Object.self) else {
                return try false.pushResults(to: args.stack)
            }
            return try body(a, b).pushResults(to: args.stack)
        }))
        return self
    }

    /// `#object`.
    @discardableResult
    public func len(_ body: @escaping (Object) throws -> Int) -> Self {
        metamethod("__len") { object, args in try body(object).push(to: args.stack); return 1 }
    }

    /// `pairs(object)`: iterates over the entries `body` returns, in that order.
    @discardableResult
    public func pairs(_ body: @escaping (Object) throws -> [(LuaValue, LuaValue)]) -> Self {
        metamethod("__pairs") { object, args in
            let entries = try body(object)
            var next = 0
            let iterator = args.state.function("pairs iterator") { _ -> LuaResults in
                guard next < entries.count else { return LuaResults([.nil]) }
                defer { next += 1 }
                return LuaResults([entries[next].0, entries[next].1])
            }
            try iterator.push(to: args.stack)
            return 1
        }
    }

    /// `local x <close> = object`: called when `x` goes out of scope, with the error if one
    /// is unwinding the scope.
    @discardableResult
    public func close(_ body: @escaping (Object, LuaValue) throws -> Void) -> Self {
        metamethod("__close") { object, args in try body(object, args.value(1)); return 0 }
    }

    private func metamethod(_ name: String, _ body: @escaping (Object, LuaArguments) throws -> Int32) -> Self {
        metamethods.append((name, { args in try body(args.object(0, as: Object.self), args) }))
        return self
    }
}

/// A field of a bridged type, its class erased: accessors take the object's raw pointer.
@usableFromInline
struct FieldAccessor {
    @usableFromInline var name: String
    @usableFromInline var hint: String?
    @usableFromInline var get: (UnsafeMutableRawPointer, LuaStack) throws -> Void
    @usableFromInline var set: ((UnsafeMutableRawPointer, LuaArguments) throws -> Void)?

    @inlinable
    init(name: String, hint: String?, get: @escaping (UnsafeMutableRawPointer, LuaStack) throws -> Void,
         set: ((UnsafeMutableRawPointer, LuaArguments) throws -> Void)?) {
        self.name = name
        self.hint = hint
        self.get = get
        self.set = set
    }
}

/// A method of a bridged type, its class erased.
@usableFromInline
struct MethodAccessor {
    @usableFromInline var name: String
    @usableFromInline var body: (UnsafeMutableRawPointer, LuaArguments) throws -> Int32

    @inlinable
    init(name: String, body: @escaping (UnsafeMutableRawPointer, LuaArguments) throws -> Int32) {
        self.name = name
        self.body = body
    }
}

/// A type registered with one state: its metatables and its accessors. Not generic, so that
/// nothing on the path of a field read or method call needs generic metadata.
final class TypeRegistration {
    let name: String
    unowned(unsafe) let state: LuaState
    let getters: ContiguousArray<(UnsafeMutableRawPointer, LuaStack) throws -> Void>
    let setters: ContiguousArray<((UnsafeMutableRawPointer, LuaArguments) throws -> Void)?>
    let fieldNames: [String]
    /// The methods' names, as their table in the metatable holds them.
    var methodNames: [String] = []
    let hints: [String?]
    var metatable: UnsafeRawPointer?
    var metatableRef: Int32 = LUA_NOREF
    var releasedRef: Int32 = LUA_NOREF

    init(state: LuaState, name: String, fields: [FieldAccessor]) {
        self.state = state
        self.name = name
        getters = ContiguousArray(fields.map(\.get))
        setters = ContiguousArray(fields.map(\.set))
        fieldNames = fields.map(\.name)
        hints = fields.map(\.hint)
    }

    /// The live object's pointer in the userdata at `idx`, if it is one of this type's
    /// (recognised by metatable pointer, never by name).
    @inline(__always)
    func objectPointer(_ L: OpaquePointer, at idx: Int32) -> UnsafeMutableRawPointer? {
        guard let metatable, let slot = lk_tobox(L, idx, metatable) else { return nil }
        return slot.load(as: UnsafeMutableRawPointer?.self)
    }

    func object(in L: OpaquePointer, at idx: Int32) -> AnyObject? {
        objectPointer(L, at: idx).map { Unmanaged<AnyObject>.fromOpaque($0).takeUnretainedValue() }
    }

    func access(_ L: OpaquePointer, field id: Int, kind: Int32) -> Int32 {
        unowned(unsafe) let state = self.state
        let previous = state.currentL
        state.currentL = L
        defer { state.currentL = previous }
        do {
            guard let p = objectPointer(L, at: 1) else { throw LuaScriptError("\(name) expected") }
            let stack = LuaStack(L: L, state: state)
            switch kind {
            case 0:
                try getters[id - 1](p, stack)
                return 1
            case 1:
                try setters[id - 1]!(p, LuaArguments(stack: stack, base: 2))
                return 0
            default:
                throw LuaScriptError("field '\(fieldNames[id - 1])' of \(name) is read-only"
                    + (hints[id - 1].map { " (\($0))" } ?? ""))
            }
        } catch {
            return state.raise(error, on: L, function: fieldNames[id - 1])
        }
    }

    /// A Swift function that checks its self (argument 1) is one of this type's objects.
    func boundFunction(_ method: MethodAccessor) -> SwiftFunctionBox {
        let body = method.body
        return SwiftFunctionBox(state: state, name: method.name, base: 1) { [unowned(unsafe) self] args in
            guard let p = self.objectPointer(args.stack.L, at: 1) else {
                throw LuaArgumentError(position: 1, args.typeError(0, self.name).problem)
            }
            return try body(p, args)
        }
    }
}

extension LuaState {
    /// Every type registered with this state, with the names of its fields and methods as the
    /// state resolves them: what scripts can reach, for a test that the descriptions of an API
    /// cover all of it.
    public var registeredTypes: [(name: String, fields: [String], methods: [String])] {
        typesByClass.values.map { ($0.name, $0.fieldNames, $0.methodNames) }.sorted { $0.name < $1.name }
    }

    /// Makes objects of `type`'s class usable from Lua. Register each type once per state.
    public func register<Object: AnyObject>(_ type: LuaType<Object>) throws {
        try checkOpen()
        let key = ObjectIdentifier(Object.self)
        guard typesByClass[key] == nil else {
            throw LuaError.conversion("\(Object.self) is already registered with this state as '\(typesByClass[key]!.name)'")
        }
        let registration = TypeRegistration(state: self, name: type.name, fields: type.fields)
        let L = currentL
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try ensureStack(6)
        lua_createtable(L, 0, Int32(type.methods.count))
        for method in type.methods {
            pushFunction(registration.boundFunction(method))
            lua_setfield(L, -2, method.name)  // a fresh table without metatable: a raw set
            registration.methodNames.append(method.name)
        }
        lua_createtable(L, 0, Int32(type.fields.count))
        for (i, field) in type.fields.enumerated() {
            lua_pushinteger(L, lua_Integer(field.set == nil ? -(i + 1) : i + 1))
            lua_setfield(L, -2, field.name)
        }
        lk_push_type_metatable(L, Unmanaged.passUnretained(registration).toOpaque(), -2, -1, type.name)
        for metamethod in type.metamethods {
            pushFunction(SwiftFunctionBox(state: self, name: metamethod.name, base: 1, body: metamethod.body))
            lua_setfield(L, -2, metamethod.name)
        }
        registration.metatable = lua_topointer(L, -1)
        registration.metatableRef = luaL_ref(L, lk_registryindex())
        lk_push_destroyed_metatable(L, type.name)
        registration.releasedRef = luaL_ref(L, lk_registryindex())
        typesByClass[key] = registration
        typesByMetatable[registration.metatable!] = registration
    }

    /// Pushes the one userdata that stands for `object` in this state (created on first use).
    func pushObject(_ object: AnyObject, on L: OpaquePointer) throws {
        guard let registration = typesByClass[ObjectIdentifier(Swift.type(of: object))] else {
            throw LuaError.conversion("\(Swift.type(of: object)) is not registered with this Lua state; register a LuaType for it first")
        }
        try ensureStack(4)
        let key = UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque())
        lua_rawgeti(L, lk_registryindex(), lua_Integer(objectCache))
        if lua_rawgetp(L, -1, key) == LUA_TUSERDATA {
            lk_remove(L, -2)
            return
        }
        lk_pop(L, 1)
        let slot = lua_newuserdatauv(L, MemoryLayout<UnsafeMutableRawPointer>.size, 0)!
        slot.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer.self)
        lua_rawgeti(L, lk_registryindex(), lua_Integer(registration.metatableRef))
        lua_setmetatable(L, -2)
        lua_pushvalue(L, -1)
        lua_rawsetp(L, -3, key)
        lk_remove(L, -2)
    }

    /// The bridged object in the userdata at `idx`, whatever its registered type.
    func bridgedObject(in L: OpaquePointer, at idx: Int32) -> AnyObject? {
        guard lua_getmetatable(L, idx) != 0 else { return nil }
        let metatable = lua_topointer(L, -1)
        lk_pop(L, 1)
        return metatable.flatMap { typesByMetatable[$0] }?.object(in: L, at: idx)
    }

    /// Detaches `object` from Lua: scripts that still hold it get "attempt to use a released
    /// Case object" instead of reaching it, and Lua no longer keeps it alive.
    public func release(_ object: AnyObject) {
        guard !isClosed, let registration = typesByClass[ObjectIdentifier(Swift.type(of: object))] else { return }
        let L = currentL
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard lua_checkstack(L, 4) != 0 else { return }
        let key = UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque())
        lua_rawgeti(L, lk_registryindex(), lua_Integer(objectCache))
        guard lua_rawgetp(L, -1, key) == LUA_TUSERDATA, registration.object(in: L, at: -1) === object else { return }
        let slot = lua_touserdata(L, -1)!
        if let p = slot.load(as: UnsafeMutableRawPointer?.self) {
            slot.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
            // A method of this very object may be running with it borrowed: release it only
            // once no call is under way.
            lk_queue_release(guardian, p)
            if lk_depth(guardian) == 0 { lk_drain(guardian, LuaRuntime.releaseBox) }
        }
        lua_rawgeti(L, lk_registryindex(), lua_Integer(registration.releasedRef))
        lua_setmetatable(L, -2)
        lua_pushnil(L)
        lua_rawsetp(L, -3, key)
    }
}
