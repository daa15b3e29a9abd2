// liaison-load: agencies' clients against `liaison serve`, on PostgreSQL and on the embedded
// SQLite store in the same run, rounds interleaved. Each client is one agency with its own
// token, on its own thread and connection, giving a command as soon as the last one was
// answered (one keep-alive HTTP/1.1 connection each, on SwiftNIO); every answer's latency goes
// into an HdrHistogram.
//
//   liaison-load                                   SQLite only
//   liaison-load --database postgres://...         SQLite and PostgreSQL, interleaved
//   liaison-load --seconds 20 --rounds 3 --json
//
// The commands: US-ENF's two clients raise a hold on a case and lift it again (two commands,
// each with its plugins' handlers); QA-TRANSIT, IR-MFA and IR-RECEPTION raise holds only (their
// grants do not let them hear of holds, so no answer names one for them to lift); the
// coordinator gives signals.
import ArgumentParser
import Foundation
import Histogram
import LiaisonAllocator
import LiaisonModel
import LiaisonPostgres
import LiaisonServer

@main
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liaison-load",
        abstract: "Load `liaison serve` with six agencies' clients, on SQLite and (with --database) PostgreSQL.",
        discussion: """
            Starts `liaison serve` (the binary beside this one) on a free loopback port for each \
            backend and round, with a fresh store each time, and drives it with six clients: US-ENF \
            twice (raising a hold and lifting it), QA-TRANSIT, IR-MFA and IR-RECEPTION (raising \
            holds: they may not hear of holds, so cannot name one to lift), the coordinator \
            (giving signals). Prints commands per second and latency percentiles for each round, and \
            PostgreSQL's rate against SQLite's.

            Build in release mode for real numbers (scripts/postgres starts a PostgreSQL):
              swift build -c release --product liaison
              swift build -c release --product liaison-load
              URL=$(scripts/postgres start /tmp/pg)
              .build/release/liaison-load --rounds 3 --database "$URL"
            """)

    @Option(help: "How long each backend is loaded in each round, in seconds.")
    var seconds = 10.0
    @Option(help: "Rounds, each loading every backend in turn.")
    var rounds = 2
    @Option(help: "Also serve from this PostgreSQL database (a fresh schema each round); scripts/postgres starts one.")
    var database: String?
    @Option(help: "The operation folder (its agencies must include the clients').")
    var folder = "Examples/gulf-charter"
    @Flag(help: "One JSON object per backend and round, on standard output.")
    var json = false

    func validate() throws {
        guard seconds > 0 else { throw ValidationError("--seconds must be more than 0 (it was \(seconds))") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1 (it was \(rounds))") }
        if let database, PostgresURL(database) == nil {
            throw ValidationError("--database \(database): give a URL such as postgres://USER@HOST:5432/DATABASE (scripts/postgres start DIR prints one)")
        }
        guard FileManager.default.fileExists(atPath: folder + "/operation.toml") else {
            throw ValidationError("--folder \(folder) holds no operation.toml: give an operation folder (run from the repository, or pass --folder)")
        }
    }

    func run() async throws {
        options = self
        try await measure()
    }
}

/// The command line, as parsed: read by the functions below.
nonisolated(unsafe) var options: LoadCommand!

/// Progress, on standard error (none with --json).
func note(_ s: String) { if !options.json { FileHandle.standardError.write(Data((s + "\n").utf8)) } }

/// Who the clients speak for: four agencies raising holds (US-ENF, which hears of them, lifting
/// them too), the coordinator giving signals, and a second client of the sending agency.
let identities = ["US-ENF", "QA-TRANSIT", "IR-MFA", "IR-RECEPTION", "COORDINATOR", "US-ENF"]

/// A `liaison serve` beside this executable, on a free loopback port.
final class Server {
    let process = Process()
    let base: URL
    init(_ store: [String], keys: URL) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("liaison")
        process.executableURL = binary
        process.arguments = ["serve", options.folder] + store + ["--keys", keys.path, "--listen", "127.0.0.1:0", "--clock", "store", "--log-level", "warning"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let (address, line) = ServerClient.servedAddress(from: out.fileHandleForReading)
        guard let address else { throw ClientError("liaison serve did not start: \(line)") }
        base = address
    }
    func stop() { process.terminate(); process.waitUntilExit() }
}

struct Result: Encodable {
    var backend: String
    var round: Int
    var commands: Int
    var seconds: Double
    var perSecond: Double
    var p50: Double, p90: Double, p99: Double, p999: Double, max: Double
    var errors: Int
    var refused: Int
}

func command(_ name: String, _ args: [String: JSONValue]) -> JSONValue { .object(["command": .string(name), "args": .object(args)]) }

/// One client's loop, until `end`: raise a hold and lift it when the answer names it (or give a
/// signal).
func drive(_ client: HTTPConnection, identity: String, index: Int, until end: Date, into histogram: inout Histogram<UInt64>) -> (commands: Int, errors: Int, refused: Int) {
    var commands = 0, errors = 0, refused = 0
    var n = 0
    func timed(_ body: () throws -> ServerClient.Answer) -> ServerClient.Answer? {
        let start = DispatchTime.now().uptimeNanoseconds
        let answer = try? body()
        _ = histogram.record(DispatchTime.now().uptimeNanoseconds - start)
        commands += 1
        switch answer?.status {
        case 200?: break
        case 409?, 403?: refused += 1
        default: errors += 1
        }
        return answer
    }
    while Date() < end {
        n += 1
        if identity == "COORDINATOR" {
            _ = timed { try client.send(.POST, "/v1/signals", .object(["signal": .string("load.tick"), "fields": .object(["n": .int(n)])])) }
            continue
        }
        let ref = String(format: "R-%04d", (index * 13 + n) % 100 + 1)
        let raised = timed { try client.send(.POST, "/v1/commands", command("hold.raise", ["case": .string(ref), "kind": .string("travel-document"), "reason": .string("load \(n)")])) }
        guard let hold = raised?.json["events"]?.array?.first(where: { $0["event"]?.string == "hold.raised" })?["hold"]?.int else { continue }
        _ = timed { try client.send(.POST, "/v1/commands", command("hold.lift", ["case": .string(ref), "hold": .int(hold), "reason": .string("load \(n) done")])) }
    }
    return (commands, errors, refused)
}

func load(_ backend: String, round: Int, store: [String], keys: URL) async throws -> Result {
    let server = try Server(store, keys: keys)
    defer { server.stop() }
    var tokens: [String] = []
    for identity in identities {
        let key = try AgencyKeys.privateKey(at: keys.appendingPathComponent("\(identity).key").path)
        tokens.append(try await AgencyKeys.token(for: AgencyID(identity), operation: nil, key: key, ttl: 3_600))
    }
    let clients = try tokens.map { try HTTPConnection(url: server.base, token: $0) }
    // Warm up: connections, the server's first requests.
    for (i, c) in clients.enumerated() {
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        _ = drive(c, identity: identities[i], index: i, until: Date().addingTimeInterval(0.3), into: &h)
    }
    final class Totals: @unchecked Sendable {
        let lock = NSLock()
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var commands = 0, errors = 0, refused = 0
    }
    let totals = Totals()
    let start = Date(), end = start.addingTimeInterval(options.seconds)
    // A thread each (not concurrentPerform, which runs no more at once than there are cores).
    let finished = DispatchGroup()
    for i in clients.indices {
        finished.enter()
        Thread {
            var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            let r = drive(clients[i], identity: identities[i], index: i, until: end, into: &h)
            totals.lock.withLock {
                totals.histogram.add(h)
                totals.commands += r.commands; totals.errors += r.errors; totals.refused += r.refused
            }
            finished.leave()
        }.start()
    }
    finished.wait()
    let total = totals.histogram, counts = (commands: totals.commands, errors: totals.errors, refused: totals.refused)
    let elapsed = Date().timeIntervalSince(start)
    let ms = { (p: Double) in Double(total.valueAtPercentile(p)) / 1e6 }
    return Result(backend: backend, round: round, commands: counts.commands, seconds: elapsed, perSecond: Double(counts.commands) / elapsed,
                  p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: Double(total.maxRecorded) / 1e6, errors: counts.errors, refused: counts.refused)
}

func measure() async throws {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-load-\(UUID().uuidString)")
    let keys = scratch.appendingPathComponent("keys")
    for identity in Set(identities) { _ = try AgencyKeys.generate(for: AgencyID(identity), into: keys) }
    defer { try? FileManager.default.removeItem(at: scratch) }

    note("liaison-load: \(identities.count) clients (\(identities.joined(separator: ", "))) on loopback, \(Int(options.seconds)) s per backend, \(options.rounds) round\(options.rounds == 1 ? "" : "s")")
    var results: [Result] = []
    for round in 1...options.rounds {
        let sqlite = scratch.appendingPathComponent("round\(round).sqlite").path
        note("  round \(round): SQLite ...")
        results.append(try await load("SQLite", round: round, store: ["--store", sqlite], keys: keys))
        if let database = options.database {
            let schema = "load_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
            let url = database + (database.contains("?") ? "&" : "?") + "schema=\(schema)"
            note("  round \(round): PostgreSQL (schema \(schema)) ...")
            results.append(try await load("PostgreSQL", round: round, store: ["--database", url], keys: keys))
        }
    }

    if options.json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for r in results { print(String(decoding: try encoder.encode(r), as: UTF8.self)) }
    } else {
        func f(_ d: Double, _ w: Int = 8) -> String { String(format: "%\(w).1f", d) }
        print("backend      round  commands/s   p50 ms   p90 ms   p99 ms  p99.9 ms   max ms  refused  errors")
        for r in results {
            print("\(r.backend.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%5d", r.round))  \(f(r.perSecond, 10)) \(f(r.p50)) \(f(r.p90)) \(f(r.p99)) \(f(r.p999, 9)) \(f(r.max))  \(String(format: "%7d", r.refused)) \(String(format: "%7d", r.errors))")
        }
        if options.database != nil {
            let pg = results.filter { $0.backend == "PostgreSQL" }, lite = results.filter { $0.backend == "SQLite" }
            /// The middle value (the mean of the middle two, for an even count).
            func median(_ values: [Double]) -> Double {
                let v = values.sorted()
                return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
            }
            let rate = median(pg.map(\.perSecond)), p99 = median(pg.map(\.p99))
            print(String(format: "PostgreSQL against SQLite, commands/s (median of rounds): %.2f", rate / median(lite.map(\.perSecond))))
            print("target on PostgreSQL, >= 1000 commands/s with p99 <= 50 ms: " + (rate >= 1_000 && p99 <= 50 ? "met" : "not met") + String(format: " (%.0f commands/s, p99 %.1f ms)", rate, p99))
        }
    }
}
