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
        try CaseReader.coordinator.view(ref, at: now, in: model)
    }

    /// A case as both `agencyID` and `other` may see it (see `CaseReader(_:sharedWith:in:)`).
    public convenience init(_ ref: CaseRef, for agencyID: AgencyID, sharedWith other: AgencyID, at now: Date, in model: ModelReader) throws {
        try self.init(ref, as: CaseReader(agencyID, sharedWith: other, in: model.operation), at: now, in: model)
    }

    /// A case and its person as `agency` may see them, read from any model.
    public convenience init(_ ref: CaseRef, for agencyID: AgencyID, at now: Date, in model: ModelReader) throws {
        try self.init(ref, as: CaseReader(agencyID, in: model.operation), at: now, in: model)
    }

    convenience init(_ ref: CaseRef, as reader: CaseReader, at now: Date, in model: ModelReader) throws {
        guard let c = try model.returnCase(ref), let p = try model.person(c.person) else { throw ModelError.unknownCase(ref) }
        self.init(reader, returnCase: c, person: p, now: now)
    }
}
