import LuaKit
import Testing

@Suite("Values cross the bridge both ways")
struct ValueTests {
    @Test("scalars keep their Lua types: integers and floats stay apart")
    func scalars() throws {
        let lua = try makeState()
        let values = try lua.run("return nil, true, 42, 42.0, 1/0, 'text', 2^53", name: "v.lua")
        #expect(values == [.nil, .boolean(true), .integer(42), .number(42), .number(.infinity), "text", .number(9007199254740992)])
        let f = try lua.load("return math.type(...)", name: "t.lua")
        #expect(try f.call(7, returning: String.self) == "integer")
        #expect(try f.call(7.0, returning: String.self) == "float")
    }

    @Test("strings are bytes: embedded zeros and invalid UTF-8 survive a round trip")
    func bytes() throws {
        let lua = try makeState()
        let raw = LuaString(bytes: [0x41, 0x00, 0xFF, 0x42])
        let f = try lua.load("local s = ... return s, #s, s:byte(3)", name: "b.lua")
        let out = try f.call(raw)
        #expect(out == [.string(raw), .integer(4), .integer(255)])
        #expect(raw.string == nil)
    }

    @Test("tables become dictionaries and arrays, and back, nested")
    func tables() throws {
        let lua = try makeState()
        let value: LuaValue = ["ref": "R-0042", "legs": ["AEX", "DOH", "IKA"], "pax": 98, "ok": true]
        try lua.setGlobal("op", value)
        #expect(try lua.evaluate("return op.legs[2] .. ':' .. op.pax .. ':' .. #op.legs", name: "t.lua", as: String.self) == "DOH:98:3")
        #expect(lua.globals["op"] == value)
        #expect(lua.globals["op"]["legs"]?.arrayValue == ["AEX", "DOH", "IKA"])
        let arrays = try lua.load("return {10, 20, 30}, {a = {b = {c = 1}}}", name: "a.lua").call()
        #expect(arrays[0].arrayValue == [10, 20, 30])
        #expect(arrays[1]["a"]?["b"]?["c"] == 1)
        let f = try lua.load("return ...", name: "id.lua")
        #expect(try f.call([1, 2, 3], returning: [Int].self) == [1, 2, 3])
        #expect(try f.call(["x": 1.5], returning: LuaValue.self)["x"] == .number(1.5))
    }

    @Test("a record pushes the table its value is: named fields, the last value given a name winning, nested values")
    func records() throws {
        let lua = try makeState()
        var record = LuaRecord()
        record["name"] = "case.opened"
        record["hold"] = .integer(3)
        record["hold"] = .integer(4)
        record["legs"] = ["AEX", "DOH"]
        record["gone"] = "x"
        record["gone"] = nil
        #expect(record["hold"] == .integer(4) && record["gone"] == nil && record.fields.count == 3)
        let f = try lua.load("local t = ... return t.name .. ':' .. t.hold .. ':' .. t.legs[2] .. ':' .. tostring(t.gone), t", name: "r.lua")
        let results = try f.call(record)
        #expect(results[0] == "case.opened:4:DOH:nil")
        #expect(results[1] == record.value)
    }

    @Test("a table that contains itself is refused with a clear error, not an endless copy")
    func cycles() throws {
        let lua = try makeState()
        let f = try lua.load("local t = {} t.self = t return t", name: "c.lua")
        #expect(throws: LuaError.conversion("cannot copy a table that contains itself")) { try f.call() }
        #expect(try lua.evaluate("return 1 + 1", name: "after.lua", as: Int.self) == 2)
    }

    @Test("Codable values become tables and tables decode back")
    func codable() throws {
        struct Leg: Codable, Equatable {
            var from: String
            var to: String
            var minutes: Int
            var transit: Bool
            var note: String?
        }
        struct Movement: Codable, Equatable { var carrier: String; var legs: [Leg] }
        let movement = Movement(carrier: "Example Air", legs: [
            Leg(from: "AEX", to: "DOH", minutes: 840, transit: false, note: nil),
            Leg(from: "DOH", to: "IKA", minutes: 150, transit: true, note: "escort change"),
        ])
        let lua = try makeState()
        try lua.setGlobal("m", try LuaValue(encoding: movement))
        #expect(try lua.evaluate("return m.legs[2].to .. ' ' .. math.type(m.legs[1].minutes)", name: "m.lua", as: String.self) == "IKA integer")
        let back = try lua.evaluate("m.legs[1].minutes = m.legs[1].minutes + 5 return m", name: "m.lua", as: LuaValue.self)
        var expected = movement
        expected.legs[0].minutes = 845
        #expect(try back.decode(Movement.self) == expected)
        let bad = try lua.evaluate("return { carrier = 'x', legs = { { from = 'AEX' } } }", name: "bad.lua", as: LuaValue.self)
        #expect(throws: LuaError.conversion("field 'legs[1]': missing field 'to'")) { try bad.decode(Movement.self) }
    }

    @Test("a Lua function held by Swift can be called later and is released with its last reference")
    func references() throws {
        let lua = try makeState()
        // A weak table watches the function: it stays while Swift holds it, and goes once Swift
        // lets go and Lua collects.
        var add: LuaFunction? = try lua.evaluate("""
            watched = setmetatable({}, { __mode = "v" })
            local f = function(a, b) return a + b end
            watched[1] = f
            return f
            """, name: "f.lua", as: LuaFunction.self)
        #expect(try add!.call(2, 3, returning: Int.self) == 5)
        #expect(try add!.call(2.5, 3, returning: Double.self) == 5.5)
        #expect(try lua.evaluate("collectgarbage() collectgarbage() return watched[1] ~= nil", name: "gc.lua", as: Bool.self))
        add = nil
        #expect(try lua.evaluate("collectgarbage() collectgarbage() return watched[1] == nil", name: "gc.lua", as: Bool.self))
        #expect(throws: LuaError.conversion("integer expected, got string")) {
            try lua.load("return 'x'", name: "s.lua").call(returning: Int.self)
        }
    }
}

@Suite("Tables held by reference")
struct TableReferenceTests {
    @Test("a LuaTable reads and writes the live table, without running metamethods")
    func live() throws {
        let lua = try makeState()
        let t = try lua.evaluate("""
            shared = setmetatable({ retries = 3 }, { __index = function() error('ran') end, __newindex = function() error('ran') end })
            return shared
            """, name: "t.lua", as: LuaTable.self)
        #expect(try t.get("retries") == 3)
        #expect(try t.get("absent") == .nil)
        try t.set("retries", 5)
        try t.set("new", "added")
        #expect(try lua.run("return shared.retries, rawget(shared, 'new')", name: "r.lua") == [5, "added"])
        try lua.run("rawset(shared, 1, 'a') rawset(shared, 2, 'b')", name: "w.lua")
        #expect(t.count == 2)
        #expect(try t.snapshot()[.string("new")] == "added")
        #expect(throws: LuaError.conversion("a table key cannot be nil")) { try t.set(.nil, 1) }
        let f = try lua.load("local t = ... return t.retries", name: "f.lua")
        #expect(try f.call(t, returning: Int.self) == 5)
    }
}
