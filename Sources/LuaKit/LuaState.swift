import CLua
import CLuaShim
import Foundation

/// One sandboxed Lua 5.4 state with its own memory and time limits.
///
/// A `LuaState` is not `Sendable`: one thread owns it. The only thing another thread may do
/// is `interrupt()`.
///
/// ```swift
/// let lua = try LuaState(limits: LuaLimits(memory: 16 << 20, time: .seconds(1)))
/// try lua.register("add") { args in try args.double(1) + args.double(2) }
/// let sum: Double = try lua.evaluate("return add(2, 3)", name: "sum.lua")   // 5.0
/// ```
///
/// A state's Lua values that Swift holds (`LuaFunction`, `LuaTable`) keep it alive. A Swift
/// function registered in the state that captures one of them makes a cycle through Lua:
/// call `close()` when such a state is done with.
///
/// After a script overruns a limit the state stays usable: the call that overran is unwound
/// (its pending `__close` handlers run, under the same kill) and the next call gets a fresh
/// budget. What the script changed in its globals before it was stopped stays changed; a
/// host that needs all-or-nothing keeps its own state outside Lua (Liaison's model does).
public final class LuaState {
    // The hot fields below are read or written on every call across the bridge. One thread
    // owns a state and nothing hands out inout access to them, so the dynamic exclusivity
    // checks Swift would make on each access can never fire: they are turned off.
    @usableFromInline let L: OpaquePointer
    @usableFromInline let guardian: UnsafeMutablePointer<lk_guard>
    /// The thread Swift code is called on: the main thread, or a coroutine while a Swift
    /// function runs inside one. Calls from Swift into Lua run on it.
    @exclusivity(unchecked) @usableFromInline var currentL: OpaquePointer
    @exclusivity(unchecked) public private(set) var isClosed = false
    @exclusivity(unchecked) @usableFromInline var budgetNs: Int64 = 0
    let boxMetatable: UnsafeRawPointer
    var typesByClass: [ObjectIdentifier: TypeRegistration] = [:]
    var typesByMetatable: [UnsafeRawPointer: TypeRegistration] = [:]
    /// Registry reference of the table that maps a Swift object to its userdata (weak values).
    let objectCache: Int32
    let sandbox: LuaSandbox

    /// The limits applied to every call from Swift into Lua. Changing them takes effect at
    /// the next call.
    public var limits: LuaLimits {
        didSet { applyLimits() }
    }

    /// Creates a state with the sandbox's allow-listed globals.
    public init(limits: LuaLimits = .default, sandbox: LuaSandbox = LuaSandbox()) throws {
        LuaRuntime.install()
        var g: UnsafeMutablePointer<lk_guard>?
        guard let L = lk_newstate(limits.memory ?? 0, &g), let g else {
            throw LuaError.memory(limit: limits.memory ?? 0, location: nil)
        }
        self.L = L
        self.guardian = g
        self.currentL = L
        self.limits = limits
        self.sandbox = sandbox
        self.interrupter = LuaInterrupter(g)
        lk_pushboxmetatable(L)
        boxMetatable = lua_topointer(L, -1)!
        lk_pop(L, 1)
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 1)
        lua_pushstring(L, "v")
        lua_setfield(L, -2, "__mode")
        lua_setmetatable(L, -2)
        objectCache = luaL_ref(L, lk_registryindex())
        applyLimits()
        do {
            lk_pushmsgh(L)
            lk_pushopensandbox(L)
            try protectedCall(nargs: 0, nresults: 0, handler: 1)
            lk_pop(L, 1)
            installPrint()
            installRequire()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the state now. Every later use throws `LuaError.closed`; references that
    /// outlive it become inert.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        interrupter.disarm()
        lk_close(L, guardian, LuaRuntime.releaseBox)
    }

    /// Asks the running call to stop; it ends with `LuaError.interrupted`. Returns false when
    /// no call was running. From another thread, use `interrupter`.
    @discardableResult
    public func interrupt() -> Bool {
        interrupter.interrupt()
    }

    /// A handle another thread may use to stop this state's running call (a Ctrl-C handler,
    /// a supervisor). It outlives the state safely: once the state is closed it does nothing.
    public let interrupter: LuaInterrupter

    /// Runs `body` (host code reached from a Swift function this state's Lua called) with the
    /// running call set aside: its time budget stops counting, and a call `body` makes into this
    /// state meanwhile is an outermost call with a budget and limits of its own. The host's
    /// plugins use it when a command a handler gives is offered to other handlers, the same
    /// plugin's among them, before the handler goes on: each handler is charged its own time.
    /// Outside a call into Lua it just runs `body`.
    public func withCallSetAside(_ body: () -> Void) {
        guard lk_depth(guardian) > 0 else { return body() }
        var suspension = lk_suspension()
        lk_suspend_entry(guardian, &suspension)
        body()
        lk_resume_entry(guardian, &suspension)
    }

    /// Bytes the state holds now.
    public var memoryUsed: Int { lk_memory_used(guardian) }

    private func applyLimits() {
        lk_set_memory_limit(guardian, limits.memory ?? 0)
        if let time = limits.time {
            let (s, atto) = time.components
            budgetNs = max(1, s * 1_000_000_000 + atto / 1_000_000_000)
        } else {
            budgetNs = 0
        }
    }

    @inlinable
    func checkOpen() throws {
        if isClosed { throw LuaError.closed }
    }

    // MARK: Running code

    /// Compiles `source` as a chunk named `name` (errors read `name:line:`). Only text is
    /// accepted: binary chunks are refused.
    public func load(_ source: LuaString, name: String) throws -> LuaFunction {
        try checkOpen()
        let L = currentL
        var saved = lk_entry()
        lk_begin(guardian, L, 0, &saved)
        let status = source.bytes.withUnsafeBytes { raw in
            luaL_loadbufferx(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count, "@" + name, "t")
        }
        let stop = lk_end(guardian, L, &saved)
        if status != LUA_OK {
            defer { lk_pop(L, 1) }
            if stop != LK_STOP_NONE || status == LUA_ERRMEM { throw limitError(LK_STOP_MEMORY) }
            let message = string(at: -1) ?? "syntax error"
            throw LuaError.syntax(chunk: name, line: Self.line(in: message), message: message)
        }
        return LuaFunction(popping: self, on: L)
    }

    public func load(_ source: String, name: String) throws -> LuaFunction {
        try load(LuaString(source), name: name)
    }

    /// Loads and runs a chunk, returning what it returns.
    @discardableResult
    public func run(_ source: String, name: String) throws -> [LuaValue] {
        try load(source, name: name).call()
    }

    /// Loads and runs a chunk and converts its first result.
    public func evaluate<R: LuaPullable>(_ source: String, name: String, as: R.Type = R.self) throws -> R {
        try load(source, name: name).call(returning: R.self)
    }

    /// Loads and runs a file; errors name it as given in `path`.
    @discardableResult
    public func runFile(_ path: String) throws -> [LuaValue] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LuaError.runtime(message: "cannot read \(path): no such file or not readable", traceback: "")
        }
        return try load(LuaString(bytes: [UInt8](data)), name: path).call()
    }

    /// Runs the function and its arguments on top of `currentL`'s stack under the limits, with
    /// the message handler `lk_pushmsgh` pushed at `handler`, below the function.
    /// On failure the error is popped and thrown; on success the results are left.
    @inlinable
    func protectedCall(nargs: Int32, nresults: Int32, handler: Int32) throws {
        let L = currentL
        var saved = lk_entry()
        lk_begin(guardian, L, budgetNs, &saved)
        let status = lk_pcall(L, nargs, nresults, handler)
        let stop = lk_end(guardian, L, &saved)
        if saved.depth == 0 { lk_drain(guardian, LuaRuntime.releaseBox) }
        if status != LUA_OK { throw failure(L, status: status, stop: stop) }
    }

    /// Turns the error value on top of `L` into the Swift error to throw, and pops it.
    @usableFromInline
    func failure(_ L: OpaquePointer, status: Int32, stop: lk_stop) -> Error {
        defer { lk_pop(L, 1) }
        if stop != LK_STOP_NONE { return limitError(stop) }
        if status == LUA_ERRMEM { return limitError(LK_STOP_MEMORY) }
        if lk_issentinel(L, -1) != 0 { return LuaError.interrupted(location: nil) }
        if let box = LuaRuntime.box(in: L, at: -1, metatable: boxMetatable) as? ErrorBox { return box.error }
        let message: String
        switch lua_type(L, -1) {
        case LUA_TSTRING: message = string(at: -1) ?? ""
        case LUA_TNUMBER:
            message = lua_isinteger(L, -1) != 0 ? String(lua_tointegerx(L, -1, nil)) : LuaValue.format(lua_tonumberx(L, -1, nil))
        default: message = "(error object is a \(String(cString: lk_typename(L, -1))) value)"
        }
        var traceback = ""
        if status == LUA_ERRRUN {
            lk_push_traceback(L)
            traceback = string(at: -1) ?? ""
            lk_pop(L, 1)
        }
        return LuaError.runtime(message: message, traceback: traceback)
    }

    func limitError(_ stop: lk_stop) -> LuaError {
        let whereText = String(cString: lk_stop_where(guardian))
        let location = whereText.isEmpty ? nil : whereText
        switch stop {
        case LK_STOP_TIMEOUT: return .timeout(limit: limits.time ?? .zero, location: location)
        case LK_STOP_MEMORY: return .memory(limit: limits.memory ?? 0, location: location)
        default: return .interrupted(location: location)
        }
    }

    static func line(in message: String) -> Int? {
        // "chunk:12: message": the first ":<digits>:" after the chunk's name.
        var rest = Substring(message)
        while let colon = rest.firstIndex(of: ":") {
            let after = rest[rest.index(after: colon)...]
            let digits = after.prefix { $0.isNumber }
            if !digits.isEmpty, after.dropFirst(digits.count).first == ":" { return Int(digits) }
            rest = after
        }
        return nil
    }

    // MARK: Globals

    /// Global variables, read raw (no metamethods run): `lua.globals["operation"]["name"]`.
    /// Reading one that cannot be converted gives nil; `global(_:)` says why instead. Write
    /// with `setGlobal(_:_:)`, which reports a value it cannot hand to Lua.
    public var globals: Globals { Globals(state: self) }

    public struct Globals {
        let state: LuaState
        public subscript(name: String) -> LuaValue {
            (try? state.global(name)) ?? .nil
        }
    }

    public func global(_ name: String) throws -> LuaValue {
        try checkOpen()
        let L = currentL
        lua_rawgeti(L, lk_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        lua_pushstring(L, name)
        lua_rawget(L, -2)
        defer { lk_pop(L, 2) }
        return try value(at: -1)
    }

    public func setGlobal(_ name: String, _ value: LuaValue) throws {
        try checkOpen()
        let L = currentL
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try ensureStack(3)
        lua_rawgeti(L, lk_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        lua_pushstring(L, name)
        try push(value)
        lua_rawset(L, -3)
    }

    /// Makes a Swift function callable from Lua as the global `name`.
    ///
    /// ```swift
    /// try lua.register("send") { args in
    ///     let to = try args.string(1)          // bad argument #1 to 'send' (string expected, got nil)
    ///     outbox.append(to)
    ///     return true
    /// }
    /// ```
    @inlinable
    public func register<R: LuaReturnable>(_ name: String, _ body: @escaping (LuaArguments) throws -> R) throws {
        try checkOpen()
        try setGlobal(name, .function(function(name, body)))
    }

    /// A Lua function value that calls `body`; `name` is used in argument errors. Inlinable, so
    /// that `body`'s results are pushed by code specialised for their type.
    @inlinable
    public func function<R: LuaReturnable>(_ name: String, _ body: @escaping (LuaArguments) throws -> R) -> LuaFunction {
        let box = SwiftFunctionBox(state: self, name: name) { args in
            try body(args).pushResults(to: args.stack)
        }
        pushFunction(box)
        return LuaFunction(popping: self, on: currentL)
    }

    @usableFromInline
    func pushFunction(_ box: SwiftFunctionBox) {
        let L = currentL
        lk_newbox(L, Unmanaged.passRetained(box).toOpaque())
        lk_push_function(L, -1)
        lk_remove(L, -2)
    }

    // MARK: Sandbox wiring

    private func installPrint() {
        let output = sandbox.output
        pushFunction(SwiftFunctionBox(state: self, name: "print") { args in
            output(try args.string(1))
            return 0
        })
        lk_set_print(L)
    }

    private func installRequire() {
        let root = sandbox.moduleRoot
        pushFunction(SwiftFunctionBox(state: self, name: "require") { [unowned self] args in
            let name = try args.string(1)
            if ["io", "debug", "package", "ffi", "jit"].contains(name) {
                throw LuaScriptError("module '\(name)' is not available in the sandbox: scripts reach no files, processes or debugger")
            }
            try ModuleResolver.validate(name)
            guard let root else {
                throw LuaScriptError("module '\(name)' not found: this state has no module folder")
            }
            let (path, relative) = try ModuleResolver(root: root).resolve(name)
            let shown = self.sandbox.moduleChunkPrefix + relative
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LuaScriptError("module '\(name)': cannot read \(shown)")
            }
            let chunk: LuaFunction
            do { chunk = try self.load(LuaString(bytes: [UInt8](data)), name: shown) } catch LuaError.syntax(_, _, let message) {
                throw LuaScriptError("error loading module '\(name)': \(message)")
            }
            try args.stack.push(.function(chunk))
            args.stack.push(shown)
            return 2
        })
        lk_set_require(L)
    }

    // MARK: Stack helpers

    @inlinable
    func ensureStack(_ n: Int32) throws {
        if lua_checkstack(currentL, n) == 0 { throw LuaError.conversion("Lua stack overflow (more than \(n) values)") }
    }

    func string(at idx: Int32) -> String? {
        var len = 0
        guard lua_type(currentL, idx) == LUA_TSTRING, let p = lua_tolstring(currentL, idx, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }
}

/// Stops a state's running call from any thread. See `LuaState.interrupter`.
public final class LuaInterrupter: @unchecked Sendable {
    // The guard is freed when the state closes; the lock makes disarm() and interrupt()
    // exclusive, so interrupt() never touches a freed guard.
    private let lock = NSLock()
    private var guardian: UnsafeMutablePointer<lk_guard>?

    init(_ guardian: UnsafeMutablePointer<lk_guard>) { self.guardian = guardian }

    /// Returns false when no call was running, or the state is closed.
    @discardableResult
    public func interrupt() -> Bool {
        lock.withLock { guardian.map { lk_interrupt($0) != 0 } ?? false }
    }

    func disarm() {
        lock.withLock { guardian = nil }
    }
}

/// Memory and time limits for a state.
public struct LuaLimits: Sendable, Equatable {
    /// Bytes the state may hold; nil for no limit.
    public var memory: Int?
    /// How long one call from Swift into Lua may run, including the Lua code it calls back
    /// into; nil for no limit. Checked every 2 ms; the stop lands at the next Lua instruction,
    /// or inside pattern matching and `table.move`, which check as they go. A Swift function,
    /// or another C library call (a sort by the default order), runs to its end first: the
    /// memory cap bounds how long that can be.
    public var time: Duration?

    public init(memory: Int? = 64 << 20, time: Duration? = .seconds(5)) {
        self.memory = memory
        self.time = time
    }

    /// 64 MiB and 5 s per call.
    public static let `default` = LuaLimits()
    /// No limits: for trusted code and benchmarks only.
    public static let none = LuaLimits(memory: nil, time: nil)
}

/// What a state's scripts may reach beyond the allow-listed globals.
public struct LuaSandbox: Sendable {
    /// Where `require` finds modules (`require "a.b"` loads `a/b.lua` or `a/b/init.lua`
    /// inside it). Nil: `require` fails with a clear message.
    public var moduleRoot: URL?
    /// Put before a module's path in its chunk name, so errors read `plugins/ir-mfa/lib.lua:3`
    /// rather than `lib.lua:3`.
    public var moduleChunkPrefix: String = ""
    /// Receives each line `print` writes. The default writes to standard output.
    public var output: @Sendable (String) -> Void

    public init(moduleRoot: URL? = nil, output: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.moduleRoot = moduleRoot
        self.output = output
    }
}
