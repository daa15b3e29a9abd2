import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

@Suite("The example operations, end to end")
struct ExampleOperationTests {
    func played(_ name: String) throws -> OperationHost {
        let host = try OperationHost.open(examples(name), store: nil)
        try host.importManifest()
        try host.play()
        return host
    }

    @Test("gulf-charter: holds keep people back, handoffs complete at DOH and IKA, arrivals are received")
    func gulfCharter() throws {
        let host = try played("gulf-charter")
        let summary = try host.summary()
        #expect(summary.casesByState.map { "\($0.count) \($0.state)" } == ["1 documented", "96 received", "2 on-hold", "1 consent-withdrawn"])
        #expect(summary.failures.isEmpty)
        #expect(summary.refusals.isEmpty)

        // An appeal and a protection claim hold people back, by the sending agency's plugin.
        #expect(try host.state("R-0007") == "on-hold")
        #expect(try host.store.returnCase("R-0007")!.activeHolds(at: host.engine.now).map(\.kind) == [.appealPending])
        #expect(try host.state("R-0013") == "on-hold")
        // Why R-0013 was struck is the sending agency's to know: the coordinator reads it, the
        // ministry is told only that the person is off the list.
        #expect(host.struck["R-0013"] == "protection-claim filed")
        let strike = try #require(host.outcomes.first { $0.events.contains(.struck("R-0013", reason: "protection-claim filed")) })
        let ministry = strike.seen(by: try CaseReader("IR-MFA", in: host.store.operation), in: host.store)
        #expect(ministry.events.contains(.struck("R-0013", reason: "(withheld)")))
        #expect(!ministry.events.contains { if case .legalEventRecorded = $0 { return true }; if case .holdRaised = $0 { return true }; return false })
        // The unaccompanied minor waited for reception to be verified, then travelled.
        let minor = try host.store.returnCase("R-0021")!
        #expect(minor.progress == .received && minor.receptionVerified)
        // The expired fit-to-fly struck R-0034 at the final check; the volunteer who withdrew stayed.
        #expect(host.struck["R-0034"] == "fit-to-fly expired at the final check")
        #expect(host.struck.count == 2)
        #expect(try host.state("R-0042") == "consent-withdrawn")

        // Transit was asked for and answered in time; leg 1 is authorised.
        let notices = try host.store.notices()
        let transit = try #require(notices.first { $0.template == "transit-request" })
        #expect(try #require(transit.acknowledgedAt) <= transit.due!)
        #expect(try host.store.movement("M-1")!.legs[0].transit == .authorised)
        // What Doha received names each passenger and their document, and no one's medical
        // needs, which went to the reception organisation's medic instead.
        #expect(transit.body.contains("- R-0001 Azadeh Testfield (laissez-passer issued)"))
        let medical = try #require(notices.first { $0.template == "medical-needs" })
        #expect(medical.to == "IR-RECEPTION/medical" && medical.body.contains(": medical"))
        for n in notices where n.recipient == "QA-TRANSIT" {
            #expect(!n.body.contains("medical") && !n.body.contains("insulin"), "\(n.ref) \(n.template)")
        }
        // The one late notice: the minor's reception request, answered when the family was traced.
        #expect(summary.noticesLate.map(\.template) == ["minor-reception-request"])
        #expect(notices.contains { $0.template == "reminder" && $0.to == "IR-RECEPTION/child-protection" })

        // Custody: US-ENF -> QA-TRANSIT and back at DOH, US-ENF -> IR-MFA at IKA, each acknowledged by both.
        let handoffs = try host.store.handoffs()
        #expect(handoffs.map { "\($0.from)->\($0.to)@\($0.place)" } == ["US-ENF->QA-TRANSIT@DOH", "QA-TRANSIT->US-ENF@DOH", "US-ENF->IR-MFA@IKA"])
        #expect(handoffs.allSatisfy { $0.state == .completed && $0.acknowledgedBy == [$0.from, $0.to] && $0.cases.count == 96 })
        #expect(handoffs[2].documents.contains("medical-handover"))
        // Reception records on arrival, copied to the monitor.
        #expect(notices.filter { $0.template == "reception-record" }.map(\.to) == ["US-ENF/removals", "MONITOR"])
        #expect(notices.contains { $0.template == "monitoring-report" && $0.body.contains("Handovers observed: 3 (288 people handed over)") })
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))

        // The report: who did not board and why, by the records; each agency's notices; both
        // renderings say the same.
        #expect(summary.notBoarded.map { "\($0.ref) \($0.state): \($0.why.joined(separator: "; "))" } == [
            "R-0007 on-hold: hold appeal-pending raised by US-ENF on 2026-12-05: appeal filed, suspends removal; not scheduled",
            "R-0013 on-hold: hold protection-claim raised by US-ENF on 2026-12-11: protection-claim filed, suspends removal",
            "R-0034 documented: fit-to-fly expired on 2026-12-14",
            "R-0042 consent-withdrawn: hold consent-missing raised by US-ENF on 2026-12-12: consent to return withdrawn; struck from M-1: consent withdrawn",
        ])
        let reception = try #require(summary.agencies.first { $0.id == "IR-RECEPTION" })
        #expect([reception.received, reception.acknowledged, reception.replied, reception.late] as [Int] == [5, 5, 1, 1])
        let minorRequests = try #require(summary.noticesByTemplate.first { $0.template == "minor-reception-request" })
        #expect([minorRequests.count, minorRequests.acknowledged, minorRequests.replied, minorRequests.late] as [Int] == [1, 1, 1, 1])
        let markdown = summary.report(html: false), html = summary.report(html: true)
        #expect(markdown.contains("| R-0034 | documented | fit-to-fly expired on 2026-12-14 |"))
        #expect(html.contains("<tr><td>R-0034</td><td>documented</td><td>fit-to-fly expired on 2026-12-14</td></tr>"))
        #expect(markdown.contains("| minor-reception-request | 1 | 1 | 1 | 1 |"))
        #expect(html.contains("<tr><td>minor-reception-request</td><td>1</td><td>1</td><td>1</td><td>1</td></tr>"))
        #expect(markdown.contains("- N-000022 (minor-reception-request to IR-RECEPTION/child-protection, due 2026-12-04T08:00:00Z, acknowledged 2026-12-11T09:00:00Z)"))
        #expect(html.contains("<li>N-000022 (minor-reception-request to IR-RECEPTION/child-protection, due 2026-12-04T08:00:00Z, acknowledged 2026-12-11T09:00:00Z)</li>"))
        for section in summary.sections {
            #expect(markdown.contains("\n## \(section.title)\n") && html.contains("<h2>\(RunSummary.esc(section.title))</h2>"), "\(section.title)")
            for case .table(_, let rows) in section.blocks {
                for row in rows { #expect(html.contains("<td>" + row.map(RunSummary.esc).joined(separator: "</td><td>") + "</td></tr>"), "\(row)") }
            }
        }
    }

    @Test("gulf-charter: without the medical handover papers the ministry vetoes the arrival handoff")
    func gulfCharterVeto() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-gulf-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: examples("gulf-charter"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let main = copy.appendingPathComponent("plugins/us-enf/main.lua")
        let text = try String(contentsOf: main, encoding: .utf8)
        try text.replacingOccurrences(of: "documents[#documents + 1] = \"medical-handover\"", with: "")
            .write(to: main, atomically: true, encoding: .utf8)
        let host = try OperationHost.open(copy, store: nil)
        try host.importManifest()
        try host.play()
        let summary = try host.summary()
        let veto = try #require(summary.failures.first)
        #expect(veto.kind == .veto && veto.plugin == "ir-mfa" && veto.hook == "handoff.proposed")
        #expect(veto.location == "plugins/ir-mfa/main.lua:26")
        #expect(veto.message.hasPrefix("medical escort required for R-0018"))
        // Nobody was handed over at IKA: custody stayed with the escorts.
        #expect(summary.handoffsCompleted == 2)
        #expect(try host.store.returnCase("R-0001")!.custody == "US-ENF")
    }

    @Test("third-country: 119 people received in a third country; children refused; onward cases opened")
    func thirdCountry() throws {
        let host = try played("third-country")
        let summary = try host.summary()
        #expect(summary.failures.isEmpty)
        #expect(summary.casesByState.map { "\($0.count) \($0.state)" } == ["3 identified", "116 received", "3 on-hold"])
        for minor in ["T-0017", "T-0064"] {
            let c = try host.store.returnCase(CaseRef(minor))!
            #expect(c.documents.last?.status == .refused)
            #expect(c.state(at: host.engine.now) == .onHold)
        }
        #expect(try host.state("T-0009") == "on-hold")
        let onward = try host.store.caseRefs().filter { $0.rawValue.hasPrefix("O-") }
        #expect(onward == ["O-T-0003", "O-T-0012", "O-T-0051"])
        let o = try host.store.returnCase("O-T-0012")!
        #expect(o.owner == "IO-PA" && o.parent == "T-0012" && o.returnConsent != nil)
        let home = try host.store.person("PT-0012")!.nationalities.first
        #expect(o.person == "PT-0012" && o.destinationState == home)
        #expect(try host.store.handoffs().map { "\($0.from)->\($0.to)@\($0.place) \($0.state.rawValue)" } == ["US-ENF->PA-MIGRATION@PTY completed"])
        // The third country saw no vulnerability: its admission requests carry each person's
        // identity, and none of the vulnerabilities the sending agency holds.
        let requests = try host.store.notices().filter { $0.template == "admission-request" }
        #expect(!requests.isEmpty)
        for n in requests {
            for ref in n.cases {
                let person = try host.store.person(try host.store.returnCase(ref)!.person)!
                #expect(n.body.contains(person.names[0]) && n.body.contains(person.dateOfBirth.description), "\(n.ref)")
                for v in person.vulnerabilities { #expect(!n.body.contains(v.rawValue), "\(n.ref) names \(v.rawValue)") }
            }
        }
        let vulnerable = try host.store.caseRefs().filter { try !host.store.person(host.store.returnCase($0)!.person)!.vulnerabilities.isEmpty }
        #expect(!vulnerable.isEmpty)
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))
    }
}
