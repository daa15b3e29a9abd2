import Foundation
import LiaisonServer

/// A `liaison serve` process on a loopback port, its agencies' keys, and clients speaking for
/// them: the server driven from outside, as agencies on other networks would.
final class ServedOperation {
    /// Every agency of the gulf charter, and the coordinator.
    static let agencies = ["US-ENF", "QA-TRANSIT", "IR-MFA", "IR-RECEPTION", "MONITOR", "COORDINATOR"]

    let dir: URL
    let keys: URL
    let process: Process
    let base: URL
    let output: Pipe
    let errPath: URL
    private(set) var stopped = false

    /// Makes a key pair for every agency in a fresh folder (once per folder) and starts a
    /// server on any free port.
    init(store: [String], keys existing: URL? = nil, folder: String = "Examples/gulf-charter", extra: [String] = []) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        keys = existing ?? dir.appendingPathComponent("keys")
        if existing == nil {
            for agency in Self.agencies { _ = try AgencyKeys.generate(for: .init(agency), into: keys) }
        }
        process = Process()
        process.executableURL = Liaison.executable
        process.arguments = ["serve", folder] + store + ["--keys", keys.path, "--listen", "127.0.0.1:0", "--clock", "store"] + extra
        process.currentDirectoryURL = repositoryRoot
        output = Pipe()
        errPath = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errPath)
        try process.run()
        // The first line says where it listens.
        let (address, line) = ServerClient.servedAddress(from: output.fileHandleForReading)
        guard let address else {
            process.terminate()
            let log = (try? String(contentsOf: errPath, encoding: .utf8)) ?? ""
            throw ClientError("liaison serve did not start: \(line) \(log)")
        }
        base = address
    }

    var stderr: String { (try? String(contentsOf: errPath, encoding: .utf8)) ?? "" }

    /// A token made by `liaison token`, as an agency would make it.
    func token(_ agency: String, key: String? = nil, ttl: String = "1h", operation: String? = "gulf-charter") throws -> String {
        let keyFile = key ?? keys.appendingPathComponent("\(agency).key").path
        let r = try Liaison.run(["token", agency, "--key", keyFile, "--ttl", ttl] + (operation.map { ["--operation", $0] } ?? []))
        guard r.status == 0 else { throw ClientError("liaison token \(agency): \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func client(_ agency: String) throws -> ServerClient { ServerClient(base: base, token: try token(agency)) }
    func anonymous() -> ServerClient { ServerClient(base: base, token: nil) }

    /// SIGTERM, and the exit status once it has stopped.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) -> Int32 {
        guard !stopped else { return process.terminationStatus }
        stopped = true
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if !stopped { stop(signal: SIGKILL) }
        try? FileManager.default.removeItem(at: dir)
    }
}
