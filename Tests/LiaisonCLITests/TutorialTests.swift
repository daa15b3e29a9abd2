import Foundation
import Testing

/// docs/TUTORIAL.md, followed step by step: each block marked `<!-- tutorial: PATH -->` is
/// written to that file of a copy of the example operation, one marked `<!-- tutorial: replace
/// in PATH: PREFIX -->` replaces the line of PATH starting with PREFIX, and the commands the
/// tutorial gives are run. If the tutorial stops working, this fails.
@Suite("The tutorial")
struct TutorialTests {
    static let tutorial = repositoryRoot.appendingPathComponent("docs/TUTORIAL.md")

    /// The marked blocks, in order: (marker, the block's text).
    static func blocks() throws -> [(marker: String, text: String)] {
        let lines = try String(contentsOf: tutorial, encoding: .utf8).components(separatedBy: "\n")
        var out: [(String, String)] = []
        var i = 0
        while i < lines.count {
            if lines[i].hasPrefix("<!-- tutorial: "), lines[i].hasSuffix(" -->") {
                let marker = String(lines[i].dropFirst("<!-- tutorial: ".count).dropLast(" -->".count))
                var j = i + 1
                precondition(lines[j].hasPrefix("```"), "a tutorial marker must be followed by a code block (line \(j + 1))")
                j += 1
                var body: [String] = []
                while !lines[j].hasPrefix("```") { body.append(lines[j]); j += 1 }
                out.append((marker, body.joined(separator: "\n") + "\n"))
                i = j
            }
            i += 1
        }
        return out
    }

    @Test("every step works: the scaffold, the handlers, the template, the permission, the test, the run")
    func followed() throws {
        let dir = URL(fileURLWithPath: temporaryPath("my-operation"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/gulf-charter"), to: dir)
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.contains(".sqlite") {
            try FileManager.default.removeItem(at: dir.appendingPathComponent(f))
        }
        // Step 2.
        let made = try Liaison.run(["new", "plugin", "legal-aid", "--agency", "MONITOR", dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try Liaison.run(["test", dir.path, "--seed", "1"]).status == 0)
        // Step 3, as a piped console.
        let console = try pipedRepl([dir.path, "--as", "MONITOR"], """
            model.case("R-0007").holds
            :help handoff.completed

            """).output
        #expect(console.contains("MONITOR may not read 'holds' (legal data)"), "\(console)")
        #expect(console.contains("event handoff.completed: "), "\(console)")
        // Steps 4 and 5.
        let blocks = try Self.blocks()
        #expect(blocks.map(\.marker) == ["plugins/legal-aid/main.lua", "plugins/legal-aid/templates/handover-count.mustache",
                                         "replace in plugins/legal-aid/plugin.toml: permissions =", "tests/legal-aid_test.lua"])
        for (marker, text) in blocks {
            if marker.hasPrefix("replace in ") {
                let rest = marker.dropFirst("replace in ".count)
                let colon = rest.firstIndex(of: ":")!
                let file = dir.appendingPathComponent(String(rest[..<colon]))
                let prefix = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
                let at = try #require(lines.firstIndex { $0.hasPrefix(prefix) }, "no line of \(file.lastPathComponent) starts with \(prefix)")
                lines[at] = text.trimmingCharacters(in: .newlines)
                try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            } else {
                try text.write(to: dir.appendingPathComponent(marker), atomically: true, encoding: .utf8)
            }
        }
        #expect(try Liaison.run(["plugins", dir.path]).status == 0)
        let tests = try Liaison.run(["test", dir.path, "--seed", "1"])
        #expect(tests.status == 0, "\(tests.stdout)")
        #expect(tests.stdout.hasSuffix("18 passed, 0 failed\n"), "\(tests.stdout)")
        // Step 6.
        let run = try Liaison.run(["run", dir.path, "--store", dir.appendingPathComponent("s.sqlite").path, "--log"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("notices:  115 sent"), "\(run.stdout)")
    }
}
