import Foundation

/// A message from one party to another about cases or a movement, with a deadline. Plugins send
/// them (`ctx:send_notice{}`); the store keeps them in its outbox; the recipient acknowledges.
///
/// A value kept in `Shared` storage, as `ReturnCase` is, and for the same reason: a notice is
/// copied wherever it goes (a command, a decision, the records changed since a checkpoint, each
/// look for overdue notices), and copying its six strings and lists retained each. Its JSON,
/// equality and hash are those of `Fields`.
public struct Notice: Codable, Hashable, Sendable {
    /// The longest text a notice may carry (8 MiB: a manifest listing 100,000 people is about
    /// 5 MiB), and the most cases it may be about (a case may be listed once per mention): the
    /// rules refuse more. What one transaction's notices may hold together is the engine's
    /// bound (`Engine.maxNoticeBytes`).
    public static let maximumBodyBytes = 8 << 20
    public static let maximumCases = 200_000

    /// The notice's stored fields, in the order its JSON gives them.
    public struct Fields: Codable, Hashable, Sendable {
        public var ref: NoticeRef
        public var from: AgencyID
        /// The recipient: an agency, optionally with a contact point (`IR-MFA/consular`).
        public var to: String
        public var template: String
        public var cases: [CaseRef]
        public var due: Date?
        public var sentAt: Date
        /// The rendered text: what the recipient may see of the cases, and no more.
        public var body: String
        public var acknowledgedAt: Date?
        /// What the sender's template asks the recipient to answer (`[replies.TEMPLATE]` in the
        /// sender's `plugin.toml`), sorted by name; nil when it asks nothing.
        public var asks: [NoticeQuestion]?
        /// The recipient's answer (`ctx:reply`), once given.
        public var reply: NoticeReply?
    }

    private var storage: Shared<Fields>

    /// The fields, copied first if another value shares them.
    public var fields: Fields {
        get { storage.value }
        _modify { yield &storage.value }
    }

    public var ref: NoticeRef { get { storage.value.ref } _modify { yield &storage.value.ref } }
    public var from: AgencyID { get { storage.value.from } _modify { yield &storage.value.from } }
    /// The recipient: an agency, optionally with a contact point (`IR-MFA/consular`).
    public var to: String { get { storage.value.to } _modify { yield &storage.value.to } }
    public var template: String { get { storage.value.template } _modify { yield &storage.value.template } }
    public var cases: [CaseRef] { get { storage.value.cases } _modify { yield &storage.value.cases } }
    public var due: Date? { get { storage.value.due } _modify { yield &storage.value.due } }
    public var sentAt: Date { get { storage.value.sentAt } _modify { yield &storage.value.sentAt } }
    /// The rendered text: what the recipient may see of the cases, and no more.
    public var body: String { get { storage.value.body } _modify { yield &storage.value.body } }
    public var acknowledgedAt: Date? { get { storage.value.acknowledgedAt } _modify { yield &storage.value.acknowledgedAt } }
    public var asks: [NoticeQuestion]? { get { storage.value.asks } _modify { yield &storage.value.asks } }
    public var reply: NoticeReply? { get { storage.value.reply } _modify { yield &storage.value.reply } }

    public init(ref: NoticeRef, from: AgencyID, to: String, template: String, cases: [CaseRef], due: Date?, sentAt: Date, body: String,
                asks: [NoticeQuestion]? = nil) {
        storage = Shared(Fields(ref: ref, from: from, to: to, template: template, cases: cases, due: due, sentAt: sentAt, body: body,
                            acknowledgedAt: nil, asks: asks.flatMap { $0.isEmpty ? nil : $0.sorted { $0.name < $1.name } }, reply: nil))
    }

    public init(from decoder: Decoder) throws { storage = Shared(try Fields(from: decoder)) }
    public func encode(to encoder: Encoder) throws { try storage.value.encode(to: encoder) }
    public static func == (a: Notice, b: Notice) -> Bool { a.storage.isIdentical(to: b.storage) || a.storage.value == b.storage.value }
    public func hash(into hasher: inout Hasher) { storage.value.hash(into: &hasher) }

    /// The agency part of `to`.
    public var recipient: AgencyID { Self.recipient(of: to) }

    /// The agency a notice addressed to `to` goes to: the part before any `/`.
    public static func recipient(of to: String) -> AgencyID {
        AgencyID(to.utf8.firstIndex(of: UInt8(ascii: "/")).map { String(to[..<$0]) } ?? to)
    }

    /// Why `answers` is not a reply to this notice, or nil: each answer must be one the notice
    /// asks, of its kind, and every question not marked optional answered.
    public func problem(with answers: [NoticeReply.Answer]) -> String? {
        guard let asks, !asks.isEmpty else {
            return "notice \(ref) (template \(template)) asks for no reply: acknowledge it instead, or declare the answers under [replies.\(template)] in the sending plugin's plugin.toml"
        }
        var seen = Set<String>()
        for a in answers {
            guard seen.insert(a.name).inserted else { return "notice \(ref): '\(a.name)' is answered twice" }
            guard let q = asks.first(where: { $0.name == a.name }) else {
                return "notice \(ref) (template \(template)) does not ask '\(a.name)' (it asks: \(asks.map { "\($0.name): \($0.declaration)" }.joined(separator: ", ")))"
            }
            if let problem = q.problem(with: a.value) { return "notice \(ref): \(problem)" }
        }
        let missing = asks.filter { !$0.optional && !seen.contains($0.name) }.map(\.name)
        if !missing.isEmpty { return "notice \(ref): the reply leaves out \(missing.joined(separator: ", ")), which the notice asks for" }
        return nil
    }

    /// Late: acknowledged after its deadline, or not acknowledged and the deadline has passed.
    public func isLate(at now: Date) -> Bool {
        guard let due else { return false }
        return (acknowledgedAt ?? now) > due
    }
}

/// One thing a notice asks its recipient to answer: a name, the kind of value, and whether the
/// answer may leave it out. Declared per template by the sender (`[replies.TEMPLATE]` in its
/// `plugin.toml`: `lawyer_met = "boolean"`, `note = "text?"`) and carried by the notice, so
/// the rules check a reply against what was asked, whoever asks.
public struct NoticeQuestion: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// Any text; a date as `YYYY-MM-DD`; `true` or `false`; a finite number.
        case text, date, boolean, number
    }

    public var name: String
    public var kind: Kind
    public var optional: Bool

    public init(name: String, kind: Kind, optional: Bool = false) {
        (self.name, self.kind, self.optional) = (name, kind, optional)
    }

    /// `boolean`, or `text?` for an answer that may be left out.
    public var declaration: String { kind.rawValue + (optional ? "?" : "") }

    /// Reads a declaration (`boolean`, `text?`); nil when it is none.
    public init?(name: String, declaration: String) {
        let optional = declaration.hasSuffix("?")
        guard let kind = Kind(rawValue: optional ? String(declaration.dropLast()) : declaration) else { return nil }
        self.init(name: name, kind: kind, optional: optional)
    }

    /// The longest name and answer, in bytes, and the most questions a notice may ask.
    public static let maximumNameBytes = 64
    public static let maximumAnswerBytes = 4_096
    public static let maximumQuestions = 32

    /// Why `value` (an answer's text as the ledger keeps it) does not answer this question, or nil.
    public func problem(with value: String) -> String? {
        if value.utf8.count > Self.maximumAnswerBytes { return "'\(name)' is \(value.utf8.count) bytes long: an answer is at most \(Self.maximumAnswerBytes)" }
        switch kind {
        case .text: return nil
        case .boolean: return value == "true" || value == "false" ? nil : "'\(name)' must be true or false, not '\(value)'"
        case .number: return Double(value).map { $0.isFinite } == true ? nil : "'\(name)' must be a number, not '\(value)'"
        case .date: return LocalDate(value) == nil ? "'\(name)' must be a date (YYYY-MM-DD), not '\(value)'" : nil
        }
    }
}

/// A recipient's answer to a notice: when, and each answer as text (`true`, `3`, `2026-11-30`),
/// sorted by name; the question says how to read it.
public struct NoticeReply: Codable, Hashable, Sendable {
    public struct Answer: Codable, Hashable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { (self.name, self.value) = (name, value) }
    }

    public var at: Date
    public var answers: [Answer]

    public init(at: Date, answers: [Answer]) {
        self.at = at
        self.answers = answers
    }

    public func value(_ name: String) -> String? { answers.first { $0.name == name }?.value }
}

/// A fact from outside the model that plugins react to: a leg departs, a flight lands, the
/// final manifest check is due. It changes no record; it is in the ledger so that a replay
/// offers the same facts at the same times.
public struct Signal: Codable, Hashable, Sendable {
    /// Dotted, such as `leg.departing`; handlers subscribe to it by this name.
    public var name: String
    public var fields: [String: String]

    public init(name: String, fields: [String: String] = [:]) {
        self.name = name
        self.fields = fields
    }
}

/// What became of a plugin's handler that did not finish normally. It is a ledger entry,
/// whether the triggering command went on (fail-open) or was refused (fail-closed or veto).
/// One entry of a plugin's own state, as the plugin keeps it (`ctx:remember(key, value)`):
/// a command like any other, so it is part of its handler's transaction (taken back with it),
/// in the ledger (so a replay and an audit see it), and there when the plugin is loaded again.
/// Only the plugin's agency may give it, and only that agency may learn of it.
public struct PluginStateChange: Codable, Hashable, Sendable {
    /// The longest key, the longest value (as JSON), and the most one plugin may keep in all
    /// (keys and values), in bytes.
    public static let maximumKeyBytes = 256
    public static let maximumValueBytes = 65_536
    public static let maximumTotalBytes = 1 << 20

    public var plugin: String
    public var agency: AgencyID
    public var key: String
    /// The value as JSON text; nil drops the key.
    public var value: String?

    public init(plugin: String, agency: AgencyID, key: String, value: String?) {
        self.plugin = plugin
        self.agency = agency
        self.key = key
        self.value = value
    }

    /// Why the change cannot be kept, or nil.
    public var problem: String? {
        if key.isEmpty { return "a state key cannot be empty" }
        if key.utf8.count > Self.maximumKeyBytes { return "state key of \(key.utf8.count) bytes is longer than \(Self.maximumKeyBytes)" }
        if key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "a state key cannot contain control characters" }
        if let value, value.utf8.count > Self.maximumValueBytes {
            return "the value for state key '\(key)' takes \(value.utf8.count) bytes as JSON, more than \(Self.maximumValueBytes)"
        }
        return nil
    }
}

public struct PluginOutcome: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case error, timeout, memory, veto, interrupted
    }

    public var plugin: String
    public var agency: AgencyID
    /// The event the handler was subscribed to.
    public var hook: String
    public var kind: Kind
    public var failClosed: Bool
    /// The plugin's own message, or Lua's.
    public var message: String
    /// `plugins/ir-mfa/main.lua:14`, when known.
    public var location: String?
    /// The command at the root of the transaction, and whether it was refused because of this.
    public var trigger: String
    public var refusedTrigger: Bool

    public init(plugin: String, agency: AgencyID, hook: String, kind: Kind, failClosed: Bool, message: String, location: String?,
                trigger: String, refusedTrigger: Bool) {
        self.plugin = plugin
        self.agency = agency
        self.hook = hook
        self.kind = kind
        self.failClosed = failClosed
        self.message = message
        self.location = location
        self.trigger = trigger
        self.refusedTrigger = refusedTrigger
    }

    /// `plugin ir-mfa, hook handoff.proposed, plugins/ir-mfa/main.lua:14: veto: medical escort required`
    public var summary: String {
        "plugin \(plugin), hook \(hook)" + (location.map { ", \($0)" } ?? "") + ": \(kind.rawValue): \(message)"
    }
}
