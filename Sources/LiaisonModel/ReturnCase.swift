import Foundation

public enum Track: String, Codable, Sendable, CaseIterable {
    case voluntary, removal
    case thirdCountry = "third-country"
}

/// The case state machine of DOMAIN.md. `onHold` is not stored: a case shows it while an
/// active hold blocks its next step (see `ReturnCase.state(at:)`).
public enum CaseState: String, Codable, Sendable, CaseIterable {
    case identified, cleared, documented, fit, scheduled, departed
    case inTransit = "in-transit"
    case handedOver = "handed-over"
    case received, closed
    case onHold = "on-hold"
    case struck, aborted
    case consentWithdrawn = "consent-withdrawn"
    case released

    /// States before the person has left: holds that block scheduling or departure apply.
    public var isBeforeDeparture: Bool {
        [.identified, .cleared, .documented, .fit, .scheduled, .struck].contains(self)
    }
}

public struct LegalBasis: Codable, Hashable, Sendable {
    public var order: String
    /// When the order became final; nil while it can still be appealed.
    public var finalOn: LocalDate?

    public init(order: String, finalOn: LocalDate?) {
        self.order = order
        self.finalOn = finalOn
    }
}

public enum LegalEventKind: String, Codable, Sendable, CaseIterable {
    case appeal, stay, injunction
    case protectionClaim = "protection-claim"
}

public struct LegalEvent: Codable, Hashable, Sendable {
    public var id: Int
    public var kind: LegalEventKind
    public var suspensive: Bool
    public var filedOn: Date
    public var decidedOn: Date?
    public var outcome: String?
    /// The hold the event raised, if it suspends removal.
    public var hold: Int?
}

public enum ConsentScope: Codable, Hashable, Sendable {
    /// Consent to the return itself (voluntary track).
    case returnItself
    /// Consent to release data to a named recipient for a purpose.
    case dataRelease(recipient: AgencyID, purpose: String)
}

public struct Consent: Codable, Hashable, Sendable {
    public var id: Int
    public var scope: ConsentScope
    public var interpreter: String?
    public var signedAt: Date
    public var withdrawnAt: Date?
    public var isValid: Bool { withdrawnAt == nil }
}

public enum DocumentKind: String, Codable, Sendable, CaseIterable {
    case passport
    case laissezPasser = "laissez-passer"
    case emergencyTravelDocument = "emergency-travel-document"
}

public enum DocumentStatus: String, Codable, Sendable, CaseIterable {
    case requested, interviewed, issued, refused
}

public struct TravelDocument: Codable, Hashable, Sendable {
    public var kind: DocumentKind
    public var issuer: AgencyID
    public var number: String?
    public var validUntil: Date?
    public var status: DocumentStatus

    public func isValid(at now: Date) -> Bool {
        status == .issued && (validUntil.map { now < $0 } ?? false)
    }
}

/// A fit-to-fly assessment. `conditions` is clinical detail, visible to health roles only.
public struct FitToFly: Codable, Hashable, Sendable {
    public var assessor: String
    public var fit: Bool
    public var conditions: String?
    public var medicalEscort: Bool
    public var expiresAt: Date

    public init(assessor: String, fit: Bool, conditions: String?, medicalEscort: Bool, expiresAt: Date) {
        self.assessor = assessor
        self.fit = fit
        self.conditions = conditions
        self.medicalEscort = medicalEscort
        self.expiresAt = expiresAt
    }

    public func isValid(at now: Date) -> Bool { fit && now < expiresAt }
}

public struct ManifestEntry: Codable, Hashable, Sendable {
    public var movement: MovementRef
    /// Escorted (DEPA) or not (DEPU).
    public var escorted: Bool
    public var seat: String?
    public var struck: String?
}

/// One person's return: from identification to reception, with everything that may hold it.
///
/// A value, stored behind one reference and copied only when a shared copy is changed: a case is
/// copied on every read (out of a cache or a transaction, into a view or a decision), and copying
/// its twenty fields retained each of their buffers; that was a tenth of the reference counting
/// in the gulf-charter benchmark. Its JSON, equality and hash are those of `Fields`, the plain
/// struct of its fields (the synthesized ones this type had before).
public struct ReturnCase: Codable, Hashable, Sendable {
    /// The case's stored fields, in the order its JSON gives them.
    public struct Fields: Codable, Hashable, Sendable {
        public var ref: CaseRef
        public var person: PersonRef
        public var track: Track
        public var sendingState: String
        public var destinationState: String
        public var legalBasis: LegalBasis?
        /// The state reached on the way; `state(at:)` is what the case shows.
        public var progress: CaseState
        public var owner: AgencyID
        /// Who holds the person now: always exactly one party.
        public var custody: AgencyID
        public var parent: CaseRef?
        public var legalEvents: [LegalEvent] = []
        public var holds: [Hold] = []
        public var consents: [Consent] = []
        public var documents: [TravelDocument] = []
        public var fitToFly: FitToFly?
        public var noticeServedAt: Date?
        public var receptionVerified: Bool = false
        public var manifest: ManifestEntry?
        public var pendingHandoff: HandoffRef?
        /// The next id for holds, legal events and consents on this case.
        public var nextID: Int = 1
    }

    private final class Box: @unchecked Sendable {  // changed only while uniquely referenced
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    /// The fields, copied first if another value shares them.
    public var fields: Fields {
        get { box.fields }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields
        }
    }

    public var ref: CaseRef { get { box.fields.ref } _modify { yield &fields.ref } }
    public var person: PersonRef { get { box.fields.person } _modify { yield &fields.person } }
    public var track: Track { get { box.fields.track } _modify { yield &fields.track } }
    public var sendingState: String { get { box.fields.sendingState } _modify { yield &fields.sendingState } }
    public var destinationState: String { get { box.fields.destinationState } _modify { yield &fields.destinationState } }
    public var legalBasis: LegalBasis? { get { box.fields.legalBasis } _modify { yield &fields.legalBasis } }
    /// The state reached on the way; `state(at:)` is what the case shows.
    public var progress: CaseState { get { box.fields.progress } _modify { yield &fields.progress } }
    public var owner: AgencyID { get { box.fields.owner } _modify { yield &fields.owner } }
    /// Who holds the person now: always exactly one party.
    public var custody: AgencyID { get { box.fields.custody } _modify { yield &fields.custody } }
    public var parent: CaseRef? { get { box.fields.parent } _modify { yield &fields.parent } }
    public var legalEvents: [LegalEvent] { get { box.fields.legalEvents } _modify { yield &fields.legalEvents } }
    public var holds: [Hold] { get { box.fields.holds } _modify { yield &fields.holds } }
    public var consents: [Consent] { get { box.fields.consents } _modify { yield &fields.consents } }
    public var documents: [TravelDocument] { get { box.fields.documents } _modify { yield &fields.documents } }
    public var fitToFly: FitToFly? { get { box.fields.fitToFly } _modify { yield &fields.fitToFly } }
    public var noticeServedAt: Date? { get { box.fields.noticeServedAt } _modify { yield &fields.noticeServedAt } }
    public var receptionVerified: Bool { get { box.fields.receptionVerified } _modify { yield &fields.receptionVerified } }
    public var manifest: ManifestEntry? { get { box.fields.manifest } _modify { yield &fields.manifest } }
    public var pendingHandoff: HandoffRef? { get { box.fields.pendingHandoff } _modify { yield &fields.pendingHandoff } }
    /// The next id for holds, legal events and consents on this case.
    public var nextID: Int { get { box.fields.nextID } _modify { yield &fields.nextID } }

    public init(ref: CaseRef, person: PersonRef, track: Track, sendingState: String, destinationState: String,
                legalBasis: LegalBasis?, owner: AgencyID) {
        box = Box(Fields(ref: ref, person: person, track: track, sendingState: sendingState, destinationState: destinationState,
                         legalBasis: legalBasis, progress: .identified, owner: owner, custody: owner, parent: nil))
    }

    public init(from decoder: Decoder) throws { box = Box(try Fields(from: decoder)) }
    public func encode(to encoder: Encoder) throws { try box.fields.encode(to: encoder) }
    public static func == (a: ReturnCase, b: ReturnCase) -> Bool { a.box === b.box || a.box.fields == b.box.fields }
    public func hash(into hasher: inout Hasher) { box.fields.hash(into: &hasher) }

    public func activeHolds(at now: Date, blocking step: Step? = nil) -> [Hold] {
        holds.filter { $0.isActive(at: now) && (step.map($0.blocks.contains) ?? true) }
    }

    /// What the case shows: `on-hold` while a hold blocks its way before departure.
    public func state(at now: Date) -> CaseState {
        if progress.isBeforeDeparture && progress != .struck,
           !activeHolds(at: now).filter({ !$0.blocks.isDisjoint(with: [.schedule, .departure]) }).isEmpty {
            return .onHold
        }
        return progress
    }

    public func validDocument(at now: Date) -> TravelDocument? {
        documents.last { $0.isValid(at: now) }
    }

    public var returnConsent: Consent? {
        consents.last { $0.scope == .returnItself && $0.isValid }
    }
}
