import Foundation
import LiaisonServer
import Testing

@Suite("liaison serve: the API, its tokens and its disclosure", .serialized)
struct ServerTests {
    /// Paths with a sample for each parameter.
    static func concrete(_ path: String) -> String {
        path.replacingOccurrences(of: "{ref}", with: path.hasPrefix("/v1/cases") ? "R-0001" : "N-000001")
    }

    @Test("the OpenAPI document describes exactly the routes the server answers, and docs/openapi.json is it")
    func openAPIMatchesRoutes() throws {
        let document = try JSONValue.decode(Data(OpenAPIDocument.text.utf8))
        var described: Set<String> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys { described.insert("\(method.uppercased()) \(path)") }
        }
        #expect(described == Set(LiaisonServer.routes.map { "\($0.method) \($0.path)" }))
        let file = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        #expect(file == OpenAPIDocument.text + "\n", "docs/openapi.json differs from OpenAPIDocument.text")
    }

    @Test("keygen writes a private key only its owner reads and never overwrites one; token says what is wrong with its input")
    func keysAndTokens() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try Liaison.run(["keygen", "IR-MFA", "--out", dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        let key = dir.appendingPathComponent("IR-MFA.key").path
        let mode = (try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: key, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let again = try Liaison.run(["keygen", "IR-MFA", "--out", dir.path])
        #expect(again.status == 1 && again.stderr.contains("exists; remove it first"), "\(again.stderr)")
        let token = try Liaison.run(["token", "IR-MFA", "--key", key, "--ttl", "30m", "--operation", "gulf-charter"])
        #expect(token.status == 0 && token.stdout.split(separator: ".").count == 3)
        #expect(try Liaison.run(["token", "IR-MFA", "--key", key, "--ttl", "soon"]).stderr.contains("--ttl soon: give a duration"))
        let wrong = try Liaison.run(["token", "IR-MFA", "--key", dir.appendingPathComponent("IR-MFA.pub").path])
        #expect(wrong.status == 1 && wrong.stderr.contains("is not an Ed25519 private key"), "\(wrong.stderr)")
    }

    @Test("every /v1 route and /metrics refuse a request without a token, an expired, forged or cross-signed one, and one for another operation, with 401")
    func authentication() throws {
        let server = try ServedOperation(store: ["--store", "x.sqlite"].map { $0 == "x.sqlite" ? FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path : $0 })
        defer { server.stop() }
        // A forged token: the agency's name, another key. A cross-signed one: US-ENF's real key
        // vouching for IR-MFA.
        let forger = server.dir.appendingPathComponent("forger")
        _ = try AgencyKeys.generate(for: .init("IR-MFA"), into: forger)
        let tokens: [(String, String?)] = [
            ("none", nil),
            ("expired", try server.token("IR-MFA", ttl: "1")),
            ("forged", try server.token("IR-MFA", key: forger.appendingPathComponent("IR-MFA.key").path)),
            ("cross-signed", try server.token("IR-MFA", key: server.keys.appendingPathComponent("US-ENF.key").path)),
            ("other operation", try server.token("IR-MFA", operation: "another-operation")),
            ("garbage", "not.a.token"),
        ]
        Thread.sleep(forTimeInterval: 1.5)  // the expired one's second is over
        for (name, token) in tokens {
            let client = ServerClient(base: server.base, token: token)
            for route in LiaisonServer.routes where route.path.hasPrefix("/v1") || route.path == "/metrics" {
                let answer = try client.send(route.method, Self.concrete(route.path), body: route.method == "POST" ? Data("{}".utf8) : nil)
                #expect(answer.status == 401, "\(name) token: \(route.method) \(route.path) answered \(answer.status): \(answer.detail)")
                #expect(!answer.detail.isEmpty)
            }
        }
        let expired = try ServerClient(base: server.base, token: tokens[1].1).get("/v1/me")
        #expect(expired.detail.contains("expired"))
        // The public routes answer anyone; a good token is let in.
        let health = try server.anonymous().get("/healthz")
        #expect(health.status == 200)
        #expect(health.json["head"] == nil && health.json.object?.keys.sorted() == ["operation", "status"], "an unauthenticated answer tells nothing of the ledger: \(health.json)")
        #expect(try server.anonymous().get("/openapi.json").json["openapi"]?.string == "3.1.0")
        #expect(try server.client("IR-MFA").get("/v1/me").json["role"]?.string == "destination-ministry")
    }

    @Test("commands: accepted and in the ledger, 403 outside the agency's grants, 409 when the rules refuse, 400 for a bad request; signals are the coordinator's")
    func commands() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path
        let server = try ServedOperation(store: ["--store", store])
        defer { server.stop(); try? FileManager.default.removeItem(atPath: store) }
        let enf = try server.client("US-ENF"), mfa = try server.client("IR-MFA"), coordinator = try server.client("COORDINATOR")

        let head = try enf.get("/v1/ledger/head").json["sequence"]?.int ?? 0
        let accepted = try enf.command("hold.raise", ["case": .string("R-0005"), "kind": .string("fit-to-fly"), "reason": .string("clinic letter")])
        #expect(accepted.status == 200, "\(accepted.json)")
        #expect(accepted.json["accepted"] == .bool(true))
        let sequence = accepted.json["entries"]?.array?.first?["sequence"]?.int ?? 0
        #expect(sequence == head + 1)
        let ledger = try enf.get("/v1/ledger?after=\(head)").json["entries"]?.array ?? []
        #expect(ledger.first?["command"]?.string == "hold.raise")

        let notGranted = try mfa.command("case.strike", ["case": .string("R-0005"), "reason": .string("we object")])
        #expect(notGranted.status == 403)
        #expect(notGranted.detail.contains("may not strike"), "\(notGranted.detail)")

        let ruled = try enf.command("hold.lift", ["case": .string("R-0005"), "hold": .int(999), "reason": .string("no such hold")])
        #expect(ruled.status == 409, "\(ruled.json)")
        #expect(ruled.json["accepted"] == .bool(false))

        #expect(try enf.command("case.fly", [:]).status == 400)
        #expect(try enf.command("hold.raise", ["kind": .string("fit-to-fly")]).status == 400)  // no case
        #expect(try enf.command("hold.raise", ["case": .string("R-0005"), "kind": .string("nonsense"), "reason": .string("x")]).status == 400)
        #expect(try enf.send("POST", "/v1/commands", body: Data("not json".utf8)).status == 400)
        #expect(try enf.get("/v1/cases/R-9999").status == 404)

        let signal = try enf.post("/v1/signals", .object(["signal": .string("leg.departing"), "fields": .object([:])]))
        #expect(signal.status == 403)
        let given = try coordinator.post("/v1/signals", .object(["signal": .string("drill.started"), "fields": .object(["note": .string("rehearsal")])]))
        #expect(given.status == 200, "\(given.json)")
        // Nothing refused reached the ledger.
        #expect(try enf.get("/v1/ledger/head").json["sequence"]?.int == given.json["head"]?.int)
        // The metrics are the coordinator's: they count every agency's requests and batches, and
        // name no agency, case or command.
        #expect(try mfa.get("/metrics").status == 403)
        let metrics = try coordinator.get("/metrics")
        #expect(metrics.status == 200, "\(metrics.detail)")
        for line in ["liaison_command_batches_total ", "liaison_command_batch_size_bucket", "liaison_command_batch_duration_seconds_bucket",
                     "liaison_http_requests_total{route=\"/v1/commands\",method=\"POST\",status=\"409\"} 1"] {
            #expect(metrics.detail.contains(line), "no \(line) in /metrics:\n\(metrics.detail)")
        }
        for secret in ["US-ENF", "IR-MFA", "R-0005", "hold.raise", "clinic"] { #expect(!metrics.detail.contains(secret), "/metrics names \(secret)") }
        #expect(server.stop() == 0)
        let verify = try Liaison.run(["audit", "verify", "--store", store])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    /// What IR-MFA can learn through every channel of the API after the sending agency records
    /// a protection claim: the cases, the case, the ledger, its notices, the event stream, and
    /// the refusal of a command that meets the claim's hold.
    static func ministryProbe(_ server: ServedOperation, as agency: String, stream: EventStream) throws -> String {
        let c = try server.client(agency)
        var seen = ""
        for path in ["/v1/cases", "/v1/cases/R-0002", "/v1/ledger?after=0&limit=5000", "/v1/notices", "/v1/me", "/metrics"] {
            seen += String(decoding: try c.get(path).json.encoded(), as: UTF8.self)
        }
        // Lifting the claim's hold, and a hold of its own kind, are refused: in words it may hear.
        for hold in 1...8 {
            seen += String(decoding: try c.command("hold.lift", ["case": .string("R-0002"), "hold": .int(hold), "reason": .string("probe")]).json.encoded(), as: UTF8.self)
        }
        seen += String(decoding: try c.command("case.receive", ["case": .string("R-0002")]).json.encoded(), as: UTF8.self)
        let head = try c.get("/v1/ledger/head").json["sequence"]?.int ?? 0
        #expect(stream.wait { ($0.lastID ?? 0) >= Int64(head) }, "the stream did not reach the head")
        return seen + stream.text
    }

    @Test("the destination ministry never learns of a protection claim through the API or the event stream (and the sending agency does, so the probe can see one)")
    func disclosure() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path
        let server = try ServedOperation(store: ["--store", store])
        defer { server.stop(); try? FileManager.default.removeItem(atPath: store) }
        let enf = try server.client("US-ENF")
        let mfaStream = try ServerClient(base: server.base, token: server.token("IR-MFA")).events(after: 0)
        let enfStream = try ServerClient(base: server.base, token: server.token("US-ENF")).events(after: 0)
        defer { mfaStream.stop(); enfStream.stop() }
        let claim = try enf.command("legal.record", ["case": .string("R-0002"), "kind": .string("protection-claim")])
        #expect(claim.status == 200, "\(claim.json)")
        let claimSequence = claim.json["entries"]?.array?.first?["sequence"]?.int ?? -1

        let ministry = try Self.ministryProbe(server, as: "IR-MFA", stream: mfaStream).lowercased()
        #expect(mfaStream.wait { ($0.lastID ?? 0) >= Int64(claimSequence) })
        let readOfClaim = ministry.contains("protection"), heardOfLegal = ministry.contains("legal.re")
        #expect(!readOfClaim, "the ministry read of the claim")
        #expect(!heardOfLegal, "the ministry heard of a legal event")
        #expect(!mfaStream.entries.contains { $0["sequence"]?.int == claimSequence })

        let sending = try Self.ministryProbe(server, as: "US-ENF", stream: enfStream).lowercased()
        let sendingReads = sending.contains("protection-claim")
        #expect(sendingReads, "the probe finds no claim even where it may be read")
        #expect(enfStream.wait { $0.entries.contains { $0["sequence"]?.int == claimSequence } })
    }

    @Test("the event stream resumes after a dropped connection with Last-Event-ID: what was missed, nothing twice")
    func eventStreamResumes() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path
        let server = try ServedOperation(store: ["--store", store])
        defer { server.stop(); try? FileManager.default.removeItem(atPath: store) }
        let enf = try server.client("US-ENF")
        let reader = ServerClient(base: server.base, token: try server.token("US-ENF"))
        func raise(_ c: String) throws -> Int {
            let a = try enf.command("hold.raise", ["case": .string(c), "kind": .string("fit-to-fly"), "reason": .string("clinic")])
            #expect(a.status == 200)
            return a.json["entries"]?.array?.first?["sequence"]?.int ?? -1
        }
        let first = reader.events()
        #expect(first.wait { $0.text.contains("events after") })
        let one = try raise("R-0010")
        #expect(first.wait { $0.entries.contains { $0["sequence"]?.int == one } })
        let last = first.lastID
        first.stop()
        let missed = try raise("R-0011")
        let resumed = reader.events(lastEventID: last)
        defer { resumed.stop() }
        #expect(resumed.wait { $0.entries.contains { $0["sequence"]?.int == missed } })
        #expect(!resumed.entries.contains { $0["sequence"]?.int == one }, "an entry came twice")
        #expect(resumed.status == 200)
    }

    @Test("the remote console: the same console as the token's agency, against the server, which decides what it reads and does")
    func remoteConsole() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path
        let server = try ServedOperation(store: ["--store", store])
        defer { server.stop(); try? FileManager.default.removeItem(atPath: store) }
        _ = try server.client("US-ENF").command("legal.record", ["case": .string("R-0002"), "kind": .string("protection-claim")])
        let script = """
            model.me().role
            model.case("R-0002").state
            model.case("R-0002").protection_claims
            #model.cases{ state = "on-hold" } > 0
            model.case("R-0002"):strike{ reason = "we object" }
            model.case("R-0004"):raise_hold{ kind = "travel-document", reason = "passport check" }.accepted
            :events
            :ledger 6
            :notices
            :as US-ENF
            model.notices("inbox")[1].from
            ctx:acknowledge("N-999999")
            :events
            """
        let (status, output) = try pipedRepl(["--server", server.base.absoluteString, "--token", try server.token("IR-MFA")], script)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.first == "\"destination-ministry\"", "\(output)")
        #expect(lines.contains("\"on-hold\""))
        #expect(lines.contains("nil"), "protection_claims is not the ministry's to read")
        #expect(lines.contains("true"))
        #expect(output.contains("refused (403): IR-MFA (destination-ministry) may not strike cases"))
        #expect(lines.contains("\"US-ENF\""))
        // The console's commands, through the API: the last command's outcome (the ministry may
        // raise a hold but not hear of holds, so its own hold.raised is not told), the ledger's
        // tail as IR-MFA may learn of it (US-ENF's legal record withheld, counted), its notices.
        #expect(output.contains("hold.raise: 1 ledger entries\n  events: none"), "\(output)")
        #expect(lines.contains { $0.hasSuffix("IR-MFA  hold.raise") }, "\(output)")
        #expect(output.contains("entries withheld from IR-MFA"), "\(output)")
        #expect(lines.contains { $0.hasPrefix("N-") && $0.contains("US-ENF -> ") }, "\(output)")
        #expect(output.contains(":as is not available on a server: a console speaks for its token's agency"), "\(output)")
        #expect(output.contains("\nrefused (409): no notice N-999999 addressed to IR-MFA"), "the last :events tells of the refused acknowledgement: \(output)")
        #expect(!output.lowercased().contains("protection") && !output.contains("legal.record"), "\(output)")
        #expect(status == 1, "the refused lines make the script's status 1")
        // A bad token is refused before the console starts.
        let (refused, said) = try pipedRepl(["--server", server.base.absoluteString, "--token", "forged"], "1")
        #expect(refused == 1 && said.contains("refused the token (401)"), "\(said)")
    }

    @Test("witnessed heads: an agency countersigns the head, the server checks and keeps it, audit verify checks every witness's signature and head")
    func witnessedHeads() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path
        let server = try ServedOperation(store: ["--store", store])
        defer { try? FileManager.default.removeItem(atPath: store) }
        let kept = server.dir.appendingPathComponent("ir-mfa-heads.txt").path
        let token = try server.token("IR-MFA")
        let witnessed = try Liaison.run(["witness", "--server", server.base.absoluteString, "--token", token,
                                         "--key", server.keys.appendingPathComponent("IR-MFA.key").path, "--keep", kept])
        #expect(witnessed.status == 0, "\(witnessed.stderr)")
        let head = try String(contentsOfFile: kept, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(witnessed.stdout.contains("IR-MFA witnessed \(head) of gulf-charter"))
        // Signed with another agency's key, for another head, or for an entry that is not there.
        let mfa = try server.client("IR-MFA")
        let parts = head.split(separator: ":")
        let forged = try mfa.post("/v1/ledger/witness", .object(["sequence": .int(Int(parts[0])!), "hash": .string(String(parts[1])), "signature": .string("AAAA")]))
        #expect(forged.status == 403, "\(forged.json)")
        #expect(try mfa.post("/v1/ledger/witness", .object(["sequence": .int(5_000_000), "hash": .string(String(parts[1])), "signature": .string("AAAA")])).status == 403)
        #expect(try server.client("COORDINATOR").post("/v1/signals", .object(["signal": .string("ledger.witnessed")])).status == 400)
        #expect(server.stop() == 0)

        let verified = try Liaison.run(["audit", "verify", "--store", store, "--keys", server.keys.path, "--head", head])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stderr.contains("1 witnessed head signed by their agencies"))
        // Keys that are not the agencies' own: the witness is caught.
        let others = server.dir.appendingPathComponent("other-keys")
        for agency in ServedOperation.agencies { _ = try AgencyKeys.generate(for: .init(agency), into: others) }
        let caught = try Liaison.run(["audit", "verify", "--store", store, "--keys", others.path])
        #expect(caught.status == 1)
        #expect(caught.stderr.contains("its witness of \(head) is not signed with IR-MFA's key"), "\(caught.stderr)")
    }

    @Test("plugins push: an agency replaces its own plugin between batches, the ledger records its version and digest; another agency's, or a broken one, is refused and nothing changes")
    func pluginsPush() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("push-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/gulf-charter"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try? FileManager.default.removeItem(at: copy.appendingPathComponent("liaison.sqlite"))
        let server = try ServedOperation(store: ["--store", copy.appendingPathComponent("served.sqlite").path], folder: copy.path)
        defer { server.stop() }
        let token = try server.token("IR-MFA")
        // A new version of the ministry's plugin, in a folder of the agency's own.
        let mine = server.dir.appendingPathComponent("ir-mfa")
        try FileManager.default.copyItem(at: copy.appendingPathComponent("plugins/ir-mfa"), to: mine)
        let toml = mine.appendingPathComponent("plugin.toml")
        let text = try String(contentsOf: toml, encoding: .utf8)
        try text.replacingOccurrences(of: #"version = "[0-9.]+""#, with: #"version = "1.9.9""#, options: .regularExpression).write(to: toml, atomically: true, encoding: .utf8)
        let pushed = try Liaison.run(["plugins", "push", mine.path, "--server", server.base.absoluteString, "--token", token])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.hasPrefix("ir-mfa 1.9.9 installed, digest "), "\(pushed.stdout)")
        let live = try String(contentsOf: copy.appendingPathComponent("plugins/ir-mfa/plugin.toml"), encoding: .utf8)
        #expect(live.contains(#"version = "1.9.9""#))
        #expect(try FileManager.default.contentsOfDirectory(atPath: copy.appendingPathComponent("plugins").path).contains { $0.hasPrefix(".replaced-ir-mfa-") })
        let digest = String(pushed.stdout.split(separator: " ")[4].prefix(64))
        let entries = try server.client("COORDINATOR").get("/v1/ledger?after=0&limit=5000").json["entries"]?.array ?? []
        let recorded = entries.last { $0["command"]?.string == "signal" }?["events"]?.array?.first
        #expect(recorded?["event"]?.string == "plugins.updated")
        #expect(recorded?["fields"]?["digest"]?.string == digest && recorded?["fields"]?["version"]?.string == "1.9.9")

        // The sending agency's plugin, pushed by the ministry: refused.
        let theirs = try Liaison.run(["plugins", "push", copy.appendingPathComponent("plugins/us-enf").path, "--server", server.base.absoluteString, "--token", token])
        #expect(theirs.status == 1 && theirs.stderr.contains("(403)") && theirs.stderr.contains("may push only its own plugins"), "\(theirs.stderr)")
        // A broken one: refused with its file and line, and the running version stays.
        let main = mine.appendingPathComponent("main.lua")
        try (try String(contentsOf: main, encoding: .utf8) + "\nthis is not lua\n").write(to: main, atomically: true, encoding: .utf8)
        try text.replacingOccurrences(of: #"version = "[0-9.]+""#, with: #"version = "1.10.0""#, options: .regularExpression).write(to: toml, atomically: true, encoding: .utf8)
        let broken = try Liaison.run(["plugins", "push", mine.path, "--server", server.base.absoluteString, "--token", token])
        #expect(broken.status == 1 && broken.stderr.contains("(400)") && broken.stderr.contains("main.lua"), "\(broken.stderr)")
        #expect(try String(contentsOf: copy.appendingPathComponent("plugins/ir-mfa/plugin.toml"), encoding: .utf8).contains(#"version = "1.9.9""#))
        // The operation still runs commands, with the pushed version.
        #expect(try server.client("US-ENF").command("hold.raise", ["case": .string("R-0009"), "kind": .string("fit-to-fly"), "reason": .string("after the push")]).status == 200)
    }

    @Test("SIGTERM under load: the requests in flight finish, every command answered 2xx is in the ledger, and it verifies")
    func gracefulShutdown() throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("srv-\(UUID().uuidString).sqlite").path
        let server = try ServedOperation(store: ["--store", store])
        defer { try? FileManager.default.removeItem(atPath: store) }
        let load = try AgencyLoad(server: server, agencies: ["US-ENF", "QA-TRANSIT", "IR-MFA", "IR-RECEPTION"])
        load.start()
        Thread.sleep(forTimeInterval: 1.0)
        #expect(server.stop() == 0, "\(server.stderr)")
        load.wait()
        #expect(load.acknowledged.count > 0)
        let ledger = try LedgerCommands(store: ["--store", store])
        for sequence in load.acknowledged { #expect(ledger.sequences.contains(sequence), "answered \(sequence), not in the ledger") }
        #expect(try Liaison.run(["audit", "verify", "--store", store]).status == 0)
        #expect(server.stderr.contains("stopped"))
    }
}

/// Agencies' clients giving commands in turn, each on a thread of its own, until the server stops
/// answering or `count` each are given: what every 2xx acknowledged.
final class AgencyLoad: @unchecked Sendable {
    let clients: [(String, ServerClient)]
    let count: Int
    private let lock = NSLock()
    private var acked: [Int] = []
    private var errors: [String] = []
    private var answered = 0, conflicts = 0
    private let group = DispatchGroup()

    init(server: ServedOperation, agencies: [String], count: Int = .max) throws {
        clients = try agencies.map { ($0, try server.client($0)) }
        self.count = count
    }

    var acknowledged: [Int] { lock.withLock { acked } }
    var failures: [String] { lock.withLock { errors } }
    /// Commands answered 200, and 409.
    var accepted: Int { lock.withLock { answered } }
    var refused: Int { lock.withLock { conflicts } }

    /// Each agency raises a travel-document hold on its own run of cases.
    func start() {
        for (i, (agency, client)) in clients.enumerated() {
            DispatchQueue.global().async(group: group) {
                var n = 0
                while n < self.count {
                    let ref = String(format: "R-%04d", (i * 17 + n) % 100 + 1)
                    guard let answer = try? client.command("hold.raise", ["case": .string(ref), "kind": .string("travel-document"), "reason": .string("\(agency) load \(n)")]) else { return }
                    if answer.status == 200 {
                        let sequences = (answer.json["entries"]?.array ?? []).compactMap { $0["sequence"]?.int }
                        self.lock.withLock { self.acked += sequences; self.answered += 1 }
                    } else if answer.status == 409 {
                        self.lock.withLock { self.conflicts += 1 }
                    } else {
                        self.lock.withLock { self.errors.append("\(agency): \(answer.status) \(answer.detail)") }
                        if answer.status >= 500 { return }
                    }
                    n += 1
                }
            }
        }
    }

    func wait() { group.wait() }
}

/// The ledger's sequences and the whole audit, read through the CLI.
struct LedgerCommands {
    var sequences: Set<Int> = []
    init(store: [String]) throws {
        let r = try Liaison.run(["export"] + store + ["--format", "json"])
        if r.status == 0, let json = try? JSONValue.decode(Data(r.stdout.utf8)) {
            sequences = Set((json["ledger"]?.array ?? []).compactMap { $0["sequence"]?.string.flatMap(Int.init) })
        }
    }
}

@Suite("The API's JSON")
struct APIJSONTests {
    @Test("booleans, whole numbers, fractions, strings, null, lists and objects read back as what they are")
    func kinds() throws {
        let v = try JSONValue.decode(Data(#"{"t": true, "f": false, "one": 1, "zero": 0, "big": 9007199254740993, "half": 0.5, "s": "1", "n": null, "l": [1, "a", false], "o": {}}"#.utf8))
        #expect(v["t"] == .bool(true) && v["f"] == .bool(false))
        #expect(v["one"] == .int(1) && v["zero"] == .int(0) && v["big"] == .int(9_007_199_254_740_993))
        #expect(v["half"] == .double(0.5) && v["s"] == .string("1") && v["n"] == .null)
        #expect(v["l"] == .array([.int(1), .string("a"), .bool(false)]) && v["o"] == .object([:]))
        #expect(try JSONValue.decode(v.encoded()) == v)
        #expect(throws: (any Error).self) { try JSONValue.decode(Data("{".utf8)) }
    }
}

@Suite("The server's load driver")
struct LoadDriverTests {
    @Test("liaison-load drives a served operation for a second and reports commands with no errors (a smoke run: it measures nothing)")
    func smoke() throws {
        let r = try Liaison.run(["--seconds", "1", "--rounds", "1", "--json"], in: repositoryRoot, program: "liaison-load")
        #expect(r.status == 0, "\(r.stderr)")
        let result = try JSONValue.decode(Data(r.stdout.split(separator: "\n").first.map(String.init)?.utf8 ?? "".utf8))
        #expect(result["backend"]?.string == "SQLite")
        #expect((result["commands"]?.int ?? 0) > 0)
        #expect(result["errors"]?.int == 0, "\(r.stdout)")
    }

    @Test("liaison-load refuses a value it cannot read, and a folder that holds no operation, saying what to give")
    func badOptions() throws {
        let seconds = try Liaison.run(["--seconds", "soon"], in: repositoryRoot, program: "liaison-load")
        #expect(seconds.status == 64 && seconds.stderr.contains("--seconds"), "\(seconds.stderr)")
        let rounds = try Liaison.run(["--rounds", "0"], in: repositoryRoot, program: "liaison-load")
        #expect(rounds.status == 64 && rounds.stderr.contains("--rounds must be at least 1"), "\(rounds.stderr)")
        let database = try Liaison.run(["--database", "localhost:5432"], in: repositoryRoot, program: "liaison-load")
        #expect(database.status == 64 && database.stderr.contains("give a URL such as postgres://"), "\(database.stderr)")
        let folder = try Liaison.run(["--folder", "/nonexistent"], in: repositoryRoot, program: "liaison-load")
        #expect(folder.status == 64 && folder.stderr.contains("holds no operation.toml"), "\(folder.stderr)")
    }
}
