import Foundation

/// A message from one party to another about cases or a movement, with a deadline. Plugins send
/// them (`ctx:send_notice{}`); the store keeps them in its outbox; the recipient acknowledges.
public struct Notice: Codable, Hashable, Sendable {
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

    public init(ref: NoticeRef, from: AgencyID, to: String, template: String, cases: [CaseRef], due: Date?, sentAt: Date, body: String) {
        self.ref = ref
        self.from = from
        self.to = to
        self.template = template
        self.cases = cases
        self.due = due
        self.sentAt = sentAt
        self.body = body
    }

    /// The agency part of `to`.
    public var recipient: AgencyID { AgencyID(String(to.prefix { $0 != "/" })) }

    /// Late: acknowledged after its deadline, or not acknowledged and the deadline has passed.
    public func isLate(at now: Date) -> Bool {
        guard let due else { return false }
        return (acknowledgedAt ?? now) > due
    }
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
