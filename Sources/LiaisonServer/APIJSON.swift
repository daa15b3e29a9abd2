import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// A JSON value: what the API reads from request bodies and writes in its answers.
public enum JSONValue: Codable, Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var int: Int? { if case .int(let i) = self { return i } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// Compact JSON with sorted keys.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// Parses JSON text. Through JSONSerialization rather than `Decodable`: a decoder finds a
    /// value's type by trying each in turn, and each miss throws, which made parsing most of
    /// what a small request cost the server.
    public static func decode(_ data: Data) throws -> JSONValue {
        func value(_ any: Any) -> JSONValue {
            switch any {
            case is NSNull: return .null
            case let s as String: return .string(s)
            case let n as NSNumber:
                switch String(cString: n.objCType) {
                case "c", "B": return .bool(n.boolValue)
                case "f", "d": return .double(n.doubleValue)
                default: return .int(n.intValue)
                }
            case let a as [Any]: return .array(a.map(value))
            case let o as [String: Any]: return .object(o.mapValues(value))
            default: return .null
            }
        }
        return value(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
    }

    /// Any encodable value (an event, say) as JSON.
    static func of<T: Encodable>(_ value: T) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).flatMap { try? decode($0) } ?? .null
    }

    static func time(_ date: Date?) -> JSONValue { date.map { .string(Timestamp.iso($0)) } ?? .null }
}

/// How the API shows the model: as the calling agency may learn of it, through the same
/// readers as its plugins, its console and its exports.
enum APIJSON {
    /// Every field of the case the reader's grants cover; the others are not keys at all.
    static func caseView(_ view: CaseView, reader: CaseReader) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for field in CaseView.fields where reader.grants(field.category) {
            if let v = view.readIfDisclosed(field.name) { o[field.name] = value(v) }
        }
        return .object(o)
    }

    static func value(_ v: FieldValue) -> JSONValue {
        switch v {
        case .none: return .null
        case .text(let s): return .string(s)
        case .number(let n): return .int(n)
        case .flag(let b): return .bool(b)
        case .date(let d): return .string(Timestamp.iso(d))
        case .list(let l): return .array(l.map(value))
        }
    }

    /// A notice as one of its parties sees it: the text only to its recipient.
    static func notice(_ n: Notice, for reader: CaseReader) -> JSONValue {
        let coordinator = reader === CaseReader.coordinator
        var o: [String: JSONValue] = [
            "ref": .string(n.ref.rawValue), "from": .string(n.from.rawValue), "to": .string(n.to), "template": .string(n.template),
            "cases": .array(n.cases.map { .string($0.rawValue) }), "sent_at": .time(n.sentAt), "due": .time(n.due),
            "acknowledged_at": .time(n.acknowledgedAt),
            "asks": .array((n.asks ?? []).map { .object(["name": .string($0.name), "kind": .string($0.kind.rawValue), "optional": .bool($0.optional)]) }),
            "reply": n.reply.map { r in .object(["at": .time(r.at), "answers": .object(Dictionary(uniqueKeysWithValues: r.answers.map { ($0.name, .string($0.value)) }))]) } ?? .null,
        ]
        if coordinator || n.recipient == reader.agency.id { o["body"] = .string(n.body) }
        return .object(o)
    }

    /// A ledger entry as the reader may learn of it: the events it may hear of (their withheld
    /// fields marked), never the command's payload; the origin only on its own entries.
    static func entry(_ e: LedgerEntry, for reader: CaseReader, in model: ModelReader) throws -> JSONValue {
        let own = reader === CaseReader.coordinator || e.actor == reader.agency.id
        let events = try e.visibleEvents(to: reader, in: model)
        var o: [String: JSONValue] = ["sequence": .int(Int(e.sequence)), "at": .time(e.at), "actor": .string(e.actor.rawValue),
                                      "command": .string(e.command), "events": .array(events.map(event)), "hash": .string(e.hash)]
        if own && !e.origin.isEmpty { o["origin"] = .string(e.origin) }
        return .object(o)
    }

    /// An event by its catalogue name (`hold.raised`), with its subject under its kind
    /// (`case`, `handoff`, `movement`, `notice`, `person`) and its other fields as the ledger
    /// keeps them; a signal's fields under `fields`.
    static func event(_ e: Event) -> JSONValue {
        if case .signalled(let signal) = e {
            return .object(["event": .string(signal.name), "fields": .object(signal.fields.mapValues { .string($0) })])
        }
        guard case .object(let outer) = JSONValue.of(e), let inner = outer.first?.value, case .object(var fields) = inner else { return .null }
        if let subject = fields.removeValue(forKey: "_0") {
            let kind = e.name.split(separator: ".").first.map(String.init) ?? ""
            fields[["handoff": "handoff", "transit": "movement", "person": "person"][kind]
                   ?? (kind == "notice" && e.name != "notice.served" ? "notice" : "case")] = subject
        }
        fields["event"] = .string(e.name)
        return .object(fields)
    }

    /// A decided command as its giver may learn of it.
    static func outcome(_ o: Outcome, head: Int64) -> JSONValue {
        var out: [String: JSONValue] = [
            "accepted": .bool(o.accepted), "command": .string(o.label),
            "entries": .array(o.applied.map { .object(["sequence": .int(Int($0.entry.sequence)), "command": .string($0.entry.command), "hash": .string($0.entry.hash)]) }),
            "events": .array(o.events.map(event)),
            "notices": .array(o.notices.map { .string($0.ref.rawValue) }),
            "failures": .array(o.failures.map { .string($0.summary) }),
            "head": .int(Int(head)),
        ]
        if let r = o.refusal { out["refusal"] = .string(r) }
        return .object(out)
    }

    /// A command's named arguments from JSON: strings, whole numbers, numbers, booleans and
    /// lists of them, as the Lua methods take them.
    static func args(_ object: [String: JSONValue]) throws -> [String: ArgValue] {
        func arg(_ key: String, _ v: JSONValue) throws -> ArgValue {
            switch v {
            case .string(let s): return .text(s)
            case .int(let i): return .integer(i)
            case .double(let d): return .number(d)
            case .bool(let b): return .flag(b)
            case .array(let a): return .list(try a.map { try arg(key, $0) })
            case .null, .object: throw ServerError.badRequest("argument '\(key)': give a string, a number, a boolean or a list of them")
            }
        }
        return try object.reduce(into: [:]) { $0[$1.key] = try arg($1.key, $1.value) }
    }
}
