import Foundation

/// What kind of personal data a field is; a disclosure policy grants categories to roles.
public enum FieldCategory: String, Codable, Sendable, CaseIterable, Comparable {
    case identity
    case travelDocument = "travel-document"
    case medical, vulnerability, legal, protection
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Which categories each role (or, overriding it, each agency) may read. Data, from
/// `operation.toml`'s `[disclosure]` table.
public struct DisclosurePolicy: Codable, Hashable, Sendable {
    public var roles: [AgencyRole: Set<FieldCategory>]
    public var agencies: [AgencyID: Set<FieldCategory>]

    public init(roles: [AgencyRole: Set<FieldCategory>], agencies: [AgencyID: Set<FieldCategory>] = [:]) {
        self.roles = roles
        self.agencies = agencies
    }

    private enum CodingKeys: String, CodingKey { case roles, agencies }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        roles = try c.decode(SortedSetTable<AgencyRole, FieldCategory>.self, forKey: .roles).table
        agencies = try c.decode(SortedSetTable<AgencyID, FieldCategory>.self, forKey: .agencies).table
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(SortedSetTable(roles), forKey: .roles)
        try c.encode(SortedSetTable(agencies), forKey: .agencies)
    }

    /// The defaults docs/DOMAIN.md gives: transit sees identity and travel document; clinical detail goes to
    /// health roles only; protection claims never leave the sending state.
    public static let standard = DisclosurePolicy(roles: [
        .sendingEnforcement: Set(FieldCategory.allCases),
        .transitAuthority: [.identity, .travelDocument],
        .destinationMinistry: [.identity, .travelDocument, .vulnerability],
        .receptionOrganisation: [.identity, .vulnerability, .medical],
        .carrier: [.identity, .travelDocument],
        .monitor: [.identity, .vulnerability],
    ])

    public func categories(for agency: Agency) -> Set<FieldCategory> {
        agencies[agency.id] ?? roles[agency.role] ?? []
    }

    /// Where a grant comes from, for messages: "the policy for transit-authority".
    func source(for agency: Agency) -> String {
        agencies[agency.id] != nil ? "the policy for agency \(agency.id)" : "the policy for role \(agency.role.rawValue)"
    }
}

/// A value read through a view.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    case none
    case text(String)
    case number(Int)
    case flag(Bool)
    case date(Date)
    case list([FieldValue])

    public var description: String {
        switch self {
        case .none: return "none"
        case .text(let s): return s
        case .number(let n): return String(n)
        case .flag(let b): return String(b)
        case .date(let d): return Timestamp.iso(d)
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// A field of a case as views offer it, described once (see `CaseView.fields`).
public struct CaseField: Sendable {
    public let name: String
    /// The category of data it is; nil: operational, every agency sees it.
    public let category: FieldCategory?
    public let shape: FieldShape
    public let doc: String
    public let read: @Sendable (CaseView) -> FieldValue

    init(_ name: String, _ category: FieldCategory?, _ shape: FieldShape, _ doc: String, _ read: @escaping @Sendable (CaseView) -> FieldValue) {
        (self.name, self.category, self.shape, self.doc, self.read) = (name, category, shape, doc, read)
    }
}

/// The shape of a field's value: text (perhaps one of a named set of values, see
/// `CaseView.valueSets`), a list of texts, a flag, a time, a count; optional ones may be none.
public enum FieldShape: Hashable, Sendable {
    case text(of: String? = nil), optionalText, list(of: String? = nil), flag, optionalTime, count
}

/// Reading a field the agency's policy withholds.
public struct DisclosureError: Error, Equatable, CustomStringConvertible {
    public var agency: AgencyID
    public var field: String
    public var category: FieldCategory
    public var policy: String

    public init(agency: AgencyID, field: String, category: FieldCategory, policy: String) {
        self.agency = agency
        self.field = field
        self.category = category
        self.policy = policy
    }

    public var description: String {
        "\(agency) may not read '\(field)' (\(category.rawValue) data): \(policy) does not grant '\(category.rawValue)'"
    }
}

/// A case and its person as one agency may see them. Every read goes through the policy, so
/// every layer above the model (plugins, the REPL, reports) inherits it.
///
/// A class, though immutable: a view is handed around a good deal (into each field's reader,
/// out of the Lua bridge, through a notice's template), and as a struct of a case, a person,
/// an agency and a policy every copy retained each of their buffers.
public final class CaseView: Sendable {
    /// Who reads: the agency and the categories it is granted.
    public let reader: CaseReader
    /// The records themselves: never handed out of the model, so that every read above it
    /// goes through `read`, `visibleHolds` and the other members here, which ask the reader.
    let returnCase: ReturnCase
    /// The case's person. Nil only inside `CaseReader.read`, for a field on the case record
    /// alone; such a view never leaves it.
    private let loadedPerson: Person?
    public let now: Date

    public var agency: Agency { reader.agency }
    public var allowed: Set<FieldCategory> { reader.allowed }
    var person: Person { loadedPerson! }

    /// The case's reference.
    public var ref: CaseRef { returnCase.ref }

    /// What the case shows now (operational: every agency sees it).
    public var state: CaseState { returnCase.state(at: now) }

    /// The active holds this reader may learn of (see `CaseReader.visibleHolds`), each with its
    /// reason only if the reader may read what the hold's raiser writes, "(withheld)" otherwise.
    public var visibleHolds: [Hold] {
        reader.visibleHolds(of: returnCase, at: now).map { h in
            var h = h
            if let operation = reader.operation, !reader.mayRead(textBy: h.raisedBy, in: operation) { h.reason = "(withheld)" }
            return h
        }
    }

    /// Every hold the case ever had, lifted or not, for a reader granted every category: the
    /// coordinator's history. Others are refused, as for a withheld field.
    public func holdHistory() throws -> [Hold] {
        _ = try read("holds")
        guard reader.grants(all: Set(FieldCategory.allCases)) else {
            throw DisclosureError(agency: agency.id, field: "holds", category: .protection, policy: "a hold's history is the coordinator's")
        }
        return returnCase.holds
    }

    /// Whether a valid travel document (of `kind`, if given) is on record; needs the
    /// travel-document category, as the `document` field does.
    public func hasValidDocument(kind: String?) throws -> Bool {
        _ = try read("document")
        return returnCase.documents.contains { $0.isValid(at: now) && (kind == nil || $0.kind.rawValue == kind) }
    }

    /// `<case R-0042 scheduled, 1 hold>`, counting only the holds this reader may see.
    public var summary: String {
        let holds = reader.visibleHolds(of: returnCase, at: now).count
        return "<case \(ref) \(state.rawValue)" + (holds > 0 ? ", \(holds) hold\(holds == 1 ? "" : "s")>" : ">")
    }

    init(_ reader: CaseReader, returnCase: ReturnCase, person: Person?, now: Date) {
        (self.reader, self.returnCase, self.loadedPerson, self.now) = (reader, returnCase, person, now)
    }

    /// The fields a view offers, each described once: its category (nil: operational, always
    /// visible), the shape of its value, what it is, and how to read it. Plugins' and tests'
    /// bindings, the editor stubs and the console's completion are made from this list.
    public static let fields: [CaseField] = [
        CaseField("ref", nil, .text(), "The case's reference.") { .text($0.returnCase.ref.rawValue) },
        CaseField("state", nil, .text(of: "CaseState"), "Where the case stands now: its progress, or on-hold while a hold blocks it.") {
            .text($0.returnCase.state(at: $0.now).rawValue)
        },
        CaseField("track", nil, .text(of: "Track"), "voluntary, removal or third-country.") { .text($0.returnCase.track.rawValue) },
        CaseField("destination", nil, .text(), "The state the person is returned to (ISO code).") { .text($0.returnCase.destinationState) },
        CaseField("custody", nil, .text(), "The agency that has the person in its custody.") { .text($0.returnCase.custody.rawValue) },
        CaseField("on_hold", nil, .flag, "Whether a hold blocks the case now.") { .flag($0.returnCase.state(at: $0.now) == .onHold) },
        CaseField("progress", nil, .text(of: "CaseState"), "The furthest state the case has reached, holds aside.") {
            .text($0.returnCase.progress.rawValue)
        },
        CaseField("person", nil, .text(), "The person's reference.") { .text($0.returnCase.person.rawValue) },
        CaseField("owner", nil, .text(), "The agency that opened the case.") { .text($0.returnCase.owner.rawValue) },
        CaseField("parent", nil, .optionalText, "The case this one continues (an onward case), if any.") { v in
            v.returnCase.parent.map { .text($0.rawValue) } ?? .none
        },
        CaseField("movement", nil, .optionalText, "The movement the case is booked on, if any.") { v in
            v.returnCase.manifest.flatMap { $0.struck == nil ? .text($0.movement.rawValue) : nil } ?? .none
        },
        CaseField("pending_handoff", nil, .optionalText, "The handoff proposed for the case and not yet completed, if any.") { v in
            v.returnCase.pendingHandoff.map { .text($0.rawValue) } ?? .none
        },
        CaseField("reception_verified", nil, .flag, "Whether the reception organisation has verified the person's arrival.") {
            .flag($0.returnCase.receptionVerified)
        },
        CaseField("fit_to_fly", nil, .text(of: "FitToFly"), "none, unfit, valid or expired.") { v in
            guard let f = v.returnCase.fitToFly else { return .text("none") }
            return .text(!f.fit ? "unfit" : f.isValid(at: v.now) ? "valid" : "expired")
        },
        CaseField("fit_to_fly_expires", nil, .optionalTime, "When the fit-to-fly assessment expires, if there is one.") { v in
            v.returnCase.fitToFly.map { .date($0.expiresAt) } ?? .none
        },
        CaseField("names", .identity, .list(), "The person's names.") { .list($0.person.names.map(FieldValue.text)) },
        CaseField("aliases", .identity, .list(), "Other names the person is known by.") { .list($0.person.aliases.map(FieldValue.text)) },
        CaseField("date_of_birth", .identity, .text(), "YYYY-MM-DD.") { .text($0.person.dateOfBirth.description) },
        CaseField("sex", .identity, .text(of: "Sex"), "F, M or X.") { .text($0.person.sex.rawValue) },
        CaseField("nationalities", .identity, .list(), "ISO codes.") { .list($0.person.nationalities.map(FieldValue.text)) },
        CaseField("languages", .identity, .list(), "Language codes.") { .list($0.person.languages.map(FieldValue.text)) },
        CaseField("document", .travelDocument, .optionalText, "The latest travel document: its kind and status.") { v in
            v.returnCase.documents.last.map { .text("\($0.kind.rawValue) \($0.status.rawValue)") } ?? .none
        },
        CaseField("document_number", .travelDocument, .optionalText, "The latest travel document's number.") { v in
            v.returnCase.documents.last?.number.map(FieldValue.text) ?? .none
        },
        CaseField("document_valid_until", .travelDocument, .optionalTime, "When the latest travel document expires.") { v in
            v.returnCase.documents.last?.validUntil.map(FieldValue.date) ?? .none
        },
        CaseField("vulnerabilities", .vulnerability, .list(of: "Vulnerability"), "The person's vulnerabilities.") {
            .list($0.person.vulnerabilities.sorted().map { .text($0.rawValue) })
        },
        CaseField("medical_escort", .vulnerability, .flag, "Whether the person must travel with a medical escort.") {
            .flag($0.returnCase.fitToFly?.medicalEscort ?? false)
        },
        CaseField("fit_to_fly_conditions", .medical, .optionalText, "The medical conditions the assessment names.") { v in
            v.returnCase.fitToFly?.conditions.map(FieldValue.text) ?? .none
        },
        CaseField("legal_basis", .legal, .optionalText, "The removal order, if any.") { v in v.returnCase.legalBasis.map { .text($0.order) } ?? .none },
        CaseField("order_final", .legal, .flag, "Whether the removal order is final.") { v in
            .flag(v.returnCase.legalBasis?.finalOn.map { $0.start <= v.now } ?? false)
        },
        CaseField("holds", .legal, .list(of: "HoldKind"), "The kinds of the active holds you may see (protection-claim holds need 'protection').") { v in
            .list(v.reader.visibleHolds(of: v.returnCase, at: v.now).map { .text($0.kind.rawValue) })
        },
        CaseField("protection_claims", .protection, .count, "How many protection claims are pending.") { v in
            .number(v.returnCase.legalEvents.filter { $0.kind == .protectionClaim && $0.decidedOn == nil }.count)
        },
    ]

    /// The sets of values some fields take, by the name `FieldShape` gives them: the stubs
    /// make an alias of each, so an editor completes `c.state == "sch` to `"scheduled"`.
    public static let valueSets: [(name: String, values: [String])] = [
        ("CaseState", CaseState.allCases.map(\.rawValue)),
        ("Track", Track.allCases.map(\.rawValue)),
        ("FitToFly", ["none", "unfit", "valid", "expired"]),
        ("Sex", Sex.allCases.map(\.rawValue)),
        ("Vulnerability", Vulnerability.allCases.map(\.rawValue)),
        ("HoldKind", HoldKind.allCases.map(\.rawValue)),
    ]

    /// Whether each of `fields` is read from the person's record (the others read the case
    /// record alone).
    static let onPerson: [Bool] = fields.map {
        ["names", "aliases", "date_of_birth", "sex", "nationalities", "languages", "vulnerabilities"].contains($0.name)
    }

    /// Each field's place in `fields`, by name: plugins read fields by name in every handler.
    static let fieldIndex = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })

    /// Whether the policy lets this agency read `field` (false for a field that does not exist).
    public func discloses(_ field: String) -> Bool {
        guard let i = Self.fieldIndex[field] else { return false }
        return reader.grants(Self.fields[i].category)
    }

    public func read(_ field: String) throws -> FieldValue {
        try Self.fields[reader.index(field)].read(self)
    }

    /// The field, or nil when the view withholds it (one lookup where `discloses` and `read`
    /// take two: a notice asks this of every field it prints).
    public func readIfDisclosed(_ field: String) -> FieldValue? {
        guard let i = Self.fieldIndex[field], reader.grants(Self.fields[i].category) else { return nil }
        return Self.fields[i].read(self)
    }
}

/// Who reads cases, resolved once: an agency, the categories its policy grants it, and the
/// policy (for messages). A plugin holds one, and reads a field at a time through it. A class:
/// every view refers to its reader rather than copying an agency, a set and a policy.
public final class CaseReader: Sendable {
    public let agency: Agency
    public let allowed: Set<FieldCategory>
    let policy: DisclosurePolicy?
    /// The operation it reads in (nil for the coordinator's and for `nobody`): whose grants free
    /// text is weighed against.
    let operation: ReturnOperation?

    /// `id` as the operation's disclosure policy lets it read.
    public convenience init(_ id: AgencyID, in operation: ReturnOperation) throws {
        guard let agency = operation.agency(id) else { throw ModelError.unknownAgency(id) }
        self.init(agency: agency, allowed: operation.disclosure.categories(for: agency), policy: operation.disclosure, operation: operation)
    }

    /// `id` granted only what both it and `other` may see: what one agency writes to another
    /// (a notice) is read through this, so it carries nothing either may not see, down to the
    /// protection claims among a case's holds.
    public convenience init(_ id: AgencyID, sharedWith other: AgencyID, in operation: ReturnOperation) throws {
        guard let agency = operation.agency(id) else { throw ModelError.unknownAgency(id) }
        guard let recipient = operation.agency(other) else { throw ModelError.unknownAgency(other) }
        let allowed = operation.disclosure.categories(for: agency).intersection(operation.disclosure.categories(for: recipient))
        self.init(agency: agency, allowed: allowed, policy: operation.disclosure, operation: operation)
    }

    init(agency: Agency, allowed: Set<FieldCategory>, policy: DisclosurePolicy?, operation: ReturnOperation? = nil) {
        (self.agency, self.allowed, self.policy, self.operation) = (agency, allowed, policy, operation)
        mask = allowed.reduce(0) { $0 | Self.bit($1) }
    }

    /// `allowed` as bits, tested on every field read without hashing.
    private let mask: UInt8

    private static func bit(_ category: FieldCategory) -> UInt8 {
        switch category {
        case .identity: return 1
        case .travelDocument: return 2
        case .medical: return 4
        case .vulnerability: return 8
        case .legal: return 16
        case .protection: return 32
        }
    }

    /// Whether a field of `category` (nil: operational) may be read.
    public func grants(_ category: FieldCategory?) -> Bool {
        guard let category else { return true }
        return mask & Self.bit(category) != 0
    }

    /// Whether every one of `categories` is granted.
    public func grants(all categories: Set<FieldCategory>) -> Bool {
        let wanted = categories.reduce(UInt8(0)) { $0 | Self.bit($1) }
        return mask & wanted == wanted
    }

    /// Whether free text that `writer` wrote (a strike's reason, a veto) may be shown to this
    /// reader: only if it is granted every category the writer is, since the text may say
    /// anything the writer knows. The coordinator's text is shown only to those granted all.
    public func mayRead(textBy writer: AgencyID, in operation: ReturnOperation) -> Bool {
        grants(all: Event.categories(of: writer, in: operation))
    }

    /// The case's active holds this reader may learn of: none without `legal`, and protection
    /// claims only with `protection` too. Every reader of holds (the `holds` field, a plugin's
    /// `case:active_holds()`, a case printed, a refusal's wording) asks this one function.
    public func visibleHolds(of c: ReturnCase, at now: Date, blocking step: Step? = nil) -> [Hold] {
        guard grants(.legal) else { return [] }
        return c.activeHolds(at: now, blocking: step).filter { grants(all: $0.kind.categories) }
    }

    /// A reader granted nothing: what an agency that cannot be resolved is shown.
    public static let nobody = CaseReader(agency: Agency(id: "nobody", name: "nobody", country: "", role: .monitor), allowed: [], policy: nil)

    /// The operation's coordinator: every field. For tests, reports and the REPL's coordinator
    /// view, never for an agency.
    public static let coordinator = CaseReader(agency: Agency(id: .coordinator, name: "coordinator", country: "", role: .sendingEnforcement),
                                               allowed: Set(FieldCategory.allCases), policy: nil)

    /// The case and its person as this reader may see them.
    public func view(_ ref: CaseRef, at now: Date, in model: ModelReader) throws -> CaseView {
        try CaseView(ref, as: self, at: now, in: model)
    }

    /// One field, as `view(ref, ...).read(field)` gives it, reading the person's record only
    /// for a field on it. Plugins read a field at a time, and building a whole view for each
    /// read (two records, the agency and its grants looked up again) was a twentieth of the
    /// gulf-charter benchmark.
    public func read(_ field: String, of ref: CaseRef, at now: Date, in model: ModelReader) throws -> FieldValue {
        guard let c = try model.returnCase(ref) else { throw ModelError.unknownCase(ref) }
        let i = try index(field)
        var person: Person?
        if CaseView.onPerson[i] {
            guard let p = try model.person(c.person) else { throw ModelError.unknownCase(ref) }
            person = p
        }
        return CaseView.fields[i].read(CaseView(self, returnCase: c, person: person, now: now))
    }

    /// The field's place in `CaseView.fields`, if this reader may read it.
    fileprivate func index(_ field: String) throws -> Int {
        guard let i = CaseView.fieldIndex[field] else {
            throw ModelError.unknownField(field, known: CaseView.fields.map(\.name))
        }
        if let category = CaseView.fields[i].category, !grants(category) {
            throw DisclosureError(agency: agency.id, field: field, category: category,
                                  policy: policy?.source(for: agency) ?? "the coordinator's view")
        }
        return i
    }
}
