import Foundation
@testable import LiaisonModel
import Testing
@testable import LiaisonStore

@Suite("Commands written by hand read as Codable writes them")
struct CommandJSONTests {
    static let day = Date(timeIntervalSince1970: 1_796_112_000)

    /// One of each case (and of each optional present and absent), with text that needs
    /// escaping where a case carries free text.
    static let everyCase: [Command] = [
        .registerPerson(Person(ref: "P-1", names: ["Dara \"Test\" Example"], dateOfBirth: LocalDate("1990-02-03")!, sex: .female,
                               nationalities: ["IR"], languages: ["fa", "en"], vulnerabilities: [.minor], group: "G-1")),
        .openCase(CaseOpening(ref: "R-1", person: "P-1", track: .voluntary, sendingState: "US", destinationState: "IR")),
        .openCase(CaseOpening(ref: "R-2", person: "P-2", track: .removal, sendingState: "US", destinationState: "IR",
                              legalBasis: LegalBasis(order: "EOIR-1", finalOn: LocalDate("2026-10-01")), parent: "R-1")),
        .clear("R-1"),
        .recordLegalEvent("R-1", kind: .appeal, suspensive: true),
        .decideLegalEvent("R-1", event: 1, outcome: "dismissed\nin full", removalMayProceed: false),
        .raiseHold("R-1", kind: .appealPending, reason: "appeal filed", evidence: "BIA-1", until: day),
        .raiseHold("R-1", kind: .fitToFly, reason: "unwell", evidence: nil, until: nil),
        .liftHold("R-1", hold: 2, reason: "decided"),
        .recordConsent("R-1", scope: .returnItself, interpreter: "Farsi interpreter"),
        .recordConsent("R-1", scope: .dataRelease(recipient: "IR-MFA", purpose: "reception"), interpreter: nil),
        .withdrawConsent("R-1", consent: 1),
        .requestDocument("R-1", kind: .laissezPasser, issuer: "IR-MFA"),
        .issueDocument("R-1", kind: .passport, number: "P123", validUntil: day.addingTimeInterval(0.5)),
        .refuseDocument("R-1", reason: "no record"),
        .assessFitness("R-1", FitToFly(assessor: "clinic", fit: true, conditions: nil, medicalEscort: false, expiresAt: day)),
        .assessFitness("R-1", FitToFly(assessor: "clinic", fit: false, conditions: "oxygen", medicalEscort: true, expiresAt: day)),
        .serveNotice("R-1", charter: true), .verifyReception("R-1"),
        .schedule("R-1", movement: "M-1", escorted: true), .strike("R-1", reason: "fit-to-fly expired"),
        .authoriseTransit("M-1", leg: 0), .refuseTransit("M-1", leg: 1, reason: "slot"),
        .depart("R-1"), .arriveInTransit("R-1"),
        .proposeHandoff(HandoffProposal(ref: "H-1", cases: ["R-1", "R-2"], from: "US-ENF", to: "IR-MFA", place: "IKA",
                                        documents: ["LP-1"], property: [], monitorPresent: true)),
        .acknowledgeHandoff("H-1"), .refuseHandoff("H-1", reason: "papers"),
        .receive("R-1"), .close("R-1"), .abort("R-1", reason: "withdrawn"),
        .releaseData("R-1", to: "QA-TRANSIT", categories: [.identity, .travelDocument], purpose: "transit"),
        .sendNotice(Notice(ref: "N-1", from: "US-ENF", to: "IR-MFA/consular", template: "identity-request", cases: ["R-1"],
                           due: day, sentAt: day, body: "Dear colleagues,\n\"please\" reply")),
        .sendNotice(Notice(ref: "N-2", from: "US-ENF", to: "IR-MFA", template: "t", cases: [], due: nil, sentAt: day, body: "")),
        .acknowledgeNotice("N-1"),
        .sendNotice({
            var n = Notice(ref: "N-3", from: "US-ENF", to: "IR-RECEPTION", template: "minor", cases: ["R-1"], due: day, sentAt: day, body: "x",
                           asks: [NoticeQuestion(name: "traced", kind: .boolean), NoticeQuestion(name: "note", kind: .text, optional: true)])
            n.acknowledgedAt = day
            n.reply = NoticeReply(at: day, answers: [.init(name: "traced", value: "true")])
            return n
        }()),
        .replyNotice("N-1", answers: [.init(name: "note", value: "met \"twice\""), .init(name: "traced", value: "false")]),
        .replyNotice("N-1", answers: []),
        .signal(Signal(name: "leg.landed", fields: ["leg": "2"])),  // one field: Codable's order of several varies by run
        .recordPluginOutcome(PluginOutcome(plugin: "us-enf", agency: "US-ENF", hook: "case.opened", kind: .error, failClosed: true,
                                           message: "boom", location: "main.lua:3", trigger: "case.open", refusedTrigger: true)),
        .setPluginState(PluginStateChange(plugin: "us-enf", agency: "US-ENF", key: "pending \"R-1\"", value: #"{"a":[1,2.5,"x"]}"#)),
        .setPluginState(PluginStateChange(plugin: "us-enf", agency: "US-ENF", key: "k", value: nil)),
    ]

    @Test("every case gives the same text as the Codable writer, and reads back equal", arguments: everyCase)
    func sameText(_ command: Command) throws {
        var out: [UInt8] = []
        try CommandJSON.write(command, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text == (try CanonicalJSON(sortedKeys: false).string(command)))
        #expect(try Canonical.decode(Command.self, text) == command)
        #expect(try StreamingJSON().string([command, command]) == CanonicalJSON(sortedKeys: false).string([command, command]))
    }

    @Test("a signal's fields are written in sorted order")
    func sortedFields() throws {
        let command = Command.signal(Signal(name: "leg.landed", fields: ["movement": "M-1", "leg": "2", "at": "IKA"]))
        #expect(try StreamingJSON().string(command) == #"{"signal":{"_0":{"name":"leg.landed","fields":{"at":"IKA","leg":"2","movement":"M-1"}}}}"#)
    }

    @Test("every case of Command is among those compared")
    func everyCaseCovered() {
        let names = Set(Self.everyCase.map(\.name))
        #expect(names.count == 34, "cases compared: \(names.sorted())")
    }

    static let people: [Person] = [
        Person(ref: "P-1", names: ["Dara \"Test\" Example", "D. Example"], aliases: ["Dara\tE."], dateOfBirth: LocalDate("1990-02-03")!,
               sex: .female, nationalities: ["IR", "IQ"], languages: ["fa"], vulnerabilities: [.unaccompanied, .minor], group: "G-1"),
        Person(ref: "P-2", names: [], dateOfBirth: LocalDate("0999-12-31")!, sex: .unspecified, nationalities: []),
    ]

    @Test("a person's record by hand: declaration order as the streaming writer gives it, sorted as the digest's encoder does",
          arguments: people)
    func person(_ p: Person) throws {
        let declared = PersonJSON.fields(p, sortedKeys: false).encoded, sorted = PersonJSON.fields(p, sortedKeys: true).encoded
        #expect(String(decoding: declared, as: UTF8.self) == (try CanonicalJSON(sortedKeys: false).string(p)))
        #expect(String(decoding: sorted, as: UTF8.self) == (try CanonicalJSON(sortedKeys: true).string(p)))
        #expect(try Canonical.decode(Person.self, String(decoding: declared, as: UTF8.self)) == p)
    }

    @Test("a notice by hand, acknowledged or not, with a deadline or without, as Codable writes it")
    func notice() throws {
        var n = Notice(ref: "N-1", from: "US-ENF", to: "IR-MFA/consular", template: "identity-request", cases: ["R-1", "R-2"],
                       due: Self.day, sentAt: Self.day.addingTimeInterval(-0.25), body: "Dear colleagues,\n\"please\" reply\u{1}")
        var without = n
        without.due = nil
        n.acknowledgedAt = Self.day.addingTimeInterval(60)
        for notice in [n, without] {
            #expect(try StreamingJSON().string(notice) == CanonicalJSON(sortedKeys: false).string(notice))
            #expect(try Canonical.decode(Notice.self, StreamingJSON().string(notice)) == notice)
        }
    }

    /// A case with every optional field present, and one with none.
    static var cases: [ReturnCase] {
        var full = ReturnCase(ref: "R-1", person: "P-1", track: .removal, sendingState: "US", destinationState: "IR",
                              legalBasis: LegalBasis(order: "EOIR \"A\"", finalOn: LocalDate("2026-10-01")), owner: "US-ENF")
        full.progress = .scheduled
        full.custody = "IR-MFA"
        full.parent = "R-0"
        full.legalEvents = [LegalEvent(id: 1, kind: .protectionClaim, suspensive: true, filedOn: day, decidedOn: day + 60, outcome: "refused", hold: 2),
                            LegalEvent(id: 3, kind: .appeal, suspensive: false, filedOn: day, decidedOn: nil, outcome: nil, hold: nil)]
        full.holds = [Hold(id: 2, kind: .protectionClaim, raisedBy: "US-ENF", raisedAt: day, reason: "claim\nfiled", evidence: "file 7",
                           blocks: [.schedule, .departure, .dataRelease], until: day + 3600,
                           lifted: Hold.Lifting(by: "US-ENF", at: day + 60, reason: "decided")),
                      Hold(id: 4, kind: .noticePeriod, raisedBy: "US-ENF", raisedAt: day, reason: "notice", evidence: nil, blocks: [], until: nil, lifted: nil)]
        full.consents = [Consent(id: 5, scope: .returnItself, interpreter: "fa", signedAt: day, withdrawnAt: day + 10),
                         Consent(id: 6, scope: .dataRelease(recipient: "IR-MFA", purpose: "reception"), interpreter: nil, signedAt: day, withdrawnAt: nil)]
        full.documents = [TravelDocument(kind: .laissezPasser, issuer: "IR-MFA", number: "LP-1", validUntil: day + 0.5, status: .issued),
                          TravelDocument(kind: .passport, issuer: "IR-MFA", number: nil, validUntil: nil, status: .requested)]
        full.fitToFly = FitToFly(assessor: "clinic", fit: true, conditions: "oxygen", medicalEscort: true, expiresAt: day)
        full.noticeServedAt = day
        full.receptionVerified = true
        full.manifest = ManifestEntry(movement: "M-1", escorted: true, seat: "12A", struck: "unfit")
        full.pendingHandoff = "H-1"
        full.nextID = 7
        let bare = ReturnCase(ref: "R-2", person: "P-2", track: .voluntary, sendingState: "US", destinationState: "IR",
                              legalBasis: nil, owner: "US-ENF")
        return [full, bare]
    }

    @Test("a case record by hand, every optional field present or absent, as Codable writes it", arguments: cases)
    func returnCase(_ c: ReturnCase) throws {
        let text = String(decoding: ReturnCaseJSON.fields(c).encoded, as: UTF8.self)
        #expect(text == (try CanonicalJSON(sortedKeys: false).string(c)))
        #expect(try StreamingJSON().string(c) == text)
        #expect(try Canonical.decode(ReturnCase.self, text) == c)
    }
}
