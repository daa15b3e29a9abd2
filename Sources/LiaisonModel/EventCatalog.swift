/// Every event a plugin can subscribe to, described once: what causes it, who hears of it, and
/// each field it carries with the category of data that field is. The engine offers an event
/// only to the agencies `Event.disclosure(to:causedBy:in:)` lets hear of it, without the fields
/// it withholds; the stubs and the reference docs print these descriptions.
public struct EventSpec: Sendable {
    public struct Field: Sendable {
        public var name: String
        /// The LuaLS type: `Case`, `string`, `integer`.
        public var type: String
        /// What the field is, for the docs, including what its disclosure depends on.
        public var doc: String
    }

    public var name: String
    /// What causes it.
    public var cause: String
    /// Who hears of it, in words; the rule itself is `Event.disclosure`.
    public var audience: String
    public var fields: [Field]
}

public enum EventCatalog {
    private static func f(_ name: String, _ type: String, _ doc: String) -> EventSpec.Field { .init(name: name, type: type, doc: doc) }
    private static let everyone = "every agency"
    private static let legal = "agencies granted 'legal'"
    private static let legalOrProtection = "agencies granted 'legal'; for a protection claim, 'protection' too"
    /// The free text an agency writes is shown only to agencies granted every category its
    /// writer is: it may say anything the writer knows.
    private static let freeText = "free text: only to agencies granted every category its writer is (nil otherwise)"

    public static let specs: [EventSpec] = [
        EventSpec(name: "person.registered", cause: "person.register (an import)", audience: everyone,
                  fields: [f("person", "string", "the person's reference")]),
        EventSpec(name: "case.opened", cause: "case.open (an import, or an onward case)", audience: everyone,
                  fields: [f("case", "Case", "the case")]),
        EventSpec(name: "case.state-changed", cause: "any command that moves a case along its states", audience: everyone,
                  fields: [f("case", "Case", "the case"), f("from", "string", "the progress it had"),
                           f("to", "string", "the progress it has now; `case.state` also shows on-hold while a hold blocks it")]),
        EventSpec(name: "hold.raised", cause: "hold.raise, or a command whose rules raise one (legal.record, case.open, ...)",
                  audience: legalOrProtection,
                  fields: [f("case", "Case", "the case"), f("hold", "integer", "the hold's id"), f("kind", "string", "the hold kind")]),
        EventSpec(name: "hold.lifted", cause: "hold.lift, or a command whose rules lift one (document.issue, ...)", audience: legalOrProtection,
                  fields: [f("case", "Case", "the case"), f("hold", "integer", "the hold's id"), f("kind", "string", "the hold kind"),
                           f("by", "string", "the agency that lifted it")]),
        EventSpec(name: "legal.recorded", cause: "legal.record", audience: legalOrProtection,
                  fields: [f("case", "Case", "the case"), f("event", "integer", "the legal event's id"),
                           f("kind", "string", "appeal, stay, injunction or protection-claim")]),
        EventSpec(name: "legal.decided", cause: "legal.decide", audience: legalOrProtection,
                  fields: [f("case", "Case", "the case"), f("event", "integer", "the legal event's id"), f("outcome", "string", "what was decided")]),
        EventSpec(name: "consent.recorded", cause: "consent.record", audience: everyone,
                  fields: [f("case", "Case", "the case"), f("consent", "integer", "the consent's id")]),
        EventSpec(name: "consent.withdrawn", cause: "consent.withdraw", audience: everyone,
                  fields: [f("case", "Case", "the case"), f("consent", "integer", "the consent's id")]),
        EventSpec(name: "document.updated", cause: "document.request, document.issue, document.refuse",
                  audience: "agencies granted 'travel-document'",
                  fields: [f("case", "Case", "the case"), f("status", "string", "requested, issued or refused")]),
        EventSpec(name: "fitness.assessed", cause: "fitness.assess", audience: everyone,
                  fields: [f("case", "Case", "the case"), f("fit", "boolean", "the result (clinical detail stays in the case's medical fields)")]),
        EventSpec(name: "notice.served", cause: "notice.serve (a removal notice served on the person)", audience: legal,
                  fields: [f("case", "Case", "the case"), f("period_ends", "integer", "when its period ends, in seconds since 1970")]),
        EventSpec(name: "reception.verified", cause: "reception.verify", audience: everyone, fields: [f("case", "Case", "the case")]),
        EventSpec(name: "case.struck", cause: "case.strike", audience: everyone,
                  fields: [f("case", "Case", "the case"), f("reason", "string?", "why: " + freeText)]),
        EventSpec(name: "transit.updated", cause: "transit.authorise, transit.refuse", audience: everyone,
                  fields: [f("movement", "Movement", "the movement"), f("leg", "integer", "the leg, from 1"),
                           f("state", "string", "authorised or refused")]),
        EventSpec(name: "handoff.proposed", cause: "handoff.propose", audience: everyone, fields: [f("handoff", "Handoff", "the handoff")]),
        EventSpec(name: "handoff.acknowledged", cause: "handoff.propose (the proposer's), handoff.acknowledge", audience: everyone,
                  fields: [f("handoff", "Handoff", "the handoff"), f("by", "string", "the agency that acknowledged it")]),
        EventSpec(name: "handoff.completed", cause: "the second party's handoff.acknowledge", audience: everyone,
                  fields: [f("handoff", "Handoff", "the handoff")]),
        EventSpec(name: "handoff.refused", cause: "handoff.refuse", audience: everyone,
                  fields: [f("handoff", "Handoff", "the handoff"), f("reason", "string?", "why: " + freeText)]),
        EventSpec(name: "custody.transferred", cause: "a completed handoff, or case.abort", audience: everyone,
                  fields: [f("case", "Case", "the case"), f("from", "string", "the agency that had custody"), f("to", "string", "the agency that has it")]),
        EventSpec(name: "data.released", cause: "data.release", audience: "the recipient, and " + legal,
                  fields: [f("case", "Case", "the case"), f("to", "string", "the recipient"), f("categories", "string[]", "the categories released")]),
        EventSpec(name: "notice.sent", cause: "ctx:send_notice", audience: "the notice's sender and recipient only",
                  fields: [f("notice", "Notice", "the notice"), f("to", "string", "AGENCY or AGENCY/contact")]),
        EventSpec(name: "notice.received", cause: "ctx:send_notice: the same notice, offered to the recipient's plugins only",
                  audience: "the notice's recipient only",
                  fields: [f("notice", "Notice", "the notice"), f("to", "string", "AGENCY or AGENCY/contact")]),
        EventSpec(name: "notice.acknowledged", cause: "ctx:acknowledge", audience: "the notice's sender and recipient only",
                  fields: [f("notice", "Notice", "the notice"), f("by", "string", "the agency that acknowledged it")]),
        EventSpec(name: "notice.replied", cause: "ctx:reply (which acknowledges the notice too, if it was not yet)",
                  audience: "the notice's sender and recipient only",
                  fields: [f("notice", "Notice", "the notice; its `reply` holds the answers"), f("by", "string", "the agency that replied")]),
        EventSpec(name: "notice.overdue", cause: "the operation's clock passing a notice's deadline before it was acknowledged (a signal the engine gives)",
                  audience: "the notice's sender and recipient only",
                  fields: [f("notice", "string", "the notice's reference"), f("to", "string", "its recipient"), f("from", "string", "its sender"),
                           f("template", "string", "its template")]),
    ]

    private static let index = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })

    public static func spec(named name: String) -> EventSpec? { index[name] }

    /// The signals the engine gives itself.
    public static let engineSignals: Set<String> = ["notice.overdue"]
}

/// What one agency may learn of one event.
public enum EventDisclosure: Equatable, Sendable {
    /// Not offered at all: the event itself is what the agency may not learn.
    case hidden
    /// Offered, without the fields named (they read as nil).
    case shown(withheld: [String])

    static let whole = EventDisclosure.shown(withheld: [])
}

extension Event {
    /// What `reader` may learn of this event, which a command of `writer` caused.
    ///
    /// - An event whose point is a withheld fact is hidden: holds and legal events (`legal`,
    ///   and `protection` for a protection claim), a removal notice served (`legal`), a travel
    ///   document's status (`travel-document`).
    /// - Notices are heard of by their sender and recipient only; a release of data by its
    ///   recipient and by agencies granted `legal`.
    /// - Free text one agency writes (a strike's or a refusal's reason) is shown only to an
    ///   agency granted every category the writer is: it may say anything the writer knows.
    /// - Everything else is operational: every agency hears of it whole.
    public func disclosure(to reader: CaseReader, causedBy writer: AgencyID, in model: ModelReader) -> EventDisclosure {
        func gate(_ categories: Set<FieldCategory>) -> EventDisclosure { reader.grants(all: categories) ? .whole : .hidden }
        func text(_ field: String) -> EventDisclosure { reader.mayRead(textBy: writer, in: model.operation) ? .whole : .shown(withheld: [field]) }
        let me = reader.agency.id
        switch self {
        case .personRegistered, .caseOpened, .stateChanged, .consentRecorded, .consentWithdrawn, .fitnessAssessed, .receptionVerified,
             .transitUpdated, .handoffProposed, .handoffAcknowledged, .handoffCompleted, .custodyTransferred:
            return .whole
        case let .holdRaised(_, _, kind), let .holdLifted(_, _, kind, _):
            return gate(kind.categories)
        case let .legalEventRecorded(_, _, kind):
            return gate(kind.categories)
        case let .legalEventDecided(ref, id, _):
            // The decision carries no kind: a protection claim's is read off the case, and an
            // event that cannot be read is treated as one.
            let kind = (try? model.returnCase(ref))??.legalEvents.first { $0.id == id }?.kind ?? .protectionClaim
            return gate(kind.categories)
        case .documentUpdated:
            return gate([.travelDocument])
        case .noticeServed:
            return gate([.legal])
        case .struck:
            return text("reason")
        case .handoffRefused:
            return text("reason")
        case let .dataReleased(_, to, _):
            return me == to || reader.grants(.legal) ? .whole : .hidden
        case let .noticeSent(_, to):
            return me == writer || me == Notice.recipient(of: to) ? .whole : .hidden
        case let .noticeAcknowledged(ref, by), let .noticeReplied(ref, by):
            if me == by { return .whole }
            return (try? model.notice(ref))??.from == me ? .whole : .hidden
        case .signalled(let s):
            guard s.name == "notice.overdue" else { return .whole }
            let to = s.fields["to"].map(Notice.recipient(of:))
            return me == to || me.rawValue == s.fields["from"] ? .whole : .hidden
        case .pluginFailed:
            return .hidden
        }
    }

    /// The categories of what `writer` may know: everything for the coordinator.
    static func categories(of writer: AgencyID, in operation: ReturnOperation) -> Set<FieldCategory> {
        guard let agency = operation.agency(writer) else { return Set(FieldCategory.allCases) }
        return operation.disclosure.categories(for: agency)
    }
}
