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
    /// The plugins the agency runs, by name: a plugin folder claiming the agency is loaded only
    /// if its name is here, so no folder can act as an agency the operation did not say runs it.
    public var plugins: [String]

    public init(id: AgencyID, name: String, country: String, role: AgencyRole, contacts: [String] = [], plugins: [String] = []) {
        self.id = id
        self.name = name
        self.country = country
        self.role = role
        self.contacts = contacts
        self.plugins = plugins
    }

    private enum CodingKeys: String, CodingKey { case id, name, country, role, contacts, plugins }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(AgencyID.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        country = try c.decode(String.self, forKey: .country)
        role = try c.decode(AgencyRole.self, forKey: .role)
        contacts = try c.decode([String].self, forKey: .contacts)
        // Stores written before agencies named their plugins.
        plugins = try c.decodeIfPresent([String].self, forKey: .plugins) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(country, forKey: .country)
        try c.encode(role, forKey: .role)
        try c.encode(contacts, forKey: .contacts)
        if !plugins.isEmpty { try c.encode(plugins, forKey: .plugins) }
    }
}
