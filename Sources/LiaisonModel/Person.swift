public enum Vulnerability: String, Codable, Sendable, CaseIterable, Comparable {
    case minor, unaccompanied, medical, pregnancy, disability, trafficking
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

public enum Sex: String, Codable, Sendable, CaseIterable {
    case female = "F", male = "M", unspecified = "X"
}

/// A person being returned. Every field belongs to a disclosure category (see `Disclosure`).
public struct Person: Codable, Hashable, Sendable {
    public var ref: PersonRef
    public var names: [String]
    public var aliases: [String]
    public var dateOfBirth: LocalDate
    public var sex: Sex
    public var nationalities: [String]
    public var languages: [String]
    @SortedSet public var vulnerabilities: Set<Vulnerability>
    public var group: GroupRef?

    public init(ref: PersonRef, names: [String], aliases: [String] = [], dateOfBirth: LocalDate, sex: Sex,
                nationalities: [String], languages: [String] = [], vulnerabilities: Set<Vulnerability> = [],
                group: GroupRef? = nil) {
        self.ref = ref
        self.names = names
        self.aliases = aliases
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.nationalities = nationalities
        self.languages = languages
        self.vulnerabilities = vulnerabilities
        self.group = group
    }

    public var isUnaccompaniedMinor: Bool { vulnerabilities.isSuperset(of: [.minor, .unaccompanied]) }
}
