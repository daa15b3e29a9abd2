import Foundation
import LiaisonModel
import LiaisonStore

/// What `liaison export` writes: an operation's cases, notices, handoffs and ledger as tables,
/// for a spreadsheet (CSV) or a program (JSON), whole for the coordinator or as one agency may
/// learn of them (`reader`). Every value goes through the same rules as a plugin's reads:
///
/// - **cases**: each field of `CaseView.fields` the reader's grants cover; the others are not
///   columns at all (a blank would still say the field exists for that case);
/// - **notices**: those the agency sent or receives; a notice's text only to its recipient;
/// - **handoffs**: every handoff (custody is operational), a refusal's reason only to an agency
///   that may read what the refusing party writes;
/// - **ledger**: the entries the agency may learn of (`LedgerEntry.isVisible`), with the
///   events it may hear of and their withheld fields marked; never a command's payload, which
///   holds what the events withhold. An entry's origin only on the agency's own entries.
public struct OperationExport {
    public struct Table: Sendable {
        public var name: String
        public var columns: [String]
        public var rows: [[String]]
    }

    public var tables: [Table]

    public init(store: any Store, at now: Date, as reader: CaseReader) throws {
        let coordinator = reader === CaseReader.coordinator
        let me = reader.agency.id

        // Cases: the fields the reader may see, in the order the API lists them.
        let fields = CaseView.fields.filter { reader.grants($0.category) }
        var cases = Table(name: "cases", columns: fields.map(\.name), rows: [])
        for ref in try store.caseRefs() {
            let view = try reader.view(ref, at: now, in: store)
            cases.rows.append(fields.map { field in view.readIfDisclosed(field.name).map(Self.text) ?? "" })
        }

        var notices = Table(name: "notices", columns: ["ref", "from", "to", "template", "cases", "sent_at", "due", "acknowledged_at", "replied_at",
                                                       "reply", "body"], rows: [])
        for n in try store.notices().sorted(by: { $0.ref < $1.ref }) where coordinator || n.from == me || n.recipient == me {
            notices.rows.append([n.ref.rawValue, n.from.rawValue, n.to, n.template, n.cases.map(\.rawValue).joined(separator: " "),
                                 Timestamp.iso(n.sentAt), n.due.map(Timestamp.iso) ?? "", n.acknowledgedAt.map(Timestamp.iso) ?? "",
                                 n.reply.map { Timestamp.iso($0.at) } ?? "",
                                 n.reply.map { $0.answers.map { "\($0.name)=\($0.value)" }.joined(separator: "; ") } ?? "",
                                 coordinator || n.recipient == me ? n.body : ""])
        }

        var handoffs = Table(name: "handoffs", columns: ["ref", "from", "to", "place", "cases", "proposed_at", "state", "acknowledged_by", "refusal"], rows: [])
        for h in try store.handoffs().sorted(by: { $0.ref.rawValue < $1.ref.rawValue }) {
            let readable = coordinator || me == h.from || me == h.to
                || (reader.mayRead(textBy: h.from, in: store.operation) && reader.mayRead(textBy: h.to, in: store.operation))
            handoffs.rows.append([h.ref.rawValue, h.from.rawValue, h.to.rawValue, h.place, h.cases.map(\.rawValue).joined(separator: " "),
                                  Timestamp.iso(h.proposedAt), h.state.rawValue, h.acknowledgedBy.map(\.rawValue).sorted().joined(separator: " "),
                                  h.refusal.map { readable ? $0 : "(withheld)" } ?? ""])
        }

        var ledger = Table(name: "ledger", columns: ["sequence", "at", "actor", "command", "origin", "events", "hash"], rows: [])
        try store.forEachEntry { entry in
            guard entry.isVisible(to: reader, in: store) else { return }
            let events = try entry.visibleEvents(to: reader, in: store)
            let own = coordinator || entry.actor == me
            ledger.rows.append([String(entry.sequence), Timestamp.iso(entry.at), entry.actor.rawValue, entry.command,
                                own ? entry.origin : "", try Self.json(events), entry.hash])
        }
        tables = [cases, notices, handoffs, ledger]
    }

    static func text(_ value: FieldValue) -> String {
        switch value {
        case .none: return ""
        case .list(let l): return l.map(text).joined(separator: "; ")
        default: return value.description
        }
    }

    static func json(_ events: [Event]) throws -> String {
        String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
    }

    /// One CSV text per table, RFC 4180: a header line, fields quoted when they hold a comma,
    /// a quote or a line break, lines ending in CRLF.
    public func csv() -> [(name: String, text: String)] {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return tables.map { t in
            (t.name, ([t.columns] + t.rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n")
        }
    }

    /// One JSON document: `{"cases": [{column: value, ...}], "notices": [...], ...}`, keys sorted.
    public func json(operation: String, as agency: AgencyID?) throws -> String {
        var document: [String: AnyEncodable] = ["operation": AnyEncodable(operation), "as": AnyEncodable(agency?.rawValue)]
        for t in tables {
            document[t.name] = AnyEncodable(t.rows.map { Dictionary(uniqueKeysWithValues: zip(t.columns, $0)) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}

/// A value of any encodable type, for a JSON document of mixed parts.
private struct AnyEncodable: Encodable {
    let encode: (Encoder) throws -> Void
    init<T: Encodable>(_ value: T) { encode = value.encode }
    func encode(to encoder: Encoder) throws { try encode(encoder) }
}
