import Foundation
import LiaisonModel
import Testing

let enf: AgencyID = "US-ENF"
let transit: AgencyID = "QA-TRANSIT"
let mfa: AgencyID = "IR-MFA"
let reception: AgencyID = "IR-RECEPTION"
let monitor: AgencyID = "MONITOR"

let day0 = Timestamp.parse("2026-11-20T09:00:00Z")!
func hours(_ h: Double) -> Date { day0.addingTimeInterval(h * 3600) }

let charter = Movement(ref: "M-1", organiser: enf, carrier: "Example Air", charter: true, capacity: 3, legs: [
    Leg(from: "AEX", to: "DOH", scheduledDeparture: hours(24 * 14), scheduledArrival: hours(24 * 14 + 14), transitAuthority: transit),
    Leg(from: "DOH", to: "IKA", scheduledDeparture: hours(24 * 14 + 17), scheduledArrival: hours(24 * 14 + 19)),
])

let testOperation = ReturnOperation(name: "test-charter", agencies: [
    Agency(id: enf, name: "Sending enforcement", country: "US", role: .sendingEnforcement),
    Agency(id: transit, name: "Transit authority", country: "QA", role: .transitAuthority),
    Agency(id: mfa, name: "Foreign ministry", country: "IR", role: .destinationMinistry),
    Agency(id: reception, name: "Reception organisation", country: "IR", role: .receptionOrganisation),
    Agency(id: monitor, name: "Independent monitor", country: "US", role: .monitor),
], movements: [charter], liftRights: [.fitToFly: [reception]])

/// A model with a clock, for tests that read like the operation.
struct Scenario {
    var model = InMemoryModel(operation: testOperation)
    var now = day0

    @discardableResult
    mutating func run(_ command: Command, by actor: AgencyID = enf) throws -> [Event] {
        try model.apply(command, by: actor, at: now)
    }

    /// The refusal `command` meets; records an issue if it is applied instead, and checks
    /// that it changed nothing.
    mutating func refusal(_ command: Command, by actor: AgencyID = enf) -> String? {
        let before = model
        do {
            try model.apply(command, by: actor, at: now)
            Issue.record("expected \(command.name) by \(actor) to be refused")
            return nil
        } catch let refusal as Refusal {
            #expect(model.cases == before.cases && model.handoffs == before.handoffs && model.movements == before.movements)
            return refusal.reason
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    func state(_ ref: CaseRef) -> CaseState? { model.cases[ref]?.state(at: now) }

    /// Registers a person and opens a removal case with a final order.
    mutating func open(_ ref: CaseRef, track: Track = .removal, vulnerabilities: Set<Vulnerability> = [],
                       born: String = "1990-03-01") throws {
        let person = PersonRef("P" + ref.rawValue.dropFirst())
        try run(.registerPerson(Person(ref: person, names: ["Test Person \(ref)"], dateOfBirth: LocalDate(born)!, sex: .female,
                                       nationalities: ["IR"], languages: ["fa"], vulnerabilities: vulnerabilities)))
        try run(.openCase(CaseOpening(ref: ref, person: person, track: track, sendingState: "US", destinationState: "IR",
                                      legalBasis: track == .voluntary ? nil : LegalBasis(order: "order-\(ref)", finalOn: LocalDate("2026-10-01")))))
    }

    /// Takes an open removal case to `fit`, with notice served and its period run.
    mutating func makeFit(_ ref: CaseRef) throws {
        let served = now
        try run(.serveNotice(ref, charter: false))
        try run(.clear(ref))
        try run(.issueDocument(ref, kind: .laissezPasser, number: "LP-\(ref)", validUntil: hours(24 * 60)), by: mfa)
        try run(.assessFitness(ref, FitToFly(assessor: "Dr. Example", fit: true, conditions: "asthma, inhaler",
                                             medicalEscort: false, expiresAt: hours(24 * 30))))
        now = max(now, served.addingTimeInterval(73 * 3600))
    }
}
