import Foundation
import LuaKit
import Testing

@Suite("The sandbox every plugin runs in")
struct SandboxTests {
    @Test("globals come from the allow-list and nothing else")
    func allowList() throws {
        let lua = try makeState()
        let names = try lua.evaluate("""
            local names = {}
            for k in pairs(_G) do names[#names + 1] = k end
            table.sort(names)
            return table.concat(names, " ")
            """, name: "g.lua", as: String.self)
        #expect(names == "_G _VERSION assert collectgarbage coroutine error getmetatable ipairs load math next os pairs pcall print rawequal rawget rawlen rawset require select setmetatable string table tonumber tostring type utf8 xpcall")
        #expect(try lua.evaluate("local t = {} for k in pairs(os) do t[#t+1] = k end table.sort(t) return table.concat(t, ' ')", name: "os.lua", as: String.self) == "clock date time")
        #expect(try lua.run("return io, debug, package, dofile, loadfile, string.dump, os.execute, os.getenv, os.exit, os.remove", name: "n.lua").allSatisfy(\.isNil))
    }

    @Test("load accepts text only, and runs in the sandbox's globals unless given a table")
    func load() throws {
        let lua = try makeState()
        #expect(try lua.evaluate("return load('return print ~= nil')()", name: "l.lua", as: Bool.self))
        #expect(try lua.evaluate("return load('return x', 'c', 't', { x = 7 })()", name: "l.lua", as: Int.self) == 7)
        #expect(runtimeMessage(failure(of: "load('return 1', 'c', 'bt')", in: lua, name: "b.lua"))
            == "b.lua:1: bad argument #3 to 'load' (binary chunks are not allowed in the sandbox)")
        #expect(try lua.run("return load('\\27Lua\\x54\\0')", name: "b.lua") == [.nil, "attempt to load a binary chunk (mode is 't')"])
    }

    @Test("shared library tables, the string metatable and _G's metatable cannot be changed")
    func readOnly() throws {
        let lua = try makeState()
        for attempt in ["string.upper = nil", "table.insert = print", "math.pi = 3", "os.time = nil", "coroutine.wrap = nil", "utf8.char = nil"] {
            let message = runtimeMessage(failure(of: attempt, in: lua, name: "ro.lua"))
            #expect(message?.hasPrefix("ro.lua:1: attempt to modify read-only table") == true, "\(attempt): \(message ?? "no error")")
        }
        #expect(runtimeMessage(failure(of: "rawset(string, 'upper', nil)", in: lua, name: "ro.lua")) == "ro.lua:1: attempt to modify read-only table 'string'")
        #expect(try lua.run("return getmetatable('')", name: "mt.lua") == [false])
        #expect(runtimeMessage(failure(of: "setmetatable(_G, nil)", in: lua, name: "g.lua")) == "cannot change a protected metatable")
        #expect(runtimeMessage(failure(of: "setmetatable(string, {})", in: lua, name: "g.lua")) == "cannot change a protected metatable")
        #expect(try lua.evaluate("return ('abc'):upper() .. string.format('%d', 7)", name: "ok.lua", as: String.self) == "ABC7")
        #expect(runtimeMessage(failure(of: "collectgarbage('stop')", in: lua, name: "gc.lua"))?.contains("collectgarbage('stop') is not allowed in the sandbox") == true)
    }

    @Test("print goes to the host's handler, formatted as Lua's print")
    func printRouting() throws {
        let printed = Printed()
        let lua = try makeState(printed: printed)
        try lua.run("print('a', 1, 2.0, nil, true) print()", name: "p.lua")
        #expect(printed.lines == ["a\t1\t2.0\tnil\ttrue", ""])
    }

    @Test("require loads modules from the root folder only, once each")
    func require() throws {
        let root = try temporaryFolder()
        let outside = try temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: outside)
        }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try "loads = (loads or 0) + 1 return { name = ... }".write(to: root.appendingPathComponent("lib/notice.lua"), atomically: true, encoding: .utf8)
        try "return require 'loop'".write(to: root.appendingPathComponent("loop.lua"), atomically: true, encoding: .utf8)
        try "return 'secret'".write(to: outside.appendingPathComponent("secret.lua"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("escape.lua"), withDestinationURL: outside.appendingPathComponent("secret.lua"))
        try "local x = = 1".write(to: root.appendingPathComponent("broken.lua"), atomically: true, encoding: .utf8)

        let lua = try makeState(moduleRoot: root)
        #expect(try lua.run("local a = require 'lib.notice' local b = require 'lib.notice' return a.name, a == b, loads", name: "r.lua")
            == ["lib.notice", true, 1])
        #expect(runtimeMessage(failure(of: "require '../secret'", in: lua, name: "r.lua"))
            == "r.lua:1: module name '../secret' is not allowed: use dotted names of letters, digits and '_' (for example 'lib.notice')")
        #expect(runtimeMessage(failure(of: "require 'escape'", in: lua, name: "r.lua"))
            == "r.lua:1: module 'escape' resolves outside the module folder; require only loads files inside it")
        #expect(runtimeMessage(failure(of: "require 'missing'", in: lua, name: "r.lua"))
            == "r.lua:1: module 'missing' not found: no file 'missing.lua' or 'missing/init.lua' in the module folder")
        #expect(runtimeMessage(failure(of: "require 'loop'", in: lua, name: "r.lua"))?.contains("loop in require: module 'loop' is still loading") == true)
        #expect(runtimeMessage(failure(of: "require 'broken'", in: lua, name: "r.lua"))?.contains("error loading module 'broken': broken.lua:1:") == true)

        let rootless = try makeState()
        #expect(runtimeMessage(failure(of: "require 'lib.notice'", in: rootless, name: "r.lua"))
            == "r.lua:1: module 'lib.notice' not found: this state has no module folder")
    }

    @Test("require of a standard library returns it, as stock Lua does; io, debug and package are not there to require")
    func requireStandard() throws {
        let lua = try makeState()
        #expect(try lua.run("return require 'utf8' == utf8, require 'string' == string, require 'table' == table, require 'math' == math, require 'coroutine' == coroutine, require 'os' == os", name: "r.lua")
            == [true, true, true, true, true, true])
        #expect(try lua.run("local u = require 'utf8' return u.char(72, 105)", name: "r.lua") == ["Hi"])
        for name in ["io", "debug", "package"] {
            #expect(runtimeMessage(failure(of: "require '\(name)'", in: lua, name: "r.lua"))
                == "r.lua:1: module '\(name)' is not available in the sandbox: scripts reach no files, processes or debugger")
        }
        // The library is the sandbox's own: os keeps only time, clock and date.
        #expect(try lua.run("return require('os').execute", name: "r.lua") == [.nil])
    }

    @Test("each state is separate: one script cannot see another's globals")
    func isolation() throws {
        let a = try makeState()
        let b = try makeState()
        try a.run("secret = 'consular notes'", name: "a.lua")
        #expect(try b.run("return secret", name: "b.lua") == [.nil])
    }
}
