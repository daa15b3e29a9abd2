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
public struct ReturnCase: Codable, Hashable, Sendable {
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
    public var receptionVerified = false
    public var manifest: ManifestEntry?
    public var pendingHandoff: HandoffRef?
    /// The next id for holds, legal events and consents on this case.
    public var nextID = 1

    public init(ref: CaseRef, person: PersonRef, track: Track, sendingState: String, destinationState: String,
                legalBasis: LegalBasis?, owner: AgencyID) {
        self.ref = ref
        self.person = person
        self.track = track
        self.sendingState = sendingState
        self.destinationState = destinationState
        self.legalBasis = legalBasis
        self.progress = .identified
        self.owner = owner
        self.custody = owner
    }

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
