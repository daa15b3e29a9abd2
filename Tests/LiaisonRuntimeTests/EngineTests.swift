import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

private let go = Command.signal(Signal(name: "test.go"))

@Suite("The engine: handlers, savepoints and policies")
struct EngineTests {
    func one(_ lua: String, permissions: [String] = ["case.clear"], extra: String = "") throws -> (TestOperation, OperationHost) {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", permissions, lua, extra)])
        return (op, try op.host())
    }

    @Test("a failing fail-open handler has its own effects dropped, and the command goes on")
    func failOpen() throws {
        let (op, host) = try one("""
            on("test.go", function(ev, ctx)
              model.case("R-3"):clear()
              error("the intake form is incomplete")
            end)
            """)
        defer { op.remove() }
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(outcome.accepted)
        #expect(try host.progress("R-3") == "identified")
        let failure = try #require(outcome.failures.first)
        #expect(failure.kind == .error)
        #expect(failure.location == "plugins/enf/main.lua:3")
        #expect(failure.message == "the intake form is incomplete")
        #expect(outcome.applied.map(\.entry.command) == ["signal", "plugin.outcome"])
        #expect(outcome.applied[1].entry.origin == "plugin enf, hook test.go")
        #expect(try host.store.verify() == .intact(entries: outcome.applied.last!.entry.sequence))
    }

    @Test("a failing fail-closed handler refuses the triggering command and changes nothing but the ledger")
    func failClosed() throws {
        let (op, host) = try one("""
            on("test.go", function(ev, ctx)
              model.case("R-3"):clear()
              local t = nil
              return t.field
            end, { fail = "closed" })
            """)
        defer { op.remove() }
        let before = try snapshot(host)
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(!outcome.accepted)
        #expect(outcome.refusal?.contains("plugin enf, hook test.go, plugins/enf/main.lua:4: error: attempt to index a nil value") == true)
        #expect(try snapshot(host) == before)
        #expect(outcome.applied.map(\.entry.command) == ["plugin.outcome"])
    }

    @Test("each rollback path leaves the model unchanged", arguments: [
        ("timeout", "while true do end"),
        ("memory", "local t = {} while true do t[#t + 1] = string.rep('x', 4096) .. #t end"),
        ("veto", "ctx:veto('the escort team is not ready')"),
        ("veto", "pcall(ctx.veto, ctx, 'caught, but still a veto')"),
        ("error", "local y = setmetatable({}, { __index = function() error('in a metamethod') end }).x"),
        ("error", "model.case('R-2'):clear()"),
    ])
    func rollbackPaths(kind: String, body: String) throws {
        let (op, host) = try one("""
            on("test.go", function(ev, ctx)
              model.case("R-3"):clear()
              \(body)
            end, { fail = "closed" })
            """, extra: "[limits]\ntime_ms = \(kind == "timeout" ? 150 : 20_000)\nmemory_mib = 8")
        defer { op.remove() }
        let before = try snapshot(host)
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(!outcome.accepted)
        #expect(outcome.failures.map(\.kind.rawValue) == [kind])
        #expect(try snapshot(host) == before)
        // The plugin's state is still usable: the same command is handled, and ends, the same way.
        #expect(try host.engine.submit(go, by: .coordinator).failures.map(\.kind.rawValue) == [kind])
        #expect(try snapshot(host) == before)
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))
    }

    @Test("a veto refuses the command even from a fail-open hook, and names where it was made")
    func veto() throws {
        let (op, host) = try one("""
            on("test.go", function(ev, ctx)
              ctx:veto("medical escort required for R-1")
            end)
            """)
        defer { op.remove() }
        let before = try snapshot(host)
        let entries = try host.store.count(.ledger)
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(outcome.refusal == "vetoed by plugin enf, hook test.go, plugins/enf/main.lua:2: veto: medical escort required for R-1")
        // Nothing changed but the record of the veto, which is the one entry written.
        #expect(try snapshot(host) == before)
        let written = try host.store.ledger(after: Int64(entries), limit: 10)
        #expect(written.map(\.command) == ["plugin.outcome"])
        #expect(written.first?.payload.contains("medical escort required for R-1") == true)
    }

    @Test("a model refusal inside a handler is a Lua error with the model's reason")
    func refusalInHandler() throws {
        let (op, host) = try one("""
            on("test.go", function(ev, ctx) model.case("R-2"):clear() end)
            """)
        defer { op.remove() }
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(outcome.failures.first?.message == "case.clear refused: case R-2 cannot be cleared: voluntary return without signed consent")
    }

    @Test("a handler is rolled back alone: an earlier plugin's effects stay")
    func rolledBackAlone() throws {
        let op = try TestOperation(plugins: [
            "first": ("US-ENF", ["case.clear"], "on('test.go', function() model.case('R-3'):clear() end)", "priority = 10"),
            "second": ("US-ENF", ["case.clear"], "on('test.go', function() model.case('R-1'):clear() error('late failure') end)", "priority = 0"),
        ])
        defer { op.remove() }
        let host = try op.host()
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(outcome.accepted)
        #expect(try host.progress("R-3") == "cleared")
        #expect(try host.progress("R-1") == "identified")
    }

    @Test("handlers run by priority, then name, each plugin just after what it depends on")
    func ordering() throws {
        let lua = { (name: String) in "on('test.go', function(ev, ctx) ctx:log('\(name)') end)" }
        let op = try TestOperation(plugins: [
            "alpha": ("US-ENF", [], lua("alpha"), "priority = 10"),
            "bravo": ("IR-MFA", [], lua("bravo"), "priority = 50\n[dependencies]\ncharlie = \"^1\""),
            "charlie": ("QA-TRANSIT", [], lua("charlie"), "priority = 0"),
            "delta": ("IR-RECEPTION", [], lua("delta"), "priority = 10"),
        ])
        defer { op.remove() }
        let host = try op.host()
        try host.engine.submit(go, by: .coordinator)
        #expect(host.engine.log.map { $0.components(separatedBy: ": ").last! } == ["charlie", "bravo", "alpha", "delta"])
        #expect(host.engine.plugins.plugins.map(\.name) == ["charlie", "bravo", "alpha", "delta"])
    }

    @Test("a sent notice is offered only to its sender's and recipient's plugins: notice.received to the recipient's, in the set's order with notice.sent")
    func noticeReceived() throws {
        // Each plugin logs what it is offered; `sender` sends one notice to IR-MFA's consular
        // desk and one to QA-TRANSIT.
        let log = { (name: String) in """
            on("notice.sent", function(ev, ctx) ctx:log("\(name) sent " .. ev.notice.ref) end)
            on("notice.received", function(ev, ctx) ctx:log("\(name) \(name == "ministry-b" ? "fails on" : "received") " .. ev.name .. " " .. ev.notice.ref .. " to " .. ev.notice.to)
              \(name == "ministry-b" ? "error('cannot file it')" : "") end)
            """ }
        let op = try TestOperation(plugins: [
            "sender": ("US-ENF", ["notice.send"], """
                on("test.go", function(ev, ctx)
                  ctx:send_notice{ to = "IR-MFA/consular", template = "t" }
                  ctx:send_notice{ to = "QA-TRANSIT", template = "t" }
                end)
                """ + log("sender"), "priority = 90"),
            "ministry-a": ("IR-MFA", [], log("ministry-a"), "priority = 50"),
            "transit": ("QA-TRANSIT", [], log("transit"), "priority = 30"),
            "ministry-b": ("IR-MFA", [], log("ministry-b"), "priority = 10"),
        ], templates: ["sender": ["t": "hello"]])
        defer { op.remove() }
        let host = try op.host()
        let outcome = try host.engine.submit(go, by: .coordinator)
        // Each line: "plugin NAME, hook HOOK: text" (the failure's own line is checked below).
        #expect(host.engine.log.filter { !$0.contains("main.lua:") } == [
            "plugin sender, hook notice.sent: sender sent N-000001",
            "plugin ministry-a, hook notice.sent: ministry-a sent N-000001",
            "plugin ministry-a, hook notice.received: ministry-a received notice.received N-000001 to IR-MFA/consular",
            "plugin ministry-b, hook notice.sent: ministry-b sent N-000001",
            "plugin ministry-b, hook notice.received: ministry-b fails on notice.received N-000001 to IR-MFA/consular",
            "plugin sender, hook notice.sent: sender sent N-000002",
            "plugin transit, hook notice.sent: transit sent N-000002",
            "plugin transit, hook notice.received: transit received notice.received N-000002 to QA-TRANSIT",
        ])
        // notice.sent for the sender's and the recipient's plugins (the transit authority never
        // hears of the ministry's notice, nor the ministry of the transit authority's), and
        // notice.received for the recipient's.
        #expect(outcome.handlerCalls == 1 + 3 + 2 + 2 + 1)
        #expect(outcome.accepted)
        #expect(outcome.failures.map { "\($0.plugin) \($0.hook) \($0.location ?? "")" } == ["ministry-b notice.received plugins/ministry-b/main.lua:3"])
    }

    @Test("plugins reacting to each other without end stop at the cascade limit")
    func cascade() throws {
        let op = try TestOperation(plugins: ["echo": ("US-ENF", ["notice.send"], """
            on("notice.sent", function(ev, ctx) ctx:send_notice{ to = "IR-MFA", template = "ping" } end)
            on("test.go", function(ev, ctx) ctx:send_notice{ to = "IR-MFA", template = "ping" } end)
            """, "")], templates: ["echo": ["ping": "ping"]])
        defer { op.remove() }
        let host = try op.host()
        host.engine.maxCascade = 30
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(outcome.failures.first?.message.contains("longer than 30 commands") == true)
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))
    }

    @Test("the summary names the first five late notices and counts the rest; the report lists them all")
    func manyLate() throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", ["notice.send"], """
            on("test.go", function(ev, ctx)
              for i = 1, 7 do ctx:send_notice{ to = "IR-MFA/consular", template = "ask", case = "R-1", due = ctx.now + hours(1) } end
            end)
            """, "")], templates: ["enf": ["ask": "Please answer."]])
        defer { op.remove() }
        let host = try op.host()
        try host.engine.submit(go, by: .coordinator)
        try host.engine.advance(to: host.engine.now.addingTimeInterval(7200))
        let summary = try host.summary()
        let named = (1...5).map { "N-00000\($0) ask to IR-MFA/consular" }.joined(separator: ", ")
        #expect(summary.text.contains("  notices:  7 sent, 7 late (\(named), and 2 more: see the report (--report))\n"))
        #expect(summary.report(html: false).contains("N-000007 (ask to IR-MFA/consular, due "))
    }

    @Test("a notice's deadline passing unanswered is offered to plugins as notice.overdue, and the notice counts as late")
    func overdue() throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", ["notice.send"], """
            on("test.go", function(ev, ctx) ctx:send_notice{ to = "IR-MFA/consular", template = "ask", case = "R-1", due = ctx.now + hours(1) } end)
            on("notice.overdue", function(ev, ctx) ctx:log("overdue " .. ev.notice .. " " .. ev.template) end)
            """, "")], templates: ["enf": ["ask": "Please answer about {{case.ref}} by {{due}}."]])
        defer { op.remove() }
        let host = try op.host()
        try host.engine.submit(go, by: .coordinator)
        let outcomes = try host.engine.advance(to: host.engine.now.addingTimeInterval(7200))
        #expect(outcomes.count == 1)
        #expect(host.engine.log.last == "plugin enf, hook notice.overdue: overdue N-000001 ask")
        #expect(try host.summary().noticesLate.map(\.ref) == ["N-000001"])
        #expect(try host.store.notices().first?.body == "Please answer about R-1 by 2026-12-01T09:00:00Z.")
    }
}
