import Foundation
import LuaKit
import Testing

/// A hostile script and how it must end.
struct Hostile: CustomTestStringConvertible, Sendable {
    /// How it must end: stopped by a limit, with a Lua error, or (for a script that used to
    /// hang in C code) finishing promptly with the right result.
    enum Ending: Sendable { case timeout, memory, error(String), finishes }
    var name: String
    var source: String
    var ending: Ending
    var testDescription: String { name }
}

let hostileScripts: [Hostile] = [
    Hostile(name: "plain infinite loop", source: "while true do end", ending: .timeout),
    Hostile(name: "loop under pcall, re-entered", source: "while true do pcall(function() while true do end end) end", ending: .timeout),
    Hostile(name: "loop in a coroutine", source: "coroutine.wrap(function() while true do end end)()", ending: .timeout),
    Hostile(name: "loop in a coroutine resumed under pcall", source: "local co = coroutine.create(function() while true do pcall(coroutine.yield) end end) while true do coroutine.resume(co) end", ending: .timeout),
    Hostile(name: "loop in a string.gsub callback", source: "string.gsub(('a'):rep(10), 'a', function() while true do end end)", ending: .timeout),
    Hostile(name: "loop in a table.sort comparator", source: "local t = {3, 2, 1} table.sort(t, function() while true do end end)", ending: .timeout),
    Hostile(name: "loop in an xpcall message handler", source: "xpcall(error, function() while true do end end)", ending: .timeout),
    Hostile(name: "loops in both xpcall's body and handler", source: "xpcall(function() while true do end end, function() while true do end end)", ending: .timeout),
    Hostile(name: "loop in __tostring", source: "print(setmetatable({}, { __tostring = function() while true do end end }))", ending: .timeout),
    Hostile(name: "loop in __close while unwinding an error", source: "do local x <close> = setmetatable({}, { __close = function() while true do end end }) error('boom') end", ending: .timeout),
    Hostile(name: "loop in a killed coroutine's __close", source: "coroutine.wrap(function() local x <close> = setmetatable({}, { __close = function() while true do end end }) while true do end end)()", ending: .timeout),
    Hostile(name: "loop in __index", source: "local t = setmetatable({}, { __index = function() while true do end end }) return t.x", ending: .timeout),
    Hostile(name: "string.rep of nothing, endlessly", source: "assert(string.rep('', math.maxinteger, '') == '')", ending: .finishes),
    Hostile(name: "table.move of a vast empty range", source: "return table.move({}, 1, math.maxinteger - 1, 2)", ending: .timeout),
    Hostile(name: "a pattern that backtracks for minutes", source: "return (('a'):rep(5000)):find('.-.-.-.-.-b')", ending: .timeout),
    Hostile(name: "string.rep bomb", source: "return string.rep('x', 1 << 30)", ending: .memory),
    Hostile(name: "doubling string", source: "local s = 'x' while true do s = s .. s end", ending: .memory),
    Hostile(name: "growing table", source: "local t = {} while true do t[#t + 1] = {} end", ending: .memory),
    Hostile(name: "memory bomb under pcall, retried", source: "while true do pcall(function() local t = {} while true do t[#t + 1] = ('x'):rep(64) end end) end", ending: .memory),
    Hostile(name: "table.concat bomb", source: "local t = {} for i = 1, 1e6 do t[i] = ('y'):rep(100) end return table.concat(t)", ending: .memory),
    Hostile(name: "deep Lua recursion", source: "local function f() return 1 + f() end return f()", ending: .memory),
    Hostile(name: "deep recursion through pcall", source: "local function f() local ok, e = pcall(f) if not ok then error(e, 0) end end f()", ending: .error("stack overflow")),
    Hostile(name: "deep __index chain", source: "local t = setmetatable({}, { __index = function(t, k) return t[k] end }) return t.x", ending: .error("stack overflow")),
    Hostile(name: "deep parser nesting", source: "assert(load('return ' .. ('('):rep(100000) .. '1' .. (')'):rep(100000)))", ending: .error("overflow")),
    Hostile(name: "a __gc finaliser", source: "setmetatable({}, { __gc = function() while true do end end })", ending: .error("__gc metamethods are not allowed")),
    Hostile(name: "a __gc added after setmetatable", source: "local mt = {} local t = setmetatable({}, mt) mt.__gc = function() error('ran') end t = nil collectgarbage() error('finaliser did not run')", ending: .error("finaliser did not run")),
    Hostile(name: "an error in __close", source: "do local x <close> = setmetatable({}, { __close = function() error('close failed') end }) end", ending: .error("close failed")),
    Hostile(name: "reaching io", source: "return io.open('/etc/passwd')", ending: .error("attempt to index a nil value (global 'io')")),
    Hostile(name: "os.execute", source: "return os.execute('touch /tmp/pwned')", ending: .error("attempt to call a nil value (field 'execute')")),
    Hostile(name: "os.exit", source: "os.exit(3)", ending: .error("attempt to call a nil value (field 'exit')")),
    Hostile(name: "os.getenv", source: "return os.getenv('HOME')", ending: .error("attempt to call a nil value (field 'getenv')")),
    Hostile(name: "os.remove", source: "return os.remove('/tmp/anything')", ending: .error("attempt to call a nil value (field 'remove')")),
    Hostile(name: "reaching debug", source: "return debug.getregistry()", ending: .error("attempt to index a nil value (global 'debug')")),
    Hostile(name: "package.loadlib", source: "return package.loadlib('libc.so.6', 'system')", ending: .error("attempt to index a nil value (global 'package')")),
    Hostile(name: "bytecode through load", source: "return assert(load('\\27Lua\\x54\\0\\x19\\x93'))", ending: .error("attempt to load a binary chunk")),
    Hostile(name: "string.dump", source: "return string.dump(print)", ending: .error("attempt to call a nil value (field 'dump')")),
    Hostile(name: "dofile", source: "dofile('/etc/passwd')", ending: .error("attempt to call a nil value (global 'dofile')")),
    Hostile(name: "loadfile", source: "loadfile('/etc/passwd')", ending: .error("attempt to call a nil value (global 'loadfile')")),
    Hostile(name: "require outside the root", source: "require('..etc.passwd')", ending: .error("is not allowed")),
    Hostile(name: "setmetatable(_G, nil)", source: "setmetatable(_G, nil)", ending: .error("cannot change a protected metatable")),
]

@Suite("Limits and hostile scripts", .serialized)
struct LimitsTests {
    @Test("a hostile script ends with a clear error, and the state stays usable", arguments: hostileScripts)
    func hostile(_ script: Hostile) throws {
        // Each limit is tested alone, so the two never race on a slow machine: a script that must
        // run out of time allocates nothing, and one that must run out of memory (or fail) has a
        // minute, far beyond what reaching 16 MiB takes anywhere.
        let time: Duration = if case .timeout = script.ending { .milliseconds(200) } else { .seconds(60) }
        let lua = try makeState(limits: LuaLimits(memory: 16 << 20, time: time))
        try lua.register("record") { args in try args.string(1) }
        if case .finishes = script.ending {
            try lua.run(script.source, name: "hostile.lua")
            return
        }
        let error = failure(of: script.source, in: lua, name: "hostile.lua")
        switch (script.ending, error as? LuaError) {
        case (.timeout, .timeout(let limit, let location)?):
            #expect(limit == .milliseconds(200))
            #expect(location?.hasPrefix("hostile.lua:") == true)
        case (.memory, .memory(let limit, let location)?):
            #expect(limit == 16 << 20)
            // Where the script was when its memory ran out, as for a time limit.
            #expect(location?.hasPrefix("hostile.lua:1") == true, "\(script.name): \(location ?? "no location")")
        case (.error(let fragment), .runtime(let message, _)?):
            #expect(message.contains(fragment), "\(message)")
        case (.error(let fragment), .syntax(_, _, let message)?):
            #expect(message.contains(fragment), "\(message)")
        default:
            Issue.record("\(script.name): expected \(script.ending), got \(String(describing: error))")
        }
        #expect(try lua.evaluate("return record('still usable')", name: "after.lua", as: String.self) == "still usable")
        #expect(lua.memoryUsed < 16 << 20)
    }

    @Test("the budget covers one call: a second call gets a fresh one")
    func freshBudget() throws {
        // The spin waits on the wall clock, as the budget does: however fast the machine or busy
        // its cores, each call takes 0.6 s of a 1 s budget, and three take more than one budget.
        let lua = try makeState(limits: LuaLimits(memory: 16 << 20, time: .seconds(1)))
        try lua.register("clock") { _ in Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let spin = try lua.load("local stop = clock() + ... while clock() < stop do end return true", name: "spin.lua")
        for _ in 0..<3 { #expect(try spin.call(0.6, returning: Bool.self)) }
        #expect(throws: LuaError.self) { try spin.call(60.0, returning: Bool.self) }
        #expect(try spin.call(0.01, returning: Bool.self))
    }

    @Test("a coroutine stopped by a limit cannot run its __close handlers later, unstoppably")
    func taintedCoroutine() throws {
        let lua = try makeState(limits: LuaLimits(memory: 16 << 20, time: .milliseconds(200)))
        let error = failure(of: """
            stash = coroutine.create(function()
              local x <close> = setmetatable({}, { __close = function() while true do end end })
              while true do end
            end)
            coroutine.resume(stash)
            """, in: lua, name: "stash.lua")
        #expect((error as? LuaError)?.isLimit == true)
        let closed = try lua.run("return coroutine.close(stash)", name: "close.lua")
        #expect(closed == [false, "coroutine was stopped by a limit; its pending __close handlers were skipped"])
    }

    @Test("a Swift function that calls back into Lua cannot shelter a loop from the budget")
    func nestedBudget() throws {
        let lua = try makeState(limits: LuaLimits(memory: 16 << 20, time: .milliseconds(200)))
        try lua.register("call") { args in
            do { try args.function(1).call() } catch {}  // a careless host swallowing the error
            return LuaNoResults()
        }
        let error = failure(of: "call(function() while true do end end) while true do end", in: lua, name: "n.lua")
        guard case .timeout? = error as? LuaError else { Issue.record("expected a timeout, got \(String(describing: error))"); return }
    }

    @Test("interrupt() from another thread stops a running call")
    func interrupt() throws {
        let lua = try makeState(limits: LuaLimits(memory: 16 << 20, time: nil))
        let interrupter = lua.interrupter
        let thread = Thread {
            while !interrupter.interrupt() { usleep(1000) }
        }
        thread.start()
        let error = failure(of: "while true do end", in: lua, name: "i.lua")
        guard case .interrupted(let location)? = error as? LuaError else { Issue.record("expected interrupted, got \(String(describing: error))"); return }
        #expect(location == "i.lua:1")
        #expect(!lua.interrupt())
        lua.close()
        #expect(!interrupter.interrupt())
    }

    @Test("memory used by a script is returned when it ends, and the cap is not applied to the host")
    func memoryAccounting() throws {
        let lua = try makeState(limits: LuaLimits(memory: 4 << 20, time: .seconds(2)))
        let base = lua.memoryUsed
        try lua.run("local t = {} for i = 1, 1e4 do t[i] = tostring(i) end", name: "m.lua")
        _ = try lua.run("collectgarbage()", name: "gc.lua")
        #expect(lua.memoryUsed < base + (64 << 10))
        // The host may hand a script more than its cap holds: Swift frames never fail to allocate.
        try lua.setGlobal("big", .string(LuaString(bytes: [UInt8](repeating: 0x61, count: 5 << 20))))
        #expect(lua.memoryUsed > 4 << 20)
        #expect((failure(of: "local copy = big .. 'x'", in: lua) as? LuaError)?.isLimit == true)
        try lua.setGlobal("big", .nil)
        _ = try lua.run("collectgarbage()", name: "gc.lua")
        #expect(try lua.evaluate("return #('x'):rep(1000)", name: "ok.lua", as: Int.self) == 1000)
    }
}
