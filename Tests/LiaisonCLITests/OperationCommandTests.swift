import Foundation
import Testing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("liaison-\(UUID().uuidString)-\(name)").path
}

@Suite("liaison import and liaison audit verify")
struct OperationCommandTests {
    @Test("the example operation imports, and its ledger verifies")
    func importExample() throws {
        let store = temporaryPath("gulf.sqlite")
        let imported = try Liaison.run(["import", "Examples/gulf-charter", "--store", store], in: repositoryRoot)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == "Imported gulf-charter: 100 people and 100 cases into \(store) (ledger entries 1–201).\n")
        let verified = try Liaison.run(["audit", "verify", "--store", store])
        #expect(verified.status == 0)
        #expect(verified.stdout == "\(store): ledger intact: 201 entries, hash chain and records verified\n")
        let again = try Liaison.run(["import", "Examples/gulf-charter", "--store", store], in: repositoryRoot)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists: a new store is never written over another: continue the run it holds with liaison run --resume, give another --store, or remove it to start the operation again"))
    }

    @Test("liaison run --resume plays the timeline of an imported store, finds nothing to do in a finished one, and refuses what it cannot continue")
    func resume() throws {
        // (A run stopped part-way ends with the ledger of one that never stopped: ResumeTests,
        // and scripts/torture with real kills.)
        let store = temporaryPath("resumed.sqlite")
        #expect(try Liaison.run(["import", "Examples/gulf-charter", "--store", store], in: repositoryRoot).status == 0)
        let resumed = try Liaison.run(["run", "Examples/gulf-charter", "--store", store, "--resume"], in: repositoryRoot)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.hasPrefix("resuming \(store) at 2026-12-01T08:00:00Z: import 200/200 commands, timeline 0/16 entries played\n"), "\(resumed.stderr)")
        #expect(resumed.stdout.contains("Operation gulf-charter at 2026-12-17T12:00:00Z"))
        let head = try Liaison.run(["audit", "head", "--store", store]).stdout
        let again = try Liaison.run(["run", "Examples/gulf-charter", "--store", store, "--resume"], in: repositoryRoot)
        #expect(again.status == 0 && again.stderr.hasPrefix("resuming \(store) at 2026-12-17T12:00:00Z: import 200/200 commands, timeline 16/16 entries played\n"))
        #expect(try Liaison.run(["audit", "head", "--store", store]).stdout == head)

        let missing = try Liaison.run(["run", "Examples/gulf-charter", "--store", temporaryPath("none.sqlite"), "--resume"], in: repositoryRoot)
        #expect(missing.status == 1 && missing.stderr.contains("nothing to resume: there is no store at"))
        let other = try Liaison.run(["run", "Examples/third-country", "--store", store, "--resume"], in: repositoryRoot)
        #expect(other.status == 1 && other.stderr.contains("holds the operation 'gulf-charter', and the folder describes 'third-country'"))
    }

    @Test("a folder with problems is refused whole, each problem named by file and line, and no store is left")
    func badFolder() throws {
        let folder = URL(fileURLWithPath: temporaryPath("bad"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var toml = try String(contentsOf: repositoryRoot.appendingPathComponent("Examples/gulf-charter/operation.toml"), encoding: .utf8)
        toml = toml.replacingOccurrences(of: "role = \"monitor\"", with: "role = \"observer\"")
        toml = toml.replacingOccurrences(of: "departs = \"2026-12-15T23:00:00Z\"", with: "departs = \"soon\"")
        toml = toml.replacingOccurrences(of: "charter = true", with: "charter = 1")
        try toml.write(to: folder.appendingPathComponent("operation.toml"), atomically: true, encoding: .utf8)
        try """
            case_ref,person_ref,names,date_of_birth,sex,nationalities,track,destination_state,order_final_on
            R-1,P-1,Ava Example,1990-13-01,F,IR,removal,IR,
            R-2,P-2,Omid Example,1985-02-02,Q,IR,deported,IR,2026-02-30
            R-1,P-3,,1985-02-02,M,IR,removal,IR,
            """.write(to: folder.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
        let result = try Liaison.run(["import", folder.path])
        #expect(result.status == 1)
        #expect(result.stderr == """
            liaison import: 9 problems in \(folder.path); nothing was imported:
              operation.toml:45: agencies[4].role: 'observer' is not a role (roles: sending-enforcement, transit-authority, destination-ministry, reception-organisation, carrier, monitor)
              operation.toml:93: movements[0].legs[1].departs: 'soon' is not a date and time between 1900 and 2200 with its time zone (for example 2026-12-15T06:00:00Z)
              operation.toml:80: movements[0].charter: must be true or false
              manifest.csv:2: column 'date_of_birth': '1990-13-01' is not a date (YYYY-MM-DD)
              manifest.csv:3: column 'sex': 'Q' is not F, M or X
              manifest.csv:3: column 'track': 'deported' is not a track (voluntary, removal, third-country)
              manifest.csv:3: column 'order_final_on': '2026-02-30' is not a date (YYYY-MM-DD)
              manifest.csv:4: column 'case_ref': 'R-1' is already used on line 2
              manifest.csv:4: column 'names': missing

            """)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("liaison.sqlite").path))
    }

    @Test("verify without a store, or with both a folder and --store, says what to type")
    func verifyUsage() throws {
        let missing = try Liaison.run(["audit", "verify", "--store", "/nonexistent/liaison.sqlite"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "liaison audit verify: no store at /nonexistent/liaison.sqlite: import the operation first (liaison import OPERATION_DIR)\n")
        let neither = try Liaison.run(["audit", "verify"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("give an operation folder, --store PATH or --database URL (one of them)"))
    }
}

@Suite("Durability: a killed process loses nothing it acknowledged", .serialized)
struct DurabilityTests {
    /// Kills `liaison debug churn` with SIGKILL once it has acknowledged `acks` commands, then
    /// checks the store: opening it replays what was written after the last checkpoint, the
    /// ledger verifies (chain, replay, records), and it holds every entry the process said was
    /// durable. Runs with commands durable one by one and in groups, with checkpoints rare and
    /// frequent.
    @Test("killed after N acknowledged commands", arguments: [
        (1, 1, 100_000), (37, 1, 100_000), (160, 1, 50), (411, 1, 500), (977, 1, 100_000),
        (300, 64, 100_000), (1_200, 100, 250),
    ] as [(Int, Int, Int)])
    func killed(after acks: Int, group: Int, checkpointInterval: Int) throws {
        let store = temporaryPath("churn.sqlite")
        let process = Process()
        process.executableURL = Liaison.executable
        process.arguments = ["debug", "churn", "--store", store, "--cases", "200", "--group", String(group),
                             "--checkpoint-interval", String(checkpointInterval)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var buffer = "", acknowledged: Int64 = 0
        let reader = out.fileHandleForReading
        while acknowledged < Int64(acks) {
            let data = reader.availableData
            if data.isEmpty { break }
            buffer += String(decoding: data, as: UTF8.self)
            while let newline = buffer.firstIndex(of: "\n") {
                if let n = Int64(buffer[..<newline].dropFirst(4)) { acknowledged = max(acknowledged, n) }
                buffer = String(buffer[buffer.index(after: newline)...])
            }
        }
        kill(process.processIdentifier, SIGKILL)
        let rest = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)  // acks printed before the signal landed
        for line in (buffer + rest).split(separator: "\n") { if let n = Int64(line.dropFirst(4)) { acknowledged = max(acknowledged, n) } }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(acknowledged >= Int64(acks))
        let verify = try Liaison.run(["audit", "verify", "--store", store])
        #expect(verify.status == 0, "\(verify.stderr)")
        let entries = Int64(verify.stdout.split(separator: " ").drop { $0 != "intact:" }.dropFirst().first ?? "0") ?? 0
        #expect(entries >= acknowledged, "the store holds \(entries) entries, \(acknowledged) were acknowledged")
    }
}
