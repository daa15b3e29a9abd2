import Foundation
import LiaisonFolder
import LiaisonModel
@testable import LiaisonRuntime
import LiaisonStore
import LuaKit
import Testing

/// The names `script` (run in `state`) returns, one per line.
func names(_ state: LuaState, _ script: String) throws -> [String] {
    (try state.run(script, name: "list").first?.stringValue ?? "").split(separator: "\n").map(String.init)
}

/// Every global of a state, and each key of its `model` table (when it has one).
let listGlobals = """
    local out = {}
    for k in pairs(_G) do if type(k) == "string" then out[#out + 1] = k end end
    table.sort(out)
    return table.concat(out, "\\n")
    """
let listModel = """
    local out = {}
    for k in pairs(model) do out[#out + 1] = k end
    table.sort(out)
    return table.concat(out, "\\n")
    """

@Suite("The plugin API is described once: what a plugin's state offers and what the stubs say are the same")
struct APIDescriptionTests {
    /// A loaded plugin's state, as the host built it.
    func pluginState() throws -> (LuaState, OperationHost, TestOperation) {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", ["case.clear"], "on(\"case.opened\", function(ev, ctx) end)", "")])
        let host = try op.host()
        return (try #require(host.engine.plugins.plugins.first).luaState, host, op)
    }

    @Test("every type, field, method, global and model function a plugin's state offers is in the stubs, and the stubs describe nothing else")
    func registeredIsDescribed() throws {
        let (state, host, op) = try pluginState()
        defer { op.remove() }
        _ = host
        let stubs = Stubs.generate()
        let registered = state.registeredTypes
        #expect(registered.map(\.name) == ["Case", "Context", "Handoff", "Movement", "Notice"])
        for type in registered {
            #expect(stubs.contains("---@class \(type.name)\n"), "\(type.name) is not described")
            for field in type.fields { #expect(stubs.contains("---@field \(field) "), "\(type.name).\(field) is not described") }
            for method in type.methods { #expect(stubs.contains("function \(type.name):\(method)("), "\(type.name):\(method) is not described") }
        }
        let sandbox = Set(["_G", "_VERSION", "assert", "collectgarbage", "coroutine", "error", "getmetatable", "ipairs", "load", "math",
                           "next", "os", "pairs", "pcall", "print", "rawequal", "rawget", "rawlen", "rawset", "require", "select",
                           "setmetatable", "string", "table", "tonumber", "tostring", "type", "utf8", "xpcall"])
        let hostGlobals = try names(state, listGlobals).filter { !sandbox.contains($0) }
        #expect(hostGlobals == ["days", "hours", "iso", "model", "on", "time"])
        for g in hostGlobals where g != "model" { #expect(stubs.contains("\nfunction \(g)("), "global \(g) is not described") }
        let model = try names(state, listModel)
        for f in model { #expect(stubs.contains("\nfunction model.\(f)("), "model.\(f) is not described") }

        // The other way: every method and function the stubs describe is there.
        for line in stubs.split(separator: "\n") where line.hasPrefix("function ") {
            let name = line.dropFirst("function ".count).prefix { $0 != "(" }
            if let colon = name.firstIndex(of: ":") {
                let (type, method) = (String(name[..<colon]), String(name[name.index(after: colon)...]))
                #expect(registered.first { $0.name == type }?.methods.contains(method) == true, "the stubs describe \(name), which no state has")
            } else if name.hasPrefix("model.") {
                #expect(model.contains(String(name.dropFirst(6))), "the stubs describe \(name), which no state has")
            } else {
                #expect(hostGlobals.contains(String(name)), "the stubs describe \(name), which no state has")
            }
        }
    }

    @Test("every event a plugin may subscribe to is in the stubs, with a class for its ev and an overload of on")
    func eventsAreDescribed() {
        let stubs = Stubs.generate()
        for e in EventCatalog.specs {
            #expect(stubs.contains("---| \"\(e.name)\" # "), "\(e.name) is not in EventName")
            let type = Stubs.eventClass(e.name)
            #expect(stubs.contains("---@overload fun(event: \"\(e.name)\", handler: fun(ev: \(type), ctx: Context)"))
            for f in e.fields { #expect(stubs.contains("---@field \(f.name) \(f.type) \(f.doc)"), "\(e.name).\(f.name)") }
        }
        #expect(Stubs.eventClass("case.state-changed") == "CaseStateChangedEvent")
    }

    @Test("the stubs as an editor needs them: table forms, no self on functions, value aliases, typed results")
    func stubsAsAnEditorReadsThem() {
        let stubs = Stubs.generate()
        // ctx:send_notice takes one table, as every example calls it.
        #expect(stubs.contains("---@param args NoticeRequest who to, which template, about which cases\n---@return string\nfunction Context:send_notice(args) end"))
        #expect(stubs.contains("---@class NoticeRequest\n---@field to string "))
        #expect(stubs.contains("---@field case? Case|string the case it is about"))
        // A command on an object takes its arguments in order, or as one table.
        #expect(stubs.contains("---@overload fun(self: Case, args: {movement: string, escorted?: boolean})\nfunction Case:schedule(movement, escorted) end"))
        #expect(stubs.contains("---@overload fun(self: Case, args: {charter?: boolean})\nfunction Case:serve_notice(charter) end"))
        // A function of the model table takes no self.
        #expect(stubs.contains("---@overload fun(args: {cases: "))
        #expect(!stubs.contains("fun(self, "))
        #expect(!stubs.contains("---@overload fun(self: Model"))
        // States, hold kinds, vulnerabilities and fit-to-fly values complete.
        for set in CaseView.valueSets {
            #expect(stubs.contains("---@alias \(set.name)\n" + set.values.map { "---| \"\($0)\"" }.joined(separator: "\n") + "\n"))
        }
        #expect(stubs.contains("---@field state CaseState "))
        #expect(stubs.contains("---@field holds HoldKind[] "))
        #expect(stubs.contains("---@field vulnerabilities Vulnerability[] "))
        #expect(stubs.contains("---@field fit_to_fly FitToFly "))
        #expect(stubs.contains("---@return Hold[]\nfunction Case:active_holds(kind) end"))
        #expect(stubs.contains("---@class Hold\n---@field id integer"))
        // Every case field, with its category.
        for f in CaseView.fields {
            #expect(stubs.contains("---@field \(f.name) \(APIMember.luaType(of: f.shape)) \(f.doc) "), "\(f.name)")
        }
    }

    @Test("docs/API.md holds the API tables generated from the same declarations")
    func referenceDoc() throws {
        let doc = try String(contentsOf: examples("..").appendingPathComponent("docs/API.md").standardizedFileURL, encoding: .utf8)
        #expect(doc.contains(Reference.api), "docs/API.md's plugin API differs from `liaison reference api`: regenerate it")
    }
}

@Suite("Notices composed from Swift, as a plugin's are")
struct NoticeComposerTests {
    @Test("an embedding application sends a rendered notice through the engine; a template printing what the recipient may not see is refused")
    func composeFromSwift() throws {
        let op = try TestOperation(plugins: [:])
        defer { op.remove() }
        let host = try op.host()
        let composer = try NoticeComposer(name: "identity", text: "Please confirm {{case.names}} ({{case.ref}}), due {{due}}.{{#data.urgent}} Urgent.{{/data.urgent}}")
        let due = host.engine.now + 86_400
        let (ref, outcome) = try host.engine.send(composer, from: "US-ENF", to: "IR-MFA/consular", cases: ["R-1"], due: due, data: ["urgent": .flag(true)])
        #expect(outcome.accepted, "\(outcome.refusal ?? "")")
        let notice = try #require(try host.store.notice(ref))
        let c = try #require(try host.store.returnCase("R-1"))
        let name = try #require(try host.store.person(c.person)?.names.first)
        #expect(notice.body == "Please confirm \(name) (R-1), due \(Timestamp.iso(due)). Urgent.")
        #expect(notice.template == "identity" && notice.to == "IR-MFA/consular")

        let claims = try NoticeComposer(name: "claims", text: "{{case.ref}}: {{case.protection_claims}} claims")
        let error = #expect(throws: NoticeError.self) {
            try host.engine.send(claims, from: "US-ENF", to: "IR-MFA", cases: ["R-1"])
        }
        #expect(error?.description == "template 'claims' prints protection_claims (protection), which US-ENF and IR-MFA may not both see: it would print blank; send it to an agency that may, or take the field out of the template")
        #expect(try host.store.notices().map(\.ref) == [ref], "nothing else was sent")
        #expect(throws: NoticeError.self) { try host.engine.send(composer, from: "US-ENF", to: "XX-NOBODY", cases: ["R-1"]) }

        // {{case}} prints the case's reference, not the name of a Swift type.
        let bare = try NoticeComposer(name: "bare", text: "About {{case}}; {{#cases}}[{{.}}]{{/cases}}")
        let (bareRef, _) = try host.engine.send(bare, from: "US-ENF", to: "IR-MFA", cases: ["R-1", "R-2"])
        #expect(try host.store.notice(bareRef)?.body == "About R-1; [R-1][R-2]")
    }
}

@Suite("What a plugin makes the host do is charged to it")
struct HostCostTests {
    @Test("the notices of one transaction are bounded together: the plugin that would go past the bound fails, named, and the others' stand")
    func noticeBytes() throws {
        let op = try TestOperation(plugins: [
            "big": ("US-ENF", ["notice.send"], """
                on("test.go", function(ev, ctx)
                  for i = 1, 10 do ctx:send_notice{ to = "IR-MFA", template = "text", case = "R-1", data = { text = ("x"):rep(290) } } end
                end)
                """, "priority = 10"),
            "small": ("IR-MFA", ["notice.send"], """
                on("test.go", function(ev, ctx) ctx:send_notice{ to = "US-ENF", template = "text", case = "R-1", data = { text = "ok" } } end)
                """, ""),
        ], templates: ["big": ["text": "{{data.text}}"], "small": ["text": "{{data.text}}"]])
        defer { op.remove() }
        let host = try op.host()
        host.engine.maxNoticeBytes = 1_000
        let outcome = try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(outcome.failures.map(\.plugin) == ["big"])
        #expect(outcome.failures.first?.message == "notice.send: plugin big's notice of 290 bytes would bring this transaction's notices to 1160 bytes, more than the 1000 one transaction may hold: send less text, or fewer notices at a time")
        // The big plugin's handler is taken back whole; the small one's notice (2 bytes) fits.
        #expect(try host.store.notices().map(\.body) == ["ok"])
    }

    @Test("a plugin that floods a transaction fails at its share, in its own handler, and every other agency's handler still runs")
    func share() throws {
        let op = try TestOperation(plugins: [
            "flood": ("US-ENF", ["notice.send"], """
                on("test.go", function(ev, ctx)
                  for i = 1, 1000 do ctx:send_notice{ to = "IR-MFA", template = "ping", case = "R-1" } end
                end)
                """, ""),
            "other": ("IR-MFA", ["notice.send"], """
                on("test.go", function(ev, ctx)
                  for i = 1, 3 do ctx:send_notice{ to = "US-ENF", template = "pong", case = "R-1" } end
                end)
                """, ""),
        ], templates: ["flood": ["ping": "ping"], "other": ["pong": "pong"]])
        defer { op.remove() }
        let host = try op.host()
        host.engine.maxCascade = 100
        #expect(host.engine.pluginShare == 50)
        let outcome = try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(outcome.failures.map(\.plugin) == ["flood"])
        #expect(outcome.failures.first?.message == "notice.send: plugin flood has given 50 commands in this transaction, the most one plugin may give in one (its share of the 100 a transaction may hold), so that other agencies' handlers keep room for theirs")
        #expect(outcome.failures.first?.location == "plugins/flood/main.lua:2")
        // The flood's own work is taken back with its handler; the other agency's stands.
        #expect(try host.store.notices().map(\.template) == ["pong", "pong", "pong"])
    }

    @Test("a run's summary names its first twenty script errors, and counts the rest")
    func summaryBounded() throws {
        let op = try TestOperation(plugins: ["bad": ("US-ENF", [], "on(\"test.go\", function(ev, ctx) error(\"no\") end)", "")])
        defer { op.remove() }
        let host = try op.host()
        for _ in 1...25 { try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator) }
        let text = try host.summary().text
        #expect(text.contains("script errors: 25"))
        #expect(text.components(separatedBy: "plugins/bad/main.lua:1").count - 1 == 20)
        #expect(text.contains("and 5 more: see the report (--report)"))
        #expect(try host.summary().report(html: false).components(separatedBy: "plugins/bad/main.lua:1").count - 1 == 25)
    }
}
