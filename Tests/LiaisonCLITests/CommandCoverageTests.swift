import Foundation
import Testing

/// What users reach on the command line and no other test drove: each command's exit status and
/// output, through the binary.
@Suite("Commands as users run them")
struct CommandCoverageTests {
    @Test("liaison test exits 1 when a test fails, naming it, and still ends with the summary")
    func testFails() throws {
        let dir = URL(fileURLWithPath: temporaryPath("failing-tests"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "it('holds', function() expect(1):to_equal(1) end)\nit('breaks', function() expect(1):to_equal(2) end)\n"
            .write(to: dir.appendingPathComponent("one_test.lua"), atomically: true, encoding: .utf8)
        let result = try Liaison.run(["test", dir.path, "--seed", "3"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("✗ breaks (failed)\n"))
        #expect(result.stdout.contains("one_test.lua:2: expected 2, got 1"))
        #expect(result.stdout.hasSuffix("1 passed, 1 failed\n"))
    }

    @Test("audit verify of an operation folder uses its store; a broken store exits 1 naming the entry")
    func verifyFolder() throws {
        let copy = URL(fileURLWithPath: temporaryPath("verify-folder"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/third-country"), to: copy)
        #expect(try Liaison.run(["import", copy.path]).status == 0)
        let good = try Liaison.run(["audit", "verify", copy.path])
        #expect(good.status == 0)
        #expect(good.stdout == "\(copy.appendingPathComponent("liaison.sqlite").path): ledger intact: 239 entries, hash chain and records verified\n")
        let store = copy.appendingPathComponent("liaison.sqlite").path
        let sql = Process()
        sql.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sql.arguments = [store, "DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'IO-PA' WHERE seq = 7;"]
        try sql.run()
        sql.waitUntilExit()
        let bad = try Liaison.run(["audit", "verify", copy.path])
        #expect(bad.status == 1)
        #expect(bad.stderr == "liaison audit verify: \(store): ledger broken at entry 7: its contents do not match its hash (edited after it was written)\n")
    }

    @Test("run --log prints the plugins' lines after the summary; a report not ending in .html is Markdown with every section")
    func logAndMarkdown() throws {
        let store = temporaryPath("md.sqlite"), report = temporaryPath("report.md")
        let result = try Liaison.run(["run", "Examples/gulf-charter", "--store", store, "--report", report, "--log"], in: repositoryRoot)
        #expect(result.status == 0)
        #expect(result.stdout.contains("\n\nPlugin log:\n  plugin us-enf, hook notice.overdue: notice N-000022 to IR-RECEPTION/child-protection is overdue; sending a reminder\n"))
        #expect(result.stdout.contains("  plugin monitor, hook handoff.completed: handover H-3 at IKA observed: 96 people\n"))
        let md = try String(contentsOfFile: report, encoding: .utf8)
        #expect(md.hasPrefix("# Operation gulf-charter\n\nState at 2026-12-17T12:00:00Z.\n\n## Cases by state\n\n| state | cases |\n|---|---|\n| documented | 1 |\n| received | 96 |"))
        for section in ["## Who did not board, and why\n\n4 cases did not leave:", "## Holds by kind", "## Notices", "| medical-needs | 1 | 1 | 0 | 0 |",
                        "Late notices:\n\n- N-000022 (minor-reception-request to IR-RECEPTION/child-protection, due 2026-12-04T08:00:00Z, acknowledged 2026-12-11T09:00:00Z)",
                        "## Agencies\n\n| agency | role | notices sent |", "## Handoffs\n\n3 completed, 0 refused.", "## Vetoes and script errors\n\nNone.",
                        "## Refused commands\n\nNone.", "| 2026-12-05T10:00:00Z | legal.record R-0007 | counsel files a suspensive appeal for R-0007 | done |"] {
            #expect(md.contains(section), "\(section)")
        }
    }

    @Test("replay --json lists each difference; it exits 0 when nothing differs, 1 when something does, 2 when it cannot run")
    func replayCodes() throws {
        let dir = URL(fileURLWithPath: temporaryPath("replay"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = dir.appendingPathComponent("tc.sqlite").path
        #expect(try Liaison.run(["run", "Examples/third-country", "--store", store], in: repositoryRoot).status == 0)
        let plugins = dir.appendingPathComponent("plugins")
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/third-country/plugins"), to: plugins)
        let same = try Liaison.run(["replay", store, "--plugins", plugins.path, "--json"])
        #expect(same.status == 0)
        #expect(same.stdout == "[\n\n]\n")
        let main = plugins.appendingPathComponent("us-enf/main.lua")
        try (try String(contentsOf: main, encoding: .utf8)).replacingOccurrences(of: "due = ctx.now + days(7)", with: "due = ctx.now + days(8)")
            .write(to: main, atomically: true, encoding: .utf8)
        let differ = try Liaison.run(["replay", store, "--plugins", plugins.path, "--json"])
        #expect(differ.status == 1)
        let decoded = try JSONSerialization.jsonObject(with: Data(differ.stdout.utf8)) as? [[String: Any]]
        #expect(decoded?.count == 119)
        #expect((decoded?.first?["before"] as? [String])?.first?.hasSuffix("admission-request, due 2027-01-18T08:00:00Z") == true, "\(differ.stdout.prefix(400))")
        let broken = try Liaison.run(["replay", "/nonexistent.sqlite", "--plugins", plugins.path])
        #expect(broken.status == 2)
        #expect(broken.stderr.hasPrefix("liaison replay: no store at /nonexistent.sqlite"))
    }

    @Test("stubs without -o writes the annotations to standard output")
    func stubsToStdout() throws {
        let result = try Liaison.run(["stubs"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("---@meta liaison\n"))
        #expect(result.stdout.contains("function Case:schedule(movement, escorted) end"))
        #expect(result.stdout.contains("---| \"case.state-changed\" # any command that moves a case along its states"))
        #expect(result.stderr.isEmpty)
    }

    @Test("the console's :help, :load, :ledger, :advance to an ISO time and :quit; repl --store continues a store")
    func consoleCommands() throws {
        let dir = URL(fileURLWithPath: temporaryPath("console"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "answer = 6 * 7\nprint('loaded', answer)\n".write(to: dir.appendingPathComponent("script.lua"), atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("gulf.sqlite").path
        let (status, text) = try pipedRepl(["Examples/gulf-charter", "--store", store], """
            :help
            :load \(dir.appendingPathComponent("script.lua").path)
            answer
            :advance 2026-12-05T11:00:00Z
            :ledger 2
            :quit
            print('after quit')

            """)
        #expect(status == 0)
        #expect(text.contains("  :load FILE          run a Lua file in this console (one transaction)\n"), "\(text)")
        #expect(text.contains("loaded\t42\n42\n"), "\(text)")
        #expect(text.contains("now 2026-12-05T11:00:00Z; 6 commands ran, timeline 5/16\n"), "\(text)")
        // The appeal at 10:00 (its timeline line the origin), and the notice the sending agency's
        // plugin sent about it.
        #expect(text.contains("911  2026-12-05T10:00:00Z  US-ENF  legal.record  (timeline.toml:37)\n912  2026-12-05T10:00:00Z  US-ENF  notice.send  (plugin us-enf, hook hold.raised)\n"), "\(text)")
        #expect(!text.contains("after quit"))
        // The store holds what the console did, and a second console continues it.
        let (again, continued) = try pipedRepl(["Examples/gulf-charter", "--store", store], "model.case('R-0007').state\n:ledger 1\n")
        #expect(again == 0)
        #expect(continued.hasPrefix("\"on-hold\"\n"), "\(continued)")
    }
}
