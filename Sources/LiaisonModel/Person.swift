public enum Vulnerability: String, Codable, Sendable, CaseIterable, Comparable {
    case minor, unaccompanied, medical, pregnancy, disability, trafficking
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

public enum Sex: String, Codable, Sendable, CaseIterable {
    case female = "F", male = "M", unspecified = "X"
}

/// A person being returned. Every field belongs to a disclosure category (see `Disclosure`).
///
/// A value kept in `Shared` storage, as `ReturnCase` and `Notice` are: a person is copied
/// on every read (a view, a decision, the records changed since a checkpoint), and copying its
/// seven strings and lists retained each. Its JSON, equality and hash are those of `Fields`.
public struct Person: Codable, Hashable, Sendable {
    /// The person's stored fields, in the order its JSON gives them.
    public struct Fields: Codable, Hashable, Sendable {
        public var ref: PersonRef
        public var names: [String]
        public var aliases: [String]
        public var dateOfBirth: LocalDate
        public var sex: Sex
        public var nationalities: [String]
        public var languages: [String]
        @SortedSet public var vulnerabilities: Set<Vulnerability>
        public var group: GroupRef?
    }

    private var storage: Shared<Fields>

    /// The fields, copied first if another value shares them.
    public var fields: Fields {
        get { storage.value }
        _modify { yield &storage.value }
    }

    public var ref: PersonRef { get { storage.value.ref } _modify { yield &storage.value.ref } }
    public var names: [String] { get { storage.value.names } _modify { yield &storage.value.names } }
    public var aliases: [String] { get { storage.value.aliases } _modify { yield &storage.value.aliases } }
    public var dateOfBirth: LocalDate { get { storage.value.dateOfBirth } _modify { yield &storage.value.dateOfBirth } }
    public var sex: Sex { get { storage.value.sex } _modify { yield &storage.value.sex } }
    public var nationalities: [String] { get { storage.value.nationalities } _modify { yield &storage.value.nationalities } }
    public var languages: [String] { get { storage.value.languages } _modify { yield &storage.value.languages } }
    public var vulnerabilities: Set<Vulnerability> { get { storage.value.vulnerabilities } _modify { yield &storage.value.vulnerabilities } }
    public var group: GroupRef? { get { storage.value.group } _modify { yield &storage.value.group } }

    public init(ref: PersonRef, names: [String], aliases: [String] = [], dateOfBirth: LocalDate, sex: Sex,
                nationalities: [String], languages: [String] = [], vulnerabilities: Set<Vulnerability> = [],
                group: GroupRef? = nil) {
        storage = Shared(Fields(ref: ref, names: names, aliases: aliases, dateOfBirth: dateOfBirth, sex: sex, nationalities: nationalities,
                            languages: languages, vulnerabilities: vulnerabilities, group: group))
    }

    public init(from decoder: Decoder) throws { storage = Shared(try Fields(from: decoder)) }
    public func encode(to encoder: Encoder) throws { try storage.value.encode(to: encoder) }
    public static func == (a: Person, b: Person) -> Bool { a.storage.isIdentical(to: b.storage) || a.storage.value == b.storage.value }
    public func hash(into hasher: inout Hasher) { storage.value.hash(into: &hasher) }

    public var isUnaccompaniedMinor: Bool { vulnerabilities.isSuperset(of: [.minor, .unaccompanied]) }
}
