import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

/// A copy of an example operation with plugins added, for the trust-boundary tests: each is
/// tried on the real gulf-charter, as the most curious agency would.
struct ExampleCopy {
    let url: URL

    /// `plugins`: folder name → (agency, plugin.toml's permissions, main.lua, templates); each is
    /// listed among its agency's plugins unless `unlisted` names it. `append` goes at the end of
    /// operation.toml.
    init(_ example: String, plugins: [String: (agency: String, permissions: [String], lua: String, templates: [String: String])] = [:],
         unlisted: Set<String> = [], append: String = "") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-\(example)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: examples(example), to: url)
        let toml = url.appendingPathComponent("operation.toml")
        var text = try String(contentsOf: toml, encoding: .utf8)
        for (name, p) in plugins.sorted(by: { $0.key < $1.key }) where !unlisted.contains(name) {
            // The agency's entry lists its plugins: add this one to the list.
            let entry = try #require(text.range(of: "id = \"\(p.agency)\""))
            let list = try #require(text.range(of: "plugins = [", range: entry.upperBound..<text.endIndex))
            text.replaceSubrange(list, with: "plugins = [\"\(name)\", ")
        }
        try (text + "\n" + append).write(to: toml, atomically: true, encoding: .utf8)
        for (name, p) in plugins {
            let folder = url.appendingPathComponent("plugins/\(name)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
            try """
                name = "\(name)"
                version = "1.0.0"
                agency = "\(p.agency)"
                api = 1
                permissions = [\(p.permissions.map { "\"\($0)\"" }.joined(separator: ", "))]
                """.write(to: folder.appendingPathComponent("plugin.toml"), atomically: true, encoding: .utf8)
            try p.lua.write(to: folder.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
            for (t, body) in p.templates { try body.write(to: folder.appendingPathComponent("templates/\(t).mustache"), atomically: true, encoding: .utf8) }
        }
    }

    /// The whole operation, played in memory.
    func played() throws -> OperationHost {
        let host = try OperationHost.open(url, store: nil)
        try host.importManifest()
        try host.play()
        return host
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// What a plugin wrote with ctx:log, without the "plugin NAME, hook HOOK: " prefix.
    static func lines(_ host: OperationHost, plugin: String) -> [String] {
        host.engine.log.filter { $0.hasPrefix("plugin \(plugin), hook ") }.compactMap { line in line.range(of: ": ").map { String(line[$0.upperBound...]) } }
    }
}

/// A plugin that writes down every field of every event it subscribes to.
private func spy(_ events: [String]) -> String {
    """
    local function text(v)
      if type(v) == "userdata" then
        local s = tostring(v)
        if s:match("^<notice") then return s .. " " .. tostring(v.template) .. " from " .. tostring(v.from) .. " to " .. tostring(v.to) end
        return s
      end
      return tostring(v)
    end
    for _, name in ipairs{ \(events.map { "\"\($0)\"" }.joined(separator: ", ")) } do
      on(name, function(ev, ctx)
        local parts = {}
        for _, k in ipairs{ "case", "kind", "reason", "outcome", "notice", "to", "from", "status", "event", "hold" } do
          if ev[k] ~= nil then parts[#parts + 1] = k .. "=" .. text(ev[k]) end
        end
        ctx:log(ev.name .. " " .. table.concat(parts, " "))
      end)
    end
    """
}

@Suite("Trust boundaries on the gulf-charter, as the most curious agency would try them")
struct TrustBoundaryTests {
    static let sideChannels = ["legal.recorded", "legal.decided", "hold.raised", "hold.lifted", "notice.sent", "notice.acknowledged", "notice.served",
                               "case.struck", "document.updated", "data.released", "notice.overdue"]

    @Test("the destination ministry's plugin hears nothing of an appeal, a protection claim or another agency's notice, through any event")
    func ministryHearsNoClaims() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["mfa-spy": ("IR-MFA", [], spy(Self.sideChannels), [:])])
        defer { op.remove() }
        let host = try op.played()
        let heard = ExampleCopy.lines(host, plugin: "mfa-spy")
        #expect(!heard.isEmpty)
        #expect(heard.allSatisfy { !$0.contains("appeal") && !$0.contains("protection") }, "\(heard.filter { $0.contains("appeal") || $0.contains("protection") })")
        // Legal events, holds, removal notices and strike reasons are not its to know.
        #expect(heard.allSatisfy { !$0.hasPrefix("legal.") && !$0.hasPrefix("hold.") && !$0.hasPrefix("notice.served") })
        #expect(heard.filter { $0.hasPrefix("case.struck") } == ["case.struck case=<case R-0013 on-hold>", "case.struck case=<case R-0034 documented>"])
        // Of notices it hears only those it sends or receives, with their templates.
        let notices = heard.filter { $0.hasPrefix("notice.") }
        #expect(!notices.isEmpty)
        #expect(notices.allSatisfy { $0.contains("from IR-MFA") || $0.contains("to IR-MFA") }, "\(notices.filter { !$0.contains("IR-MFA") })")
        #expect(heard.allSatisfy { !$0.contains("hold-notice") && !$0.contains("medical-needs") && !$0.contains("transit-request") })
        // It does see the documents it issues.
        #expect(heard.contains { $0.hasPrefix("document.updated") })
    }

    @Test("the transit authority's plugin hears of no hold, no legal event, no strike reason and no notice but its own")
    func transitHearsNoClaims() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["qa-spy": ("QA-TRANSIT", [], spy(Self.sideChannels), [:])])
        defer { op.remove() }
        let host = try op.played()
        let heard = ExampleCopy.lines(host, plugin: "qa-spy")
        #expect(heard.allSatisfy { !$0.contains("appeal") && !$0.contains("protection") && !$0.contains("fit-to-fly") })
        #expect(heard.allSatisfy { !$0.hasPrefix("legal.") && !$0.hasPrefix("hold.") })
        #expect(heard.filter { $0.hasPrefix("case.struck") }.allSatisfy { !$0.contains("reason=") })
        let notices = heard.filter { $0.hasPrefix("notice.") }
        #expect(notices.map { $0.components(separatedBy: " ")[0] }.sorted().first == "notice.acknowledged")
        #expect(notices.allSatisfy { $0.contains("QA-TRANSIT") }, "\(notices.filter { !$0.contains("QA-TRANSIT") })")
    }

    @Test("the sending agency's own plugin still hears everything: the claims, its own strike reasons, its own notices")
    func sendingAgencyHearsAll() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["enf-spy": ("US-ENF", [], spy(Self.sideChannels), [:])])
        defer { op.remove() }
        let heard = ExampleCopy.lines(try op.played(), plugin: "enf-spy")
        #expect(heard.contains { $0.hasPrefix("legal.recorded") && $0.contains("kind=protection-claim") })
        #expect(heard.contains { $0.hasPrefix("hold.raised") && $0.contains("kind=appeal-pending") })
        #expect(heard.contains("case.struck case=<case R-0013 on-hold, 1 hold> reason=protection-claim filed"))
        #expect(heard.contains { $0.hasPrefix("notice.sent") && $0.contains("hold-notice") })
    }

    @Test("a monitor's plugin asking for consent.withdraw is refused when it loads, naming its plugin.toml line and the grant")
    func monitorCannotWithdrawConsent() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["observer": ("MONITOR", ["notice.send", "consent.withdraw"], "on('leg.departing', function(ev, ctx) end)", [:])])
        defer { op.remove() }
        let error = try #require(throws: PluginLoadError.self) { try op.played() }
        #expect(error.problems.map(\.description) == [
            "plugins/observer/plugin.toml:5: permissions: 'consent.withdraw' is not allowed: role monitor may never give it (only sending-enforcement or reception-organisation may)",
        ])
    }

    @Test("a command the role may give but the operation does not grant is refused at load, and by the model if given another way")
    func grantNarrowsTheRole() throws {
        let narrowed = """
            [grants.agencies.QA-TRANSIT]
            commands = ["transit.authorise", "transit.refuse", "handoff.propose", "handoff.acknowledge", "handoff.refuse", "notice.send", "notice.acknowledge"]
            """
        let op = try ExampleCopy("gulf-charter", plugins: ["extra": ("QA-TRANSIT", ["hold.raise"], "on('leg.departing', function(ev, ctx) end)", [:])],
                                 append: narrowed)
        defer { op.remove() }
        let error = try #require(throws: PluginLoadError.self) { try op.played() }
        #expect(error.problems.map(\.description) == [
            "plugins/extra/plugin.toml:5: permissions: 'hold.raise' is not allowed: operation gulf-charter does not grant it to QA-TRANSIT (the grant for agency QA-TRANSIT gives handoff.acknowledge, handoff.propose, handoff.refuse, notice.acknowledge, notice.send, transit.authorise, transit.refuse)",
        ])
        // The model refuses it too, whoever gives it.
        let folder = try OperationFolder.load(op.url)
        var model = InMemoryModel(operation: folder.operation)
        for (command, actor) in folder.importCommands { try model.apply(command, by: actor, at: folder.start) }
        #expect(throws: Refusal.self) { try model.apply(.raiseHold("R-0001", kind: .fitToFly, reason: "x", evidence: nil, until: nil), by: "QA-TRANSIT", at: folder.start) }
        do { try model.apply(.raiseHold("R-0001", kind: .fitToFly, reason: "x", evidence: nil, until: nil), by: "QA-TRANSIT", at: folder.start) } catch let r as Refusal {
            #expect(r.reason.hasPrefix("QA-TRANSIT is not granted 'hold.raise' in operation gulf-charter"))
        }
    }

    @Test("a plugin folder claiming the sending agency's name, without the operation listing it, is refused")
    func impostorRefused() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["impostor": ("US-ENF", ["case.strike"], "on('leg.departing', function(ev, ctx) end)", [:])],
                                 unlisted: ["impostor"])
        defer { op.remove() }
        let error = try #require(throws: PluginLoadError.self) { try op.played() }
        #expect(error.problems.map(\.description) == [
            "plugins/impostor/plugin.toml:3: agency: plugin impostor claims US-ENF, but operation.toml does not list it among US-ENF's plugins (us-enf): add \"impostor\" to plugins in US-ENF's [[agencies]] entry if US-ENF runs it",
        ])
    }

    @Test("an observer cannot object: a monitor's ctx:veto is an error and the command goes on; its fail-closed hook is refused at load")
    func monitorCannotVeto() throws {
        let vetoing = try ExampleCopy("gulf-charter", plugins: ["objector": ("MONITOR", [], """
            on("case.state-changed", function(ev, ctx)
              if ev.to == "departed" and ev.case.ref == "R-0001" then ctx:veto("no interpreter on board") end
            end)
            """, [:])])
        defer { vetoing.remove() }
        let host = try vetoing.played()
        #expect(try host.progress("R-0001") == "received")
        #expect(host.failures.map(\.summary) == ["plugin objector, hook case.state-changed, plugins/objector/main.lua:2: error: MONITOR may not veto commands on case.state-changed: the operation grants it vetoes on none"])
        let closed = try ExampleCopy("gulf-charter", plugins: ["objector": ("MONITOR", [], "on('case.state-changed', function(ev, ctx) end, { fail = 'closed' })", [:])])
        defer { closed.remove() }
        let error = try #require(throws: PluginLoadError.self) { try closed.played() }
        #expect(error.problems.map(\.description) == [
            "plugins/objector/main.lua:1: on(\"case.state-changed\", ..., { fail = \"closed\" }): MONITOR may not refuse commands on case.state-changed, which a fail-closed hook does when it fails (the operation grants it vetoes on none): drop fail = \"closed\", or grant the veto in operation.toml's [grants]",
        ])
    }

    static let monitorMayVetoDepartures = """
        [grants.agencies.MONITOR]
        veto = ["case.state-changed"]
        """

    @Test("a veto of one person's departure keeps that person at home and boards everyone else; the veto is in the ledger and the summary")
    func oneVetoOnePerson() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["objector": ("MONITOR", [], """
            on("case.state-changed", function(ev, ctx)
              if ev.to == "departed" and ev.case.ref == "R-0001" then ctx:veto("no interpreter on board for R-0001") end
            end)
            """, [:])], append: Self.monitorMayVetoDepartures)
        defer { op.remove() }
        let host = try op.played()
        let summary = try host.summary()
        #expect(try host.progress("R-0001") == "scheduled")
        #expect(try host.store.returnCase("R-0001")!.custody == "US-ENF")
        #expect(summary.casesByState.map { "\($0.count) \($0.state)" } == ["1 documented", "1 scheduled", "95 received", "2 on-hold", "1 consent-withdrawn"])
        #expect(summary.failures.map(\.summary) == ["plugin objector, hook case.state-changed, plugins/objector/main.lua:2: veto: no interpreter on board for R-0001"])
        #expect(summary.failures.first?.trigger == "case.depart")
        #expect(summary.text.contains("vetoes:   1\n    plugin objector, hook case.state-changed, plugins/objector/main.lua:2: veto: no interpreter on board for R-0001"))
        // The sending agency's plugin boards each person in its own pcall: it learned of the
        // refusal, and went on.
        #expect(host.engine.log.contains { $0.contains("not boarded:") && $0.contains("case.depart refused: vetoed by plugin objector, hook case.state-changed, plugins/objector/main.lua:2: veto: no interpreter on board for R-0001") })
        let outcomes = try host.store.ledger(after: 0, limit: 100_000).filter { $0.command == "plugin.outcome" }
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.payload.contains("no interpreter on board for R-0001") == true)
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))
    }

    @Test("a fail-closed hook failing about one person refuses that person's step only")
    func oneFailureOnePerson() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["checker": ("MONITOR", [], """
            on("case.state-changed", function(ev, ctx)
              if ev.to == "departed" and ev.case.ref == "R-0002" then error("cannot read the boarding pass of " .. ev.case.ref) end
            end, { fail = "closed" })
            """, [:])], append: Self.monitorMayVetoDepartures)
        defer { op.remove() }
        let host = try op.played()
        #expect(try host.progress("R-0002") == "scheduled")
        #expect(try host.summary().casesByState.first { $0.state == "received" }?.count == 95)
        #expect(host.failures.map(\.summary) == ["plugin checker, hook case.state-changed, plugins/checker/main.lua:2: error: cannot read the boarding pass of R-0002"])
        #expect(host.failures.first?.refusedTrigger == true)
    }

    @Test("an objection to an event of the external command itself refuses that command whole")
    func objectionToExternalCommand() throws {
        let op = try ExampleCopy("gulf-charter", plugins: ["objector": ("MONITOR", [], """
            on("case.state-changed", function(ev, ctx)
              if ev.to == "departed" then ctx:veto("not on my watch") end
            end)
            """, [:])], append: Self.monitorMayVetoDepartures)
        defer { op.remove() }
        let host = try OperationHost.open(op.url, store: nil)
        try host.importManifest()
        try host.play(until: Timestamp.parse("2026-12-15T05:00:00Z")!)
        #expect(try host.progress("R-0001") == "scheduled")
        let before = try host.store.count(.ledger)
        let outcome = try host.engine.submit(.depart("R-0001"), by: "US-ENF")
        #expect(outcome.refusal == "vetoed by plugin objector, hook case.state-changed, plugins/objector/main.lua:2: veto: not on my watch")
        #expect(try host.progress("R-0001") == "scheduled")
        // Only the record of the veto was written.
        #expect(try host.store.count(.ledger) == before + 1)
    }

    @Test("a handler's giver is not charged for the handlers its command sets off, the same plugin's among them")
    func nestedBudgets() throws {
        // The inner handler never returns and is stopped at the plugin's time limit; the outer
        // one, which gave the command, goes on with its own time and logs.
        let lua = """
            on("test.go", function(ev, ctx)
              pcall(function() model.case("R-1"):record_legal{ kind = "appeal" } end)
              ctx:log("outer went on")
            end)
            on("legal.recorded", function(ev, ctx) while true do end end)
            """
        let op = try TestOperation(plugins: ["p": ("US-ENF", ["legal.record"], lua, "[limits]\ntime_ms = 300")])
        defer { op.remove() }
        let host = try op.host()
        let outcome = try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(outcome.failures.map(\.kind) == [.timeout])
        #expect(outcome.failures.first?.hook == "legal.recorded")
        #expect(host.engine.log.contains("plugin p, hook test.go: outer went on"))
        // The appeal stands: the inner failure was fail-open, and its own effects were nothing.
        #expect(try host.store.returnCase("R-1")!.legalEvents.count == 1)
    }

    @Test("plugins answering each other's notices stop at the nesting limit with an error, not a crash")
    func nestingLimit() throws {
        let ping = { (to: String) in "on('notice.received', function(ev, ctx) ctx:send_notice{ to = '\(to)', template = 't' } end)" }
        let op = try TestOperation(plugins: [
            "a": ("US-ENF", ["notice.send"], "on('test.go', function(ev, ctx) ctx:send_notice{ to = 'IR-MFA', template = 't' } end)\n" + ping("IR-MFA"), ""),
            "b": ("IR-MFA", ["notice.send"], ping("US-ENF"), ""),
        ], templates: ["a": ["t": "ping"], "b": ["t": "pong"]])
        defer { op.remove() }
        let host = try op.host()
        let outcome = try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(outcome.accepted)
        #expect(outcome.failures.count == 1)
        #expect(outcome.failures.first?.message.contains("would nest commands 101 deep") == true, "\(outcome.failures.map(\.message))")
        // The 99 notices given within the limit stand: each handler returned normally but the last.
        #expect(try host.store.notices().count == 99)
    }
}

@Suite("The reference docs say what the host does")
struct ReferenceDocsTests {
    @Test("docs/EVENTS.md and docs/TRUST.md hold the event, command and veto tables generated from the code")
    func trustTables() throws {
        func doc(_ name: String) throws -> String {
            try String(contentsOf: examples("..").appendingPathComponent("docs/\(name)").standardizedFileURL, encoding: .utf8)
        }
        for (file, name, table) in [("EVENTS.md", "events", Reference.events), ("TRUST.md", "commands", Reference.commands),
                                    ("TRUST.md", "vetoes", Reference.vetoes)] {
            #expect(try doc(file).contains(table), "docs/\(file)'s \(name) table differs from `liaison reference \(name)`: regenerate it")
        }
        // Every model event is described, and nothing else is.
        let names = Set(EventCatalog.specs.map(\.name))
        let modelEvents: [Event] = [.personRegistered("P"), .caseOpened("R"), .stateChanged("R", from: .identified, to: .cleared),
            .holdRaised("R", hold: 1, kind: .fitToFly), .holdLifted("R", hold: 1, kind: .fitToFly, by: "A"),
            .legalEventRecorded("R", event: 1, kind: .appeal), .legalEventDecided("R", event: 1, outcome: "o"), .consentRecorded("R", consent: 1),
            .consentWithdrawn("R", consent: 1), .documentUpdated("R", status: .issued), .fitnessAssessed("R", fit: true),
            .noticeServed("R", periodEnds: Date()), .receptionVerified("R"), .struck("R", reason: "r"), .transitUpdated("M", leg: 0, state: .authorised),
            .handoffProposed("H"), .handoffAcknowledged("H", by: "A"), .handoffCompleted("H"), .handoffRefused("H", reason: "r"),
            .custodyTransferred("R", from: "A", to: "B"), .dataReleased("R", to: "A", categories: []), .noticeSent("N", to: "A"),
            .noticeAcknowledged("N", by: "A"), .noticeReplied("N", by: "A")]
        #expect(Set(modelEvents.map(\.name)).union(["notice.received", "notice.overdue"]) == names)
    }
}
