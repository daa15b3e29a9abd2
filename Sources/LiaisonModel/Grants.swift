/// What one agency may do in an operation: the commands it may give, and the events on which it
/// may object to the command that caused them. The operation decides it (`operation.toml`'s
/// `[grants]`, or `Grants.standard`), never the agency: a plugin's `plugin.toml` may ask for
/// less, and the console speaking for the agency gets exactly this.
public struct Grant: Codable, Hashable, Sendable {
    /// Command names, as the ledger and permissions spell them: `case.schedule`, `notice.send`.
    public var commands: Set<String> { didSet { mask = Self.mask(commands) } }
    /// Events on which the agency's handlers may refuse the command that caused them, by
    /// `ctx:veto` or by failing in a hook registered `{ fail = "closed" }`; `*` for every event.
    public var vetoes: Set<String>
    /// `commands` as bits by their row in `Rules.authorities`: the rules ask of every command,
    /// and a set of strings hashed the command's name each time.
    private var mask: UInt64

    public init(commands: Set<String>, vetoes: Set<String> = []) {
        self.commands = commands
        self.vetoes = vetoes
        mask = Self.mask(commands)
    }

    public func mayVeto(_ event: String) -> Bool { vetoes.contains("*") || vetoes.contains(event) }

    /// Whether the command in row `authority` of `Rules.authorities` is granted.
    func allows(_ authority: Int) -> Bool { mask & (1 << UInt64(authority)) != 0 }

    private static func mask(_ commands: Set<String>) -> UInt64 {
        commands.reduce(0) { bits, name in Rules.authorityIndex[name].map { bits | 1 << UInt64($0) } ?? bits }
    }

    private enum CodingKeys: String, CodingKey { case commands, vetoes }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(commands: Set(try c.decode([String].self, forKey: .commands)), vetoes: Set(try c.decode([String].self, forKey: .vetoes)))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(commands.sorted(), forKey: .commands)
        try c.encode(vetoes.sorted(), forKey: .vetoes)
    }

    public static func == (a: Grant, b: Grant) -> Bool { a.commands == b.commands && a.vetoes == b.vetoes }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(commands)
        hasher.combine(vetoes)
    }
}

/// The grants of every role, and per-agency replacements. Data, like the disclosure policy.
public struct Grants: Codable, Hashable, Sendable {
    public var roles: [AgencyRole: Grant]
    public var agencies: [AgencyID: Grant]

    public init(roles: [AgencyRole: Grant], agencies: [AgencyID: Grant] = [:]) {
        self.roles = roles
        self.agencies = agencies
    }

    public func grant(for agency: Agency) -> Grant {
        agencies[agency.id] ?? roles[agency.role] ?? Grant(commands: [])
    }

    /// Where a grant comes from, for messages: "operation.toml's grant for role monitor".
    public func source(for agency: Agency) -> String {
        agencies[agency.id] != nil ? "the grant for agency \(agency.id)" : "the grant for role \(agency.role.rawValue)"
    }

    /// The standard table: each role gets the commands the model lets it give (see
    /// `Rules.authorities`) that its work needs, and objects only where it is a party whose
    /// consent matters. An observer observes: the monitor sends and acknowledges notices, and
    /// nothing else.
    public static let standard: Grants = {
        let notices: Set<String> = ["notice.send", "notice.acknowledge", "notice.reply"]
        let handoffs: Set<String> = ["handoff.propose", "handoff.acknowledge", "handoff.refuse"]
        let holds: Set<String> = ["hold.raise", "hold.lift"]
        return Grants(roles: [
            .sendingEnforcement: Grant(commands: Set(Rules.authorities.filter { $0.roles.contains(.sendingEnforcement) }.map(\.command)),
                                       vetoes: ["*"]),
            .transitAuthority: Grant(commands: notices.union(handoffs).union(holds).union(["transit.authorise", "transit.refuse", "case.arrive-transit"]),
                                     vetoes: ["handoff.proposed"]),
            .destinationMinistry: Grant(commands: notices.union(handoffs).union(holds)
                                            .union(["document.issue", "document.refuse", "reception.verify", "case.receive"]),
                                        vetoes: ["handoff.proposed"]),
            .receptionOrganisation: Grant(commands: notices.union(handoffs).union(holds)
                                              .union(["case.open", "consent.record", "consent.withdraw", "reception.verify", "case.receive", "case.close"]),
                                          vetoes: ["handoff.proposed"]),
            .carrier: Grant(commands: notices.union(handoffs), vetoes: ["case.state-changed"]),
            .monitor: Grant(commands: notices),
        ])
    }()

    private enum CodingKeys: String, CodingKey { case roles, agencies }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        roles = try c.decode(KeyedTable<AgencyRole, Grant>.self, forKey: .roles).table
        agencies = try c.decode(KeyedTable<AgencyID, Grant>.self, forKey: .agencies).table
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(KeyedTable(roles), forKey: .roles)
        try c.encode(KeyedTable(agencies), forKey: .agencies)
    }
}

/// A dictionary keyed by a string-backed type, encoded as a JSON object (Swift's own encoding of
/// such a dictionary is an array of alternating keys and values).
struct KeyedTable<Key: RawRepresentable & Hashable, Value: Codable>: Codable where Key.RawValue == String {
    var table: [Key: Value]

    init(_ table: [Key: Value]) { self.table = table }

    init(from decoder: Decoder) throws {
        var table: [Key: Value] = [:]
        for (k, v) in try [String: Value](from: decoder) {
            guard let key = Key(rawValue: k) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown key '\(k)'"))
            }
            table[key] = v
        }
        self.table = table
    }

    func encode(to encoder: Encoder) throws {
        try Dictionary(uniqueKeysWithValues: table.map { ($0.key.rawValue, $0.value) }).encode(to: encoder)
    }
}
