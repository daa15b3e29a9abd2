import ArgumentParser
import LiaisonModel
import Foundation
import LiaisonTesting
import LuaKit

/// `liaison test`: runs agencies' Lua regression tests.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run *_test.lua regression tests of agency workflows.",
        discussion: """
            Each PATH is a test file, or a folder: an operation folder's tests/, or the folder \
            itself searched for *_test.lua. Without PATH, ./tests. Tests use busted's words \
            (describe, it, pending, before_each, after_each, #tags in names), expect(x):to_equal(y) \
            and friends, and scenario.load(folder), which gives each test a fresh operation in \
            memory with its plugins and timeline. Each test runs in its own sandboxed state; \
            math.random is seeded and the seed printed.

            The exit status is 1 when a test failed or none ran. The last line is always \
            "N passed, N failed" (", N skipped" when some were pending).

            Examples:
              liaison test Examples/gulf-charter
              liaison test Examples/gulf-charter --filter "appeal" --tap
              liaison test tests/holds_test.lua --tag minors --junit report.xml --seed 7
            """
    )

    @Argument(help: ArgumentHelp("Test files or folders (default: ./tests).", valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp("Run only tests whose full name matches this regular expression.", valueName: "pattern"))
    var filter: String?

    @Option(help: ArgumentHelp("Run only tests tagged #TAG (repeat for several).", valueName: "tag"))
    var tag: [String] = []

    @Flag(help: "Write TAP version 13 instead of the readable report.")
    var tap = false

    @Option(help: ArgumentHelp("Also write JUnit XML to FILE.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Seed math.random with N (default: from the clock, and printed).", valueName: "n"))
    var seed: UInt32?

    func run() throws {
        let seed = self.seed ?? UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970 * 1000) % 1_000_000)
        let runner = TestRunner(options: .init(filter: filter, tags: tag, seed: seed))
        let colour = !tap && isatty(STDOUT_FILENO) == 1
        if !tap { runner.progress = { print(TestReport.line($0, colour: colour)) } }
        let files: [String]
        do {
            files = try TestRunner.files(in: paths.isEmpty ? ["tests"] : paths)
        } catch {
            fail("liaison test: \(error)")
            print("0 passed, 0 failed")
            throw ExitCode(1)
        }
        let report = try runner.run(files: files)
        print(tap ? report.tap : report.text(colour: colour))
        if let junit { try report.junit.write(toFile: junit, atomically: true, encoding: .utf8) }
        if !report.succeeded { throw ExitCode(1) }
    }
}

/// `liaison replay`: what another version of the plugins would have decided.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run an operation's recorded commands against other plugins and list what they decide differently.",
        discussion: """
            Takes the external commands of STORE's ledger (imports, the timeline, commands typed \
            at the REPL: everything no plugin caused), runs them again at their times, by their \
            agencies, against the plugins in DIR (a plugins/ folder), on a fresh store in memory, \
            and compares every decision per case: holds raised and lifted, notices (recipient, \
            template, due time), vetoes, handoff proposals and acknowledgements, final states. \
            With --as AGENCY, only what that agency may learn is listed: the holds its grants \
            let it see, its own notices and vetoes, handoffs and final states. \
            Exit status 0 when nothing differs, 1 when something does.

            Example: what would version 2 of the plugins have done on last month's operation?
              liaison replay /srv/ops/gulf-charter.sqlite --plugins ../plugins-v2/plugins
              liaison replay /srv/ops/gulf-charter.sqlite --plugins ../plugins-v2/plugins --as IR-MFA
            """
    )

    @Argument(help: ArgumentHelp("The operation's store.", valueName: "store"))
    var store: String

    @Option(help: ArgumentHelp("The plugins folder to replay against.", valueName: "dir"))
    var plugins: String

    @Flag(help: "Print the differences as JSON.")
    var json = false

    @Option(name: .customLong("as"), help: ArgumentHelp("List only what this agency may learn.", valueName: "agency"))
    var agency: String?

    func run() throws {
        let replay: Replay
        do {
            replay = try Replay.run(store: store, plugins: URL(fileURLWithPath: plugins), as: agency.map(AgencyID.init))
        } catch {
            fail("liaison replay: \(error)")
            throw ExitCode(2)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(replay.differences), as: UTF8.self))
        } else {
            print(replay.text)
        }
        if !replay.differences.isEmpty { throw ExitCode(1) }
    }
}
