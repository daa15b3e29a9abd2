import Foundation
@testable import LiaisonFolder
import LiaisonModel
import Testing

/// Reads `text` as a document and gives every problem as `LINE: MESSAGE`.
func problems(_ text: String, reading: (TOMLTableReader) -> Void = { _ in }) -> [String] {
    let document = TOMLDocument(text, file: "x.toml")
    if let root = document.root { reading(root) }
    return document.problems.list.map { "\($0.line.map(String.init) ?? "-"): \($0.message)" }
}

@Suite("TOML read typed, every problem located")
struct TOMLReaderTests {
    @Test("a whole number, a float and a boolean are told apart, and each is asked for by type")
    func types() {
        let found = problems("""
            a = 1
            b = 1.5
            c = true
            d = "text"
            """) { t in
            #expect(t.int("a", default: 0) == 1)
            #expect(t.int("b", default: 7) == 7)
            #expect(t.bool("a", default: false) == false)
            #expect(t.bool("c", default: false) == true)
            #expect(t.int("c", default: 7) == 7)
            #expect(t.string("a") == nil)
            #expect(t.string("d") == "text")
            #expect(t.int("missing", default: 9) == 9)
        }
        #expect(found == ["2: b: must be a whole number, 0 or more", "1: a: must be true or false", "3: c: must be a whole number, 0 or more",
                          "1: a: must be a non-empty string"])
    }

    @Test("numbers past their bounds are refused by name, never wrapped")
    func bounds() {
        let found = problems("n = 99999999999\nm = -1\n") { t in
            #expect(t.int("n", default: 1, minimum: 1, maximum: 16_384) == 1)
            #expect(t.int("m", default: 1, minimum: 1) == 1)
        }
        #expect(found == ["1: n: must be at most 16384, not 99999999999", "2: m: must be a positive whole number"])
    }

    @Test("dates: quoted or as TOML writes them, with a time zone, on a day the calendar has")
    func dates() {
        var read: [Date?] = []
        let found = problems("""
            a = "2026-12-15T06:00:00Z"
            b = 2026-12-15T06:00:00Z
            c = 2026-12-15T06:00:00
            d = "2026-12-15T06:00:00+03:00"
            e = 3
            f = "2026-02-30T06:00:00+01:00"
            g = "2026-12-15T24:00:00Z"
            """) { t in read = ["a", "b", "c", "d", "e", "f", "g"].map(t.date) }
        #expect(read == [Timestamp.parse("2026-12-15T06:00:00Z"), Timestamp.parse("2026-12-15T06:00:00Z"), nil,
                         Timestamp.parse("2026-12-15T03:00:00Z"), nil, nil, nil])
        #expect(found == [
            "3: c: '2026-12-15T06:00:00' is not a date and time between 1900 and 2200 with its time zone (for example 2026-12-15T06:00:00Z)",
            "5: e: must be a date and time (for example 2026-12-15T06:00:00Z)",
            "6: f: '2026-02-30T06:00:00+01:00' is not a date and time between 1900 and 2200 with its time zone (for example 2026-12-15T06:00:00Z)",
            "7: g: '2026-12-15T24:00:00Z' is not a date and time between 1900 and 2200 with its time zone (for example 2026-12-15T06:00:00Z)",
        ])
    }

    @Test("a NUL would cut a value short unseen, and a control character would reach terminals: both are refused with their line")
    func controlCharacters() {
        #expect(problems("a = \"ok\"\nb = \"cut\\u0000here\"\n") == ["2: a NUL character (\\u0000) cannot be part of a value"])
        #expect(problems("b = \"a backslash, then u0000: \\\\u0000\"\n").isEmpty, "an escaped backslash is not an escape")
        let found = problems("a = \"bell\\u0007\"\nb = [\"ok\", \"esc\\u001b[2J\"]\nc = \"tab\\tand\\nline\"\n") { t in
            #expect(t.string("a") == nil)
            #expect(t.strings("b") == [])
            #expect(t.string("c") == "tab\tand\nline")
        }
        #expect(found == ["1: a: contains a control character (U+0007): write the text without it",
                          "2: b: contains a control character (U+001B): write the text without it"])
    }

    @Test("a table header without a name is refused with its line before the parser sees it (toml++ aborts on it)",
          arguments: ["[\n", "[[\n", "[ \n", "[[ \t\n", "[=]\n", "[[#]]\n", "a = 1\n[b]\n[\n"])
    func headerWithoutName(_ text: String) {
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(problems(text) == ["\(line): a table header needs a name after '[' or '[[': a word of letters, digits, '-' and '_', or a quoted name"])
    }

    @Test("brackets inside values, strings and comments are not headers")
    func notHeaders() {
        let text = #"""
            x = [
              [
                1
              ],
              [ "[", '[' ],
            ]
            s = """
            [
            """
            t = '''
            [=
            '''
            # [
            [ "quoted" ]
            [[ list ]]
            []
            """#
        #expect(TOMLDocument.headerWithoutName(text) == nil)
        #expect(problems("[]\n").first?.contains("a table header needs a name") == false)
        #expect(problems("x = [\n  [\n    1\n  ],\n]\n") == [])
    }

    @Test("a syntax error names its line and column; a file too large to be an operation's is refused unread")
    func syntax() {
        #expect(problems("a = 1\nb = = 2\n").first?.hasPrefix("2: ") == true)
        let big = String(repeating: "# padding\n", count: (TOMLDocument.maximumSize / 10) + 1)
        #expect(problems(big) == ["-: is 16 MiB: a Liaison file is at most 16 MiB"])
    }

    @Test("unknown keys are named with their line and the keys that are known; tables and arrays of tables are checked by shape")
    func shapes() {
        let found = problems("""
            nmae = "typo"
            items = 3
            [grants]
            roles = "everyone"
            """) { t in
            t.refuseUnknownKeys(["name", "items", "grants"], of: "the file")
            #expect(t.tables("items").isEmpty)
            #expect(t.table("grants", shape: "ROLE tables")?.table("roles", shape: "ROLE = [...]") == nil)
        }
        #expect(found == ["1: nmae: is not a key of the file (keys: grants, items, name)",
                          "2: items: must be an array of tables ([[items]])",
                          "4: grants.roles: must be a table (ROLE = [...])"])
    }
}

@Suite("timeline.toml and plugin.toml through the typed reader")
struct FolderFileTests {
    func folder(_ files: [String: String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-folder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in files {
            let file = url.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        return url
    }

    let operation = ReturnOperation(name: "op", agencies: [Agency(id: "US-ENF", name: "E", country: "US", role: .sendingEnforcement,
                                                                  plugins: ["enf"])])

    @Test("a timeline argument that is not a finite number, text, a boolean or a list of them is refused by key and line")
    func timelineArguments() throws {
        let url = try folder(["timeline.toml": """
            [[events]]
            at = "2026-12-01T09:00:00Z"
            signal = "intake.review"
            weight = nan
            [[events]]
            at = "2026-12-01T10:00:00Z"
            signal = "intake.review"
            limit = -inf
            nested = { a = 1 }
            ok = [1, 2.5, "x", true]
            """])
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ImportError.self) { try Timeline.load(url, operation: operation) }
        #expect(error?.problems.map(\.description) == [
            "timeline.toml:4: events[0].weight: must be a string, a whole or finite number, a boolean, or a list of them",
            "timeline.toml:8: events[1].limit: must be a string, a whole or finite number, a boolean, or a list of them",
            "timeline.toml:9: events[1].nested: must be a string, a whole or finite number, a boolean, or a list of them",
        ])
    }

    @Test("a plugin's limits are bounded: a memory limit that would overflow when counted in bytes is refused, not wrapped")
    func pluginLimits() throws {
        let url = try folder(["plugins/enf/plugin.toml": """
            name = "enf"
            version = "1.0.0"
            agency = "US-ENF"
            api = 1
            [limits]
            memory_mib = 9223372036854775807
            time_ms = 0
            """, "plugins/enf/main.lua": ""])
        defer { try? FileManager.default.removeItem(at: url) }
        var problems = Problems()
        let manifest = PluginManifest.read(url.appendingPathComponent("plugins/enf"), display: "plugins/enf", operation: operation, &problems)
        #expect(manifest?.memoryLimit == 32 << 20)
        #expect(problems.list.map(\.description) == [
            "plugins/enf/plugin.toml:7: limits.time_ms: must be a positive whole number",
            "plugins/enf/plugin.toml:6: limits.memory_mib: must be at most 16384, not 9223372036854775807",
        ])
    }
}

@Suite("TOML input bounded before the parser sees it")
struct TOMLBoundsTests {
    @Test("a key of 100,000 dotted parts (200 KB) is refused at once with its line; a header too; 64 parts are read")
    func dottedKeys() {
        let long = String(repeating: "a.", count: 99_999) + "a"
        #expect(problems("name = \"x\"\n\(long) = 1\n") == ["2: a key of 100000 dotted parts: keys have at most 64"])
        #expect(problems("[\(long)]\nb = 1\n") == ["1: a key of 100000 dotted parts: keys have at most 64"])
        let fine = Array(repeating: "a", count: 64).joined(separator: ".")
        #expect(problems("\(fine) = 1\n").isEmpty)
    }

    @Test("values nested deeper than the parser allows are refused with their line")
    func nesting() {
        let found = problems("x = " + String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000) + "\n")
        #expect(found.count == 1 && found[0].hasPrefix("1: ") && found[0].contains("nested"), "\(found)")
    }
}

@Suite("manifest.csv: bad bytes are refused with their place")
struct ManifestInputTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The gulf-charter's operation.toml (its clock starts 2026-12-01) beside `manifest`.
    func load(manifest: Data) throws -> [String] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Examples/gulf-charter/operation.toml"),
                                         to: url.appendingPathComponent("operation.toml"))
        try manifest.write(to: url.appendingPathComponent("manifest.csv"))
        do {
            _ = try OperationFolder.load(url)
            return []
        } catch let error as ImportError {
            return error.problems.map(\.description)
        }
    }

    let header = "case_ref,person_ref,names,date_of_birth,sex,nationalities,track,destination_state,vulnerabilities\n"

    @Test("a NUL or a control character in a field is refused with its line and column")
    func controlCharacters() throws {
        let text = header + "R-1,P-1,Ava\u{0}Example,1990-01-01,F,IR,voluntary,IR,\nR-2,P-2,Omid Example,1985-02-02,M,IR,voluntary,IR\u{1B}[2J,\n"
        #expect(try load(manifest: Data(text.utf8)) == [
            "manifest.csv:2: column 'names': contains a control character (U+0000): write the field without it",
            "manifest.csv:3: column 'destination_state': contains a control character (U+001B): write the field without it",
        ])
    }

    @Test("text that is not UTF-8 is refused at its line and byte")
    func invalidUTF8() throws {
        var data = Data((header + "R-1,P-1,Ana Example,1990-01-01,F,IR,voluntary,IR,\nR-2,P-2,Jos").utf8)
        data.append(contentsOf: [0xE9, 0x20])  // Latin-1 é, then a space
        data.append(contentsOf: Array(" Example,1985-02-02,M,IR,voluntary,IR,\n".utf8))
        #expect(try load(manifest: data) == ["manifest.csv:3: byte 12 of this line is not UTF-8 text: save the file as UTF-8"])
    }

    @Test("who is a minor is judged on the operation's clock, not the machine's")
    func minorOnTheOperationsClock() throws {
        // The gulf-charter's clock starts 2026-12-01: someone born 2008-12-02 is 17 then (and
        // an adult by the machine's clock in any year after 2026); one born 2008-12-01 is 18.
        let text = header + "R-1,P-1,Ana Example,2008-12-02,F,IR,voluntary,IR,minor\nR-2,P-2,Omid Example,2008-12-01,M,IR,voluntary,IR,minor\n"
        #expect(try load(manifest: Data(text.utf8)) == [
            "manifest.csv:3: column 'vulnerabilities': 'minor' for someone born 2008-12-01, who is an adult when the operation starts (2026-12-01)",
        ])
    }
}
