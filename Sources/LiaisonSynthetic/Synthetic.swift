import Foundation
import LiaisonModel

/// A generated operation of any size, for benchmarks and durability tests: every case a
/// voluntary return that goes the whole way, from opening to reception.
public enum Synthetic {
    public static let sending: AgencyID = "SYN-ENF"
    public static let transit: AgencyID = "SYN-TRANSIT"
    public static let ministry: AgencyID = "SYN-MFA"
    public static let reception: AgencyID = "SYN-RECEPTION"
    public static let start = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-30

    public static func operation(cases: Int) -> ReturnOperation {
        ReturnOperation(name: "synthetic", agencies: [
            Agency(id: sending, name: "Sending", country: "US", role: .sendingEnforcement),
            Agency(id: transit, name: "Transit", country: "QA", role: .transitAuthority),
            Agency(id: ministry, name: "Ministry", country: "IR", role: .destinationMinistry),
            Agency(id: reception, name: "Reception", country: "IR", role: .receptionOrganisation),
        ], movements: [Movement(ref: "SYN-M", organiser: sending, carrier: "Synthetic Air", charter: true, capacity: cases, legs: [
            Leg(from: "AEX", to: "DOH", scheduledDeparture: start.addingTimeInterval(86_400 * 30),
                scheduledArrival: start.addingTimeInterval(86_400 * 30 + 50_000), transitAuthority: transit),
            Leg(from: "DOH", to: "IKA", scheduledDeparture: start.addingTimeInterval(86_400 * 30 + 60_000),
                scheduledArrival: start.addingTimeInterval(86_400 * 30 + 70_000)),
        ])])
    }

    /// The command that must come before any case's: the transit authorisation.
    public static let opening: [(Command, AgencyID)] = [(.authoriseTransit("SYN-M", leg: 0), transit)]

    /// The whole lifecycle of case `i`: open, clear, document, fit, schedule, depart, transit,
    /// hand over (proposed and acknowledged), receive. Twelve commands.
    public static func lifecycle(_ i: Int) -> [(Command, AgencyID)] {
        let c = CaseRef("S-" + zeroPadded(i, 7)), p = PersonRef("SP-" + zeroPadded(i, 7))
        let person = Person(ref: p, names: ["Synthetic Person \(i)"], dateOfBirth: LocalDate("1985-01-01")!, sex: i % 2 == 0 ? .female : .male,
                            nationalities: ["IR"], languages: ["fa"])
        return [
            (.registerPerson(person), sending),
            (.openCase(CaseOpening(ref: c, person: p, track: .voluntary, sendingState: "US", destinationState: "IR")), sending),
            (.recordConsent(c, scope: .returnItself, interpreter: "interpreter"), sending),
            (.clear(c), sending),
            (.issueDocument(c, kind: .laissezPasser, number: "LP-\(i)", validUntil: start.addingTimeInterval(86_400 * 90)), ministry),
            (.assessFitness(c, FitToFly(assessor: "clinic", fit: true, conditions: nil, medicalEscort: false,
                                        expiresAt: start.addingTimeInterval(86_400 * 60))), sending),
            (.schedule(c, movement: "SYN-M", escorted: false), sending),
            (.depart(c), sending),
            (.arriveInTransit(c), transit),
            (.proposeHandoff(HandoffProposal(ref: HandoffRef("SH-\(i)"), cases: [c], from: sending, to: ministry, place: "IKA")), sending),
            (.acknowledgeHandoff(HandoffRef("SH-\(i)")), ministry),
            (.receive(c), reception),
        ]
    }
}
