import Foundation

/// An operation's fixed setting: who takes part and in which role, what each may see, the
/// movements, and who may lift which holds. Loaded from `operation.toml`.
public struct ReturnOperation: Codable, Hashable, Sendable {
    public var name: String
    public var agencies: [Agency]
    public var disclosure: DisclosurePolicy
    public var movements: [Movement]
    /// Parties that may lift holds of a kind besides the party that raised each hold.
    public var liftRights: [HoldKind: Set<AgencyID>]
    /// How long a removal notice must run before departure.
    public var noticeHours: Int
    /// For a charter: working days instead.
    public var charterNoticeWorkingDays: Int

    public init(name: String, agencies: [Agency], disclosure: DisclosurePolicy = .standard, movements: [Movement] = [],
                liftRights: [HoldKind: Set<AgencyID>] = [:], noticeHours: Int = 72, charterNoticeWorkingDays: Int = 5) {
        self.name = name
        self.agencies = agencies
        self.disclosure = disclosure
        self.movements = movements
        self.liftRights = liftRights
        self.noticeHours = noticeHours
        self.charterNoticeWorkingDays = charterNoticeWorkingDays
    }

    public func agency(_ id: AgencyID) -> Agency? { agencies.first { $0.id == id } }
}
