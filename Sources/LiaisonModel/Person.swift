public enum Vulnerability: String, Codable, Sendable, CaseIterable, Comparable {
    case minor, unaccompanied, medical, pregnancy, disability, trafficking
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

public enum Sex: String, Codable, Sendable, CaseIterable {
    case female = "F", male = "M", unspecified = "X"
}

/// A person being returned. Every field belongs to a disclosure category (see `Disclosure`).
///
/// A value stored behind one reference, as `ReturnCase` and `Notice` are: a person is copied
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

    private final class Box: @unchecked Sendable {  // changed only while uniquely referenced
        var fields: Fields
        init(_ fields: Fields) { self.fields = fields }
    }

    private var box: Box

    /// The fields, copied first if another value shares them.
    public var fields: Fields {
        get { box.fields }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.fields) }
            yield &box.fields
        }
    }

    public var ref: PersonRef { get { box.fields.ref } _modify { yield &fields.ref } }
    public var names: [String] { get { box.fields.names } _modify { yield &fields.names } }
    public var aliases: [String] { get { box.fields.aliases } _modify { yield &fields.aliases } }
    public var dateOfBirth: LocalDate { get { box.fields.dateOfBirth } _modify { yield &fields.dateOfBirth } }
    public var sex: Sex { get { box.fields.sex } _modify { yield &fields.sex } }
    public var nationalities: [String] { get { box.fields.nationalities } _modify { yield &fields.nationalities } }
    public var languages: [String] { get { box.fields.languages } _modify { yield &fields.languages } }
    public var vulnerabilities: Set<Vulnerability> { get { box.fields.vulnerabilities } _modify { yield &fields.vulnerabilities } }
    public var group: GroupRef? { get { box.fields.group } _modify { yield &fields.group } }

    public init(ref: PersonRef, names: [String], aliases: [String] = [], dateOfBirth: LocalDate, sex: Sex,
                nationalities: [String], languages: [String] = [], vulnerabilities: Set<Vulnerability> = [],
                group: GroupRef? = nil) {
        box = Box(Fields(ref: ref, names: names, aliases: aliases, dateOfBirth: dateOfBirth, sex: sex, nationalities: nationalities,
                         languages: languages, vulnerabilities: vulnerabilities, group: group))
    }

    public init(from decoder: Decoder) throws { box = Box(try Fields(from: decoder)) }
    public func encode(to encoder: Encoder) throws { try box.fields.encode(to: encoder) }
    public static func == (a: Person, b: Person) -> Bool { a.box === b.box || a.box.fields == b.box.fields }
    public func hash(into hasher: inout Hasher) { box.fields.hash(into: &hasher) }

    public var isUnaccompaniedMinor: Bool { vulnerabilities.isSuperset(of: [.minor, .unaccompanied]) }
}
