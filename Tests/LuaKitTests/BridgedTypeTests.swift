import LuaKit
import Testing

final class Handoff {
    var ref: String
    var place: String
    var note = ""
    var accepted = false
    var calls = 0
    var people: [String]
    init(ref: String, place: String, people: [String]) {
        self.ref = ref
        self.place = place
        self.people = people
    }
}

func handoffType(counting counter: Handoff? = nil) -> LuaType<Handoff> {
    LuaType<Handoff>("Handoff")
        .field("ref") { $0.calls += 1; return $0.ref }
        .field("place", hint: "use handoff:move(place)") { $0.place }
        .field("note", get: { $0.note }, set: { $0.note = $1 })
        .method("accept") { h, args in
            h.calls += 1
            h.accepted = true
            return "accepted by \(try args.string(1))"
        }
        .method("count") { h, _ in h.people.count }
        .tostring { "<handoff \($0.ref) at \($0.place)>" }
        .eq { $0.ref == $1.ref }
        .len { $0.people.count }
        .pairs { h in h.people.enumerated().map { (.integer(Int64($0.offset + 1)), .string(LuaString($0.element))) } }
        .close { h, _ in h.note = "closed" }
}

@Suite("Bridged Swift types")
struct BridgedTypeTests {
    @Test("fields read and write, methods call, and a read-only field names itself when assigned")
    func fieldsAndMethods() throws {
        let lua = try makeState()
        try lua.register(handoffType())
        let h = Handoff(ref: "H-1", place: "DOH", people: ["R-0001", "R-0002"])
        try lua.setGlobal("h", .object(h))
        #expect(try lua.evaluate("return h.ref .. '@' .. h.place", name: "f.lua", as: String.self) == "H-1@DOH")
        try lua.run("h.note = 'escort present'", name: "w.lua")
        #expect(h.note == "escort present")
        #expect(try lua.evaluate("return h:accept('arrivals duty officer')", name: "m.lua", as: String.self) == "accepted by arrivals duty officer")
        #expect(h.accepted)
        #expect(runtimeMessage(failure(of: "h.place = 'IKA'", in: lua, name: "ro.lua"))
            == "ro.lua:1: field 'place' of Handoff is read-only (use handoff:move(place))")
        #expect(runtimeMessage(failure(of: "h.nope = 1", in: lua, name: "x.lua")) == "x.lua:1: Handoff has no field 'nope'")
        #expect(runtimeMessage(failure(of: "return h.destinaton", in: lua, name: "x.lua")) == "x.lua:1: Handoff has no field or method 'destinaton'")
        #expect(runtimeMessage(failure(of: "h.accept = print", in: lua, name: "x.lua")) == "x.lua:1: cannot assign to method 'accept' of Handoff")
        #expect(runtimeMessage(failure(of: "h.note = {}", in: lua, name: "x.lua"))
            == "x.lua:1: bad value for field 'note' of Handoff (string expected, got table)")
        #expect(runtimeMessage(failure(of: "h:accept()", in: lua, name: "x.lua")) == "x.lua:1: bad argument #1 to 'accept' (string expected, got no value)")
        #expect(runtimeMessage(failure(of: "h.accept(42, 'x')", in: lua, name: "x.lua")) == "x.lua:1: bad argument #1 to 'accept' (Handoff expected, got number)")
    }

    @Test("a method lookup resolves from a plain table without entering Swift")
    func methodLookup() throws {
        let lua = try makeState()
        try lua.register(handoffType())
        let h = Handoff(ref: "H-1", place: "DOH", people: [])
        try lua.setGlobal("h", .object(h))
        try lua.run("for i = 1, 100 do local f = h.accept end", name: "lookup.lua")
        #expect(h.calls == 0)
        _ = try lua.run("return h.ref", name: "field.lua")
        #expect(h.calls == 1)
    }

    @Test("metamethods: tostring, ==, #, pairs and <close>")
    func metamethods() throws {
        let lua = try makeState()
        try lua.register(handoffType())
        let a = Handoff(ref: "H-1", place: "DOH", people: ["R-0001", "R-0002"])
        let b = Handoff(ref: "H-1", place: "IKA", people: [])
        try lua.setGlobal("a", .object(a))
        try lua.setGlobal("b", .object(b))
        #expect(try lua.evaluate("return tostring(a)", name: "t.lua", as: String.self) == "<handoff H-1 at DOH>")
        #expect(try lua.run("return a == b, a == a, a == 1, #a", name: "e.lua") == [true, true, false, 2])
        #expect(try lua.evaluate("local s = '' for i, p in pairs(a) do s = s .. i .. p .. ';' end return s", name: "p.lua", as: String.self)
            == "1R-0001;2R-0002;")
        try lua.run("do local x <close> = a end", name: "c.lua")
        #expect(a.note == "closed")
    }

    @Test("the same object is the same userdata, its metatable is hidden, and it is recognised by metatable")
    func identityAndProtection() throws {
        let lua = try makeState()
        try lua.register(handoffType())
        let h = Handoff(ref: "H-1", place: "DOH", people: [])
        try lua.setGlobal("x", .object(h))
        try lua.setGlobal("y", .object(h))
        #expect(try lua.run("return rawequal(x, y), getmetatable(x)", name: "i.lua") == [true, false])
        #expect(runtimeMessage(failure(of: "setmetatable(x, {})", in: lua, name: "s.lua"))?.contains("table expected, got Handoff") == true)
        guard case .object(let back) = lua.globals["x"] else { Issue.record("not an object"); return }
        #expect(ObjectIdentifier(back) == ObjectIdentifier(h))
        let f = try lua.load("return ...", name: "id.lua")
        try lua.register("takes") { args in try args.object(1, as: Handoff.self).ref }
        #expect(try lua.evaluate("return takes(x)", name: "t.lua", as: String.self) == "H-1")
        #expect(runtimeMessage(failure(of: "return takes(setmetatable({}, {__name = 'Handoff'}))", in: lua, name: "t.lua"))
            == "t.lua:1: bad argument #1 to 'takes' (Handoff expected, got Handoff)")
        _ = f
    }

    @Test("a released object is unreachable from Lua and says so")
    func release() throws {
        let lua = try makeState()
        try lua.register(handoffType())
        let h = Handoff(ref: "H-1", place: "DOH", people: [])
        try lua.setGlobal("h", .object(h))
        try lua.run("kept = h", name: "keep.lua")
        lua.release(h)
        #expect(runtimeMessage(failure(of: "return kept.ref", in: lua, name: "r.lua")) == "r.lua:1: attempt to use a released Handoff object")
        #expect(try lua.evaluate("return tostring(kept)", name: "r.lua", as: String.self) == "Handoff (released)")
        #expect(runtimeMessage(failure(of: "return h.accept(kept, 'x')", in: lua, name: "r.lua")) == "r.lua:1: attempt to use a released Handoff object")
    }

    @Test("an unregistered class is refused with a message that says what to do")
    func unregistered() throws {
        let lua = try makeState()
        #expect(throws: LuaError.conversion("Handoff is not registered with this Lua state; register a LuaType for it first")) {
            try lua.setGlobal("h", .object(Handoff(ref: "x", place: "y", people: [])))
        }
    }
}
