import Foundation
import LiaisonModel
import Testing

@Suite("The case state machine")
struct LifecycleTests {
    @Test("a removal case goes from identified to closed, with custody passing by two-party handoffs")
    func fullLifecycle() throws {
        var s = Scenario()
        try s.open("R-0001")
        #expect(s.state("R-0001") == .onHold)  // removal notice not yet served
        try s.makeFit("R-0001")
        #expect(s.state("R-0001") == .fit)
        try s.run(.schedule("R-0001", movement: "M-1", escorted: true))
        #expect(s.model.movements["M-1"]?.booked == 1)
        try s.run(.authoriseTransit("M-1", leg: 0), by: transit)
        try s.run(.depart("R-0001"))
        try s.run(.arriveInTransit("R-0001"), by: transit)
        try s.run(.proposeHandoff(HandoffProposal(ref: "H-IKA", cases: ["R-0001"], from: enf, to: mfa, place: "IKA", monitorPresent: true)))
        #expect(s.model.cases["R-0001"]?.custody == enf)
        let events = try s.run(.acknowledgeHandoff("H-IKA"), by: mfa)
        #expect(events.contains(.custodyTransferred("R-0001", from: enf, to: mfa)))
        #expect(events.contains(.handoffCompleted("H-IKA")))
        #expect(s.state("R-0001") == .handedOver)
        try s.run(.receive("R-0001"), by: reception)
        try s.run(.close("R-0001"), by: reception)
        #expect(s.state("R-0001") == .closed)
    }

    @Test("clearing needs a final order, or signed consent on the voluntary track")
    func clearing() throws {
        var s = Scenario()
        try s.run(.registerPerson(Person(ref: "P-1", names: ["A"], dateOfBirth: LocalDate("1980-01-01")!, sex: .male, nationalities: ["IR"])))
        try s.run(.openCase(CaseOpening(ref: "R-1", person: "P-1", track: .removal, sendingState: "US", destinationState: "IR",
                                        legalBasis: LegalBasis(order: "A-77", finalOn: nil))))
        #expect(s.refusal(.clear("R-1")) == "case R-1 cannot be cleared: order A-77 is not yet final")
        try s.open("R-0002", track: .voluntary)
        #expect(s.refusal(.clear("R-0002")) == "case R-0002 cannot be cleared: voluntary return without signed consent")
        try s.run(.recordConsent("R-0002", scope: .returnItself, interpreter: "Farsi interpreter"))
        try s.run(.clear("R-0002"))
        #expect(s.state("R-0002") == .cleared)
    }

    @Test("a refused command changes nothing and says why")
    func refusalChangesNothing() throws {
        var s = Scenario()
        try s.open("R-0003")
        #expect(s.refusal(.schedule("R-0003", movement: "M-1", escorted: true)) == "case R-0003 cannot be scheduled: it is on-hold, not fit")
        #expect(s.refusal(.schedule("R-0003", movement: "M-9", escorted: true))?.hasPrefix("no movement M-9 in this operation") == true)
        #expect(s.refusal(.clear("R-9999")) == "no case R-9999 in this operation")
        #expect(s.refusal(.clear("R-0003"), by: "XX-NOBODY")?.hasPrefix("XX-NOBODY is not an agency of this operation") == true)
    }

    @Test("roles decide who may do what")
    func permissions() throws {
        var s = Scenario()
        try s.open("R-0004")
        #expect(s.refusal(.clear("R-0004"), by: mfa) == "IR-MFA (destination-ministry) may not clear cases: only sending-enforcement may")
        #expect(s.refusal(.issueDocument("R-0004", kind: .passport, number: "X", validUntil: hours(1000)))
            == "US-ENF (sending-enforcement) may not issue travel documents: only destination-ministry may")
        #expect(s.refusal(.raiseHold("R-0004", kind: .fitToFly, reason: "x", evidence: nil, until: nil), by: monitor)
            == "MONITOR (monitor) may not raise holds: it observes or carries, it does not decide")
        #expect(s.refusal(.raiseHold("R-0004", kind: .appealPending, reason: "x", evidence: nil, until: nil), by: transit)
            == "QA-TRANSIT (transit-authority) may not raise 'appeal-pending' holds: they follow legal events the sending state records")
    }

    @Test("the movement's capacity is respected, and striking frees the seat")
    func capacity() throws {
        var s = Scenario()
        for i in 1...4 {
            try s.open(CaseRef("R-10\(i)"))
            try s.makeFit(CaseRef("R-10\(i)"))
        }
        for i in 1...3 { try s.run(.schedule(CaseRef("R-10\(i)"), movement: "M-1", escorted: false)) }
        #expect(s.refusal(.schedule("R-104", movement: "M-1", escorted: false)) == "case R-104 cannot be scheduled: movement M-1 is full (3 seats)")
        try s.run(.strike("R-101", reason: "medical"))
        #expect(s.state("R-101") == .documented)
        try s.run(.schedule("R-104", movement: "M-1", escorted: false))
    }
}

@Suite("Holds: each of the nine kinds")
struct HoldTests {
    @Test("a suspensive appeal holds the case, naming the hold, who raised it and when")
    func appeal() throws {
        var s = Scenario()
        try s.open("R-0042")
        try s.makeFit("R-0042")
        try s.run(.recordLegalEvent("R-0042", kind: .appeal, suspensive: true))
        #expect(s.state("R-0042") == .onHold)
        #expect(s.refusal(.schedule("R-0042", movement: "M-1", escorted: true))
            == "case R-0042 cannot be scheduled: active hold 'appeal-pending' raised by US-ENF on 2026-11-23")
        try s.run(.decideLegalEvent("R-0042", event: 3, outcome: "appeal dismissed", removalMayProceed: true))
        try s.run(.schedule("R-0042", movement: "M-1", escorted: true))
    }

    @Test("a protection claim holds the case; an upheld claim releases the person")
    func protection() throws {
        var s = Scenario()
        try s.open("R-0050")
        try s.makeFit("R-0050")
        try s.run(.recordLegalEvent("R-0050", kind: .protectionClaim, suspensive: false))
        #expect(s.refusal(.schedule("R-0050", movement: "M-1", escorted: true))?.contains("active hold 'protection-claim'") == true)
        try s.run(.decideLegalEvent("R-0050", event: 3, outcome: "claim upheld", removalMayProceed: false))
        #expect(s.state("R-0050") == .released)
    }

    @Test("serving the third-country notice ends the notice's own hold, never a protection claim the person made")
    func thirdCountryNoticeKeepsClaims() throws {
        var s = Scenario()
        try s.open("R-0009", track: .thirdCountry)
        try s.run(.recordLegalEvent("R-0009", kind: .protectionClaim, suspensive: true))
        try s.run(.raiseHold("R-0009", kind: .protectionClaim, reason: "claim made to the escort", evidence: nil, until: nil))
        try s.makeFit("R-0009")
        s.now = s.now.addingTimeInterval(30 * 86_400)  // the notice's own period has long run
        let claim = s.model.cases["R-0009"]!.legalEvents[0].hold!
        let byHand = s.model.cases["R-0009"]!.holds.first { $0.reason == "claim made to the escort" }!.id
        #expect(s.model.cases["R-0009"]!.activeHolds(at: s.now).map(\.id) == [claim, byHand])
        #expect(s.refusal(.schedule("R-0009", movement: "M-1", escorted: true))?.hasPrefix("case R-0009 cannot be scheduled: active hold 'protection-claim'") == true)
    }

    @Test("documents are requested of the destination's ministry only; one already expired is refused; a refusal holds the case")
    func documents() throws {
        var s = Scenario()
        try s.open("R-0601")
        #expect(s.refusal(.requestDocument("R-0601", kind: .laissezPasser, issuer: transit))
            == "QA-TRANSIT cannot issue travel documents: it is not the destination's ministry")
        #expect(s.refusal(.requestDocument("R-0601", kind: .laissezPasser, issuer: mfa), by: mfa)
            == "IR-MFA (destination-ministry) may not request travel documents: only sending-enforcement may")
        #expect(try s.run(.requestDocument("R-0601", kind: .laissezPasser, issuer: mfa)) == [.documentUpdated("R-0601", status: .requested)])
        #expect(s.model.cases["R-0601"]!.documents.map(\.status) == [.requested])
        #expect(s.refusal(.issueDocument("R-0601", kind: .laissezPasser, number: "LP-1", validUntil: s.now), by: mfa)
            == "a travel document for case R-0601 must be valid after \(Timestamp.day(s.now))")
        let events = try s.run(.refuseDocument("R-0601", reason: "nationality not confirmed"), by: mfa)
        #expect(events.map(\.name) == ["document.updated", "hold.raised"])
        let hold = s.model.cases["R-0601"]!.holds.last!
        #expect(hold.kind == .travelDocument && hold.reason == "travel document refused: nationality not confirmed")
    }

    @Test("transit refused keeps everyone on the ground; only the leg's authority answers")
    func transitRefused() throws {
        var s = Scenario()
        try s.open("R-0602")
        try s.makeFit("R-0602")
        try s.run(.schedule("R-0602", movement: "M-1", escorted: true))
        #expect(s.refusal(.refuseTransit("M-1", leg: 0, reason: "capacity at DOH"), by: mfa) == "only QA-TRANSIT may answer the transit request for leg 1 of movement M-1")
        #expect(s.refusal(.refuseTransit("M-1", leg: 1, reason: "x"), by: transit) == "leg 2 of movement M-1 needs no transit authorisation")
        #expect(try s.run(.refuseTransit("M-1", leg: 0, reason: "capacity at DOH"), by: transit) == [.transitUpdated("M-1", leg: 0, state: .refused)])
        #expect(s.refusal(.depart("R-0602"))
            == "case R-0602 cannot be boarded: transit for leg 1 of movement M-1 is refused, not authorised (hold kind 'transit-not-authorised')")
    }

    @Test("a case is closed by its owner or a reception organisation, no one else; a person or a case is registered once")
    func closingAndDuplicates() throws {
        var s = Scenario()
        try s.open("R-0603")
        try s.run(.recordLegalEvent("R-0603", kind: .appeal, suspensive: true))
        try s.run(.decideLegalEvent("R-0603", event: 2, outcome: "appeal allowed", removalMayProceed: false))
        #expect(s.model.cases["R-0603"]!.progress == .released)
        #expect(s.refusal(.close("R-0603"), by: mfa) == "case R-0603 can be closed only by US-ENF or the reception organisation")
        #expect(s.refusal(.close("R-0603"), by: transit) == "case R-0603 can be closed only by US-ENF or the reception organisation")
        try s.run(.close("R-0603"), by: reception)
        #expect(s.model.cases["R-0603"]!.progress == .closed)
        let person = s.model.people["P-0603"]!
        #expect(s.refusal(.registerPerson(person)) == "person P-0603 is already registered")
        #expect(s.refusal(.openCase(CaseOpening(ref: "R-0603", person: "P-0603", track: .removal, sendingState: "US", destinationState: "IR")))
            == "case R-0603 is already open")
        #expect(s.refusal(.openCase(CaseOpening(ref: "R-0699", person: "P-9999", track: .removal, sendingState: "US", destinationState: "IR")))
            == "case R-0699 names person P-9999, who is not registered")
    }

    @Test("an unaccompanied minor is held until reception is verified")
    func unaccompaniedMinor() throws {
        var s = Scenario()
        try s.open("R-0060", vulnerabilities: [.minor, .unaccompanied], born: "2011-05-05")
        try s.makeFit("R-0060")
        #expect(s.refusal(.schedule("R-0060", movement: "M-1", escorted: true))?.contains("active hold 'unaccompanied-minor'") == true)
        try s.run(.verifyReception("R-0060"), by: reception)
        try s.run(.schedule("R-0060", movement: "M-1", escorted: true))
    }

    @Test("a negative or expired fit-to-fly holds the case, at scheduling and again at boarding")
    func fitToFly() throws {
        var s = Scenario()
        try s.open("R-0070")
        try s.makeFit("R-0070")
        try s.run(.schedule("R-0070", movement: "M-1", escorted: true))
        try s.run(.authoriseTransit("M-1", leg: 0), by: transit)
        s.now = hours(24 * 31)
        #expect(s.refusal(.depart("R-0070")) == "case R-0070 cannot be boarded: fit-to-fly expired on 2026-12-20 (hold kind 'fit-to-fly')")
        try s.run(.strike("R-0070", reason: "fit-to-fly expired"))
        try s.run(.assessFitness("R-0070", FitToFly(assessor: "Dr. Example", fit: false, conditions: nil, medicalEscort: true, expiresAt: hours(24 * 40))))
        #expect(s.model.cases["R-0070"]!.activeHolds(at: s.now).map(\.kind) == [.fitToFly])
    }

    @Test("without a valid travel document nobody is scheduled")
    func travelDocument() throws {
        var s = Scenario()
        try s.open("R-0080")
        try s.run(.serveNotice("R-0080", charter: false))
        try s.run(.clear("R-0080"))
        try s.run(.refuseDocument("R-0080", reason: "nationality not confirmed"), by: mfa)
        #expect(s.model.cases["R-0080"]!.activeHolds(at: s.now).contains { $0.kind == .travelDocument })
        try s.run(.issueDocument("R-0080", kind: .emergencyTravelDocument, number: "ETD-1", validUntil: hours(24 * 60)), by: mfa)
        #expect(!s.model.cases["R-0080"]!.activeHolds(at: s.now).contains { $0.kind == .travelDocument })
    }

    @Test("nobody boards before transit is authorised; the transit authority alone answers")
    func transitAuthorisation() throws {
        var s = Scenario()
        try s.open("R-0090")
        try s.makeFit("R-0090")
        try s.run(.schedule("R-0090", movement: "M-1", escorted: true))
        #expect(s.refusal(.depart("R-0090"))
            == "case R-0090 cannot be boarded: transit for leg 1 of movement M-1 is requested, not authorised (hold kind 'transit-not-authorised')")
        #expect(s.refusal(.authoriseTransit("M-1", leg: 0), by: mfa) == "only QA-TRANSIT may answer the transit request for leg 1 of movement M-1")
        try s.run(.authoriseTransit("M-1", leg: 0), by: transit)
        try s.run(.depart("R-0090"))
    }

    @Test("a voluntary returnee withdrawing consent is held and shown as consent-withdrawn")
    func consent() throws {
        var s = Scenario()
        try s.open("R-0100", track: .voluntary)
        try s.run(.recordConsent("R-0100", scope: .returnItself, interpreter: nil))
        try s.run(.clear("R-0100"))
        try s.run(.withdrawConsent("R-0100", consent: 2))
        #expect(s.state("R-0100") == .consentWithdrawn)
        #expect(s.model.cases["R-0100"]!.activeHolds(at: s.now).contains { $0.kind == .consentMissing })
    }

    @Test("a scheduled voluntary returnee who withdraws consent gives the seat back")
    func withdrawalFreesTheSeat() throws {
        var s = Scenario()
        try s.open("R-0105", track: .voluntary)
        try s.run(.recordConsent("R-0105", scope: .returnItself, interpreter: nil))
        try s.run(.clear("R-0105"))
        try s.run(.issueDocument("R-0105", kind: .laissezPasser, number: "LP", validUntil: hours(24 * 60)), by: mfa)
        try s.run(.assessFitness("R-0105", FitToFly(assessor: "Dr. Example", fit: true, conditions: nil, medicalEscort: false, expiresAt: hours(24 * 30))))
        try s.run(.schedule("R-0105", movement: "M-1", escorted: false))
        #expect(s.model.movements["M-1"]?.booked == 1)
        try s.run(.withdrawConsent("R-0105", consent: 2))
        #expect(s.model.movements["M-1"]?.booked == 0)
        #expect(s.model.cases["R-0105"]?.manifest?.struck == "consent withdrawn")
    }

    @Test("the notice period must run: 72 hours, or five working days for a charter")
    func noticePeriod() throws {
        var s = Scenario()
        try s.open("R-0110")
        try s.run(.clear("R-0110"))
        try s.run(.issueDocument("R-0110", kind: .laissezPasser, number: "LP", validUntil: hours(24 * 60)), by: mfa)
        try s.run(.assessFitness("R-0110", FitToFly(assessor: "Dr. Example", fit: true, conditions: nil, medicalEscort: false, expiresAt: hours(24 * 30))))
        #expect(s.refusal(.schedule("R-0110", movement: "M-1", escorted: true))?.contains("active hold 'notice-period' raised by US-ENF on 2026-11-20") == true)
        try s.run(.serveNotice("R-0110", charter: true))  // Friday 2026-11-20: five working days is Friday 2026-11-27
        s.now = hours(24 * 6)
        #expect(s.refusal(.schedule("R-0110", movement: "M-1", escorted: true))?.contains("(until 2026-11-27T09:00:00Z)") == true)
        s.now = hours(24 * 7)
        try s.run(.schedule("R-0110", movement: "M-1", escorted: true))
    }

    @Test("data goes to a recipient only with consent or by policy, and each release is an event")
    func dataRelease() throws {
        var s = Scenario()
        try s.open("R-0120")
        #expect(s.refusal(.releaseData("R-0120", to: transit, categories: [.medical], purpose: "escort planning"))
            == "data of case R-0120 cannot be released to QA-TRANSIT for escort planning: no consent, and the disclosure policy does not grant medical (hold kind 'data-release')")
        try s.run(.recordConsent("R-0120", scope: .dataRelease(recipient: transit, purpose: "escort planning"), interpreter: nil))
        #expect(try s.run(.releaseData("R-0120", to: transit, categories: [.medical], purpose: "escort planning"))
            == [.dataReleased("R-0120", to: transit, categories: [.medical])])
        try s.run(.raiseHold("R-0120", kind: .dataRelease, reason: "court order restricts release", evidence: "order 12", until: nil))
        #expect(s.refusal(.releaseData("R-0120", to: transit, categories: [.identity], purpose: "x"))?.contains("active hold 'data-release'") == true)
    }

    @Test("only the raiser, or a party with the right, lifts a hold, and the lifting is recorded")
    func liftRights() throws {
        var s = Scenario()
        try s.open("R-0130")
        try s.run(.raiseHold("R-0130", kind: .fitToFly, reason: "fever", evidence: nil, until: nil), by: mfa)
        let id = s.model.cases["R-0130"]!.holds.last!.id
        #expect(s.refusal(.liftHold("R-0130", hold: id, reason: "better"), by: transit)
            == "hold \(id) 'fit-to-fly' on case R-0130 can be lifted only by IR-MFA, who raised it; or IR-RECEPTION")
        try s.run(.liftHold("R-0130", hold: id, reason: "recovered"), by: reception)
        let hold = s.model.cases["R-0130"]!.holds.last!
        #expect(hold.lifted?.by == reception && hold.lifted?.reason == "recovered")
        #expect(s.refusal(.liftHold("R-0130", hold: id, reason: "again"), by: reception) == "hold \(id) 'fit-to-fly' on case R-0130 is no longer active")
    }
}

@Suite("Handoffs and custody")
struct HandoffTests {
    func departed() throws -> Scenario {
        var s = Scenario()
        try s.open("R-0200")
        try s.makeFit("R-0200")
        try s.run(.schedule("R-0200", movement: "M-1", escorted: true))
        try s.run(.authoriseTransit("M-1", leg: 0), by: transit)
        try s.run(.depart("R-0200"))
        return s
    }

    @Test("custody passes only when both parties acknowledge")
    func twoParty() throws {
        var s = try departed()
        try s.run(.proposeHandoff(HandoffProposal(ref: "H-DOH", cases: ["R-0200"], from: enf, to: transit, place: "DOH")))
        #expect(s.model.cases["R-0200"]?.custody == enf)
        #expect(s.refusal(.acknowledgeHandoff("H-DOH")) == "US-ENF has already acknowledged handoff H-DOH")
        #expect(s.refusal(.acknowledgeHandoff("H-DOH"), by: mfa) == "only US-ENF or QA-TRANSIT may acknowledge handoff H-DOH")
        try s.run(.acknowledgeHandoff("H-DOH"), by: transit)
        #expect(s.model.cases["R-0200"]?.custody == transit)
        #expect(s.state("R-0200") == .departed)  // a transit authority holding custody is not the destination
    }

    @Test("a refused handoff leaves custody where it was")
    func refused() throws {
        var s = try departed()
        try s.run(.proposeHandoff(HandoffProposal(ref: "H-IKA", cases: ["R-0200"], from: enf, to: mfa, place: "IKA")))
        try s.run(.refuseHandoff("H-IKA", reason: "medical escort missing"), by: mfa)
        #expect(s.model.cases["R-0200"]?.custody == enf)
        #expect(s.model.cases["R-0200"]?.pendingHandoff == nil)
        #expect(s.refusal(.acknowledgeHandoff("H-IKA"), by: mfa) == "handoff H-IKA is refused")
        #expect(s.refusal(.proposeHandoff(HandoffProposal(ref: "H-2", cases: ["R-0200"], from: mfa, to: reception, place: "IKA")), by: mfa)
            == "handoff H-2: case R-0200 is in the custody of US-ENF, not IR-MFA")
    }

    @Test("aborting brings custody back to the sending state")
    func abort() throws {
        var s = try departed()
        try s.run(.proposeHandoff(HandoffProposal(ref: "H-DOH", cases: ["R-0200"], from: enf, to: transit, place: "DOH")))
        try s.run(.acknowledgeHandoff("H-DOH"), by: transit)
        let events = try s.run(.abort("R-0200", reason: "destination refused landing"))
        #expect(events.contains(.custodyTransferred("R-0200", from: transit, to: enf)))
        #expect(s.state("R-0200") == .aborted)
    }
}

@Suite("Disclosure")
struct DisclosureTests {
    @Test("a transit authority's read of a medical field is refused, naming the policy")
    func transitMedical() throws {
        var s = Scenario()
        try s.open("R-0300")
        try s.makeFit("R-0300")
        let view = try s.model.view("R-0300", for: transit, at: s.now)
        #expect(try view.read("names") == .list([.text("Test Person R-0300")]))
        #expect(!view.discloses("fit_to_fly_conditions"))
        #expect(throws: DisclosureError(agency: transit, field: "fit_to_fly_conditions", category: .medical, policy: "the policy for role transit-authority")) {
            try view.read("fit_to_fly_conditions")
        }
        #expect(String(describing: DisclosureError(agency: transit, field: "fit_to_fly_conditions", category: .medical, policy: "the policy for role transit-authority"))
            == "QA-TRANSIT may not read 'fit_to_fly_conditions' (medical data): the policy for role transit-authority does not grant 'medical'")
        let own = try s.model.view("R-0300", for: enf, at: s.now)
        #expect(try own.read("fit_to_fly_conditions") == .text("asthma, inhaler"))
    }

    @Test("a field read alone gives what the whole view gives, refusals included, for every field and agency")
    func oneFieldAsTheView() throws {
        var s = Scenario()
        try s.open("R-0320")
        try s.makeFit("R-0320")
        try s.run(.recordLegalEvent("R-0320", kind: .protectionClaim, suspensive: true))
        for agency in [enf, transit, mfa, reception, monitor] {
            let reader = try CaseReader(agency, in: testOperation)
            let view = try reader.view("R-0320", at: s.now, in: s.model)
            for field in CaseView.fields.map(\.name) {
                // A field on the case record alone reads a view built without the person: one
                // that touched the person would stop the test here.
                let alone = Result { try reader.read(field, of: "R-0320", at: s.now, in: s.model) }
                let whole = Result { try view.read(field) }
                switch (alone, whole) {
                case let (.success(a), .success(w)): #expect(a == w, "\(agency) \(field)")
                case let (.failure(a as DisclosureError), .failure(w as DisclosureError)): #expect(a == w, "\(agency) \(field)")
                default: Issue.record("\(agency) \(field): \(alone) against \(whole)")
                }
            }
        }
        #expect(throws: ModelError.self) { try CaseReader(enf, in: testOperation).read("names", of: "R-9999", at: s.now, in: s.model) }
    }

    @Test("what each agency reads of a case, field by field, against the facts written out by hand")
    func fieldsAgainstFacts() throws {
        var s = Scenario()
        try s.open("R-0321", vulnerabilities: [.medical])
        try s.run(.requestDocument("R-0321", kind: .laissezPasser, issuer: mfa))  // two documents: the fields read the latest
        try s.makeFit("R-0321")
        try s.run(.recordLegalEvent("R-0321", kind: .protectionClaim, suspensive: true))
        // The facts, as the commands above made them; nothing here reads through CaseView.
        let facts: [String: FieldValue] = [
            "ref": .text("R-0321"), "state": .text("on-hold"), "track": .text("removal"), "destination": .text("IR"),
            "custody": .text("US-ENF"), "on_hold": .flag(true), "progress": .text("fit"), "person": .text("P-0321"), "owner": .text("US-ENF"),
            "parent": .none, "movement": .none, "pending_handoff": .none, "reception_verified": .flag(false), "fit_to_fly": .text("valid"),
            "fit_to_fly_expires": .date(hours(24 * 30)), "names": .list([.text("Test Person R-0321")]), "aliases": .list([]),
            "date_of_birth": .text("1990-03-01"), "sex": .text("F"), "nationalities": .list([.text("IR")]), "languages": .list([.text("fa")]),
            "document": .text("laissez-passer issued"), "document_number": .text("LP-R-0321"), "document_valid_until": .date(hours(24 * 60)),
            "vulnerabilities": .list([.text("medical")]), "medical_escort": .flag(false), "fit_to_fly_conditions": .text("asthma, inhaler"),
            "legal_basis": .text("order-R-0321"), "order_final": .flag(true), "holds": .list([.text("protection-claim")]), "protection_claims": .number(1),
        ]
        #expect(Set(facts.keys) == Set(CaseView.fields.map(\.name)), "a field without a fact, or a fact without a field")
        // Each role's categories, written out as DOMAIN practice has them.
        let granted: [AgencyID: Set<String>] = [
            enf: ["identity", "travel-document", "medical", "vulnerability", "legal", "protection"],
            transit: ["identity", "travel-document"], mfa: ["identity", "travel-document", "vulnerability"],
            reception: ["identity", "vulnerability", "medical"], monitor: ["identity", "vulnerability"],
        ]
        let category: [String: String] = [
            "names": "identity", "aliases": "identity", "date_of_birth": "identity", "sex": "identity", "nationalities": "identity",
            "languages": "identity", "document": "travel-document", "document_number": "travel-document", "document_valid_until": "travel-document",
            "vulnerabilities": "vulnerability", "medical_escort": "vulnerability", "fit_to_fly_conditions": "medical", "legal_basis": "legal",
            "order_final": "legal", "holds": "legal", "protection_claims": "protection",
        ]
        for (agency, categories) in granted {
            let view = try s.model.view("R-0321", for: agency, at: s.now)
            for (field, fact) in facts {
                let visible = category[field].map(categories.contains) ?? true
                if visible {
                    #expect(try view.read(field) == fact, "\(agency) \(field)")
                } else {
                    #expect(throws: DisclosureError.self, "\(agency) read \(field)") { try view.read(field) }
                }
            }
        }
    }

    @Test("protection claims never leave the sending state")
    func protectionStaysHome() throws {
        var s = Scenario()
        try s.open("R-0310")
        try s.run(.recordLegalEvent("R-0310", kind: .protectionClaim, suspensive: true))
        let ministry = try s.model.view("R-0310", for: mfa, at: s.now)
        #expect(!ministry.discloses("protection_claims"))
        #expect(!ministry.discloses("holds"))
        #expect(try ministry.read("on_hold") == .flag(true))
        let sending = try s.model.view("R-0310", for: enf, at: s.now)
        #expect(try sending.read("protection_claims") == .number(1))
        #expect(try sending.read("holds") == .list([.text("notice-period"), .text("protection-claim")]))
    }
}
