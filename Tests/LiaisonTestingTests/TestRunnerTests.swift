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

    @Test("every assertion passes when it holds, and fails with its own message at its own line when it does not")
    func assertions() throws {
        let folder = try testFolder(["assertions_test.lua": """
            it("holds", function()
              expect({ 1, { a = 2 } }):to_equal({ 1, { a = 2 } })
              expect(1):to_not_equal(2)
              expect({ 1 }):to_not_equal({ 2 })
              expect(true):to_be_truthy()
              expect(nil):to_be_falsy()
              expect(nil):to_be_nil()
              expect({ 1, 2, 3 }):to_have_length(3)
              expect("laissez-passer"):to_have_length(14)
              expect({ "x", { y = 1 } }):to_contain({ y = 1 })
              expect("on-hold"):to_contain("hold")
              expect("R-0042"):to_match("^R%-%d+$")
              expect(3):to_be_greater_than(2)
              expect(function() error("no travel document") end):to_raise("travel")
            end)
            it("not_equal", function() expect({ 1 }):to_not_equal({ 1 }) end)
            it("truthy", function() expect(false):to_be_truthy() end)
            it("falsy", function() expect(0):to_be_falsy() end)
            it("nil", function() expect("x"):to_be_nil() end)
            it("length", function() expect({ 1, 2 }):to_have_length(3) end)
            it("contain", function() expect({ "a" }):to_contain("b") end)
            it("contain text", function() expect("on-hold"):to_contain("fit") end)
            it("match", function() expect("R-0042"):to_match("^H") end)
            it("greater", function() expect(2):to_be_greater_than(2) end)
            it("raise none", function() expect(function() end):to_raise("x") end)
            it("raise other", function() expect(function() error("boom", 0) end):to_raise("travel") end)
            describe("after each", function()
              after_each(function() expect("after"):to_equal("each") end)
              it("fails in after_each though its body passed", function() expect(1):to_equal(1) end)
            end)
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try TestRunner(options: .init(seed: 1)).run(files: TestRunner.files(in: [folder.path]))
        #expect(report.summaryLine == "1 passed, 12 failed")
        let messages = Dictionary(uniqueKeysWithValues: report.results.map { ($0.name, $0.message ?? "") })
        #expect(messages["holds"] == "")
        #expect(messages["not_equal"] == "expected a value other than {1}")
        #expect(messages["truthy"] == "expected a truthy value, got false")
        #expect(messages["falsy"] == "expected a falsy value, got 0")
        #expect(messages["nil"] == "expected nil, got \"x\"")
        #expect(messages["length"] == "expected length 3, got 2: {1, 2}")
        #expect(messages["contain"] == "expected {\"a\"} to contain \"b\"")
        #expect(messages["contain text"] == "expected \"on-hold\" to contain \"fit\"")
        #expect(messages["match"] == "expected \"R-0042\" to match \"^H\"")
        #expect(messages["greater"] == "expected a value greater than 2, got 2")
        #expect(messages["raise none"] == "expected an error matching \"x\", but none was raised")
        #expect(messages["raise other"] == "expected an error matching \"travel\", got \"boom\"")
        #expect(messages["after each fails in after_each though its body passed"] == "expected \"each\", got \"after\"")
        let lines = Dictionary(uniqueKeysWithValues: report.results.map { ($0.name, $0.location ?? "") })
        #expect(lines["length"]?.hasSuffix("assertions_test.lua:20") == true)
        #expect(lines["after each fails in after_each though its body passed"]?.hasSuffix("assertions_test.lua:28") == true, "\(lines)")
    }

    @Test("a scenario's clock, signals and log, as a test reads them")
    func scenarioSignalsAndLog() throws {
        let example = repository.appendingPathComponent("Examples/gulf-charter").path
        let folder = try testFolder(["scenario_test.lua": """
            it("gives a signal at a time, and reads the plugins' log", function()
              local op = scenario.load("\(example)")
              expect(op.now):to_equal("2026-12-01T08:00:00Z")
              local outcome = op:at("2026-12-01T12:00Z"):signal("counselling.completed", { interpreter = "Farsi interpreter" })
              expect(op.now):to_equal("2026-12-01T12:00:00Z")
              expect(outcome.accepted):to_be_truthy()
              expect(outcome.events):to_contain("consent.recorded")
              expect(op:case("R-0001").state):to_equal("cleared")
              op:run_until("2026-12-04T09:00Z")
              expect(op:log()):to_contain("plugin us-enf, hook notice.overdue: notice N-000022 to IR-RECEPTION/child-protection is overdue; sending a reminder")
              local refused = op:signal("case.opened", {})
              expect(refused.accepted):to_be_falsy()
              expect(refused.refusal):to_match("cannot name a signal")
            end)
            """])
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = try TestRunner(options: .init(seed: 1)).run(files: TestRunner.files(in: [folder.path]))
        #expect(report.summaryLine == "1 passed, 0 failed", "\(report.text(colour: false))")
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
        // Quotes are escaped; an apostrophe inside a double-quoted attribute need not be.
        #expect(junit.contains("<error message=\"attempt to index a nil value (local 't')\""))
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
    @Test("both examples' tests pass, every one of them", arguments: [("gulf-charter", 16), ("third-country", 6)])
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
