import Foundation

public enum Track: String, Codable, Sendable, CaseIterable {
    case voluntary, removal
    case thirdCountry = "third-country"
}

/// The case progress of docs/DOMAIN.md. `onHold` is not stored: a case shows it while an
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

    /// What a reader must be granted to learn of a legal event of this kind (as for holds).
    public var categories: Set<FieldCategory> { self == .protectionClaim ? HoldKind.protectionClaim.categories : HoldKind.appealPending.categories }
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
/// A value in `Shared` storage, copied only when a shared copy is changed: a case is
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

    private var storage: Shared<Fields>

    /// The fields, copied first if another value shares them.
    public var fields: Fields {
        get { storage.value }
        _modify { yield &storage.value }
    }

    public var ref: CaseRef { get { storage.value.ref } _modify { yield &storage.value.ref } }
    public var person: PersonRef { get { storage.value.person } _modify { yield &storage.value.person } }
    public var track: Track { get { storage.value.track } _modify { yield &storage.value.track } }
    public var sendingState: String { get { storage.value.sendingState } _modify { yield &storage.value.sendingState } }
    public var destinationState: String { get { storage.value.destinationState } _modify { yield &storage.value.destinationState } }
    public var legalBasis: LegalBasis? { get { storage.value.legalBasis } _modify { yield &storage.value.legalBasis } }
    /// The state reached on the way; `state(at:)` is what the case shows.
    public var progress: CaseState { get { storage.value.progress } _modify { yield &storage.value.progress } }
    public var owner: AgencyID { get { storage.value.owner } _modify { yield &storage.value.owner } }
    /// Who holds the person now: always exactly one party.
    public var custody: AgencyID { get { storage.value.custody } _modify { yield &storage.value.custody } }
    public var parent: CaseRef? { get { storage.value.parent } _modify { yield &storage.value.parent } }
    public var legalEvents: [LegalEvent] { get { storage.value.legalEvents } _modify { yield &storage.value.legalEvents } }
    public var holds: [Hold] { get { storage.value.holds } _modify { yield &storage.value.holds } }
    public var consents: [Consent] { get { storage.value.consents } _modify { yield &storage.value.consents } }
    public var documents: [TravelDocument] { get { storage.value.documents } _modify { yield &storage.value.documents } }
    public var fitToFly: FitToFly? { get { storage.value.fitToFly } _modify { yield &storage.value.fitToFly } }
    public var noticeServedAt: Date? { get { storage.value.noticeServedAt } _modify { yield &storage.value.noticeServedAt } }
    public var receptionVerified: Bool { get { storage.value.receptionVerified } _modify { yield &storage.value.receptionVerified } }
    public var manifest: ManifestEntry? { get { storage.value.manifest } _modify { yield &storage.value.manifest } }
    public var pendingHandoff: HandoffRef? { get { storage.value.pendingHandoff } _modify { yield &storage.value.pendingHandoff } }
    /// The next id for holds, legal events and consents on this case.
    public var nextID: Int { get { storage.value.nextID } _modify { yield &storage.value.nextID } }

    public init(ref: CaseRef, person: PersonRef, track: Track, sendingState: String, destinationState: String,
                legalBasis: LegalBasis?, owner: AgencyID) {
        storage = Shared(Fields(ref: ref, person: person, track: track, sendingState: sendingState, destinationState: destinationState,
                            legalBasis: legalBasis, progress: .identified, owner: owner, custody: owner, parent: nil))
    }

    public init(from decoder: Decoder) throws { storage = Shared(try Fields(from: decoder)) }
    public func encode(to encoder: Encoder) throws { try storage.value.encode(to: encoder) }
    public static func == (a: ReturnCase, b: ReturnCase) -> Bool { a.storage.isIdentical(to: b.storage) || a.storage.value == b.storage.value }
    public func hash(into hasher: inout Hasher) { storage.value.hash(into: &hasher) }

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
