import Foundation
import LiaisonServer
import LiaisonTestSupport
import Testing

@Suite("liaison serve on PostgreSQL: two servers, a killed one, a restarted database", .serialized)
struct ServerPostgresTests {
    /// The hold.raise entries after `after`, and every sequence, from the coordinator's export.
    static func ledger(_ url: String, after: Int) throws -> (raises: Int, sequences: [Int]) {
        let r = try Liaison.run(["export", "--database", url, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try JSONValue.decode(Data(r.stdout.utf8))["ledger"]?.array ?? []
        let sequences = rows.compactMap { $0["sequence"]?.string.flatMap(Int.init) }
        let raises = rows.filter { ($0["sequence"]?.string.flatMap(Int.init) ?? 0) > after && $0["command"]?.string == "hold.raise" }.count
        return (raises, sequences)
    }

    @Test("two servers on one database under six agencies' concurrent commands: every command answered 200 is in the ledger once, no gap, the chain verifies")
    func twoServers() throws {
        let url = TestDatabase.fresh().description
        let a = try ServedOperation(store: ["--database", url])
        let b = try ServedOperation(store: ["--database", url], keys: a.keys)
        defer { a.stop(); b.stop() }
        let start = try a.client("US-ENF").get("/v1/ledger/head").json["sequence"]?.int ?? 0
        let onA = try AgencyLoad(server: a, agencies: ["US-ENF", "QA-TRANSIT", "IR-MFA"], count: 40)
        let onB = try AgencyLoad(server: b, agencies: ["IR-RECEPTION", "US-ENF", "QA-TRANSIT"], count: 40)
        onA.start(); onB.start()
        onA.wait(); onB.wait()
        #expect(onA.failures.isEmpty && onB.failures.isEmpty, "\(onA.failures + onB.failures)")
        let answered = onA.accepted + onB.accepted
        #expect(answered == 240, "six agencies gave 40 commands each")
        let acked = onA.acknowledged + onB.acknowledged
        #expect(Set(acked).count == acked.count, "a sequence was answered twice")
        let (raises, sequences) = try Self.ledger(url, after: start)
        #expect(raises == answered, "the ledger holds \(raises) hold.raise entries for \(answered) commands answered 200")
        #expect(sequences == Array(1...(sequences.last ?? 0)), "the ledger has a gap")
        for s in acked { #expect(sequences.contains(s)) }
        #expect(try Liaison.run(["audit", "verify", "--database", url]).status == 0)
    }

    @Test("a server killed with SIGKILL mid-load: every command a client had a 200 for is in the ledger, and the other server carries on")
    func killedServer() throws {
        let url = TestDatabase.fresh().description
        let a = try ServedOperation(store: ["--database", url])
        let b = try ServedOperation(store: ["--database", url], keys: a.keys)
        defer { b.stop() }
        let onA = try AgencyLoad(server: a, agencies: ["US-ENF", "QA-TRANSIT", "IR-MFA"])
        let onB = try AgencyLoad(server: b, agencies: ["IR-RECEPTION", "US-ENF", "QA-TRANSIT"], count: 60)
        onA.start(); onB.start()
        // Killed once it has answered some (the two servers take turns, each reading what the
        // other wrote before deciding), in the middle of the others.
        let deadline = Date().addingTimeInterval(60)
        while onA.accepted < 5 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        a.stop(signal: SIGKILL)
        onA.wait(); onB.wait()
        #expect(onA.accepted > 0, "the killed server answered nothing before it died")
        #expect(onB.accepted == 180 - onB.refused, "\(onB.failures)")
        let (_, sequences) = try Self.ledger(url, after: 0)
        for s in onA.acknowledged + onB.acknowledged { #expect(sequences.contains(s), "answered \(s), not in the ledger") }
        #expect(sequences == Array(1...(sequences.last ?? 0)))
        #expect(try Liaison.run(["audit", "verify", "--database", url]).status == 0)
        #expect(try b.client("US-ENF").get("/healthz").status == 200)
    }

    @Test("PostgreSQL restarted under a running server: requests during the outage fail cleanly (503, nothing kept), and it reconnects")
    func restartedDatabase() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-pg-restart-\(UUID().uuidString)").path
        func postgres(_ action: String) throws -> String { try TestDatabase.cluster(action, dir) }
        let url = try postgres("start") + "&schema=restart"
        defer { _ = try? postgres("stop"); try? FileManager.default.removeItem(atPath: dir) }
        let server = try ServedOperation(store: ["--database", url])
        defer { server.stop() }
        let enf = try server.client("US-ENF")
        func raise(_ n: Int) throws -> ServerClient.Answer {
            try enf.command("hold.raise", ["case": .string("R-0030"), "kind": .string("travel-document"), "reason": .string("restart \(n)")])
        }
        #expect(try raise(1).status == 200)
        let before = try enf.get("/v1/ledger/head").json["sequence"]?.int ?? 0
        _ = try postgres("stop")
        let during = try raise(2)
        #expect(during.status == 503, "\(during.json)")
        #expect(during.detail.contains("nothing of this request was kept"))
        #expect(try server.anonymous().get("/healthz").status == 503)
        _ = try postgres("start")
        var after = try raise(3)
        for n in 4..<10 where after.status != 200 { after = try raise(n) }
        #expect(after.status == 200, "\(after.json)")
        // The refused request left nothing: the ledger went from `before` to this command's entries.
        #expect(after.json["entries"]?.array?.first?["sequence"]?.int == before + 1)
        #expect(try server.anonymous().get("/healthz").status == 200)
    }
}
