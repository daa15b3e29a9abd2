import Foundation

/// What a case is opened with.
public struct CaseOpening: Codable, Hashable, Sendable {
    public var ref: CaseRef
    public var person: PersonRef
    public var track: Track
    public var sendingState: String
    public var destinationState: String
    public var legalBasis: LegalBasis?
    public var parent: CaseRef?

    public init(ref: CaseRef, person: PersonRef, track: Track, sendingState: String, destinationState: String,
                legalBasis: LegalBasis? = nil, parent: CaseRef? = nil) {
        self.ref = ref
        self.person = person
        self.track = track
        self.sendingState = sendingState
        self.destinationState = destinationState
        self.legalBasis = legalBasis
        self.parent = parent
    }
}

public struct HandoffProposal: Codable, Hashable, Sendable {
    public var ref: HandoffRef
    public var cases: [CaseRef]
    public var from: AgencyID
    public var to: AgencyID
    public var place: String
    public var documents: [String]
    public var property: [String]
    public var monitorPresent: Bool

    public init(ref: HandoffRef, cases: [CaseRef], from: AgencyID, to: AgencyID, place: String,
                documents: [String] = [], property: [String] = [], monitorPresent: Bool = false) {
        self.ref = ref
        self.cases = cases
        self.from = from
        self.to = to
        self.place = place
        self.documents = documents
        self.property = property
        self.monitorPresent = monitorPresent
    }
}

/// Every change to the model is one of these, checked against the rules before it takes effect.
public enum Command: Codable, Hashable, Sendable {
    case registerPerson(Person)
    case openCase(CaseOpening)
    case clear(CaseRef)
    case recordLegalEvent(CaseRef, kind: LegalEventKind, suspensive: Bool)
    case decideLegalEvent(CaseRef, event: Int, outcome: String, removalMayProceed: Bool)
    case raiseHold(CaseRef, kind: HoldKind, reason: String, evidence: String?, until: Date?)
    case liftHold(CaseRef, hold: Int, reason: String)
    case recordConsent(CaseRef, scope: ConsentScope, interpreter: String?)
    case withdrawConsent(CaseRef, consent: Int)
    case requestDocument(CaseRef, kind: DocumentKind, issuer: AgencyID)
    case issueDocument(CaseRef, kind: DocumentKind, number: String, validUntil: Date)
    case refuseDocument(CaseRef, reason: String)
    case assessFitness(CaseRef, FitToFly)
    case serveNotice(CaseRef, charter: Bool)
    case verifyReception(CaseRef)
    case schedule(CaseRef, movement: MovementRef, escorted: Bool)
    case strike(CaseRef, reason: String)
    case authoriseTransit(MovementRef, leg: Int)
    case refuseTransit(MovementRef, leg: Int, reason: String)
    case depart(CaseRef)
    case arriveInTransit(CaseRef)
    case proposeHandoff(HandoffProposal)
    case acknowledgeHandoff(HandoffRef)
    case refuseHandoff(HandoffRef, reason: String)
    case receive(CaseRef)
    case close(CaseRef)
    case abort(CaseRef, reason: String)
    /// `categories` sorted, as the ledger keeps them.
    case releaseData(CaseRef, to: AgencyID, categories: [FieldCategory], purpose: String)
    case sendNotice(Notice)
    case acknowledgeNotice(NoticeRef)
    /// The recipient answers what the notice asks; `answers` sorted by name, as the ledger keeps them.
    case replyNotice(NoticeRef, answers: [NoticeReply.Answer])
    case signal(Signal)
    case recordPluginOutcome(PluginOutcome)
    /// A plugin keeps (or, with a nil value, drops) one entry of its own state.
    case setPluginState(PluginStateChange)

    /// The command's name in messages and the ledger: `schedule`, `hold.lift`.
    public var name: String {
        switch self {
        case .registerPerson: return "person.register"
        case .openCase: return "case.open"
        case .clear: return "case.clear"
        case .recordLegalEvent: return "legal.record"
        case .decideLegalEvent: return "legal.decide"
        case .raiseHold: return "hold.raise"
        case .liftHold: return "hold.lift"
        case .recordConsent: return "consent.record"
        case .withdrawConsent: return "consent.withdraw"
        case .requestDocument: return "document.request"
        case .issueDocument: return "document.issue"
        case .refuseDocument: return "document.refuse"
        case .assessFitness: return "fitness.assess"
        case .serveNotice: return "notice.serve"
        case .verifyReception: return "reception.verify"
        case .schedule: return "case.schedule"
        case .strike: return "case.strike"
        case .authoriseTransit: return "transit.authorise"
        case .refuseTransit: return "transit.refuse"
        case .depart: return "case.depart"
        case .arriveInTransit: return "case.arrive-transit"
        case .proposeHandoff: return "handoff.propose"
        case .acknowledgeHandoff: return "handoff.acknowledge"
        case .refuseHandoff: return "handoff.refuse"
        case .receive: return "case.receive"
        case .close: return "case.close"
        case .abort: return "case.abort"
        case .releaseData: return "data.release"
        case .sendNotice: return "notice.send"
        case .acknowledgeNotice: return "notice.acknowledge"
        case .replyNotice: return "notice.reply"
        case .signal: return "signal"
        case .recordPluginOutcome: return "plugin.outcome"
        case .setPluginState: return "plugin.state"
        }
    }

    /// The command's row in `Rules.authorities`, by a switch rather than a lookup of its name
    /// (every command is checked against its grant); nil for what no agency gives as such (a
    /// signal, a plugin's failure).
    public var authorityRow: Int? {
        switch self {
        case .signal, .recordPluginOutcome, .setPluginState: return nil
        default: return Self.rows[Self.ordinal(self)]
        }
    }

    /// Each command case's row in `Rules.authorities`, by the case's place in `ordinal`.
    private static let rows: [Int?] = names.map { Rules.authorityIndex[$0] }

    /// The commands' names in the order of `ordinal`.
    private static let names = ["person.register", "case.open", "case.clear", "legal.record", "legal.decide", "hold.raise", "hold.lift",
                                "consent.record", "consent.withdraw", "document.request", "document.issue", "document.refuse", "fitness.assess",
                                "notice.serve", "reception.verify", "case.schedule", "case.strike", "transit.authorise", "transit.refuse",
                                "case.depart", "case.arrive-transit", "handoff.propose", "handoff.acknowledge", "handoff.refuse", "case.receive",
                                "case.close", "case.abort", "data.release", "notice.send", "notice.acknowledge", "signal", "plugin.outcome", "plugin.state",
                                "notice.reply"]

    private static func ordinal(_ c: Command) -> Int {
        switch c {
        case .registerPerson: return 0
        case .openCase: return 1
        case .clear: return 2
        case .recordLegalEvent: return 3
        case .decideLegalEvent: return 4
        case .raiseHold: return 5
        case .liftHold: return 6
        case .recordConsent: return 7
        case .withdrawConsent: return 8
        case .requestDocument: return 9
        case .issueDocument: return 10
        case .refuseDocument: return 11
        case .assessFitness: return 12
        case .serveNotice: return 13
        case .verifyReception: return 14
        case .schedule: return 15
        case .strike: return 16
        case .authoriseTransit: return 17
        case .refuseTransit: return 18
        case .depart: return 19
        case .arriveInTransit: return 20
        case .proposeHandoff: return 21
        case .acknowledgeHandoff: return 22
        case .refuseHandoff: return 23
        case .receive: return 24
        case .close: return 25
        case .abort: return 26
        case .releaseData: return 27
        case .sendNotice: return 28
        case .acknowledgeNotice: return 29
        case .signal: return 30
        case .recordPluginOutcome: return 31
        case .setPluginState: return 32
        case .replyNotice: return 33
        }
    }

    private static let placeholderBirth = LocalDate("1900-01-01")!

    /// The form the ledger keeps: a person's record and a notice's text are kept as digests
    /// only (the people table and the outbox hold them), so the ledger holds no more personal
    /// data than it must.
    public func ledgerForm(digest: (Person) -> String, noticeDigest: (Notice) -> String) -> Command {
        switch self {
        case .registerPerson(let p):
            return .registerPerson(Person(ref: p.ref, names: ["sha256:" + digest(p)], dateOfBirth: Self.placeholderBirth,
                                          sex: .unspecified, nationalities: []))
        case .sendNotice(var n):
            n.body = "sha256:" + noticeDigest(n)
            return .sendNotice(n)
        default:
            return self
        }
    }
}

/// What a command caused. Plugins subscribe to these by `name`.
public enum Event: Codable, Hashable, Sendable {
    case personRegistered(PersonRef)
    case caseOpened(CaseRef)
    case stateChanged(CaseRef, from: CaseState, to: CaseState)
    case holdRaised(CaseRef, hold: Int, kind: HoldKind)
    case holdLifted(CaseRef, hold: Int, kind: HoldKind, by: AgencyID)
    case legalEventRecorded(CaseRef, event: Int, kind: LegalEventKind)
    case legalEventDecided(CaseRef, event: Int, outcome: String)
    case consentRecorded(CaseRef, consent: Int)
    case consentWithdrawn(CaseRef, consent: Int)
    case documentUpdated(CaseRef, status: DocumentStatus)
    case fitnessAssessed(CaseRef, fit: Bool)
    case noticeServed(CaseRef, periodEnds: Date)
    case receptionVerified(CaseRef)
    case struck(CaseRef, reason: String)
    case transitUpdated(MovementRef, leg: Int, state: TransitState)
    case handoffProposed(HandoffRef)
    case handoffAcknowledged(HandoffRef, by: AgencyID)
    case handoffCompleted(HandoffRef)
    case handoffRefused(HandoffRef, reason: String)
    case custodyTransferred(CaseRef, from: AgencyID, to: AgencyID)
    case dataReleased(CaseRef, to: AgencyID, categories: [FieldCategory])
    case noticeSent(NoticeRef, to: String)
    case noticeAcknowledged(NoticeRef, by: AgencyID)
    case noticeReplied(NoticeRef, by: AgencyID)
    case signalled(Signal)
    case pluginFailed(plugin: String, hook: String, kind: PluginOutcome.Kind)

    public var name: String {
        switch self {
        case .personRegistered: return "person.registered"
        case .caseOpened: return "case.opened"
        case .stateChanged: return "case.state-changed"
        case .holdRaised: return "hold.raised"
        case .holdLifted: return "hold.lifted"
        case .legalEventRecorded: return "legal.recorded"
        case .legalEventDecided: return "legal.decided"
        case .consentRecorded: return "consent.recorded"
        case .consentWithdrawn: return "consent.withdrawn"
        case .documentUpdated: return "document.updated"
        case .fitnessAssessed: return "fitness.assessed"
        case .noticeServed: return "notice.served"
        case .receptionVerified: return "reception.verified"
        case .struck: return "case.struck"
        case .transitUpdated: return "transit.updated"
        case .handoffProposed: return "handoff.proposed"
        case .handoffAcknowledged: return "handoff.acknowledged"
        case .handoffCompleted: return "handoff.completed"
        case .handoffRefused: return "handoff.refused"
        case .custodyTransferred: return "custody.transferred"
        case .dataReleased: return "data.released"
        case .noticeSent: return "notice.sent"
        case .noticeAcknowledged: return "notice.acknowledged"
        case .noticeReplied: return "notice.replied"
        case .signalled(let s): return s.name
        case .pluginFailed: return "plugin.failed"
        }
    }
}

/// A command the rules refused, and exactly why. Nothing changed.
///
/// A reason may name what not every agency may learn (a hold's kind): it then says what a
/// reader must be granted (`needs`) and what any other reader is told instead (`redacted`).
/// Whoever shows a refusal to an agency shows `reason(for:)`.
public struct Refusal: Error, Equatable, CustomStringConvertible {
    public var command: String
    public var reason: String
    public var needs: Set<FieldCategory>
    public var redacted: String?

    public init(command: String, reason: String, needs: Set<FieldCategory> = [], redacted: String? = nil) {
        self.command = command
        self.reason = reason
        self.needs = needs
        self.redacted = redacted
    }

    public var description: String { reason }

    /// The reason as `reader` may be told it.
    public func reason(for reader: CaseReader) -> String {
        guard let redacted, !reader.grants(all: needs) else { return reason }
        return redacted
    }
}

/// A request the model cannot answer (an unknown field or record).
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unknownField(String, known: [String])
    case unknownAgency(AgencyID)
    case unknownCase(CaseRef)

    public var description: String {
        switch self {
        case let .unknownField(f, known): return "no field '\(f)' (fields: \(known.joined(separator: ", ")))"
        case let .unknownAgency(a): return "no agency \(a) in this operation"
        case let .unknownCase(c): return "no case \(c)"
        }
    }
}
