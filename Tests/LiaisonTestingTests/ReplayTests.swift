import Foundation
import LiaisonRuntime
import LiaisonTesting
import Testing

@Suite("liaison replay")
struct ReplayTests {
    /// Runs gulf-charter into a store, and returns it with a copy of the plugins to change.
    func recorded() throws -> (store: String, plugins: URL, cleanup: () -> Void) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = dir.appendingPathComponent("gulf.sqlite").path
        let host = try OperationHost.open(repository.appendingPathComponent("Examples/gulf-charter"), store: store)
        try host.importManifest()
        try host.play()
        let plugins = dir.appendingPathComponent("plugins")
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/gulf-charter/plugins"), to: plugins)
        return (store, plugins, { try? FileManager.default.removeItem(at: dir) })
    }

    @Test("the same plugins decide the same")
    func unchanged() throws {
        let (store, plugins, cleanup) = try recorded()
        defer { cleanup() }
        let replay = try Replay.run(store: store, plugins: plugins)
        #expect(replay.differences.isEmpty, "\(replay.text)")
        #expect(replay.externalCommands == 216)  // 200 imports and 16 timeline entries
    }

    @Test("a changed rule reports exactly the decisions it changes")
    func changedRule() throws {
        let (store, plugins, cleanup) = try recorded()
        defer { cleanup() }
        let main = plugins.appendingPathComponent("us-enf/main.lua")
        // Version 2 gives the consulate seven days instead of five.
        let text = try String(contentsOf: main, encoding: .utf8)
        try text.replacingOccurrences(of: "template = \"identity-request\", case = case, due = ctx.now + days(5)",
                                      with: "template = \"identity-request\", case = case, due = ctx.now + days(7)")
            .write(to: main, atomically: true, encoding: .utf8)
        let replay = try Replay.run(store: store, plugins: plugins)
        #expect(replay.differences.count == 100)
        let first = try #require(replay.differences.first)
        #expect(first.subject == "R-0001")
        #expect(first.before == ["notice from US-ENF to IR-MFA/consular: identity-request, due 2026-12-06T08:00:00Z"])
        #expect(first.after == ["notice from US-ENF to IR-MFA/consular: identity-request, due 2026-12-08T08:00:00Z"])
    }

    @Test("replayed as an agency, only what that agency may learn is listed: the transit authority sees no hold and no other agency's notice")
    func asAgency() throws {
        let (store, plugins, cleanup) = try recorded()
        defer { cleanup() }
        // Version 2 gives its own legal desk a day to answer each hold notice, and Doha a day
        // more to answer the transit request.
        let main = plugins.appendingPathComponent("us-enf/main.lua")
        let text = try String(contentsOf: main, encoding: .utf8)
        try text.replacingOccurrences(of: "template = \"hold-notice\", case = case, data = { kind = ev.kind }",
                                      with: "template = \"hold-notice\", case = case, data = { kind = ev.kind }, due = ctx.now + days(1)")
            .replacingOccurrences(of: "due = ctx.now + days(2), data = { movement = movement.ref, leg = 1 }",
                                  with: "due = ctx.now + days(3), data = { movement = movement.ref, leg = 1 }")
            .write(to: main, atomically: true, encoding: .utf8)
        let whole = try Replay.run(store: store, plugins: plugins)
        #expect(whole.text.contains("hold-notice"))
        let transit = try Replay.run(store: store, plugins: plugins, as: "QA-TRANSIT")
        #expect(!transit.text.contains("hold-notice") && !transit.text.contains("hold raised") && !transit.text.contains("appeal"), "\(transit.text)")
        #expect(transit.text.contains("notice from US-ENF to QA-TRANSIT: transit-request"), "\(transit.text)")
        let ministry = try Replay.run(store: store, plugins: plugins, as: "IR-MFA")
        #expect(ministry.differences.isEmpty, "\(ministry.text)")
    }

    @Test("a plugin's state is replayed: a version that keeps other counts is reported under the plugin, to its own agency only")
    func pluginState() throws {
        let (store, plugins, cleanup) = try recorded()
        defer { cleanup() }
        let main = plugins.appendingPathComponent("monitor/main.lua")
        let text = try String(contentsOf: main, encoding: .utf8)
        try text.replacingOccurrences(of: "o.people = o.people + people", with: "o.people = o.people + people + 1")
            .write(to: main, atomically: true, encoding: .utf8)
        let replay = try Replay.run(store: store, plugins: plugins)
        let state = try #require(replay.differences.first { $0.subject == "(plugin monitor)" }, "\(replay.text)")
        #expect(state.before == [#"state observed = {"handoffs":3,"people":288,"refused":0}"#])
        #expect(state.after == [#"state observed = {"handoffs":3,"people":291,"refused":0}"#])
        #expect(try Replay.run(store: store, plugins: plugins, as: "MONITOR").differences.contains { $0.subject == "(plugin monitor)" })
        #expect(try !Replay.run(store: store, plugins: plugins, as: "US-ENF").differences.contains { $0.subject == "(plugin monitor)" })
    }

    @Test("a changed priority that changes nothing reports nothing")
    func changedPriority() throws {
        let (store, plugins, cleanup) = try recorded()
        defer { cleanup() }
        let manifest = plugins.appendingPathComponent("monitor/plugin.toml")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "priority = 0", with: "priority = 500").write(to: manifest, atomically: true, encoding: .utf8)
        #expect(try Replay.run(store: store, plugins: plugins).differences.isEmpty)
    }

    @Test("a changed priority that changes what a plugin sees first is reported, case by case")
    func changedPriorityThatMatters() throws {
        // A monitor that reports who has boarded when a leg departs: run after the sending
        // agency's plugin (priority 0 against 100), it names everyone aboard; run first, no one.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("gulf-charter")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/gulf-charter"), to: folder)
        let monitor = folder.appendingPathComponent("plugins/monitor")
        try (try String(contentsOf: monitor.appendingPathComponent("main.lua"), encoding: .utf8) + """

            on("leg.departing", function(ev, ctx)
              if ev.leg == 1 then ctx:send_notice{ to = "MONITOR/oversight", template = "boarding-observed", cases = ev.movement:cases("departed") } end
            end)
            """).write(to: monitor.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
        try "{{count}} aboard".write(to: monitor.appendingPathComponent("templates/boarding-observed.mustache"), atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("gulf.sqlite").path
        do {
            let host = try OperationHost.open(folder, store: store)
            try host.importManifest()
            try host.play()
        }
        let manifest = monitor.appendingPathComponent("plugin.toml")
        try (try String(contentsOf: manifest, encoding: .utf8)).replacingOccurrences(of: "priority = 0", with: "priority = 500")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let replay = try Replay.run(store: store, plugins: folder.appendingPathComponent("plugins"))
        // 96 people were named in the report; now none is, and the report concerns no case.
        #expect(replay.differences.count == 97, "\(replay.text)")
        #expect(replay.differences.first { $0.subject == "R-0001" }?.before == ["notice from MONITOR to MONITOR/oversight: boarding-observed, due none"])
        #expect(replay.differences.first { $0.subject == "(operation)" }?.after == ["notice from MONITOR to MONITOR/oversight: boarding-observed, due none"])
    }
}
