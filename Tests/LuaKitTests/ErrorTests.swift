import LuaKit
import Testing

@Suite("Errors are typed and say where")
struct ErrorTests {
    @Test("a syntax error names the chunk and line")
    func syntax() throws {
        let lua = try makeState()
        do {
            _ = try lua.load("local x = 1\nlocal y = = 2", name: "plugins/ir-mfa/main.lua")
            Issue.record("expected a syntax error")
        } catch let LuaError.syntax(chunk, line, message) {
            #expect(chunk == "plugins/ir-mfa/main.lua")
            #expect(line == 2)
            #expect(message.hasPrefix("plugins/ir-mfa/main.lua:2:"))
        }
    }

    @Test("a runtime error carries file:line and a traceback through the functions it passed")
    func runtime() throws {
        let lua = try makeState()
        let error = failure(of: "local function handoff(h)\n  return h.escort.name\nend\nhandoff({})", in: lua, name: "main.lua")
        guard case .runtime(let message, let traceback)? = error as? LuaError else {
            Issue.record("expected a runtime error, got \(String(describing: error))")
            return
        }
        #expect(message == "main.lua:2: attempt to index a nil value (field 'escort')")
        #expect(traceback.hasPrefix("stack traceback:"))
        #expect(traceback.contains("main.lua:2: in "))
        #expect(traceback.contains("main.lua:4: in main chunk"))
    }

    @Test("an error value that is a table or has __tostring is reported without running its code")
    func errorObjects() throws {
        let lua = try makeState()
        #expect(runtimeMessage(failure(of: "error({ code = 42 })", in: lua)) == "(error object is a table value)")
        let looping = "error(setmetatable({}, { __tostring = function() while true do end end }))"
        #expect(runtimeMessage(failure(of: looping, in: lua)) == "(error object is a table value)")
        #expect(runtimeMessage(failure(of: "error(42)", in: lua)) == "42")
    }
}
