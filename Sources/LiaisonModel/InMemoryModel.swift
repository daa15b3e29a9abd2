import Foundation

/// The whole model in memory: for tests, scenarios and small operations. A store keeps the
/// same records on disk and reads them through the same rules.
public struct InMemoryModel: ModelReader, Sendable {
    public let operation: ReturnOperation
    public private(set) var people: [PersonRef: Person] = [:]
    public private(set) var cases: [CaseRef: ReturnCase] = [:]
    public private(set) var handoffs: [HandoffRef: Handoff] = [:]
    public private(set) var movements: [MovementRef: Movement]
    public private(set) var notices: [NoticeRef: Notice] = [:]

    public init(operation: ReturnOperation) {
        self.operation = operation
        movements = Dictionary(operation.movements.map { ($0.ref, $0) }, uniquingKeysWith: { $1 })
    }

    public func person(_ ref: PersonRef) -> Person? { people[ref] }
    public func returnCase(_ ref: CaseRef) -> ReturnCase? { cases[ref] }
    public func handoff(_ ref: HandoffRef) -> Handoff? { handoffs[ref] }
    public func movement(_ ref: MovementRef) -> Movement? { movements[ref] }
    public func notice(_ ref: NoticeRef) -> Notice? { notices[ref] }

    /// Applies `command` if the rules allow it and returns its events; throws `Refusal` and
    /// changes nothing if they do not.
    @discardableResult
    public mutating func apply(_ command: Command, by actor: AgencyID, at now: Date) throws -> [Event] {
        let decision = try Rules.decide(command, by: actor, at: now, reading: self)
        absorb(decision)
        return decision.events
    }

    /// Takes a decision's records in.
    public mutating func absorb(_ d: Decision) {
        people.merge(d.people) { $1 }
        cases.merge(d.cases) { $1 }
        handoffs.merge(d.handoffs) { $1 }
        movements.merge(d.movements) { $1 }
        notices.merge(d.notices) { $1 }
    }

    /// A case as `agency` may see it.
    public func view(_ ref: CaseRef, for agency: AgencyID, at now: Date) throws -> CaseView {
        try CaseView(ref, for: agency, at: now, in: self)
    }
}

extension CaseView {
    /// A case as the operation's coordinator sees it: every field. For tests, reports and the
    /// REPL's coordinator view, never for an agency.
    public static func coordinator(_ ref: CaseRef, at now: Date, in model: ModelReader) throws -> CaseView {
        guard let c = try model.returnCase(ref), let p = try model.person(c.person) else { throw ModelError.unknownCase(ref) }
        let agency = Agency(id: .coordinator, name: "coordinator", country: "", role: .sendingEnforcement)
        return CaseView(agency: agency, allowed: Set(FieldCategory.allCases), returnCase: c, person: p, now: now, policy: nil)
    }

    /// A case as both `agencyID` and `other` may see it: only the categories both are granted.
    /// What one agency writes to another (a notice) is read through this, so it carries nothing
    /// either may not see, down to the protection claims among a case's holds.
    public convenience init(_ ref: CaseRef, for agencyID: AgencyID, sharedWith other: AgencyID, at now: Date, in model: ModelReader) throws {
        let (operation, agency, c, p) = try Self.parts(ref, agencyID, model)
        guard let recipient = operation.agency(other) else { throw ModelError.unknownAgency(other) }
        let allowed = operation.disclosure.categories(for: agency).intersection(operation.disclosure.categories(for: recipient))
        self.init(agency: agency, allowed: allowed, returnCase: c, person: p, now: now, policy: operation.disclosure)
    }

    /// A case and its person as `agency` may see them, read from any model.
    public convenience init(_ ref: CaseRef, for agencyID: AgencyID, at now: Date, in model: ModelReader) throws {
        let (operation, agency, c, p) = try Self.parts(ref, agencyID, model)
        self.init(agency: agency, allowed: operation.disclosure.categories(for: agency), returnCase: c, person: p,
                  now: now, policy: operation.disclosure)
    }

    private static func parts(_ ref: CaseRef, _ agencyID: AgencyID, _ model: ModelReader) throws -> (ReturnOperation, Agency, ReturnCase, Person) {
        let operation = model.operation
        guard let agency = operation.agency(agencyID) else { throw ModelError.unknownAgency(agencyID) }
        guard let c = try model.returnCase(ref), let p = try model.person(c.person) else { throw ModelError.unknownCase(ref) }
        return (operation, agency, c, p)
    }
}
