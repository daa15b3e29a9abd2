import Foundation

/// The steps a hold can block.
public enum Step: String, Codable, Sendable, CaseIterable, Comparable {
    case schedule, departure
    case dataRelease = "data-release"
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The nine kinds of hold (docs/DOMAIN.md, "Holds that block progression"). A kind is data: what it
/// blocks by default is a table here, not a branch in the rules.
public enum HoldKind: String, Codable, Sendable, CaseIterable {
    /// A suspensive appeal, stay or injunction.
    case appealPending = "appeal-pending"
    /// A pending protection (non-refoulement) claim, or a third-country notice period not run.
    case protectionClaim = "protection-claim"
    /// An unaccompanied minor without verified family, guardian or reception.
    case unaccompaniedMinor = "unaccompanied-minor"
    /// Fit-to-fly negative or expired.
    case fitToFly = "fit-to-fly"
    /// No valid travel document, or the destination has not accepted the person.
    case travelDocument = "travel-document"
    /// Transit not authorised: blocks departure only.
    case transitNotAuthorised = "transit-not-authorised"
    /// Voluntary track with consent missing or withdrawn.
    case consentMissing = "consent-missing"
    /// Notice not served, or its period not yet run.
    case noticePeriod = "notice-period"
    /// No consent or policy for releasing data to a recipient: blocks the release only.
    case dataRelease = "data-release"

    public var blocks: Set<Step> {
        switch self {
        case .transitNotAuthorised: return [.departure]
        case .dataRelease: return [.dataRelease]
        default: return [.schedule, .departure]
        }
    }

    /// What a reader must be granted to learn that a case has a hold of this kind: every hold
    /// is a legal matter, and some say more: a protection claim's is protection data, so it
    /// never reaches a reader without `protection`; an unaccompanied minor's tells a
    /// vulnerability; a travel document's, what became of the document (see
    /// `CaseReader.visibleHolds`).
    public var categories: Set<FieldCategory> {
        switch self {
        case .protectionClaim: return Self.protection
        case .unaccompaniedMinor: return Self.vulnerable
        case .travelDocument: return Self.document
        default: return Self.legal
        }
    }

    // Built once: plugins are offered every hold raised, and each offer asks.
    private static let legal: Set<FieldCategory> = [.legal]
    private static let protection: Set<FieldCategory> = [.legal, .protection]
    private static let vulnerable: Set<FieldCategory> = [.legal, .vulnerability]
    private static let document: Set<FieldCategory> = [.legal, .travelDocument]
}

/// A hold on a case: who raised it, why, on what evidence, what it blocks, and how it ended.
public struct Hold: Codable, Hashable, Sendable {
    public struct Lifting: Codable, Hashable, Sendable {
        public var by: AgencyID
        public var at: Date
        public var reason: String
    }

    public var id: Int
    public var kind: HoldKind
    public var raisedBy: AgencyID
    public var raisedAt: Date
    public var reason: String
    public var evidence: String?
    @SortedSet public var blocks: Set<Step>
    /// A hold that ends by itself at this time (a notice period).
    public var until: Date?
    public var lifted: Lifting?

    public func isActive(at now: Date) -> Bool {
        lifted == nil && (until.map { now < $0 } ?? true)
    }

    /// "active hold 'appeal-pending' raised by US-ENF on 2026-11-20"
    public var summary: String {
        "active hold '\(kind.rawValue)' raised by \(raisedBy) on \(Timestamp.day(raisedAt))"
            + (until.map { " (until \(Timestamp.iso($0)))" } ?? "")
    }
}
