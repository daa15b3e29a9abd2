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
