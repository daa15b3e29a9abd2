import Foundation

public enum HandoffState: String, Codable, Sendable {
    case proposed, completed, refused
}

/// Custody of people passing from one party to another at a place and time. It completes only
/// when both parties have acknowledged it; a refusal leaves custody where it was.
public struct Handoff: Codable, Hashable, Sendable {
    public var ref: HandoffRef
    public var from: AgencyID
    public var to: AgencyID
    public var place: String
    public var cases: [CaseRef]
    public var documents: [String]
    public var property: [String]
    public var monitorPresent: Bool
    public var proposedAt: Date
    @SortedSet public var acknowledgedBy: Set<AgencyID> = []
    public var state: HandoffState = .proposed
    public var refusal: String?
}
