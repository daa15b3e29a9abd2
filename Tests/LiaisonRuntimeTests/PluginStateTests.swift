import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

/// A plugin's own state (`ctx:remember`, `ctx:recall`): kept by its handler's transaction, in
/// the ledger, across reloads and new hosts, and nobody else's to read.
@Suite("Plugin state")
struct PluginStateTests {
    /// A sending-agency plugin that counts the `test.go` signals and keeps a table of them, and
    /// logs what it recalls.
    static let counter = """
        on("test.go", function(ev, ctx)
          local n = (ctx:recall("count") or 0) + 1
          ctx:remember("count", n)
          ctx:remember("seen", { last = n, list = { "a", n, 2.5, true }, nested = { deeper = { x = "y" } } })
          ctx:log(("count %d"):format(ctx:recall("count")))
        end)
        on("a.b", function(ev, ctx)
          local seen = ctx:recall("seen")
          ctx:log(("recalled %s %s %s %s %s %s"):format(ctx:recall("count"), seen.last, seen.list[1], seen.list[3], tostring(seen.list[4]), seen.nested.deeper.x))
          ctx:remember("seen", nil)
          ctx:log("dropped " .. tostring(ctx:recall("seen")))
        end)
        """

    static func go(_ host: OperationHost, _ name: String = "test.go") throws -> Outcome {
        try host.engine.submit(.signal(Signal(name: name)), by: .coordinator)
    }

    static func lines(_ host: OperationHost) -> [String] {
        host.engine.log.map { $0.components(separatedBy: ": ").dropFirst().joined(separator: ": ") }
    }

    @Test("values come back as kept, across handlers, and nil drops a key")
    func roundTrip() throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", [], Self.counter, "")])
        defer { op.remove() }
        let host = try op.host()
        for _ in 1...3 { #expect(try Self.go(host).failures.isEmpty) }
        #expect(try Self.go(host, "a.b").failures.isEmpty)
        #expect(Self.lines(host) == ["count 1", "count 2", "count 3", "recalled 3 3 a 2.5 true y", "dropped nil"])
        // Each change is a ledger entry of its own, by the plugin's agency and hook.
        let entries = try host.store.ledger(command: "plugin.state")
        #expect(entries.count == 3 * 2 + 1)
        #expect(entries.allSatisfy { $0.actor == "US-ENF" && $0.origin.hasPrefix("plugin enf, hook ") })
        #expect(try host.store.verify() == .intact(entries: try host.store.head().sequence))
    }

    @Test("a handler that fails takes its changes back; the next one sees the value before it")
    func rolledBack() throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", [], """
            on("test.go", function(ev, ctx)
              ctx:log("before " .. tostring(ctx:recall("k")))
              ctx:remember("k", (ctx:recall("k") or 0) + 1)
              if ctx:recall("k") == 2 then error("second time fails") end
            end)
            """, "")])
        defer { op.remove() }
        let host = try op.host()
        #expect(try Self.go(host).failures.isEmpty)
        let failed = try Self.go(host)
        #expect(failed.failures.map(\.message) == ["second time fails"])
        #expect(try Self.go(host).failures.count == 1)  // 1 again → 2 again → fails again
        #expect(Self.lines(host).filter { $0.hasPrefix("before") } == ["before nil", "before 1", "before 1"])
        #expect(try host.store.ledger(command: "plugin.state").count == 1)
    }

    @Test("state is kept across a reload of the plugins and a new host on the same store")
    func keptAcrossReloads() throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", [], Self.counter, "")])
        defer { op.remove() }
        let path = op.url.appendingPathComponent("state.sqlite").path
        do {
            let host = try OperationHost.open(op.url, store: path)
            try host.importManifest()
            _ = try Self.go(host)
            _ = try Self.go(host)
            try host.engine.reload(operationFolder: op.url)
            _ = try Self.go(host)
            #expect(Self.lines(host) == ["count 1", "count 2", "count 3"])
            try host.store.flush()
        }
        let again = try OperationHost.attach(op.url, store: path)
        _ = try Self.go(again)
        #expect(Self.lines(again) == ["count 4"])
        #expect(try again.store.verify() == .intact(entries: try again.store.head().sequence))
    }

    @Test("what a plugin cannot keep is a Lua error naming the key, and nothing is kept", arguments: [
        ("function() end", "a function"),
        ("0/0", "nan is not a finite number"),
        ("1/0", "inf is not a finite number"),
        ("{ [1] = 'a', x = 'b' }", "a table whose keys are neither all strings nor 1 to 2"),
        ("{ [1] = 'a', [3] = 'c' }", "a table whose keys are neither all strings nor 1 to 2"),
        ("'\\255\\254'", "a string that is not UTF-8 text"),
        ("(function() local t = {} t.self = t return t end)()", "cannot copy a table that contains itself"),
        ("('x'):rep(70000)", "more than 65536"),
        ("setmetatable({}, { __index = function() error('boom') end })", ""),
    ])
    func refused(value: String, message: String) throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", [], """
            on("test.go", function(ev, ctx)
              ctx:remember("k", "kept")
              local ok, err = pcall(ctx.remember, ctx, "k", \(value))
              ctx:log(tostring(ok) .. " " .. tostring(err))
              ctx:log("now " .. tostring(ctx:recall("k")))
            end)
            """, "")])
        defer { op.remove() }
        let host = try op.host()
        _ = try Self.go(host)
        let lines = Self.lines(host)
        if message.isEmpty {
            // An empty table with a metatable keeps as an empty table: metamethods are not run.
            #expect(lines.count == 2 && lines[0] == "true nil" && lines[1].hasPrefix("now table: 0x"), "\(lines)")
        } else {
            #expect(lines.count == 2 && lines[0].hasPrefix("false ") && lines[0].contains(message), "\(lines)")
            #expect(lines.last == "now kept")
        }
    }

    @Test("keys are bounded, and so is what one plugin keeps in all")
    func bounds() throws {
        let op = try TestOperation(plugins: ["enf": ("US-ENF", [], """
            on("test.go", function(ev, ctx)
              for _, key in ipairs({ "", ("k"):rep(257), "a\\0b" }) do
                local ok, err = pcall(ctx.remember, ctx, key, 1)
                ctx:log(err)
              end
              local big = ("x"):rep(60000)
              local ok, err = pcall(function() for i = 1, 40 do ctx:remember("k" .. i, big) end end)
              ctx:log(err)
              ctx:remember("k1", nil)
              ctx:remember("last", big)
            end)
            """, "")])
        defer { op.remove() }
        let host = try op.host()
        #expect(try Self.go(host).failures.isEmpty)
        let lines = Self.lines(host)
        #expect(lines[0].hasSuffix("ctx:remember: a state key cannot be empty"))
        #expect(lines[1].hasSuffix("ctx:remember: state key of 257 bytes is longer than 256"))
        #expect(lines[2].hasSuffix("ctx:remember: a state key cannot contain control characters"))
        #expect(lines[3].contains("ctx:remember('k18'): plugin enf would keep 1080081 bytes of state, more than 1048576"), "\(lines[3])")
        // 17 values kept by the loop, one dropped, one more: the 1 MiB stays the bound.
        let kept = try host.store.ledger(command: "plugin.state").count
        #expect(kept == 17 + 2)
    }

    @Test("no other agency learns of a plugin's state: not its plugins, its console's ledger, nor its tests' outcomes")
    func private_() throws {
        let op = try TestOperation(plugins: [
            "enf": ("US-ENF", [], """
                on("test.go", function(ev, ctx) ctx:remember("R-3", "protection claim") end)
                """, ""),
            "mfa": ("IR-MFA", [], """
                on("test.go", function(ev, ctx) ctx:log("mfa sees " .. tostring(ctx:recall("R-3"))) end)
                """, ""),
        ])
        defer { op.remove() }
        let host = try op.host()
        let outcome = try Self.go(host)
        #expect(Self.lines(host) == ["mfa sees nil"])
        let state = try #require(outcome.applied.first { $0.entry.command == "plugin.state" })
        #expect(state.entry.payload.contains("protection claim"))
        let ministry = try CaseReader("IR-MFA", in: host.store.operation)
        #expect(!state.entry.isVisible(to: ministry, in: host.store))
        #expect(!outcome.seen(by: ministry, in: host.store).applied.contains { $0.entry.command == "plugin.state" })
        #expect(state.entry.isVisible(to: try CaseReader("US-ENF", in: host.store.operation), in: host.store))
        #expect(state.events.isEmpty)
    }

    @Test("an agency cannot keep state for another agency's plugin")
    func otherAgency() throws {
        let op = try TestOperation()
        defer { op.remove() }
        let host = try op.host()
        let change = PluginStateChange(plugin: "enf", agency: "US-ENF", key: "k", value: "1")
        let outcome = try host.engine.submit(.setPluginState(change), by: "IR-MFA")
        #expect(outcome.refusal == "the state of plugin enf is kept by its agency US-ENF, not IR-MFA")
    }
}
