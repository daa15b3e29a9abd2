import Foundation
import LiaisonPostgres

/// The PostgreSQL server the tests use (a library of its own so that every test target shares
/// it, and no product links it): the one `scripts/test` started (its URL in
/// `LIAISON_TEST_DATABASE`), or, when the tests run without it (`swift test` alone), a private
/// cluster this process starts with `scripts/postgres` in a temporary folder and stops when it
/// exits. Either way a real server: no stand-in answers for it. Each store gets a schema of its
/// own, so tests running side by side never meet.
public enum TestDatabase {
    public static let url: PostgresURL = {
        if let text = ProcessInfo.processInfo.environment["LIAISON_TEST_DATABASE"] {
            guard let url = PostgresURL(text) else { fatalError("LIAISON_TEST_DATABASE=\(text) is not a postgres:// URL") }
            return url
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = "/tmp/liaison-pg-\(getpid())"
        startedCluster = (root.appendingPathComponent("scripts/postgres").path, dir)
        let output = try! run(startedCluster!.script, ["start", dir])
        atexit {
            guard let (script, dir) = TestDatabase.startedCluster else { return }
            _ = try? TestDatabase.run(script, ["stop", dir])
            try? FileManager.default.removeItem(atPath: dir)
        }
        guard let url = PostgresURL(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { fatalError("scripts/postgres start printed \(output)") }
        return url
    }()

    nonisolated(unsafe) static var startedCluster: (script: String, dir: String)?

    /// Starts (printing its URL) or stops a private cluster of a test's own in `dir`, through
    /// scripts/postgres: for a test that stops and restarts its database.
    public static func cluster(_ action: String, _ dir: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try run(root.appendingPathComponent("scripts/postgres").path, [action, dir]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A schema no other test uses.
    public static func fresh() -> PostgresURL {
        url.with(schema: "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))
    }

    /// Runs the script through popen: Foundation's `Process` never reaped it when the first
    /// use of `url` came from a test running on Swift's cooperative pool (its exit went unseen,
    /// and the test waited for ever).
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let command = ([path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        guard let pipe = popen(command, "r") else { throw CocoaError(.executableLoad) }
        var output = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            output += buffer[..<n]
        }
        guard pclose(pipe) == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: output, as: UTF8.self)
    }
}
