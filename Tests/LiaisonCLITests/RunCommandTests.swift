import Foundation
import LiaisonTestSupport
import Testing

@Suite("liaison run, liaison plugins, liaison stubs, and the embedding example")
struct RunCommandTests {
    @Test("run plays gulf-charter end to end, prints the summary, writes the report and verifies the ledger")
    func runGulfCharter() throws {
        let store = temporaryPath("gulf.sqlite")
        let report = temporaryPath("gulf.html")
        let result = try Liaison.run(["run", "Examples/gulf-charter", "--store", store, "--report", report], in: repositoryRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  cases:    1 documented, 96 received, 2 on-hold, 1 consent-withdrawn\n"))
        #expect(result.stdout.contains("  handoffs: 3 completed, 0 refused\n"))
        #expect(result.stdout.contains("  notices:  114 sent, 1 late (N-000022 minor-reception-request to IR-RECEPTION/child-protection)\n"))
        #expect(result.stdout.contains("  vetoes:   0\n  script errors: 0\n"))
        #expect(result.stdout.hasSuffix("\(store): ledger intact: 1345 entries, hash chain and records verified\n"))
        // Not a terminal: plain lines, each timeline entry and the import's last step.
        #expect(result.stderr.contains("import: 200/200 commands\ntimeline: 1/16 2026-12-02T09:00:00Z signal counselling.completed"), "\(result.stderr)")
        #expect(result.stderr.contains("timeline: 16/16 2026-12-17T12:00:00Z signal operation.closing"))
        #expect(!result.stderr.contains("\r") && !result.stderr.contains("█"))
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("leg.landed"))
        let verified = try Liaison.run(["audit", "verify", "--store", store])
        #expect(verified.status == 0)
    }

    @Test("run exits 3 when a plugin failed, naming every failure and every refused timeline entry; the ledger still verifies")
    func runWithFailures() throws {
        let copy = URL(fileURLWithPath: temporaryPath("failing"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/gulf-charter"), to: copy)
        // The monitor's plugin fails at each handover it observes, and the timeline asks to
        // schedule a person on hold.
        let monitor = copy.appendingPathComponent("plugins/monitor/main.lua")
        try (try String(contentsOf: monitor, encoding: .utf8)).replacingOccurrences(of: "local people = #h:cases()", with: "local people = #h:cases() + nil")
            .write(to: monitor, atomically: true, encoding: .utf8)
        let timeline = copy.appendingPathComponent("timeline.toml")
        try (try String(contentsOf: timeline, encoding: .utf8) + """

            [[events]]
            at = "2026-12-17T13:00:00Z"
            actor = "US-ENF"
            command = "case.schedule"
            case = "R-0007"
            movement = "M-1"
            """).write(to: timeline, atomically: true, encoding: .utf8)
        let store = temporaryPath("failing.sqlite")
        let report = temporaryPath("failing.html")
        let result = try Liaison.run(["run", copy.path, "--store", store, "--report", report])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout.contains("  script errors: 3\n    plugin monitor, hook handoff.completed, plugins/monitor/main.lua:9: error: attempt to perform arithmetic on a nil value (fail-open: handoff.acknowledge went on)"), "\(result.stdout)")
        #expect(result.stdout.contains("1 refused\n    timeline.toml:123 case.schedule R-0007 (US-ENF): case R-0007 cannot be scheduled: active hold 'appeal-pending' raised by US-ENF on 2026-12-05\n"), "\(result.stdout)")
        #expect(result.stdout.contains("ledger intact"))
        #expect(result.stderr.hasSuffix("liaison run: 3 plugin handlers failed (listed under script errors above); the ledger records each\n"))
        // The HTML report names the refused entry, marks it in the timeline's table and its
        // picture, and counts the monitor's errors.
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.contains("<li>timeline.toml:123 case.schedule R-0007 (US-ENF): case R-0007 cannot be scheduled: active hold 'appeal-pending'"), "\(html)")
        #expect(html.contains("<tr class=\"refused\"><td>2026-12-17T13:00:00Z</td><td>case.schedule R-0007</td><td></td><td>refused: case R-0007 cannot be scheduled"))
        #expect(html.contains("fill=\"#c22\">2026-12-17T13:00 case.schedule R-0007 (refused)</text>"))
        #expect(html.contains("<tr><td>MONITOR</td><td>monitor</td><td>1</td><td>2</td><td>1</td><td>0</td><td>0</td><td>0</td><td>3</td></tr>"), "\(html)")
    }

    @Test("on a terminal, run draws a progress bar in place, to the end")
    func progressBar() throws {
        let store = temporaryPath("bar.sqlite")
        let t = try Terminal(["run", "Examples/gulf-charter", "--store", store], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("ledger intact", timeout: 120), "\(t.screen)")
        #expect(t.screen.contains("import [████████████████████] 100% 200/200"), "\(t.screen)")
        #expect(t.screen.contains("timeline [████████████████████] 100% 16/16"), "\(t.screen)")
        #expect(t.screen.contains("2026-12-17T12:00:00Z signal operation.closing\nOperation gulf-charter"), "\(t.screen)")
    }

    @Test("audit head prints SEQ:HASH, and audit verify --head finds a ledger that no longer holds it")
    func auditHead() throws {
        let store = temporaryPath("head.sqlite")
        #expect(try Liaison.run(["run", "Examples/third-country", "--store", store], in: repositoryRoot).status == 0)
        let head = try Liaison.run(["audit", "head", "--store", store])
        #expect(head.status == 0)
        let kept = head.stdout.trimmingCharacters(in: .newlines)
        #expect(kept.range(of: "^[0-9]+:[0-9a-f]{64}$", options: .regularExpression) != nil, "\(kept)")
        #expect(try Liaison.run(["audit", "verify", "--store", store, "--head", kept]).status == 0)
        let seq = Int(kept.prefix { $0 != ":" })!
        let beyond = try Liaison.run(["audit", "verify", "--store", store, "--head", "\(seq + 5):" + kept.split(separator: ":")[1]])
        #expect(beyond.status == 1)
        #expect(beyond.stderr.contains("ledger broken at entry \(seq + 5): the ledger ends at entry \(seq), before entry \(seq + 5), which was kept as a head: entries were cut off its end"))
        let bad = try Liaison.run(["audit", "verify", "--store", store, "--head", "7:nothex"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--head 7:nothex: a head is SEQ:HASH"))
    }

    @Test("--version names the memory allocator: jemalloc, or the system's in a build made without it")
    func version() throws {
        let result = try Liaison.run(["--version"])
        #expect(result.status == 0)
        let expected = ProcessInfo.processInfo.environment["LIAISON_SYSTEM_MALLOC"] == nil ? "jemalloc 5." : "the system's malloc"
        #expect(result.stdout.hasPrefix("liaison (memory allocator: \(expected)"), "\(result.stdout)")
    }

    @Test("run reports a broken plugin with file and line, and creates no store")
    func runBroken() throws {
        let copy = URL(fileURLWithPath: temporaryPath("broken"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/third-country"), to: copy)
        try "on('case.opened', function(ev, ctx)\n  ev.case:clear(\nend)\n".write(to: copy.appendingPathComponent("plugins/io-pa/main.lua"), atomically: true, encoding: .utf8)
        let store = temporaryPath("broken.sqlite")
        let result = try Liaison.run(["run", copy.path, "--store", store])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("liaison run: 1 problem in the plugins; none was loaded:\n  plugins/io-pa/main.lua:3: unexpected symbol near 'end'"))
        #expect(!FileManager.default.fileExists(atPath: store))
        let plugins = try Liaison.run(["plugins", copy.path])
        #expect(plugins.status == 1)
        #expect(plugins.stderr.contains("plugins/io-pa/main.lua:3:"))
    }

    @Test("plugins lists each plugin in handling order with its handlers")
    func plugins() throws {
        let result = try Liaison.run(["plugins", "Examples/third-country"], in: repositoryRoot)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("3 plugins for third-country, in the order they handle events:\n  us-enf-third-country 1.0.0 for US-ENF, priority 100\n"))
        #expect(result.stdout.contains("    on handoff.proposed (fail-closed) at plugins/pa-migration/main.lua:36\n"))
    }

    @Test("stubs writes LuaLS annotations")
    func stubs() throws {
        let file = temporaryPath("liaison.d.lua")
        let result = try Liaison.run(["stubs", "-o", file])
        #expect(result.status == 0)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasPrefix("---@meta liaison\n"))
        #expect(text.contains("function Case:schedule(movement, escorted) end"))
    }

    @Test("the embedding example opens an operation, observes it, gives commands and plays it")
    func embedding() throws {
        let result = try Liaison.run([], in: repositoryRoot, program: "liaison-embedding")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            opened gulf-charter: us-enf, ir-mfa, qa-transit, ir-reception, monitor
            appeal for R-0002: legal.recorded, hold.raised, notice.sent; 2 handler calls
            refused case.depart: case R-0001 cannot depart: it is on-hold, not scheduled
            boarding R-0001 now: case R-0001 cannot depart: it is on-hold, not scheduled
            1 documented, 95 received, 3 on-hold, 1 consent-withdrawn
            notices: arrivals 1, departure 3, hold-notice 3, identity-request 100, medical-needs 1, minor-reception-request 1, monitoring-report 1, passenger-withdrawn 1, reception-record 2, reminder 1, transit-request 1
            ledger intact: 1343 entries, hash chain and records verified

            """)
    }
}

@Suite("liaison test and liaison replay on the command line")
struct TestCommandTests {
    @Test("liaison test runs an example's tests; the last line is the summary; TAP and JUnit on request")
    func runs() throws {
        let junit = temporaryPath("junit.xml")
        let result = try Liaison.run(["test", "Examples/third-country", "--seed", "5", "--junit", junit], in: repositoryRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasSuffix("seed 5 (repeat this run with --seed 5)\n6 passed, 0 failed\n"))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<testsuites tests=\"6\" failures=\"0\" errors=\"0\" skipped=\"0\">"))
        let tap = try Liaison.run(["test", "Examples/third-country", "--tap", "--tag", "onward"], in: repositoryRoot)
        #expect(tap.stdout.hasPrefix("TAP version 13\n1..2\nok 1 - reception and onward return \\#onward receives every arrival\n"))
        #expect(tap.stdout.hasSuffix("2 passed, 0 failed\n"))
    }

    @Test("liaison test exits 1 when no test ran, still ending with the summary line")
    func none() throws {
        let result = try Liaison.run(["test", "Examples/third-country", "--filter", "no such test"], in: repositoryRoot)
        #expect(result.status == 1)
        #expect(result.stdout.hasSuffix("0 passed, 0 failed\n"))
    }

    @Test("liaison replay of a run against its own plugins finds no difference")
    func replay() throws {
        let store = temporaryPath("replay.sqlite")
        #expect(try Liaison.run(["run", "Examples/third-country", "--store", store], in: repositoryRoot).status == 0)
        let result = try Liaison.run(["replay", store, "--plugins", "Examples/third-country/plugins"], in: repositoryRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "no differences: 248 external commands replayed, every decision the same\n")
    }
}

@Suite("liaison on PostgreSQL")
struct PostgresCommandTests {
    @Test("run --database plays gulf-charter into PostgreSQL with the very ledger SQLite gets, hash for hash; audit and export read it there")
    func runOnPostgres() throws {
        let url = TestDatabase.fresh().description
        let pg = try Liaison.run(["run", "Examples/gulf-charter", "--database", url], in: repositoryRoot)
        #expect(pg.status == 0, "\(pg.stderr)")
        #expect(pg.stdout.hasSuffix("\(url): ledger intact: 1345 entries, hash chain and records verified\n"), "\(pg.stdout)")
        let sqlite = temporaryPath("same.sqlite")
        #expect(try Liaison.run(["run", "Examples/gulf-charter", "--store", sqlite], in: repositoryRoot).status == 0)
        let pgHead = try Liaison.run(["audit", "head", "--database", url]), sqliteHead = try Liaison.run(["audit", "head", "--store", sqlite])
        #expect(pgHead.status == 0 && pgHead.stdout == sqliteHead.stdout && pgHead.stdout.hasPrefix("1345:"), "\(pgHead.stdout) \(sqliteHead.stdout)")
        let verify = try Liaison.run(["audit", "verify", "--database", url, "--head", pgHead.stdout.trimmingCharacters(in: .newlines)])
        #expect(verify.status == 0 && verify.stdout.contains("ledger intact: 1345 entries"), "\(verify.stderr)")
        let export = try Liaison.run(["export", "--database", url, "--format", "json", "--as", "IR-MFA"])
        #expect(export.status == 0 && !export.stdout.contains("protection-claim"), "\(export.stderr)")
        // A second run into the same schema is refused; --resume finds nothing left to do.
        let again = try Liaison.run(["run", "Examples/gulf-charter", "--database", url], in: repositoryRoot)
        #expect(again.status == 1 && again.stderr.contains("already exists: a new store is never written over another"), "\(again.stderr)")
        let resumed = try Liaison.run(["run", "Examples/gulf-charter", "--database", url, "--resume"], in: repositoryRoot)
        #expect(resumed.status == 0 && resumed.stderr.contains("import 200/200 commands, timeline 16/16 entries played"), "\(resumed.stderr)")
        let bad = try Liaison.run(["audit", "verify", "--database", "postgres://nobody@localhost/x?schema=Bad-Name"])
        #expect(bad.status == 64 && bad.stderr.contains("--database postgres://nobody@localhost/x?schema=Bad-Name: give a URL such as"))
    }

    @Test("a database it cannot reach, and a schema with no store, are told apart, each with what to do")
    func unreachableAndMissing() throws {
        var stranger = TestDatabase.fresh()
        stranger.user = "no_such_role_\(UUID().uuidString.prefix(6).lowercased())"
        let unreachable = try Liaison.run(["audit", "verify", "--database", stranger.description])
        #expect(unreachable.status == 1 && unreachable.stderr.contains("cannot reach \(stranger.description): role \"\(stranger.user)\" does not exist"), "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("check the URL"), "\(unreachable.stderr)")
        let empty = TestDatabase.fresh().description
        let missing = try Liaison.run(["audit", "verify", "--database", empty])
        #expect(missing.status == 1 && missing.stderr.contains("no store at \(empty): start the operation there first: liaison run OPERATION_DIR --database URL"), "\(missing.stderr)")
    }
}
