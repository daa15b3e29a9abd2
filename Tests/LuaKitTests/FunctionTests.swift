import LuaKit
import Testing

struct NoticeRefused: Error, Equatable, CustomStringConvertible {
    var reason: String
    var description: String { "notice refused: \(reason)" }
}

@Suite("Swift functions called from Lua")
struct FunctionTests {
    @Test("arguments are checked and a wrong one reads like Lua's own error")
    func argumentErrors() throws {
        let lua = try makeState()
        try lua.register("send") { args in "\(try args.string(1)) <- \(try args.string(2))" }
        #expect(try lua.evaluate("return send('IR-MFA', 'identity-request')", name: "ok.lua", as: String.self) == "IR-MFA <- identity-request")
        #expect(runtimeMessage(failure(of: "send('IR-MFA')", in: lua, name: "s.lua")) == "s.lua:1: bad argument #2 to 'send' (string expected, got no value)")
        #expect(runtimeMessage(failure(of: "send('IR-MFA', nil)", in: lua, name: "s.lua")) == "s.lua:1: bad argument #2 to 'send' (string expected, got nil)")
        try lua.register("wait") { args in try args.int(1) }
        #expect(runtimeMessage(failure(of: "wait(1.5)", in: lua, name: "w.lua")) == "w.lua:1: bad argument #1 to 'wait' (number has no integer representation)")
        #expect(try lua.evaluate("return wait(3.0)", name: "w.lua", as: Int.self) == 3)
    }

    @Test("a table argument's entries are the table's, without a dictionary; a table that holds itself is refused")
    func tableEntries() throws {
        let lua = try makeState()
        try lua.register("keys") { args -> String in
            let entries = try args.entries(1)
            #expect(Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) == (try args.table(1)))
            #expect(args.isTable(1) && !args.isTable(2))
            return entries.compactMap(\.key.stringValue).sorted().joined(separator: ",")
        }
        #expect(try lua.evaluate("return keys({ kind = 'laissez-passer', issuer = 'IR-MFA', [1] = 'x', nested = { 1, 2 } })",
                                 name: "k.lua", as: String.self) == "issuer,kind,nested")
        #expect(runtimeMessage(failure(of: "keys('x')", in: lua, name: "k.lua")) == "k.lua:1: bad argument #1 to 'keys' (table expected, got string)")
        #expect(String(describing: failure(of: "local t = {} t.t = t keys(t)", in: lua, name: "c.lua")).contains("cannot copy a table that contains itself"))
    }

    @Test("a Swift error is catchable by pcall, and uncaught arrives back as the original error")
    func swiftErrors() throws {
        let lua = try makeState()
        try lua.register("send") { args -> Bool in throw NoticeRefused(reason: try args.string(1)) }
        let caught = try lua.evaluate("local ok, e = pcall(send, 'no consent') return tostring(e)", name: "p.lua", as: String.self)
        // Called by pcall itself, a C function, the error has no Lua line to name (as Lua's own
        // luaL_error from a function pcall calls directly).
        #expect(caught == "notice refused: no consent")
        let called = try lua.evaluate("local ok, e = pcall(function() send('no consent') end) return tostring(e)", name: "p.lua", as: String.self)
        #expect(called == "p.lua:1: notice refused: no consent")
        #expect(throws: NoticeRefused(reason: "late")) { try lua.run("send('late')", name: "u.lua") }
        try lua.register("refuse") { _ -> Bool in throw LuaScriptError("no such case") }
        #expect(try lua.evaluate("local ok, e = pcall(refuse) return e", name: "r.lua", as: String.self) == "no such case")
        #expect(runtimeMessage(failure(of: "refuse()", in: lua, name: "r.lua")) == "r.lua:1: no such case")
    }

    @Test("an optional argument is nil when absent or nil, and checked when given")
    func optionalArguments() throws {
        let lua = try makeState()
        try lua.register("due") { args -> String in
            let hours = try args.optional(2, args.int)
            return "\(try args.string(1)) in \(hours.map(String.init) ?? "no deadline")"
        }
        #expect(try lua.run("return due('notice'), due('notice', nil), due('notice', 72)", name: "o.lua")
            == ["notice in no deadline", "notice in no deadline", "notice in 72"])
        #expect(runtimeMessage(failure(of: "due('notice', 'soon')", in: lua, name: "o.lua"))
            == "o.lua:1: bad argument #2 to 'due' (number expected, got string)")
    }

    @Test("several results, no results, optional results")
    func results() throws {
        let lua = try makeState()
        try lua.register("pair") { _ in LuaResults(["a", 2]) }
        try lua.register("nothing") { _ in LuaNoResults() }
        try lua.register("maybe") { args -> String? in args.bool(1) ? "yes" : nil }
        #expect(try lua.run("return pair()", name: "p.lua") == ["a", 2])
        #expect(try lua.evaluate("return select('#', nothing())", name: "n.lua", as: Int.self) == 0)
        #expect(try lua.run("return maybe(true), maybe(false)", name: "m.lua") == ["yes", .nil])
    }

    @Test("Swift functions work inside coroutines and can call back into Lua there")
    func coroutines() throws {
        let lua = try makeState()
        try lua.register("twice") { args in
            let f = try args.function(1)
            return try f.call(args.int(2), returning: Int.self) * 2
        }
        let result = try lua.evaluate("""
            local co = coroutine.wrap(function(x)
              local y = coroutine.yield(twice(function(v) return v + 1 end, x))
              return twice(function(v) return v * 10 end, y)
            end)
            return co(1) .. "," .. co(3)
            """, name: "co.lua", as: String.self)
        #expect(result == "4,60")
    }

    @Test("a Lua error raised inside a Swift callback's call back into Lua reaches the outer script")
    func nestedErrors() throws {
        let lua = try makeState()
        try lua.register("call") { args in try args.function(1).call() ; return LuaNoResults() }
        let message = try lua.evaluate("""
            local ok, e = pcall(call, function() error('inner failure') end)
            return tostring(e)
            """, name: "n.lua", as: String.self)
        #expect(message.contains("inner failure"))
    }
}
