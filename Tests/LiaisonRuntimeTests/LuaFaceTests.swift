import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

private let go = Command.signal(Signal(name: "test.go"))

@Suite("The Lua face of the model: disclosure, permissions, hostile plugins")
struct LuaFaceTests {
    func run(_ agency: String, _ permissions: [String], _ lua: String) throws -> (Outcome, OperationHost, TestOperation) {
        let op = try TestOperation(plugins: ["p": (agency, permissions, lua, "")], templates: ["p": ["t": "{{case.names}}|{{case.vulnerabilities}}|{{case.fit_to_fly_conditions}}|{{case.legal_basis}}"]])
        let host = try op.host()
        return (try host.engine.submit(go, by: .coordinator), host, op)
    }

    @Test("a transit authority reading a person's vulnerabilities is refused, naming the policy; discloses() asks first")
    func disclosure() throws {
        let (outcome, host, op) = try run("QA-TRANSIT", [], """
            on("test.go", function(ev, ctx)
              local c = model.case("R-1")
              ctx:log(c.names[1] .. " " .. tostring(c:discloses("vulnerabilities")) .. " " .. tostring(c:discloses("names")))
              return c.vulnerabilities
            end)
            """)
        defer { op.remove() }
        #expect(host.engine.log.first == "plugin p, hook test.go: Ana Example false true")
        #expect(outcome.failures.first?.message == "QA-TRANSIT may not read 'vulnerabilities' (vulnerability data): the policy for role transit-authority does not grant 'vulnerability' (ask first with case:discloses(\"vulnerabilities\"))")
        #expect(outcome.failures.first?.location == "plugins/p/main.lua:4")
    }

    @Test("withheld holds and documents are refused through methods too")
    func disclosureThroughMethods() throws {
        let (outcome, _, op) = try run("IR-RECEPTION", [], "on('test.go', function() return model.case('R-1'):active_holds() end)")
        defer { op.remove() }
        #expect(outcome.failures.first?.message.contains("IR-RECEPTION may not read 'holds' (legal data)") == true)
    }

    @Test("a method the plugin has no permission for is refused, naming the permission and the manifest to add it to")
    func permission() throws {
        let (outcome, host, op) = try run("US-ENF", ["notice.send"], "on('test.go', function() model.case('R-3'):clear() end)")
        defer { op.remove() }
        #expect(outcome.failures.first?.message == "plugin p lacks permission 'case.clear': add \"case.clear\" to permissions in plugins/p/plugin.toml")
        #expect(try host.progress("R-3") == "identified")
    }

    @Test("a plugin may not ask for a command its agency's role never gives: refused when it loads, naming the line")
    func otherAgency() throws {
        let op = try TestOperation(plugins: ["p": ("QA-TRANSIT", ["case.clear"], "on('test.go', function() model.case('R-3'):clear() end)", "")])
        defer { op.remove() }
        do {
            _ = try op.host()
            Issue.record("a transit plugin asking for case.clear loaded")
        } catch let error as PluginLoadError {
            #expect(error.problems.map(\.description) == ["plugins/p/plugin.toml:5: permissions: 'case.clear' is not allowed: role transit-authority may never give it (only sending-enforcement may)"])
        }
    }

    @Test("assigning to a model field is an error that names the way to change it")
    func assignment() throws {
        let (outcome, _, op) = try run("US-ENF", [], "on('test.go', function() model.case('R-3').state = 'closed' end)")
        defer { op.remove() }
        let message = try #require(outcome.failures.first?.message)
        #expect(message.contains("state"))
        #expect(message.contains("case:schedule"))
    }

    @Test("a ctx kept past its call is dead")
    func deadContext() throws {
        let op = try TestOperation(plugins: ["p": ("US-ENF", [], """
            on("test.go", function(ev, ctx)
              if kept then kept:log("again") end
              kept = ctx
            end)
            """, "")])
        defer { op.remove() }
        let host = try op.host()
        #expect(try host.engine.submit(go, by: .coordinator).failures.isEmpty)
        let second = try host.engine.submit(go, by: .coordinator)
        #expect(second.failures.first?.message.contains("released Context") == true)
    }

    @Test("a template printing what sender and recipient may not both see is refused: when the plugin loads for a literal recipient, when sent for one computed")
    func noticeDisclosure() throws {
        let literal = try TestOperation(plugins: ["p": ("US-ENF", ["notice.send"], "on('test.go', function(ev, ctx)\n  ctx:send_notice{ to = 'QA-TRANSIT', template = 't', case = 'R-1' }\nend)", "")],
                                        templates: ["p": ["t": "{{case.names}}|{{case.vulnerabilities}}|{{case.fit_to_fly_conditions}}|{{case.legal_basis}}"]])
        defer { literal.remove() }
        #expect(throws: PluginLoadError.self) { try literal.host() }
        do { _ = try literal.host() } catch let error as PluginLoadError {
            #expect(error.problems.map(\.description) == [
                "plugins/p/main.lua:2: ctx:send_notice{ to = \"QA-TRANSIT\", template = \"t\" }: the template prints fit_to_fly_conditions (medical), legal_basis (legal), vulnerabilities (vulnerability), which US-ENF and QA-TRANSIT may not both see, so it would print blank",
            ])
        }
        let (outcome, host, op) = try run("US-ENF", ["notice.send"], "on('test.go', function(ev, ctx) local to = 'QA-' .. 'TRANSIT'; ctx:send_notice{ to = to, template = 't', case = model.case('R-1') } end)")
        defer { op.remove() }
        #expect(outcome.failures.map(\.message) == [
            "ctx:send_notice: template 't' prints fit_to_fly_conditions (medical), legal_basis (legal), vulnerabilities (vulnerability), which US-ENF and QA-TRANSIT may not both see: it would print blank; send it to an agency that may, or take the field out of the template",
        ])
        #expect(try host.store.notices().isEmpty)
    }

    @Test("a notice's case fields take Mustache transforms, sections and inverted sections as text does")
    func noticeFieldsAsText() throws {
        let template = "{{uppercased(case.names)}}|{{#case.names}}[{{case.names}}]{{/case.names}}|{{^case.names}}none{{/case.names}}|"
            + "{{^case.fit_to_fly_conditions}}none{{/case.fit_to_fly_conditions}}|{{#cases}}{{ref}} {{names}};{{/cases}}"
        let op = try TestOperation(plugins: ["p": ("US-ENF", ["notice.send"], "on('test.go', function(ev, ctx) ctx:send_notice{ to = 'IR-RECEPTION', template = 't', case = 'R-1' } end)", "")],
                                   templates: ["p": ["t": template]])
        defer { op.remove() }
        let host = try op.host()
        #expect(try host.engine.submit(go, by: .coordinator).failures.isEmpty)
        #expect(try host.store.notices().map(\.body) == ["ANA EXAMPLE|[Ana Example]||none|R-1 Ana Example;"])
    }

    @Test("a notice names a protection claim among a case's holds only to a recipient who may see protection data")
    func noticeHoldsFiltered() throws {
        let lua = """
            on('test.go', function(ev, ctx)
              ctx:send_notice{ to = 'IR-RECEPTION', template = 't', case = 'R-1' }
              ctx:send_notice{ to = 'US-ENF', template = 't', case = 'R-1' }
            end)
            """
        let op = try TestOperation(plugins: ["p": ("US-ENF", ["notice.send"], lua, "")], templates: ["p": ["t": "{{case.holds}}"]],
                                   operationTail: "[disclosure.agencies]\nIR-RECEPTION = [\"identity\", \"legal\"]")
        defer { op.remove() }
        let host = try op.host()
        for kind in [LegalEventKind.appeal, .protectionClaim] {
            #expect(try host.engine.submit(.recordLegalEvent("R-1", kind: kind, suspensive: true), by: "US-ENF").failures.isEmpty)
        }
        #expect(try host.engine.submit(go, by: .coordinator).failures.isEmpty)
        let bodies = try host.store.notices().map(\.body)
        #expect(bodies == ["notice-period, appeal-pending", "notice-period, appeal-pending, protection-claim"], "\(bodies)")
    }

    @Test("a notice in an event reads like the outbox's record, its text only for the recipient, its cases as handles")
    func noticeInEvent() throws {
        let lua = """
            on('test.go', function(ev, ctx)
              ctx:send_notice{ to = 'IR-MFA/consular', template = 't', cases = { 'R-1', 'R-2' }, due = ctx.now + 3600 }
              ctx:send_notice{ to = 'US-ENF', template = 't', case = 'R-3' }
              ctx:send_notice{ to = 'US-ENF', template = 't', case = 'R-2' }
            end)
            on('notice.sent', function(ev, ctx)
              local n = ev.notice
              ctx:log(table.concat({ tostring(n), n.ref, n.from, n.to, n.template, tostring(n.due and n.due - ctx.now),
                                     tostring(n.body), #n.cases, n.cases[1].ref, tostring(n.acknowledged) }, " "))
              -- acknowledged as an object (the examples), a table with a ref, and a ref
              if n.to == ctx.agency then ctx:acknowledge(n.ref == 'N-000002' and { ref = n.ref } or n.ref) end
              if n.ref == 'N-000001' then ctx:log(tostring(pcall(ctx.acknowledge, ctx, n))) end
            end)
            """
        let op = try TestOperation(plugins: ["p": ("US-ENF", ["notice.send", "notice.acknowledge"], lua, "")], templates: ["p": ["t": "hello"]])
        defer { op.remove() }
        let host = try op.host()
        #expect(try host.engine.submit(go, by: .coordinator).failures.isEmpty)
        #expect(host.engine.log.map { String($0.split(separator: ":", maxSplits: 1)[1].dropFirst()) } == [
            "<notice N-000001> N-000001 US-ENF IR-MFA/consular t 3600 nil 2 R-1 false",
            "false",  // the first notice is addressed to IR-MFA: US-ENF may not acknowledge it
            "<notice N-000002> N-000002 US-ENF US-ENF t nil hello 1 R-3 false",
            "<notice N-000003> N-000003 US-ENF US-ENF t nil hello 1 R-2 false",
        ])
        #expect(try host.store.notices().map { $0.acknowledgedAt != nil } == [false, true, true])
    }

    @Test("a notice about a case that does not exist is refused by the rules, and nothing is sent")
    func noticeAboutNoCase() throws {
        let (outcome, host, op) = try run("US-ENF", ["notice.send"], "on('test.go', function(ev, ctx) ctx:send_notice{ to = 'US-ENF/legal', template = 't', case = 'R-999' } end)")
        defer { op.remove() }
        #expect(outcome.failures.first?.message == "notice.send refused: no case R-999 in this operation")
        #expect(try host.store.notices().isEmpty)
    }

    @Test("plugins cannot reach io, debug, bytecode, files outside their folder, or each other's globals")
    func isolation() throws {
        let op = try TestOperation(plugins: [
            "a": ("US-ENF", [], "secret = 'a'\non('test.go', function(ev, ctx) ctx:log(tostring(secret)) end)", "priority = 10"),
            "b": ("IR-MFA", [], """
                on("test.go", function(ev, ctx)
                  ctx:log(tostring(secret) .. " " .. type(io) .. " " .. type(debug) .. " " .. tostring(string.dump))
                  ctx:log(select(2, pcall(require, "..a.main")))
                  local ok, f, err = pcall(load, "\\27Lua", "x", "b")
                  ctx:log(tostring(f) .. " " .. tostring(err))
                end)
                """, ""),
        ])
        defer { op.remove() }
        let host = try op.host()
        try host.engine.submit(go, by: .coordinator)
        let lines = host.engine.log.map { String($0.split(separator: ":", maxSplits: 1)[1].dropFirst()) }
        #expect(lines[0] == "a")
        #expect(lines[1] == "nil nil nil nil")
        #expect(lines[2].contains("not allowed"))
        #expect(lines[3].contains("binary chunks are not allowed in the sandbox"))
    }

    @Test("the model is out of reach while a plugin loads, and on() only works then")
    func loadingRules() throws {
        let op = try TestOperation(plugins: ["p": ("US-ENF", [], "local c = model.case('R-1')", "")])
        defer { op.remove() }
        #expect {
            _ = try OperationHost.open(op.url, store: nil)
        } throws: { error in
            "\(error)".contains("plugins/p/main.lua:1: model.case is not available while the plugin loads")
        }
        let late = try TestOperation(plugins: ["p": ("US-ENF", [], "on('test.go', function() on('x.y', print) end)", "")])
        defer { late.remove() }
        let outcome = try late.host().engine.submit(go, by: .coordinator)
        #expect(outcome.failures.first?.message == "on() may be called only while the plugin loads, not from a handler")
    }
}

@Suite("Numbers that cannot be times or counts stop at the bridge, never the host")
struct BridgeNumberTests {
    @Test("durations, times and counts out of range are the script's errors, even under pcall, and nothing is committed")
    func hostileNumbers() throws {
        let lua = """
            on("test.go", function(ev, ctx)
              local c, m = model.case("R-1"), model.movement("M-1")
              local tries = {
                function() return days(1e300) end, function() return hours(0/0) end, function() return days(-1/0) end,
                function() return iso(math.maxinteger) end, function() return iso(0/0) end,
                function() return time("99999-01-01T00:00:00Z") end,
                function() c:assess_fitness{ assessor = "x", fit = true, expires = 1e300 } end,
                function() c:assess_fitness{ assessor = "x", fit = true, expires = math.maxinteger } end,
                function() c:raise_hold{ kind = "fit-to-fly", reason = "x", ["until"] = 0/0 } end,
                function() ctx:send_notice{ to = "US-ENF", template = "t", due = 0/0 } end,
                function() ctx:send_notice{ to = "US-ENF", template = "t", due = 1e300 } end,
              }
              for i, f in ipairs(tries) do
                local ok, err = pcall(f)
                ctx:log(i .. " " .. tostring(ok) .. " " .. tostring(err))
              end
            end)
            """
        let transit = """
            on("test.go", function(ev, ctx)
              local m = model.movement("M-1")
              for i, leg in ipairs{ 1e300, math.mininteger, 0/0 } do
                local ok, err = pcall(m.authorise_transit, m, leg)
                ctx:log(i .. " " .. tostring(ok) .. " " .. tostring(err))
              end
            end)
            """
        let op = try TestOperation(plugins: ["p": ("US-ENF", ["fitness.assess", "hold.raise", "notice.send"], lua, ""),
                                             "t": ("QA-TRANSIT", ["transit.authorise"], transit, "")],
                                   templates: ["p": ["t": "hello"]])
        defer { op.remove() }
        let host = try op.host()
        let before = try snapshot(host)
        let outcome = try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(outcome.failures.isEmpty)
        let lines = host.engine.log.filter { $0.hasPrefix("plugin p,") }.map { String($0.dropFirst("plugin p, hook test.go: ".count)) }
        let legs = host.engine.log.filter { $0.hasPrefix("plugin t,") }.map { String($0.dropFirst("plugin t, hook test.go: ".count)) }
        #expect(lines.count == 11 && legs.count == 3)
        #expect(legs.allSatisfy { $0.contains(" false ") }, "\(legs)")
        #expect(lines.allSatisfy { $0.contains(" false ") }, "\(lines)")
        #expect(lines[0].hasSuffix("days(n): n must be a finite number of days within three centuries, not 1e+300"))
        #expect(lines[1].hasSuffix("hours(n): n must be a finite number of hours within three centuries, not nan") || lines[1].hasSuffix("not -nan"))
        #expect(lines[3].hasSuffix("iso(t): t must be a time in seconds since 1970, between 1900 and 2200, not 9.2233720368548e+18"))
        #expect(lines[5].contains("time(): '99999-01-01T00:00:00Z' is not an ISO 8601 time between 1900 and 2200"))
        #expect(lines[6].contains("fitness.assess: 'expires' 1e+300 is not a time between 1900 and 2200"))
        #expect(legs[0].hasSuffix("transit.authorise: 'leg' must be a whole number, not 1e+300"), "\(legs)")
        #expect(legs[1].hasSuffix("transit.authorise: 'leg' must be a whole number from 1 to 1000, not -9223372036854775808"))
        #expect(legs[2].contains("transit.authorise: 'leg' must be a whole number, not "))
        #expect(lines[9].contains("ctx:send_notice: 'due' "))
        #expect(lines[10].contains("ctx:send_notice: 'due' 1e+300 is not a time between 1900 and 2200"))
        // Nothing was committed: the model is as it was.
        #expect(try snapshot(host) == before)
    }

    @Test("the rules refuse a command carrying a time outside 1900 to 2200, whoever gives it")
    func rulesRefuseStrangeTimes() throws {
        let op = try TestOperation()
        defer { op.remove() }
        let host = try op.host()
        let far = Date(timeIntervalSince1970: 1e300)
        let outcome = try host.engine.submit(.assessFitness("R-1", FitToFly(assessor: "x", fit: true, conditions: nil, medicalEscort: false, expiresAt: far)), by: "US-ENF")
        #expect(outcome.refusal == "fitness.assess: 'expires' 1e+300 seconds since 1970, not a time between 1900 and 2200".replacingOccurrences(of: "' 1e+300 seconds", with: "' is 1e+300 seconds"))
        let nan = try host.engine.submit(.raiseHold("R-1", kind: .fitToFly, reason: "x", evidence: nil, until: Date(timeIntervalSince1970: .nan)), by: "US-ENF")
        #expect(nan.refusal?.hasPrefix("hold.raise: 'until' is nan seconds since 1970") == true, "\(nan.refusal ?? "accepted")")
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))
    }
}
