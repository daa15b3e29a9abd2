import Foundation
import LiaisonModel

struct Manifest {
    var people: [Person] = []
    var cases: [CaseOpening] = []

    static let required = ["case_ref", "person_ref", "names", "date_of_birth", "sex", "nationalities", "track", "destination_state"]
    static let optional = ["aliases", "languages", "vulnerabilities", "group", "order", "order_final_on"]

    /// `start`: when the operation's clock starts, against which ages are judged (nil when
    /// operation.toml could not say).
    static func parse(_ text: String, operation: ReturnOperation, start: Date?, _ problems: inout Problems) -> Manifest? {
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
            // A NUL or a control character in a reference or a name would reach the ledger,
            // reports and terminals.
            if let (i, c) = record.fields.enumerated().lazy.compactMap({ i, f in
                f.unicodeScalars.first { $0.properties.generalCategory == .control }.map { (i, $0) }
            }).first {
                problems.add("manifest.csv", record.line, "column '\(columns[i])': contains a control character (U+\(String(format: "%04X", c.value))): write the field without it")
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
            if vulnerabilities.contains(.minor), let born, let start, born.years(until: start) >= 18 {
                row.fail("vulnerabilities", "'minor' for someone born \(born), who is an adult when the operation starts (\(Timestamp.day(start)))", &problems)
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
