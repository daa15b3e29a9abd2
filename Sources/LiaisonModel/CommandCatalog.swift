import Foundation

/// A value given to a command by name: from a Lua table, a timeline entry, or a test.
public enum ArgValue: Hashable, Sendable, CustomStringConvertible {
    case text(String)
    case integer(Int)
    case number(Double)
    case flag(Bool)
    case list([ArgValue])

    public var description: String {
        switch self {
        case .text(let s): return "'\(s)'"
        case .integer(let n): return String(n)
        case .number(let d): return String(d)
        case .flag(let b): return String(b)
        case .list(let l): return "{" + l.map(\.description).joined(separator: ", ") + "}"
        }
    }
}

/// A command's named arguments, read with messages that say what was expected.
public struct CommandArgs: Sendable {
    public var values: [String: ArgValue]
    let command: String

    public init(_ values: [String: ArgValue], command: String) {
        self.values = values
        self.command = command
    }

    func fail(_ key: String, _ problem: String) -> CommandArgumentError {
        CommandArgumentError(message: "\(command): '\(key)' \(problem)")
    }

    func string(_ key: String) throws -> String {
        guard let v = values[key] else { throw fail(key, "is missing") }
        switch v {
        case .text(let s) where !s.isEmpty: return s
        case .integer(let n): return String(n)
        default: throw fail(key, "must be a non-empty string, not \(v)")
        }
    }

    func optionalString(_ key: String) throws -> String? { values[key] == nil ? nil : try string(key) }

    /// A whole number in `range`: a float with no fraction counts (as Lua's 3.0), NaN, an
    /// infinity or a number past the range is refused by name, never converted.
    func int(_ key: String, in range: ClosedRange<Int> = -(1 << 53)...(1 << 53)) throws -> Int {
        let n: Int
        switch values[key] {
        case .integer(let i)?: n = i
        case .number(let d)? where d.isFinite && d == d.rounded() && abs(d) <= 9e15: n = Int(d)
        case .text(let s)? where Int(s) != nil: n = Int(s)!
        case nil: throw fail(key, "is missing")
        case let v?: throw fail(key, "must be a whole number, not \(v)")
        }
        guard range.contains(n) else { throw fail(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(n)") }
        return n
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        switch values[key] {
        case nil: return value
        case .flag(let b)?: return b
        case let v?: throw fail(key, "must be true or false, not \(v)")
        }
    }

    /// A time: seconds since 1970 (as `ctx.now + days(5)` gives) or ISO 8601 text.
    func date(_ key: String) throws -> Date {
        func kept(_ seconds: Double) throws -> Date {
            guard let d = Timestamp.date(seconds: seconds) else { throw fail(key, "\(seconds) is not a time between 1900 and 2200 (seconds since 1970)") }
            return d
        }
        switch values[key] {
        case .integer(let n)?: return try kept(Double(n))
        case .number(let d)?: return try kept(d)
        case .text(let s)?:
            guard let d = Timestamp.parse(s) else { throw fail(key, "'\(s)' is not a time (for example 2026-12-15T06:00:00Z)") }
            return try kept(d.timeIntervalSince1970)
        case nil: throw fail(key, "is missing")
        case let v?: throw fail(key, "must be a time, not \(v)")
        }
    }

    func optionalDate(_ key: String) throws -> Date? { values[key] == nil ? nil : try date(key) }

    func strings(_ key: String, required: Bool = true) throws -> [String] {
        switch values[key] {
        case nil where !required: return []
        case nil: throw fail(key, "is missing")
        case .text(let s)?: return [s]
        case .list(let l)?:
            return try l.map { v in
                if case .text(let s) = v { return s }
                throw fail(key, "must be a list of strings, not \(ArgValue.list(l))")
            }
        case let v?: throw fail(key, "must be a list of strings, not \(v)")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T where T.RawValue == String {
        let s = try string(key)
        guard let v = T(rawValue: s) else {
            throw fail(key, "'\(s)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}

/// A command given with arguments it cannot be built from.
public struct CommandArgumentError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// What building a command may need besides its arguments.
public struct BuildContext {
    public var actor: AgencyID
    public var now: Date
    public var reader: ModelReader
    /// A fresh handoff reference, for a proposal that names none.
    public var newHandoffRef: () throws -> HandoffRef

    public init(actor: AgencyID, now: Date, reader: ModelReader, newHandoffRef: @escaping () throws -> HandoffRef) {
        (self.actor, self.now, self.reader, self.newHandoffRef) = (actor, now, reader, newHandoffRef)
    }
}

/// Every command a plugin, a timeline or a test can give by name, and how. One table serves the
/// Lua methods (`case:schedule{movement = "M-1"}`), the timeline (`command = "case.schedule"`),
/// permissions (by command name) and the editor stubs, so they cannot drift apart.
public struct CommandSpec: Sendable {
    /// What the command is called on: a case, a movement, a handoff, or the `model` table.
    public enum Subject: String, Sendable, CaseIterable { case `case` = "Case", movement = "Movement", handoff = "Handoff", model = "Model" }

    public struct Param: Sendable {
        public var name: String
        /// The LuaLS type: `string`, `integer`, `boolean`, `string[]`, `integer|string`.
        public var type: String
        public var optional: Bool
        public var doc: String
    }

    /// The command's name: in the ledger, in permissions, in timelines.
    public var command: String
    /// The method's name in Lua.
    public var method: String
    public var subject: Subject
    /// The argument naming the subject where a command is given as a table of named arguments
    /// (a timeline entry, an API request): `case`, `movement`, `handoff`; nil for the model's.
    public var subjectKey: String? { subject == .model ? nil : subject.rawValue.lowercased() }
    public var params: [Param]
    public var doc: String
    let build: @Sendable (String, CommandArgs, BuildContext) throws -> Command

    public func build(subject ref: String, _ args: CommandArgs, _ context: BuildContext) throws -> Command {
        try build(ref, args, context)
    }
}

public enum CommandCatalog {
    package static func p(_ name: String, _ type: String, _ doc: String, optional: Bool = false) -> CommandSpec.Param {
        .init(name: name, type: type, optional: optional, doc: doc)
    }

    static func onCase(_ command: String, _ method: String, _ params: [CommandSpec.Param], _ doc: String,
                       _ build: @escaping @Sendable (CaseRef, CommandArgs, BuildContext) throws -> Command) -> CommandSpec {
        CommandSpec(command: command, method: method, subject: .case, params: params, doc: doc) { try build(CaseRef($0), $1, $2) }
    }

    /// Every command's name, once each, in the catalogue's order (a command given on a case and
    /// on the model is listed twice in `specs`).
    public static let names: [String] = {
        var seen = Set<String>()
        return specs.map(\.command).filter { seen.insert($0).inserted }
    }()

    public static let specs: [CommandSpec] = [
        onCase("case.clear", "clear", [], "Clears the case for return: a final order, or signed consent on the voluntary track.") { c, _, _ in .clear(c) },
        onCase("legal.record", "record_legal", [p("kind", "string", "appeal, stay, injunction or protection-claim"),
                                                p("suspensive", "boolean", "whether it suspends removal (a protection claim always does)", optional: true)],
               "Records a legal event; a suspensive one raises a hold.") { c, a, _ in
            .recordLegalEvent(c, kind: try a.choice("kind", LegalEventKind.self), suspensive: try a.bool("suspensive", default: false))
        },
        onCase("legal.decide", "decide_legal", [p("event", "integer", "the legal event's id"), p("outcome", "string", "what was decided"),
                                                p("proceed", "boolean", "whether removal may proceed")],
               "Records the decision on a legal event; lifts its hold.") { c, a, _ in
            .decideLegalEvent(c, event: try a.int("event"), outcome: try a.string("outcome"), removalMayProceed: try a.bool("proceed", default: true))
        },
        onCase("hold.raise", "raise_hold", [p("kind", "string", "the hold kind, such as fit-to-fly"), p("reason", "string", "why"),
                                            p("evidence", "string", "what it rests on", optional: true),
                                            p("until", "integer|string", "when it ends by itself", optional: true)],
               "Raises a hold on the case.") { c, a, _ in
            .raiseHold(c, kind: try a.choice("kind", HoldKind.self), reason: try a.string("reason"), evidence: try a.optionalString("evidence"),
                       until: try a.optionalDate("until"))
        },
        onCase("hold.lift", "lift_hold", [p("hold", "integer", "the hold's id"), p("reason", "string", "why")],
               "Lifts a hold: only its raiser, or a party with the right, may.") { c, a, _ in
            .liftHold(c, hold: try a.int("hold"), reason: try a.string("reason"))
        },
        onCase("consent.record", "record_consent", [p("scope", "string", "'return', or 'data-release' with recipient and purpose", optional: true),
                                                    p("recipient", "string", "for data-release: the agency", optional: true),
                                                    p("purpose", "string", "for data-release: what for", optional: true),
                                                    p("interpreter", "string", "the interpreter present", optional: true)],
               "Records signed consent.") { c, a, _ in
            let scope: ConsentScope = (try a.optionalString("scope") ?? "return") == "return" ? .returnItself
                : .dataRelease(recipient: AgencyID(try a.string("recipient")), purpose: try a.string("purpose"))
            return .recordConsent(c, scope: scope, interpreter: try a.optionalString("interpreter"))
        },
        onCase("consent.withdraw", "withdraw_consent", [p("consent", "integer", "the consent's id (default: the valid consent to return)", optional: true)],
               "Withdraws consent.") { c, a, ctx in
            if a.values["consent"] == nil, let consent = try ctx.reader.returnCase(c)?.returnConsent { return .withdrawConsent(c, consent: consent.id) }
            return .withdrawConsent(c, consent: try a.int("consent"))
        },
        onCase("document.request", "request_document", [p("kind", "string", "passport, laissez-passer or emergency-travel-document"),
                                                        p("issuer", "string", "the destination ministry")],
               "Asks the destination's ministry for a travel document.") { c, a, _ in
            .requestDocument(c, kind: try a.choice("kind", DocumentKind.self), issuer: AgencyID(try a.string("issuer")))
        },
        onCase("document.issue", "issue_document", [p("kind", "string", "the document kind"), p("number", "string", "its number"),
                                                    p("valid_until", "integer|string", "when it expires")],
               "Issues a travel document (destination ministry).") { c, a, _ in
            .issueDocument(c, kind: try a.choice("kind", DocumentKind.self), number: try a.string("number"), validUntil: try a.date("valid_until"))
        },
        onCase("document.refuse", "refuse_document", [p("reason", "string", "why")], "Refuses a travel document.") { c, a, _ in
            .refuseDocument(c, reason: try a.string("reason"))
        },
        onCase("fitness.assess", "assess_fitness", [p("assessor", "string", "who assessed"), p("fit", "boolean", "the result"),
                                                    p("conditions", "string", "clinical detail (health roles only)", optional: true),
                                                    p("medical_escort", "boolean", "whether a medic must travel", optional: true),
                                                    p("expires", "integer|string", "when the assessment expires")],
               "Records a fit-to-fly assessment.") { c, a, _ in
            .assessFitness(c, FitToFly(assessor: try a.string("assessor"), fit: try a.bool("fit", default: true), conditions: try a.optionalString("conditions"),
                                       medicalEscort: try a.bool("medical_escort", default: false), expiresAt: try a.date("expires")))
        },
        onCase("notice.serve", "serve_notice", [p("charter", "boolean", "a charter's longer notice period", optional: true)],
               "Serves the removal notice on the person; its period starts.") { c, a, _ in
            .serveNotice(c, charter: try a.bool("charter", default: false))
        },
        onCase("reception.verify", "verify_reception", [], "Records that family, guardian or reception is verified.") { c, _, _ in .verifyReception(c) },
        onCase("case.schedule", "schedule", [p("movement", "string", "the movement, such as M-1"),
                                             p("escorted", "boolean", "escorted (DEPA) or not (DEPU)", optional: true)],
               "Puts the case on a movement's manifest.") { c, a, _ in
            .schedule(c, movement: MovementRef(try a.string("movement")), escorted: try a.bool("escorted", default: true))
        },
        onCase("case.strike", "strike", [p("reason", "string", "why")], "Strikes the case from its manifest.") { c, a, _ in
            .strike(c, reason: try a.string("reason"))
        },
        onCase("case.depart", "depart", [], "Boards the person: holds are checked again.") { c, _, _ in .depart(c) },
        onCase("case.arrive-transit", "arrive_in_transit", [], "Records arrival at the transit stop.") { c, _, _ in .arriveInTransit(c) },
        onCase("case.receive", "receive", [], "Records reception on arrival.") { c, _, _ in .receive(c) },
        onCase("case.close", "close", [], "Closes the case.") { c, _, _ in .close(c) },
        onCase("case.abort", "abort", [p("reason", "string", "why")], "Aborts the return; custody goes back to the sending state.") { c, a, _ in
            .abort(c, reason: try a.string("reason"))
        },
        onCase("data.release", "release_data", [p("to", "string", "the recipient agency"), p("categories", "string[]", "field categories"),
                                                p("purpose", "string", "what for")],
               "Releases categories of the case's data to an agency.") { c, a, _ in
            .releaseData(c, to: AgencyID(try a.string("to")), categories: try a.strings("categories").map { s in
                guard let cat = FieldCategory(rawValue: s) else { throw a.fail("categories", "'\(s)' is not a field category") }
                return cat
            }.sorted(), purpose: try a.string("purpose"))
        },
        onCase("case.open", "open_onward", [p("ref", "string", "the onward case's reference"), p("destination", "string", "the state it returns to"),
                                            p("track", "string", "voluntary (default) or removal", optional: true)],
               "Opens an onward case for the same person, after a third-country reception.") { parent, a, ctx in
            guard let c = try ctx.reader.returnCase(parent) else { throw a.fail("ref", "cannot open onward: no case \(parent)") }
            let country = ctx.reader.operation.agency(ctx.actor)?.country ?? c.destinationState
            return .openCase(CaseOpening(ref: CaseRef(try a.string("ref")), person: c.person,
                                         track: Track(rawValue: try a.optionalString("track") ?? "voluntary") ?? .voluntary,
                                         sendingState: country, destinationState: try a.string("destination"), parent: parent))
        },
        CommandSpec(command: "transit.authorise", method: "authorise_transit", subject: .movement, params: [p("leg", "integer", "the leg, from 1")],
                    doc: "Authorises transit for a leg (its transit authority).") { m, a, _ in
            .authoriseTransit(MovementRef(m), leg: try a.int("leg", in: 1...1_000) - 1)
        },
        CommandSpec(command: "transit.refuse", method: "refuse_transit", subject: .movement,
                    params: [p("leg", "integer", "the leg, from 1"), p("reason", "string", "why")],
                    doc: "Refuses transit for a leg.") { m, a, _ in
            .refuseTransit(MovementRef(m), leg: try a.int("leg", in: 1...1_000) - 1, reason: try a.string("reason"))
        },
        CommandSpec(command: "handoff.acknowledge", method: "accept", subject: .handoff, params: [],
                    doc: "Acknowledges the handoff for your agency; it completes when both parties have.") { h, _, _ in
            .acknowledgeHandoff(HandoffRef(h))
        },
        CommandSpec(command: "handoff.refuse", method: "refuse", subject: .handoff, params: [p("reason", "string", "why")],
                    doc: "Refuses the handoff: custody stays where it was.") { h, a, _ in
            .refuseHandoff(HandoffRef(h), reason: try a.string("reason"))
        },
        CommandSpec(command: "handoff.propose", method: "propose_handoff", subject: .model,
                    params: [p("cases", "string[]", "the cases (references or Case objects)"), p("to", "string", "the receiving agency"),
                             p("place", "string", "where, such as DOH"), p("from", "string", "the handing agency (default: yours)", optional: true),
                             p("documents", "string[]", "documents handed over", optional: true),
                             p("property", "string[]", "property handed over", optional: true),
                             p("monitor", "boolean", "whether the monitor is present", optional: true),
                             p("ref", "string", "the handoff's reference (default: H-<n>)", optional: true)],
                    doc: "Proposes a custody handoff; your agency's acknowledgement comes with it.") { _, a, ctx in
            .proposeHandoff(HandoffProposal(ref: try a.optionalString("ref").map(HandoffRef.init) ?? ctx.newHandoffRef(),
                                            cases: try a.strings("cases").map(CaseRef.init), from: AgencyID(try a.optionalString("from") ?? ctx.actor.rawValue),
                                            to: AgencyID(try a.string("to")), place: try a.string("place"),
                                            documents: try a.strings("documents", required: false), property: try a.strings("property", required: false),
                                            monitorPresent: try a.bool("monitor", default: false)))
        },
    ]

    public static func spec(named command: String) -> CommandSpec? { specs.first { $0.command == command } }
}
