import Foundation
import LiaisonTesting
import Testing

/// Writes Lua test files into a fresh folder.
func testFolder(_ files: [String: String]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    for (name, text) in files {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }
    return url
}

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("The Lua test harness tests itself")
struct TestRunnerTests {
    let files = [
        "suite_test.lua": """
            describe("arithmetic #fast", function()
              local base
              before_each(function() base = 40 end)
              it("passes", function() expect(base + 2):to_equal(42) end)
              it("fails with the first difference", function()
                expect({ cases = { { ref = "R-1", state = "on-hold" } } }):to_equal({ cases = { { ref = "R-1", state = "received" } } })
              end)
              it("errors", function() local t = nil; return t.x end)
              pending("is not written yet")
              it("expects an error", function() expect(function() error("no travel document") end):to_raise("travel") end)
            end)
            it("sees no global from another test", function()
              expect(leaked):to_be_nil()
              leaked = true
            end)
            it("sees no global from another test, again", function() expect(leaked):to_be_nil() end)
            it("is seeded", function() seen = math.random(1000000); print("random " .. seen) end)
            """,
    ]

    @Test("counts, messages and locations of passing, failing, erroring and pending tests")
    func counts() throws {
        let folder = try testFolder(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try TestRunner(options: .init(seed: 7)).run(files: TestRunner.files(in: [folder.path]))
        #expect(report.summaryLine == "5 passed, 2 failed, 1 skipped")
        #expect(!report.succeeded)
        let failed = try #require(report.results.first { $0.name == "arithmetic #fast fails with the first difference" })
        #expect(failed.status == .failed)
        #expect(failed.location?.hasSuffix("suite_test.lua:6") == true)
        #expect(failed.message?.contains("first difference at .cases[1].state: expected \"received\", got \"on-hold\"") == true)
        let errored = try #require(report.results.first { $0.name == "arithmetic #fast errors" })
        #expect(errored.status == .error)
        #expect(errored.message == "attempt to index a nil value (local 't')")
        #expect(errored.location?.hasSuffix("suite_test.lua:8") == true)
        #expect(report.results.first { $0.name.hasSuffix("is not written yet") }?.status == .skipped)
        #expect(report.text(colour: false).hasSuffix("seed 7 (repeat this run with --seed 7)\n5 passed, 2 failed, 1 skipped"))
    }

    @Test("--filter and --tag select tests")
    func selection() throws {
        let folder = try testFolder(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        let paths = try TestRunner.files(in: [folder.path])
        #expect(try TestRunner(options: .init(filter: "passes$")).run(files: paths).summaryLine == "1 passed, 0 failed")
        #expect(try TestRunner(options: .init(tags: ["fast"])).run(files: paths).summaryLine == "2 passed, 2 failed, 1 skipped")
        let none = try TestRunner(options: .init(filter: "nothing like this")).run(files: paths)
        #expect(none.summaryLine == "0 passed, 0 failed" && !none.succeeded)
    }

    @Test("TAP and JUnit name every test and carry each failure")
    func formats() throws {
        let folder = try testFolder(files)
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try TestRunner(options: .init(seed: 7)).run(files: TestRunner.files(in: [folder.path]))
        let tap = report.tap.components(separatedBy: "\n")
        #expect(tap.prefix(3) == ["TAP version 13", "1..8", "ok 1 - arithmetic \\#fast passes"])
        #expect(tap.contains("not ok 2 - arithmetic \\#fast fails with the first difference"))
        #expect(tap.contains("ok 4 - arithmetic \\#fast is not written yet # SKIP pending"))
        #expect(tap.last == "5 passed, 2 failed, 1 skipped")
        let junit = report.junit
        #expect(junit.contains("<testsuites tests=\"8\" failures=\"1\" errors=\"1\" skipped=\"1\">"))
        #expect(junit.contains("<error message=\"attempt to index a nil value (local &apos;t&apos;)\"") || junit.contains("<error message=\"attempt to index a nil value (local 't')\""))
        #expect(junit.contains("<skipped message=\"pending\"/>"))
    }

    @Test("a file that does not compile is one error naming its line")
    func brokenFile() throws {
        let folder = try testFolder(["bad_test.lua": "it('x', function()\n  expect(1):to_equal(\nend)\n"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try TestRunner(options: .init()).run(files: TestRunner.files(in: [folder.path]))
        #expect(report.summaryLine == "0 passed, 1 failed")
        #expect(report.results[0].location?.hasSuffix("bad_test.lua:3") == true)
    }

    @Test("an endless test is stopped by its time limit and reported as an error")
    func endless() throws {
        let folder = try testFolder(["loop_test.lua": "it('loops', function() while true do end end)\nit('runs after', function() end)"])
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = TestRunner.Options()
        // A second is far more than loading the file and running the quick test take anywhere,
        // so only the endless loop can meet it.
        options.limits.time = .seconds(1)
        let report = try TestRunner(options: options).run(files: TestRunner.files(in: [folder.path]))
        #expect(report.summaryLine == "1 passed, 1 failed")
        #expect(report.results[0].message?.contains("time limit") == true)
    }
}

@Suite("The example operations' own tests")
struct ExampleTestsTests {
    @Test("both examples' tests pass, every one of them", arguments: [("gulf-charter", 15), ("third-country", 6)])
    func pass(example: String, tests: Int) throws {
        let report = try TestRunner(options: .init()).run(files: TestRunner.files(in: [repository.appendingPathComponent("Examples/\(example)").path]))
        #expect(report.failed == 0, "\(report.text(colour: false))")
        #expect(report.summaryLine == "\(tests) passed, 0 failed")
    }

    @Test("a deliberately broken plugin makes the example's tests fail")
    func broken() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-broken-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/gulf-charter"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let main = copy.appendingPathComponent("plugins/us-enf/main.lua")
        // The broken version forgets to take a person off the manifest when a claim is filed.
        let text = try String(contentsOf: main, encoding: .utf8)
        try text.replacingOccurrences(of: "if case.movement then case:strike(ev.kind .. \" filed\") end", with: "")
            .write(to: main, atomically: true, encoding: .utf8)
        let report = try TestRunner(options: .init()).run(files: TestRunner.files(in: [copy.path]))
        let failed = report.results.filter { $0.status != .passed }.map(\.name)
        #expect(failed.contains("holds #holds strikes a person who makes a protection claim after being scheduled"))
    }
}
