import Foundation
import LiaisonModel
import Testing
@testable import LiaisonStore

@Suite("Events written by hand read as Codable writes them")
struct EventJSONTests {
    /// One of each case, with text that needs escaping where a case carries free text.
    static let everyCase: [Event] = [
        .personRegistered("P-1"), .caseOpened("R-1"), .stateChanged("R-1", from: .fit, to: .scheduled),
        .holdRaised("R-1", hold: 2, kind: .appealPending), .holdLifted("R-1", hold: 2, kind: .appealPending, by: "US-ENF"),
        .legalEventRecorded("R-1", event: 1, kind: .appeal), .legalEventDecided("R-1", event: 1, outcome: "dismissed \"in full\""),
        .consentRecorded("R-1", consent: 3), .consentWithdrawn("R-1", consent: 3), .documentUpdated("R-1", status: .issued),
        .fitnessAssessed("R-1", fit: false), .noticeServed("R-1", periodEnds: Date(timeIntervalSince1970: 1_796_112_000)),
        .noticeServed("R-2", periodEnds: Date(timeIntervalSince1970: 1_796_112_000.5)),
        .receptionVerified("R-1"), .struck("R-1", reason: "appeal-pending filed\nat 09:00"), .transitUpdated("M-1", leg: 0, state: .authorised),
        .handoffProposed("H-1"), .handoffAcknowledged("H-1", by: "IR-MFA"), .handoffCompleted("H-1"),
        .handoffRefused("H-1", reason: "no papers"), .custodyTransferred("R-1", from: "US-ENF", to: "IR-MFA"),
        .dataReleased("R-1", to: "QA-TRANSIT", categories: [.identity, .travelDocument]), .dataReleased("R-1", to: "QA-TRANSIT", categories: []),
        .noticeSent("N-000001", to: "IR-MFA/consular"), .noticeAcknowledged("N-000001", by: "IR-MFA"),
        .noticeReplied("N-000001", by: "IR-MFA"),
        .signalled(Signal(name: "leg.landed", fields: ["leg": "2"])), .signalled(Signal(name: "operation.closing", fields: [:])),
        .pluginFailed(plugin: "us-enf", hook: "case.opened", kind: .timeout),
    ]

    @Test("every case gives the same text as the Codable writer, and reads back equal", arguments: everyCase)
    func sameText(_ event: Event) throws {
        var out: [UInt8] = []
        EventJSON.write([event, event], into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == (try CanonicalJSON(sortedKeys: false).string([event, event])))
        #expect(try Canonical.decode([Event].self, text) == [event, event])
        #expect(try StreamingJSON().string([event]) == CanonicalJSON(sortedKeys: false).string([event]))
    }

    @Test("a signal's fields are written in sorted order")
    func sortedFields() throws {
        let event = Event.signalled(Signal(name: "leg.landed", fields: ["movement": "M-1", "leg": "2", "at": "IKA"]))
        #expect(try StreamingJSON().string([event]) == #"[{"signalled":{"_0":{"name":"leg.landed","fields":{"at":"IKA","leg":"2","movement":"M-1"}}}}]"#)
    }
}
