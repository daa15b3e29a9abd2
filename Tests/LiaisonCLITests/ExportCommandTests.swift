import Foundation
import Testing

/// `liaison export`: the coordinator's whole view, and each agency's as its disclosure allows.
@Suite("liaison export")
struct ExportCommandTests {
    /// A played gulf-charter store, shared by the tests of this suite.
    static let store: String = {
        let path = temporaryPath("export.sqlite")
        _ = try? Liaison.run(["run", "Examples/gulf-charter", "--store", path], in: repositoryRoot)
        return path
    }()

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try Liaison.run(["export", "--store", store, "--format", "json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    static func rows(_ doc: [String: Any], _ table: String) -> [[String: String]] {
        (doc[table] as! [[String: Any]]).map { $0.mapValues { "\($0)" } }
    }

    @Test("the coordinator's export holds every table whole: the protection claim, the appeal, every notice and entry")
    func coordinator() throws {
        let doc = try Self.json([])
        #expect(doc["operation"] as? String == "gulf-charter")
        #expect(Self.rows(doc, "cases").count == 100)
        #expect(Self.rows(doc, "notices").count == 114)
        #expect(Self.rows(doc, "handoffs").count == 3)
        #expect(Self.rows(doc, "ledger").count == 1345)
        let r13 = try #require(Self.rows(doc, "cases").first { $0["ref"] == "R-0013" })
        #expect(r13["holds"]?.contains("protection-claim") == true, "\(r13)")
        #expect(Self.rows(doc, "ledger").contains { $0["command"] == "legal.record" })
    }

    @Test("as each agency: no field, notice, reason or entry its grants do not cover", arguments: ["IR-MFA", "QA-TRANSIT", "IR-RECEPTION", "MONITOR"])
    func asAgency(_ agency: String) throws {
        let doc = try Self.json(["--as", agency])
        #expect(doc["as"] as? String == agency)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: doc), as: UTF8.self)
        // Nothing of a protection claim or an appeal reaches an agency without `legal` and
        // `protection` (none of these four has them).
        for word in ["protection-claim", "protection_claims", "appeal", "asylum"] { #expect(!text.contains(word), "\(agency) export mentions \(word)") }
        let cases = Self.rows(doc, "cases")
        #expect(cases.count == 100)
        #expect(!cases[0].keys.contains("holds") && !cases[0].keys.contains("legal_events"))
        for n in Self.rows(doc, "notices") {
            let recipient = String(n["to"]!.split(separator: "/")[0])
            #expect(n["from"] == agency || recipient == agency, "\(n)")
            if recipient != agency { #expect(n["body"] == "") }
        }
        let commands = Set(Self.rows(doc, "ledger").map { $0["command"]! })
        #expect(commands.isDisjoint(with: ["legal.record", "legal.decide", "hold.raise"]), "\(agency): \(commands.sorted())")
        // A plugin's state and failures are its own agency's only.
        #expect(Self.rows(doc, "ledger").allSatisfy { !["plugin.state", "plugin.outcome"].contains($0["command"]!) || $0["actor"] == agency })
        #expect(Self.rows(doc, "ledger").allSatisfy { $0["actor"] == agency || $0["origin"] == "" })
    }

    @Test("CSV: four files in the folder given, quoted where a field needs it; csv without --output and an unknown agency are refused")
    func csv() throws {
        let dir = temporaryPath("export-csv")
        let result = try Liaison.run(["export", "--store", Self.store, "--format", "csv", "--output", dir, "--as", "IR-MFA"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Exported gulf-charter as IR-MFA to \(dir): 100 cases, 103 notices, 3 handoffs, 1116 ledger entries.\n")
        let notices = try String(contentsOfFile: dir + "/notices.csv", encoding: .utf8)
        #expect(notices.hasPrefix("ref,from,to,template,cases,sent_at,due,acknowledged_at,replied_at,reply,body\r\n"))
        #expect(!notices.contains("minor-reception-request"))  // neither sent nor received by IR-MFA
        // A notice's text has line breaks: quoted.
        #expect(notices.contains(",\"Identity and travel document request (gulf-charter)\n\nCase R-0001: "), "\(notices.prefix(600))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["cases.csv", "handoffs.csv", "ledger.csv", "notices.csv"])

        // The reception organisation's export has its answer to the minor's request.
        let reception = try Self.json(["--as", "IR-RECEPTION"])
        let request = try #require(Self.rows(reception, "notices").first { $0["template"] == "minor-reception-request" })
        #expect(request["reply"] == "family_traced=true; traced_on=2026-12-11" && request["replied_at"] == "2026-12-11T09:00:00Z", "\(request)")

        let noFolder = try Liaison.run(["export", "--store", Self.store, "--format", "csv"])
        #expect(noFolder.status == 64 && noFolder.stderr.contains("--format csv writes four files: give the folder for them with --output DIR"))
        let stranger = try Liaison.run(["export", "--store", Self.store, "--format", "json", "--as", "XX"])
        #expect(stranger.status == 1 && stranger.stderr.contains("XX is not an agency of gulf-charter"))
    }
}
