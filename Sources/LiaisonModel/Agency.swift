/// What a party does in an operation; disclosure and permissions follow from it.
public enum AgencyRole: String, Codable, Sendable, CaseIterable {
    case sendingEnforcement = "sending-enforcement"
    case transitAuthority = "transit-authority"
    case destinationMinistry = "destination-ministry"
    case receptionOrganisation = "reception-organisation"
    case carrier
    case monitor
}

public struct Agency: Codable, Hashable, Sendable {
    public var id: AgencyID
    public var name: String
    public var country: String
    public var role: AgencyRole
    public var contacts: [String]

    public init(id: AgencyID, name: String, country: String, role: AgencyRole, contacts: [String] = []) {
        self.id = id
        self.name = name
        self.country = country
        self.role = role
        self.contacts = contacts
    }
}
