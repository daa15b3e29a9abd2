import Foundation
import Testing

/// The benchmark is not a test, but it must keep running and printing what it promises.
@Suite("liaison-bench runs and reports its cases")
struct BenchTests {
    struct Row: Decodable {
        var name: String
        var value: Double
        var unit: String
        var baseline: Double?
        var ratio: Double?
        var target: Double?
    }

    @Test("--quick --json prints every case with its baseline, ratio and target")
    func quickJSON() throws {
        let process = Process()
        process.executableURL = Liaison.executable.deletingLastPathComponent().appendingPathComponent("liaison-bench")
        process.arguments = ["--quick", "--json"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let rows = try JSONDecoder().decode([Row].self, from: data)
        let names = rows.map(\.name)
        for expected in ["Lua calls a Swift function (2 numbers in, 1 out)", "Swift calls a Lua function",
                         "read a field of a bridged object", "call a method of a bridged object",
                         "a loop with a time budget armed but not reached vs. none"] {
            let row = rows.first { $0.name == expected }
            #expect(row != nil, "missing \(expected) in \(names)")
            #expect(row?.baseline.map { $0 > 0 } == true)
            #expect(row?.ratio.map { $0 > 0 } == true)
            #expect(row?.target != nil)
        }
        // The store, grouped and command by command; the latter against SQLite alone.
        let grouped = rows.first { $0.name.hasPrefix("store: lifecycle") && $0.name.contains("groups of") }
        let single = rows.first { $0.name.hasPrefix("store: lifecycle") && $0.name.contains("each command durable") }
        #expect(grouped?.unit == "commands/s" && grouped?.target == 50_000, "\(names)")
        #expect(single?.baseline.map { $0 > 0 } == true, "\(names)")
        #expect(rows.contains { $0.name.hasPrefix("plugins: gulf-charter") && $0.unit == "cases/s" })
        #expect(rows.contains { $0.unit == "ms" && $0.target == 0.5 })
        #expect(rows.contains { $0.unit == "KiB" && $0.value > 0 && $0.target == 150 })
    }

    @Test("an unknown option is refused with a pointer to --help")
    func unknownOption() throws {
        let process = Process()
        process.executableURL = Liaison.executable.deletingLastPathComponent().appendingPathComponent("liaison-bench")
        process.arguments = ["--fast"]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        #expect(message == "liaison-bench: unknown option --fast (see --help)\n")
    }
}
