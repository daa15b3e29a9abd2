import Foundation
import LiaisonModel
import TOMLKit

/// An operation on disk: `operation.toml` (agencies and roles, disclosure, movements and legs,
/// lift rights, the clock's start) and `manifest.csv` (people and their cases).
///
/// Loading checks everything before anything is imported, and reports every problem with its
/// file and line: `manifest.csv:17: column 'date_of_birth': '1990-13-01' is not a date`.
public struct OperationFolder: Sendable {
    public let url: URL
    public let operation: ReturnOperation
    /// When the operation's clock starts; imports are recorded at this time.
    public let start: Date
    public let people: [Person]
    public let cases: [CaseOpening]
    /// The agency that opens the cases: the operation's sending enforcement agency.
    public let sendingAgency: AgencyID

    /// The commands that import the folder: each person registered, each case opened.
    public var importCommands: [(Command, AgencyID)] {
        people.map { (.registerPerson($0), sendingAgency) } + cases.map { (.openCase($0), sendingAgency) }
    }

    public static func load(_ url: URL) throws -> OperationFolder {
        var problems = Problems()
        let tomlURL = url.appendingPathComponent("operation.toml")
        let csvURL = url.appendingPathComponent("manifest.csv")
        guard let tomlText = read(tomlURL, "operation.toml", &problems), let csvText = read(csvURL, "manifest.csv", &problems) else {
            throw ImportError(folder: url.path, problems: problems.list)
        }
        let settings = OperationSettings.parse(tomlText, &problems)
        // The manifest is checked even when operation.toml is not readable, so that one run
        // lists the problems of both files.
        let manifest = Manifest.parse(csvText, operation: settings?.operation ?? ReturnOperation(name: "", agencies: []), &problems)
        guard problems.list.isEmpty, let settings, let manifest else { throw ImportError(folder: url.path, problems: problems.list) }
        return OperationFolder(url: url, operation: settings.operation, start: settings.start, people: manifest.people,
                               cases: manifest.cases, sendingAgency: settings.sendingAgency)
    }

    private static func read(_ url: URL, _ name: String, _ problems: inout Problems) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            problems.add(name, nil, "missing: an operation folder holds operation.toml and manifest.csv")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            problems.add(name, nil, "is not UTF-8 text")
            return nil
        }
        return text
    }
}

/// One thing wrong with an input file.
public struct Problem: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String
    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { file + (line.map { ":\($0)" } ?? "") + ": " + message }
}

/// An operation folder that was refused whole: nothing was imported.
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public var folder: String
    public var problems: [Problem]
    public init(folder: String, problems: [Problem]) {
        self.folder = folder
        self.problems = problems
    }
    public var description: String {
        let noun = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(noun) in \(folder); nothing was imported:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Problems gathered while reading input, so that one run lists them all.
public struct Problems: Sendable {
    public var list: [Problem] = []
    public init() {}
    public mutating func add(_ file: String, _ line: Int?, _ message: String) {
        list.append(Problem(file: file, line: line, message: message))
    }
}

// MARK: operation.toml

struct OperationSettings {
    var operation: ReturnOperation
    var start: Date
    var sendingAgency: AgencyID

    static func parse(_ text: String, _ problems: inout Problems) -> OperationSettings? {
        guard let parsed = TOMLReader.parse(text, file: "operation.toml", problems) else {
            problems = TOMLReader.lastProblems(text, file: "operation.toml", problems)
            return nil
        }
        var r = parsed.0
        let root = parsed.1
        let settings = r.settings(root)
        problems = r.problems
        return settings
    }
}

extension TOMLReader {
    mutating func settings(_ root: [String: Any]) -> OperationSettings? {
        let name = string(root, "name", "") ?? "operation"
        let start = date(root, "start", "")
        var agencies: [Agency] = []
        for (i, a) in tables(root, "agencies").enumerated() {
            let path = "agencies[\(i)]"
            guard let id = string(a, "id", path), let agencyName = string(a, "name", path), let country = string(a, "country", path),
                  let roleText = string(a, "role", path) else { continue }
            guard let role = AgencyRole(rawValue: roleText) else {
                fail(path + ".role", "'\(roleText)' is not a role (roles: \(AgencyRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if agencies.contains(where: { $0.id.rawValue == id }) { fail(path + ".id", "agency \(id) is listed twice") }
            let plugins = strings(a["plugins"], path + ".plugins")
            for p in plugins {
                if p.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
                    fail(path + ".plugins", "'\(p)' is not a plugin name (lower-case letters, digits and dashes)")
                } else if let other = agencies.first(where: { $0.plugins.contains(p) }) {
                    fail(path + ".plugins", "plugin '\(p)' is already listed for \(other.id): a plugin acts for one agency")
                }
            }
            agencies.append(Agency(id: AgencyID(id), name: agencyName, country: country, role: role, contacts: strings(a["contacts"], path + ".contacts"),
                                   plugins: plugins))
        }
        let known = Set(agencies.map(\.id))
        let sending = agencies.filter { $0.role == .sendingEnforcement }
        if agencies.isEmpty { fail("agencies", "missing: list the agencies as [[agencies]] tables") }
        else if sending.count != 1 { fail("agencies", "exactly one agency must have role 'sending-enforcement' (found \(sending.count))") }

        var policy = DisclosurePolicy.standard
        if let disclosure = root["disclosure"] as? [String: Any] {
            if let roles = disclosure["roles"] as? [String: Any] {
                for (roleText, value) in roles {
                    let path = "disclosure.roles.\(roleText)"
                    guard let role = AgencyRole(rawValue: roleText) else { fail(path, "'\(roleText)' is not a role"); continue }
                    policy.roles[role] = categories(strings(value, path), path)
                }
            }
            if let overrides = disclosure["agencies"] as? [String: Any] {
                for (id, value) in overrides {
                    let path = "disclosure.agencies.\(id)"
                    if !known.contains(AgencyID(id)) { fail(path, "\(id) is not one of the agencies") }
                    policy.agencies[AgencyID(id)] = categories(strings(value, path), path)
                }
            }
        }

        var rights: [HoldKind: Set<AgencyID>] = [:]
        for (kindText, value) in (root["lift_rights"] as? [String: Any]) ?? [:] {
            let path = "lift_rights.\(kindText)"
            guard let kind = HoldKind(rawValue: kindText) else {
                fail(path, "'\(kindText)' is not a hold kind (kinds: \(HoldKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            let ids = strings(value, path).map(AgencyID.init)
            for id in ids where !known.contains(id) { fail(path, "\(id) is not one of the agencies") }
            rights[kind] = Set(ids)
        }

        var movements: [Movement] = []
        for (i, m) in tables(root, "movements").enumerated() {
            let path = "movements[\(i)]"
            guard let ref = string(m, "ref", path), let organiser = string(m, "organiser", path),
                  let carrier = string(m, "carrier", path) else { continue }
            if !known.contains(AgencyID(organiser)) { fail(path + ".organiser", "\(organiser) is not one of the agencies") }
            var legs: [Leg] = []
            for (j, l) in tables(m, "legs", path).enumerated() {
                let lp = "\(path).legs[\(j)]"
                guard let from = string(l, "from", lp), let to = string(l, "to", lp), let departs = date(l, "departs", lp),
                      let arrives = date(l, "arrives", lp) else { continue }
                if arrives <= departs { fail(lp + ".arrives", "must be after departs") }
                let authority = string(l, "transit_authority", lp, required: false).map(AgencyID.init)
                if let authority, agencies.first(where: { $0.id == authority })?.role != .transitAuthority {
                    fail(lp + ".transit_authority", "\(authority) is not an agency with role 'transit-authority'")
                }
                legs.append(Leg(from: from, to: to, scheduledDeparture: departs, scheduledArrival: arrives, transitAuthority: authority))
            }
            if legs.isEmpty { fail(path, "has no legs: add [[movements.legs]] tables") }
            movements.append(Movement(ref: MovementRef(ref), organiser: AgencyID(organiser), carrier: carrier,
                                      charter: bool(m, "charter", path, default: false), capacity: int(m, "capacity", path, default: 0), legs: legs))
        }

        let signals = strings(root["signals"], "signals")
        for signal in signals where !signal.contains(".") || EventCatalog.spec(named: signal) != nil {
            fail("signals", "'\(signal)' cannot name a signal: use a dotted name that no model event has (for example intake.review)")
        }
        let operation = ReturnOperation(name: name, agencies: agencies, disclosure: policy, movements: movements, liftRights: rights,
                                        noticeHours: int(root, "notice_hours", "", default: 72, maximum: 8_760),  // a year
                                        charterNoticeWorkingDays: int(root, "charter_notice_working_days", "", default: 5, maximum: 260),
                                        grants: grants(root["grants"], agencies: agencies), signals: signals)
        guard let start, let sendingAgency = sending.first, sending.count == 1 else { return nil }
        return OperationSettings(operation: operation, start: start, sendingAgency: sendingAgency.id)
    }

    /// `[grants.roles.ROLE]` and `[grants.agencies.ID]`, each with `commands` and `veto`: a
    /// role's table replaces the standard one key by key, and an agency's replaces its role's.
    /// A command the role may never give, by the model's rules, is a problem, not a silent no.
    mutating func grants(_ value: Any?, agencies: [Agency]) -> Grants {
        var grants = Grants.standard
        guard let value else { return grants }
        guard let table = value as? [String: Any] else {
            fail("grants", "must be a table: [grants.roles.ROLE] and [grants.agencies.AGENCY], each with commands = [...] and veto = [...]")
            return grants
        }
        for key in table.keys.sorted() where key != "roles" && key != "agencies" {
            fail("grants.\(key)", "is not a key of [grants] (keys: agencies, roles)")
        }
        for (roleText, entry) in ((table["roles"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "grants.roles.\(roleText)"
            guard let role = AgencyRole(rawValue: roleText) else {
                fail(path, "'\(roleText)' is not a role (roles: \(AgencyRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            grants.roles[role] = grant(entry, path, role: role, base: grants.roles[role] ?? Grant(commands: []))
        }
        for (id, entry) in ((table["agencies"] as? [String: Any]) ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "grants.agencies.\(id)"
            guard let agency = agencies.first(where: { $0.id.rawValue == id }) else {
                fail(path, "\(id) is not one of the agencies")
                continue
            }
            grants.agencies[agency.id] = grant(entry, path, role: agency.role, base: grants.grant(for: agency))
        }
        return grants
    }

    private mutating func grant(_ value: Any, _ path: String, role: AgencyRole, base: Grant) -> Grant {
        guard let t = value as? [String: Any] else {
            fail(path, "must be a table with commands = [...] and veto = [...]")
            return base
        }
        for key in t.keys.sorted() where key != "commands" && key != "veto" {
            fail("\(path).\(key)", "is not a key of a grant (keys: commands, veto)")
        }
        var grant = base
        if t["commands"] != nil {
            grant.commands = []
            for command in strings(t["commands"], path + ".commands") {
                if Rules.authorities.first(where: { $0.command == command }) == nil {
                    fail(path + ".commands", "'\(command)' is not a command (commands: \(Rules.authorities.map(\.command).joined(separator: ", ")))")
                } else if !Rules.role(role, mayGive: command) {
                    let a = Rules.authority(command)
                    fail(path + ".commands", "'\(command)' is a command role \(role.rawValue) may never give: only \(a.roles.map(\.rawValue).joined(separator: " or ")) may \(a.what)")
                } else {
                    grant.commands.insert(command)
                }
            }
        }
        if t["veto"] != nil {
            grant.vetoes = []
            for event in strings(t["veto"], path + ".veto") {
                if event == "*" || EventCatalog.spec(named: event) != nil {
                    grant.vetoes.insert(event)
                } else {
                    fail(path + ".veto", "'\(event)' is not an event of the model (events: \(EventCatalog.specs.map(\.name).joined(separator: ", ")); or \"*\" for every event)")
                }
            }
        }
        return grant
    }

    mutating func categories(_ names: [String], _ path: String) -> Set<FieldCategory> {
        var out = Set<FieldCategory>()
        for n in names {
            if let c = FieldCategory(rawValue: n) { out.insert(c) } else {
                fail(path, "'\(n)' is not a field category (categories: \(FieldCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        // A protection claim is a legal event: granting the one without the other would let a
        // reader count claims it may not see among the holds.
        if out.contains(.protection) && !out.contains(.legal) {
            fail(path, "'protection' is granted without 'legal': protection claims are legal events, so grant both or neither")
        }
        return out
    }

}

// MARK: manifest.csv

struct Manifest {
    var people: [Person] = []
    var cases: [CaseOpening] = []

    static let required = ["case_ref", "person_ref", "names", "date_of_birth", "sex", "nationalities", "track", "destination_state"]
    static let optional = ["aliases", "languages", "vulnerabilities", "group", "order", "order_final_on"]

    static func parse(_ text: String, operation: ReturnOperation, _ problems: inout Problems) -> Manifest? {
        let records: [(line: Int, fields: [String])]
        do {
            records = try CSV.records(text)
        } catch let error as CSV.Malformed {
            problems.add("manifest.csv", error.line, error.message)
            return nil
        } catch {
            return nil
        }
        guard let header = records.first else {
            problems.add("manifest.csv", nil, "is empty: it needs a header line (\(required.joined(separator: ",")))")
            return nil
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let before = problems.list.count
        for c in required where !columns.contains(c) { problems.add("manifest.csv", header.line, "missing column '\(c)'") }
        for c in columns where !required.contains(c) && !optional.contains(c) {
            problems.add("manifest.csv", header.line, "unknown column '\(c)' (columns: \((required + optional).joined(separator: ", ")))")
        }
        guard problems.list.count == before else { return nil }
        let sending = operation.agencies.first { $0.role == .sendingEnforcement }?.country ?? ""
        var m = Manifest()
        var seenCases: [String: Int] = [:], seenPeople: [String: Int] = [:]
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
            let row = Row(line: record.line, columns: columns, fields: record.fields)
            guard record.fields.count == columns.count else {
                problems.add("manifest.csv", record.line, "has \(record.fields.count) fields, the header has \(columns.count)")
                continue
            }
            let caseRef = row.text("case_ref", &problems), personRef = row.text("person_ref", &problems)
            if let c = caseRef {
                if let first = seenCases[c] { row.fail("case_ref", "'\(c)' is already used on line \(first)", &problems) } else { seenCases[c] = record.line }
            }
            if let p = personRef {
                if let first = seenPeople[p] { row.fail("person_ref", "'\(p)' is already used on line \(first)", &problems) } else { seenPeople[p] = record.line }
            }
            let names = row.list("names", &problems, required: true)
            let born = row.value("date_of_birth", &problems) { LocalDate($0) } describe: { "'\($0)' is not a date (YYYY-MM-DD)" }
            let sex = row.value("sex", &problems) { Sex(rawValue: $0) } describe: { "'\($0)' is not F, M or X" }
            let nationalities = row.list("nationalities", &problems, required: true)
            let track = row.value("track", &problems) { Track(rawValue: $0) } describe: {
                "'\($0)' is not a track (\(Track.allCases.map(\.rawValue).joined(separator: ", ")))"
            }
            let destination = row.text("destination_state", &problems)
            var vulnerabilities = Set<Vulnerability>()
            for v in row.list("vulnerabilities", &problems, required: false) {
                if let flag = Vulnerability(rawValue: v) { vulnerabilities.insert(flag) } else {
                    row.fail("vulnerabilities", "'\(v)' is not a vulnerability (\(Vulnerability.allCases.map(\.rawValue).joined(separator: ", ")))", &problems)
                }
            }
            if vulnerabilities.contains(.minor), let born, born.years(until: Date()) >= 18 {
                row.fail("vulnerabilities", "'minor' for someone born \(born)", &problems)
            }
            let order = row.optional("order")
            let finalOn = row.optional("order_final_on").flatMap { text -> LocalDate? in
                guard let d = LocalDate(text) else { row.fail("order_final_on", "'\(text)' is not a date (YYYY-MM-DD)", &problems); return nil }
                return d
            }
            if finalOn != nil && order == nil { row.fail("order", "a final date is given but no order", &problems) }
            guard let caseRef, let personRef, let born, let sex, let track, let destination, !names.isEmpty, !nationalities.isEmpty else { continue }
            m.people.append(Person(ref: PersonRef(personRef), names: names, aliases: row.list("aliases", &problems, required: false),
                                   dateOfBirth: born, sex: sex, nationalities: nationalities,
                                   languages: row.list("languages", &problems, required: false), vulnerabilities: vulnerabilities,
                                   group: row.optional("group").map(GroupRef.init)))
            m.cases.append(CaseOpening(ref: CaseRef(caseRef), person: PersonRef(personRef), track: track, sendingState: sending,
                                       destinationState: destination, legalBasis: order.map { LegalBasis(order: $0, finalOn: finalOn) }))
        }
        if m.cases.isEmpty && problems.list.count == before { problems.add("manifest.csv", nil, "has no cases after its header") }
        return m
    }

    struct Row {
        let line: Int
        let columns: [String]
        let fields: [String]

        func raw(_ column: String) -> String? {
            columns.firstIndex(of: column).map { fields[$0].trimmingCharacters(in: .whitespaces) }
        }

        func optional(_ column: String) -> String? {
            raw(column).flatMap { $0.isEmpty ? nil : $0 }
        }

        func fail(_ column: String, _ message: String, _ problems: inout Problems) {
            problems.add("manifest.csv", line, "column '\(column)': \(message)")
        }

        func text(_ column: String, _ problems: inout Problems) -> String? {
            guard let v = optional(column) else { fail(column, "missing", &problems); return nil }
            return v
        }

        func value<T>(_ column: String, _ problems: inout Problems, _ parse: (String) -> T?, describe: (String) -> String) -> T? {
            guard let text = text(column, &problems) else { return nil }
            guard let v = parse(text) else { fail(column, describe(text), &problems); return nil }
            return v
        }

        /// A `;`-separated list.
        func list(_ column: String, _ problems: inout Problems, required: Bool) -> [String] {
            let items = (optional(column) ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if required && items.isEmpty { fail(column, "missing", &problems) }
            return items
        }
    }
}

/// CSV as RFC 4180 writes it: commas, double-quoted fields (which may hold commas, quotes
/// written twice, and line breaks), and the line each record starts on. Hand-written because
/// every problem must name that line; it is the whole of what the manifest needs.
enum CSV {
    struct Malformed: Error {
        var line: Int
        var message: String
    }

    static func records(_ text: String) throws -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var line = 1, recordLine = 1
        var quoted = false, wasQuoted = false
        var chars = Array(text.replacingOccurrences(of: "\r\n", with: "\n"))[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty && !wasQuoted else { throw Malformed(line: line, message: "a quote inside an unquoted field: quote the whole field") }
                quoted = true
                wasQuoted = true
            case ",":
                fields.append(field)
                field = ""
                wasQuoted = false
            case "\n":
                fields.append(field)
                records.append((recordLine, fields))
                (fields, field, wasQuoted) = ([], "", false)
                line += 1
                recordLine = line
            default:
                guard !wasQuoted else { throw Malformed(line: line, message: "text after a closing quote") }
                field.append(c)
            }
        }
        if quoted { throw Malformed(line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { records.append((recordLine, fields + [field])) }
        return records
    }
}
