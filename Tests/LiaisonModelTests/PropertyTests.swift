import Foundation
import LiaisonModel
import PropertyBased
import Synchronization
import Testing

/// Each step of a random sequence: a command number, or time passing. Steps that move a case
/// forward are listed more than once, so that random sequences reach scheduling, boarding and
/// handoffs often enough for the properties to mean something.
let weightedSteps = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, -1, -1, -1]
    + Array(repeating: 21, count: 30)

/// Turns a number into a command on one of four cases, by one of the agencies: random
/// sequences of these explore orders of events nobody wrote a test for.
func command(from n: Int, in s: Scenario) -> (Command, AgencyID)? {
    let cases: [CaseRef] = ["R-1", "R-2", "R-3", "R-4"]
    let agencies = [enf, transit, mfa, reception, monitor]
    let op = weightedSteps[n % weightedSteps.count], ref = cases[(n / weightedSteps.count) % 4]
    let p = n / (weightedSteps.count * 4)
    let c = s.model.cases[ref]!
    let actor = p % 7 < 5 ? enf : agencies[p % 5]  // mostly the sending agency, sometimes anyone
    switch op {
    case 0: return (.serveNotice(ref, charter: p % 2 == 0), actor)
    case 1: return (.clear(ref), actor)
    case 2: return (.issueDocument(ref, kind: .laissezPasser, number: "LP-\(p)", validUntil: s.now.addingTimeInterval(Double(1 + p % 40) * 86_400)), mfa)
    case 3: return (.assessFitness(ref, FitToFly(assessor: "Dr. Example", fit: true, conditions: nil, medicalEscort: false,
                                                 expiresAt: s.now.addingTimeInterval(Double(p % 15) * 86_400 + 3600))), actor)
    case 4: return (.assessFitness(ref, FitToFly(assessor: "Dr. Example", fit: false, conditions: nil, medicalEscort: true,
                                                 expiresAt: s.now.addingTimeInterval(86_400))), actor)
    case 5: return (.recordLegalEvent(ref, kind: [.appeal, .stay, .injunction][p % 3], suspensive: p % 4 != 0), actor)
    case 6: return (.recordLegalEvent(ref, kind: .protectionClaim, suspensive: true), actor)
    case 7:
        guard let e = c.legalEvents.first(where: { $0.decidedOn == nil }) else { return nil }
        return (.decideLegalEvent(ref, event: e.id, outcome: "decided", removalMayProceed: p % 5 != 0), actor)
    case 8: return (.raiseHold(ref, kind: HoldKind.allCases[p % 9], reason: "random hold", evidence: nil, until: nil), agencies[p % 4])
    case 9:
        guard let h = c.holds.first(where: { $0.isActive(at: s.now) }) else { return nil }
        return (.liftHold(ref, hold: h.id, reason: "random lift"), p % 3 == 0 ? actor : h.raisedBy)
    case 10: return (.schedule(ref, movement: "M-1", escorted: p % 2 == 0), actor)
    case 11: return (.strike(ref, reason: "random strike"), actor)
    case 12: return (p % 3 == 0 ? .refuseTransit("M-1", leg: 0, reason: "random") : .authoriseTransit("M-1", leg: 0), transit)
    case 13: return (.depart(ref), actor)
    case 14: return (.arriveInTransit(ref), actor)
    case 15:
        let to = agencies[1 + p % 3] == c.custody ? enf : agencies[1 + p % 3]
        return (.proposeHandoff(HandoffProposal(ref: HandoffRef("H-\(n)"), cases: [ref], from: c.custody, to: to, place: "DOH")), c.custody)
    case 16:
        guard let h = c.pendingHandoff, let handoff = s.model.handoffs[h] else { return nil }
        return (.acknowledgeHandoff(h), p % 4 == 0 ? actor : (handoff.acknowledgedBy.contains(handoff.from) ? handoff.to : handoff.from))
    case 17:
        guard let h = c.pendingHandoff else { return nil }
        return (.refuseHandoff(h, reason: "random refusal"), p % 2 == 0 ? transit : mfa)
    case 18: return (.verifyReception(ref), reception)
    case 19:
        if let consent = c.consents.first(where: \.isValid), p % 2 == 0 { return (.withdrawConsent(ref, consent: consent.id), actor) }
        return (.recordConsent(ref, scope: .returnItself, interpreter: nil), actor)
    case 20: return p % 3 == 0 ? (.abort(ref, reason: "random abort"), actor) : nil
    case 21: return nextStep(for: c, in: s)
    default: return nil
    }
}

/// The command that would move `c` forward from where it is: random sequences mix these with
/// random and disruptive commands, so that they reach scheduling, boarding and handoffs.
func nextStep(for c: ReturnCase, in s: Scenario) -> (Command, AgencyID)? {
    switch c.progress {
    case .identified where c.track != .voluntary && c.noticeServedAt == nil: return (.serveNotice(c.ref, charter: false), enf)
    case .identified where c.track == .voluntary && c.returnConsent == nil: return (.recordConsent(c.ref, scope: .returnItself, interpreter: nil), enf)
    case .identified, .consentWithdrawn: return (.clear(c.ref), enf)
    case .cleared: return (.issueDocument(c.ref, kind: .laissezPasser, number: "LP", validUntil: s.now.addingTimeInterval(30 * 86_400)), mfa)
    case .documented:
        return (.assessFitness(c.ref, FitToFly(assessor: "Dr. Example", fit: true, conditions: nil, medicalEscort: false,
                                               expiresAt: s.now.addingTimeInterval(20 * 86_400))), enf)
    case .fit:
        if !c.receptionVerified { return (.verifyReception(c.ref), reception) }
        if let hold = c.activeHolds(at: s.now).first(where: { $0.until == nil }) { return (.liftHold(c.ref, hold: hold.id, reason: "resolved"), hold.raisedBy) }
        return (.schedule(c.ref, movement: "M-1", escorted: true), enf)
    case .scheduled:
        if s.model.movements["M-1"]!.legs[0].transit != .authorised { return (.authoriseTransit("M-1", leg: 0), transit) }
        return (.depart(c.ref), enf)
    case .departed, .inTransit:
        if let h = c.pendingHandoff, let handoff = s.model.handoffs[h] {
            return (.acknowledgeHandoff(h), handoff.acknowledgedBy.contains(handoff.from) ? handoff.to : handoff.from)
        }
        let to = c.custody == mfa ? reception : (c.custody == transit ? mfa : transit)
        return (.proposeHandoff(HandoffProposal(ref: HandoffRef("H-\(c.ref)-\(s.model.handoffs.count)"), cases: [c.ref],
                                                from: c.custody, to: to, place: "DOH")), c.custody)
    case .handedOver: return (.receive(c.ref), reception)
    case .received: return (.close(c.ref), reception)
    default: return nil
    }
}

@Suite("Properties that hold whatever the order of commands")
struct PropertyTests {
    func start() throws -> Scenario {
        var s = Scenario()
        try s.open("R-1")
        try s.open("R-2", track: .voluntary)
        try s.open("R-3", vulnerabilities: [.minor, .unaccompanied], born: "2012-01-01")
        try s.open("R-4", track: .thirdCountry)
        return s
    }

    @Test("no sequence of commands boards a case past an active blocking hold, nor keeps one the law lets go; custody is always one party; seats add up")
    func holdsAndCustody() async throws {
        let initial = try start()
        let reached = Mutex([String: Int]())
        await propertyCheck(count: 300, input: Gen.int(in: 0...1_000_000).array(of: 1...150)) { numbers in
            checkSequence(numbers, from: initial, counting: reached)
        }
        // The property means something only if random sequences reach the guarded steps.
        let counts = reached.withLock { $0 }
        print("states reached by random sequences: \(counts.sorted { $0.key < $1.key })")
        #expect(counts["scheduled", default: 0] > 0 && counts["departed", default: 0] > 0 && counts["custody", default: 0] > 0)
        #expect(counts["lawful schedule", default: 0] > 0 && counts["lawful departure", default: 0] > 0)
    }
}

/// Applies the sequence `numbers` stands for and checks the properties after every command.
func checkSequence(_ numbers: [Int], from initial: Scenario, counting reached: borrowing Mutex<[String: Int]>) {
    var s = initial
    for n in numbers {
        if weightedSteps[n % weightedSteps.count] == -1 {  // let time pass, sometimes days
            s.now = s.now.addingTimeInterval(Double((n / weightedSteps.count) % 120) * 3600)
            continue
        }
        guard let (cmd, actor) = command(from: n, in: s) else { continue }
        let before = s.model
        let events: [Event]
        do {
            events = try s.model.apply(cmd, by: actor, at: s.now)
        } catch is Refusal {
            #expect(s.model.cases == before.cases && s.model.handoffs == before.handoffs && s.model.movements == before.movements,
                    "a refused \(cmd.name) changed the model")
            continue
        } catch {
            Issue.record("\(cmd.name) threw \(error)")
            return
        }
        for event in events {
            if case let .stateChanged(_, _, to) = event { reached.withLock { $0[to.rawValue, default: 0] += 1 } }
            if case .custodyTransferred = event { reached.withLock { $0["custody", default: 0] += 1 } }
            if case let .stateChanged(ref, _, to) = event, to == .scheduled || to == .departed {
                let blocking = blockingHolds(before.cases[ref]!, departure: to == .departed, at: s.now)
                #expect(blocking.isEmpty, "\(ref) became \(to.rawValue) with \(blocking.map(\.summary))")
            }
            if case let .custodyTransferred(ref, from, to) = event {
                #expect(before.cases[ref]!.custody == from)
                #expect(s.model.cases[ref]!.custody == to)
                let viaHandoff = events.contains { if case .handoffCompleted = $0 { return true } else { return false } }
                let viaAbort: Bool = { if case .abort = cmd { return true } else { return false } }()
                #expect(viaHandoff || viaAbort, "custody of \(ref) moved outside a completed handoff or an abort")
            }
        }
        for (ref, c) in s.model.cases {
            #expect(testOperation.agency(c.custody) != nil, "\(ref) is in the custody of unknown \(c.custody)")
            if c.custody != before.cases[ref]!.custody {
                #expect(events.contains(.custodyTransferred(ref, from: before.cases[ref]!.custody, to: c.custody)))
            }
        }
        for h in s.model.handoffs.values where h.state == .completed {
            #expect(h.acknowledgedBy == [h.from, h.to])
        }
        for m in s.model.movements.values {
            let holding = s.model.cases.values.filter { $0.manifest?.movement == m.ref && $0.manifest?.struck == nil }.count
            #expect(m.booked == holding, "movement \(m.ref) counts \(m.booked) seats booked, \(holding) cases hold one")
        }
        // Against over-refusal: where the law lets the sending agency schedule or board a case,
        // the rules must let it too.
        for c in s.model.cases.values {
            if lawfulToSchedule(c, in: s) {
                reached.withLock { $0["lawful schedule", default: 0] += 1 }
                #expect(throws: Never.self, "\(c.ref) may lawfully be scheduled") { _ = try Rules.decide(.schedule(c.ref, movement: "M-1", escorted: true), by: enf, at: s.now, reading: s.model) }
            }
            if lawfulToBoard(c, in: s) {
                reached.withLock { $0["lawful departure", default: 0] += 1 }
                #expect(throws: Never.self, "\(c.ref) may lawfully board") { _ = try Rules.decide(.depart(c.ref), by: enf, at: s.now, reading: s.model) }
            }
        }
    }
}

// The law, written out apart from the rules: what blocks a step, and when a step is lawful.

/// The holds that stop a case being scheduled, or boarding: every active hold but a data
/// release's; one for transit stops boarding only.
func blockingHolds(_ c: ReturnCase, departure: Bool, at now: Date) -> [Hold] {
    c.holds.filter { h in
        let active = h.lifted == nil && (h.until.map { now < $0 } ?? true)
        switch h.kind {
        case .dataRelease: return false
        case .transitNotAuthorised: return active && departure
        default: return active
        }
    }
}

/// A case may be scheduled when it is fit, nothing holds it, its document and fit-to-fly are
/// valid, and the movement has a seat.
func lawfulToSchedule(_ c: ReturnCase, in s: Scenario) -> Bool {
    let m = s.model.movements["M-1"]!
    return c.progress == .fit && blockingHolds(c, departure: false, at: s.now).isEmpty
        && c.documents.contains { $0.status == .issued && ($0.validUntil.map { s.now < $0 } ?? false) }
        && (c.fitToFly.map { $0.fit && s.now < $0.expiresAt } ?? false) && m.booked < m.capacity
}

/// A scheduled case may board when nothing holds it, its document and fit-to-fly are still
/// valid, and every leg's transit is authorised or not needed.
func lawfulToBoard(_ c: ReturnCase, in s: Scenario) -> Bool {
    guard c.progress == .scheduled, let entry = c.manifest, entry.struck == nil, let m = s.model.movements[entry.movement] else { return false }
    return blockingHolds(c, departure: true, at: s.now).isEmpty
        && c.documents.contains { $0.status == .issued && ($0.validUntil.map { s.now < $0 } ?? false) }
        && (c.fitToFly.map { $0.fit && s.now < $0.expiresAt } ?? false)
        && m.legs.allSatisfy { $0.transit == .notNeeded || $0.transit == .authorised }
}
