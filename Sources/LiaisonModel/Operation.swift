import Foundation

/// An operation's fixed setting: who takes part and in which role, what each may see, the
/// movements, and who may lift which holds. Loaded from `operation.toml`.
public struct ReturnOperation: Codable, Hashable, Sendable {
    public var name: String
    public var agencies: [Agency] { didSet { resolveGrants() } }
    public var disclosure: DisclosurePolicy
    public var movements: [Movement]
    /// Parties that may lift holds of a kind besides the party that raised each hold.
    public var liftRights: [HoldKind: Set<AgencyID>]
    /// How long a removal notice must run before departure.
    public var noticeHours: Int
    /// For a charter: working days instead.
    public var charterNoticeWorkingDays: Int
    /// What each agency may do: the commands it may give and where it may object.
    public var grants: Grants { didSet { resolveGrants() } }
    /// Signals plugins may subscribe to besides the model's events and the timeline's signals:
    /// facts given from outside (a console, a test) that no timeline entry names.
    public var signals: [String]

    public init(name: String, agencies: [Agency], disclosure: DisclosurePolicy = .standard, movements: [Movement] = [],
                liftRights: [HoldKind: Set<AgencyID>] = [:], noticeHours: Int = 72, charterNoticeWorkingDays: Int = 5,
                grants: Grants = .standard, signals: [String] = []) {
        self.name = name
        self.agencies = agencies
        self.disclosure = disclosure
        self.movements = movements
        self.liftRights = liftRights
        self.noticeHours = noticeHours
        self.charterNoticeWorkingDays = charterNoticeWorkingDays
        self.grants = grants
        self.signals = signals
        resolveGrants()
    }

    public func agency(_ id: AgencyID) -> Agency? { agencies.first { $0.id == id } }

    /// The place of `id` among `agencies`.
    public func agencyIndex(_ id: AgencyID) -> Int? { agencies.firstIndex { $0.id == id } }

    /// Each agency's grant, in the order of `agencies`, resolved once (the rules check every
    /// command against its giver's grant, and resolving it meant two dictionary lookups).
    public private(set) var resolvedGrants: [Grant] = []

    private mutating func resolveGrants() { resolvedGrants = agencies.map(grants.grant(for:)) }

    /// The grant of `id`; nil when it is not an agency of the operation.
    public func grant(for id: AgencyID) -> Grant? { agency(id).map(grants.grant(for:)) }

    private enum CodingKeys: String, CodingKey {
        case name, agencies, disclosure, movements, liftRights, noticeHours, charterNoticeWorkingDays, grants, signals
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        agencies = try c.decode([Agency].self, forKey: .agencies)
        disclosure = try c.decode(DisclosurePolicy.self, forKey: .disclosure)
        movements = try c.decode([Movement].self, forKey: .movements)
        liftRights = try c.decode(SortedSetTable<HoldKind, AgencyID>.self, forKey: .liftRights).table
        noticeHours = try c.decode(Int.self, forKey: .noticeHours)
        charterNoticeWorkingDays = try c.decode(Int.self, forKey: .charterNoticeWorkingDays)
        // Stores written before grants existed had the standard table's rights, and more.
        grants = try c.decodeIfPresent(Grants.self, forKey: .grants) ?? .standard
        signals = try c.decodeIfPresent([String].self, forKey: .signals) ?? []
        resolveGrants()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(agencies, forKey: .agencies)
        try c.encode(disclosure, forKey: .disclosure)
        try c.encode(movements, forKey: .movements)
        try c.encode(SortedSetTable(liftRights), forKey: .liftRights)
        try c.encode(noticeHours, forKey: .noticeHours)
        try c.encode(charterNoticeWorkingDays, forKey: .charterNoticeWorkingDays)
        try c.encode(grants, forKey: .grants)
        if !signals.isEmpty { try c.encode(signals, forKey: .signals) }
    }
}
