import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore
import LuaKit

// The Lua face of the model, as plugins see it: each class and table declared once, with a
// description of each member beside its binding (see `APIType`). `installAPI` registers them
// with a plugin's state; `apiMembers` gives their descriptions to the stubs, the console's
// completion and `liaison reference api`.

extension PluginRuntime {
    // MARK: The classes

    static func caseAPI() -> APIType<CaseHandle> {
        let type = APIType<CaseHandle>("Case")
        CaseBinding.declare(on: type, ref: \.ref, hint: "plugins change the model through methods, such as case:schedule{movement = \"M-1\"}",
                            view: { try $0.view().1 }, field: { try $0.read($1) })
        addCommands(to: type, .case)
        return type
    }

    static func movementAPI() -> APIType<MovementHandle> {
        let type = APIType<MovementHandle>("Movement")
            .field("ref", "string", "The movement's reference.") { $0.ref.rawValue }
            .field("capacity", "integer", "Seats.") { try $0.movement().capacity }
            .field("booked", "integer", "Seats taken.") { try $0.movement().booked }
            .field("charter", "boolean", "A charter, not a scheduled flight.") { try $0.movement().charter }
            .field("legs", "Leg[]", "The legs, in order.") { m -> LuaValue in
                .array(try m.movement().legs.map { l in
                    ["from": .string(LuaString(l.from)), "to": .string(LuaString(l.to)), "departs": .integer(Self.seconds(l.scheduledDeparture)),
                     "arrives": .integer(Self.seconds(l.scheduledArrival)), "transit": .string(LuaString(l.transit.rawValue))]
                })
            }
            .method("cases", returns: "Case[]", [APIMember.param("state", "CaseState", "only cases in this state", optional: true)],
                    "The cases on this movement's manifest (not struck).") { m, args -> LuaValue in
                let plugin = try m.live()
                let engine = try plugin.engineInHandler("movement:cases")
                let state = try args.optional(1) { try args.string($0) }
                var out: [LuaValue] = []
                for ref in try engine.cases(in: nil) {
                    guard let c = try engine.reader.returnCase(ref), c.manifest?.movement == m.ref, c.manifest?.struck == nil,
                          state == nil || c.state(at: engine.now).rawValue == state || c.progress.rawValue == state else { continue }
                    out.append(.object(CaseHandle(ref, plugin)))
                }
                return .array(out)
            }
            .tostring { "<movement \($0.ref)>" }
            .eq { $0.ref == $1.ref }
        addCommands(to: type, .movement)
        return type
    }

    /// The fields of a movement's legs, for the stubs.
    static let legFields: [CommandSpec.Param] = [
        APIMember.param("from", "string", "where the leg departs (an airport code)"),
        APIMember.param("to", "string", "where it arrives"),
        APIMember.param("departs", "integer", "its scheduled departure, in seconds since 1970 (UTC)"),
        APIMember.param("arrives", "integer", "its scheduled arrival"),
        APIMember.param("transit", "string", "the state of its transit: none, requested, authorised or refused"),
    ]

    static func handoffAPI() -> APIType<HandoffHandle> {
        let type = APIType<HandoffHandle>("Handoff")
            .field("ref", "string", "The handoff's reference.") { $0.ref.rawValue }
            .field("from", "string", "The agency handing custody over.") { try $0.handoff().from.rawValue }
            .field("to", "string", "The agency taking custody.") { try $0.handoff().to.rawValue }
            .field("place", "string", "Where.") { try $0.handoff().place }
            .field("state", "'proposed'|'completed'|'refused'", "Where the handoff stands.") { try $0.handoff().state.rawValue }
            .field("monitor_present", "boolean", "Whether the monitor is present.") { try $0.handoff().monitorPresent }
            .field("documents", "string[]", "Documents handed over.") { try $0.handoff().documents }
            .field("acknowledged_by", "string[]", "Agencies that acknowledged it.") { try $0.handoff().acknowledgedBy.map(\.rawValue).sorted() }
            .method("cases", returns: "Case[]", [], "The cases handed over.") { h, _ -> LuaValue in
                let plugin = try h.live()
                return .array(try h.handoff().cases.map { .object(CaseHandle($0, plugin)) })
            }
            .tostring { "<handoff \($0.ref)>" }
            .eq { $0.ref == $1.ref }
        addCommands(to: type, .handoff)
        return type
    }

    static func noticeAPI() -> APIType<NoticeHandle> {
        APIType<NoticeHandle>("Notice")
            .field("ref", "string", "The notice's reference.") { $0.ref.rawValue }
            .field("from", "string", "The agency that sent it.") { try $0.notice().from.rawValue }
            .field("to", "string", "AGENCY or AGENCY/contact.") { try $0.notice().to }
            .field("template", "string", "The template it was rendered from.") { try $0.notice().template }
            .field("due", "integer?", "The deadline, in seconds since 1970 (UTC), if any.") { n -> LuaValue in
                try n.notice().due.map { .integer(Self.seconds($0)) } ?? .nil
            }
            .field("body", "string?", "The text; nil unless your agency is the recipient.") { n -> LuaValue in
                let notice = try n.notice()
                return notice.recipient == n.plugin?.manifest.agency ? .string(LuaString(notice.body)) : .nil
            }
            .field("acknowledged", "boolean", "Whether the recipient has acknowledged it (a reply acknowledges it too).") { try $0.notice().acknowledgedAt != nil }
            .field("asks", "table<string, string>", "What it asks the recipient to answer with ctx:reply: each answer's name and kind (text, date, boolean or number; with ? when it may be left out), as the sender's plugin.toml declares under [replies.TEMPLATE]. Empty when it asks nothing.") { n -> LuaValue in
                .table(Dictionary(uniqueKeysWithValues: try (n.notice().asks ?? []).map { (LuaValue.string(LuaString($0.name)), LuaValue.string(LuaString($0.declaration))) }))
            }
            .field("reply", "table<string, string|number|boolean>?", "The recipient's answers, each as its kind reads in Lua (a date as YYYY-MM-DD text); nil until it replies.") { n -> LuaValue in
                try n.notice().luaReply
            }
            .field("replied_at", "integer?", "When the recipient replied, in seconds since 1970 (UTC); nil until then.") { n -> LuaValue in
                try n.notice().reply.map { .integer(Self.seconds($0.at)) } ?? .nil
            }
            .field("cases", "Case[]", "The cases it is about.") { n -> LuaValue in
                let plugin = try n.live()
                return .array(try n.notice().cases.map { .object(CaseHandle($0, plugin)) })
            }
            .tostring { "<notice \($0.ref)>" }
            .eq { $0.ref == $1.ref }
    }

    /// What `ctx:send_notice` takes, for the stubs.
    static let noticeRequestFields: [CommandSpec.Param] = [
        APIMember.param("to", "string", "AGENCY or AGENCY/contact"),
        APIMember.param("template", "string", "a templates/*.mustache name, without .mustache"),
        APIMember.param("case", "Case|string", "the case it is about", optional: true),
        APIMember.param("cases", "(Case|string)[]", "the cases it is about", optional: true),
        APIMember.param("due", "integer|string", "the deadline: seconds since 1970, or ISO 8601 text", optional: true),
        APIMember.param("data", "table<string, string|number|boolean>", "more values for the template ({{data.KEY}})", optional: true),
    ]

    static func contextAPI() -> APIType<HandlerContext> {
        APIType<HandlerContext>("Context")
            .field("agency", "string", "Your plugin's agency.") { try $0.live().manifest.agency.rawValue }
            .field("now", "integer", "The operation's time, in seconds since 1970 (UTC).") { Self.seconds($0.now) }
            .field("hook", "string", "The event being handled.") { $0.hook }
            .method("send_notice", returns: "string", [APIMember.param("args", "NoticeRequest", "who to, which template, about which cases")],
                    passing: .table,
                    "Renders a template with what the recipient may see and puts the notice in the outbox. Needs permission notice.send. Returns its reference.") { ctx, args -> String in
                try ctx.live().sendNotice(args).rawValue
            }
            .method("acknowledge", [APIMember.param("notice", "Notice|string", "the notice or its reference")],
                    "Acknowledges a notice addressed to your agency. Needs permission notice.acknowledge.") { ctx, args -> LuaNoResults in
                let plugin = try ctx.live()
                try plugin.require("notice.acknowledge")
                let ref: String
                switch try args.value(1) {
                case .object(let n as NoticeHandle): ref = n.ref.rawValue
                case let v: ref = try v["ref"]?.stringValue ?? args.string(1)  // a table with a ref, or the ref itself
                }
                try plugin.engineInHandler("ctx:acknowledge").applyFromHandler(.acknowledgeNotice(NoticeRef(ref)), by: plugin.manifest.agency,
                                                                               origin: plugin.origin, giver: plugin)
                return .none
            }
            .method("reply", [APIMember.param("notice", "Notice|string", "a notice addressed to your agency, or its reference"),
                              APIMember.param("answers", "table<string, string|number|boolean>", "an answer for each thing the notice asks (notice.asks)")],
                    "Answers a notice addressed to your agency with what its template asks (notice.asks): each answer of its kind, every one not marked optional given. Acknowledges it too, if it was not; the sender's plugins get notice.replied. Needs permission notice.reply.") { ctx, args -> LuaNoResults in
                let plugin = try ctx.live()
                try plugin.require("notice.reply")
                let engine = try plugin.engineInHandler("ctx:reply")
                let ref: NoticeRef
                switch try args.value(1) {
                case .object(let n as NoticeHandle): ref = n.ref
                case let v: ref = NoticeRef(try v["ref"]?.stringValue ?? args.string(1))
                }
                // The kinds the notice asks, to tell a Lua value of the wrong type (the rules see
                // text only); a notice this agency may not see is left for the rules to refuse.
                let notice = try engine.reader.notice(ref)
                let asks = notice.flatMap { $0.recipient == plugin.manifest.agency ? $0.asks : nil } ?? []
                var answers: [NoticeReply.Answer] = []
                for (k, v) in try args.table(2) {
                    guard let name = k.stringValue else { throw LuaScriptError("ctx:reply: answers are named by strings, not \(k)") }
                    answers.append(NoticeReply.Answer(name: name, value: try Self.answerText(v, name: name, kind: asks.first { $0.name == name }?.kind)))
                }
                try engine.applyFromHandler(.replyNotice(ref, answers: answers.sorted { $0.name < $1.name }), by: plugin.manifest.agency,
                                            origin: plugin.origin, giver: plugin)
                return .none
            }
            .method("veto", [APIMember.param("reason", "string", "why")],
                    "Refuses the command whose event this handler was offered: it and everything it caused are taken back, its giver is told, the veto is recorded. Needs the operation's veto right on this event.") { ctx, args -> LuaNoResults in
                let plugin = try ctx.live()
                let reason = try args.string(1)
                if plugin.isConsole && ctx.hook == "repl" {
                    throw LuaScriptError("ctx:veto refuses the command whose event a handler is offered, and at the prompt no event is being handled: try it in a plugin's handler, or in a test with scenario.load")
                }
                try plugin.requireVeto(on: ctx.hook)
                ctx.veto = (reason, args.callerLocation)
                throw LuaScriptError("veto: \(reason)")
            }
            .method("remember", [APIMember.param("key", "string", "a name of your choosing"),
                                 APIMember.param("value", "any", "a string, number, boolean or table of them; nil drops the key")],
                    "Keeps a value in your plugin's own state: part of this handler's transaction (taken back if the handler fails), in the ledger, and there when the plugin is loaded again or the operation resumed. No other agency learns of it. At most 64 KiB a value and 1 MiB a plugin.") { ctx, args -> LuaNoResults in
                try ctx.live().remember(try args.string(1), try args.value(2))
                return .none
            }
            .method("recall", returns: "any", [APIMember.param("key", "string", "the key it was kept under")],
                    "The value your plugin kept under key (with remember), as this transaction leaves it; nil if none.") { ctx, args -> LuaValue in
                try ctx.live().recall(try args.string(1))
            }
            .method("log", [APIMember.param("message", "string", "a line for the run's log")], "Writes a line to the run's log.") { ctx, args -> LuaNoResults in
                let plugin = try ctx.live()
                plugin.engine?.note("plugin \(plugin.name), hook \(ctx.hook): \(try args.string(1))", by: plugin.manifest.agency)
                return .none
            }
            .tostring { "<context \($0.hook)>" }
    }

    /// An answer to a notice as the ledger keeps it: a Lua value of the kind asked, as text.
    /// `kind` is nil for a name the notice does not ask (the rules refuse it, naming what it asks).
    static func answerText(_ v: LuaValue, name: String, kind: NoticeQuestion.Kind?) throws -> String {
        let text: String
        switch v {
        case .boolean(let b): text = b ? "true" : "false"
        case .integer(let n): text = String(n)
        case .number(let d):
            guard d.isFinite else { throw LuaScriptError("ctx:reply: '\(name)' must be a finite number") }
            text = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): text = s.description
        default: throw LuaScriptError("ctx:reply: '\(name)' must be text, a number or a boolean, not \(v.typeName)")
        }
        switch (kind, v) {
        case (nil, _), (.text?, .string), (.date?, .string), (.boolean?, .boolean), (.number?, .integer), (.number?, .number):
            return text
        case let (kind?, _):
            let wanted = kind == .date ? "a date (YYYY-MM-DD text)" : kind == .text ? "text" : "a \(kind.rawValue)"
            throw LuaScriptError("ctx:reply: '\(name)' must be \(wanted), not \(v.typeName)")
        }
    }

    /// A method for each command given on `subject`: `case:schedule{...}`, `handoff:accept()`.
    static func addCommands<H: PluginHandle>(to type: APIType<H>, _ subject: CommandSpec.Subject) {
        for spec in CommandCatalog.specs where spec.subject == subject {
            type.method(spec.method, spec.params, passing: spec.params.isEmpty ? .positional : .positionalOrTable, commandDoc(spec)) { h, args -> LuaNoResults in
                try h.live().give(spec, subject: h.subject, args)
                return .none
            }
        }
    }

    static func commandDoc(_ spec: CommandSpec) -> String {
        spec.doc + " Gives the command \(spec.command) (permission '\(spec.command)')."
    }

    // MARK: The tables

    /// `model.case(ref)`, `model.cases{...}`, and the commands given on no object.
    static func modelFunctions() -> APIFunctions {
        let model = APIFunctions("Model") { plugin, name in _ = try plugin.engineInHandler(name) }
        model.function("case", returns: "Case?", [APIMember.param("ref", "string", "R-0042")], "A case, or nil.") { p, args -> LuaValue in
            let ref = CaseRef(try args.string(1))
            return try p.engine!.reader.returnCase(ref) == nil ? .nil : .object(CaseHandle(ref, p))
        }
        model.function("cases", returns: "Case[]", [APIMember.param("filter", "CaseFilter", "which cases", optional: true)],
                       "Cases by their state, track or movement, in reference order.") { p, args -> LuaValue in
            let engine = p.engine!
            let filter = args.count >= 1 && !args.isNil(1) ? try args.table(1) : [:]
            func text(_ k: String) -> String? { filter[.string(LuaString(k))]?.stringValue }
            var stateFilter: CaseState?
            if let s = text("state") {
                guard let st = CaseState(rawValue: s) else {
                    throw LuaScriptError("model.cases: '\(s)' is not a case state (states: \(CaseState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                stateFilter = st
            }
            var out: [LuaValue] = []
            for ref in try engine.cases(in: stateFilter == .onHold ? nil : stateFilter) {
                guard let c = try engine.reader.returnCase(ref) else { continue }
                if stateFilter == .onHold && c.state(at: engine.now) != .onHold { continue }
                if let t = text("track"), c.track.rawValue != t { continue }
                if let m = text("movement"), c.manifest?.movement.rawValue != m || c.manifest?.struck != nil { continue }
                out.append(.object(CaseHandle(ref, p)))
            }
            return .array(out)
        }
        model.function("notices", returns: "Notice[]", [APIMember.param("filter", "NoticeFilter", "which notices", optional: true)],
                       "The notices your agency sent or receives (the coordinator's console: all), in reference order, as this transaction leaves them.") { p, args -> LuaValue in
            let engine = p.engine!
            let filter = args.count >= 1 && !args.isNil(1) ? try args.table(1) : [:]
            for key in filter.keys {
                guard case .string(let k) = key, ["to", "from", "template", "open"].contains(k.description) else {
                    throw LuaScriptError("model.notices: unknown filter \(key) (filters: to, from, template, open)")
                }
            }
            func text(_ k: String) -> String? { filter[.string(LuaString(k))]?.stringValue }
            let open = filter[.string("open")].map(\.isTruthy)
            let me = p.manifest.agency
            var out: [LuaValue] = []
            for n in try engine.store.notices().sorted(by: { $0.ref < $1.ref }) {
                guard p.seesEverything || n.from == me || n.recipient == me else { continue }
                if let to = text("to"), n.to != to && n.recipient.rawValue != to { continue }
                if let from = text("from"), n.from.rawValue != from { continue }
                if let template = text("template"), n.template != template { continue }
                if let open, open != (n.acknowledgedAt == nil) { continue }
                out.append(.object(NoticeHandle(n.ref, p)))
            }
            return .array(out)
        }
        model.function("movement", returns: "Movement?", [APIMember.param("ref", "string", "M-1")], "A movement, or nil.") { p, args -> LuaValue in
            let ref = MovementRef(try args.string(1))
            return try p.engine!.reader.movement(ref) == nil ? .nil : .object(MovementHandle(ref, p))
        }
        model.function("handoff", returns: "Handoff?", [APIMember.param("ref", "string", "H-1")], "A handoff, or nil.") { p, args -> LuaValue in
            let ref = HandoffRef(try args.string(1))
            return try p.engine!.reader.handoff(ref) == nil ? .nil : .object(HandoffHandle(ref, p))
        }
        for spec in CommandCatalog.specs where spec.subject == .model {
            model.function(spec.method, spec.params, passing: spec.params.isEmpty ? .positional : .positionalOrTable, commandDoc(spec)) { p, args -> LuaNoResults in
                try p.give(spec, subject: "", args)
                return .none
            }
        }
        return model
    }

    /// What `model.cases` filters by, for the stubs.
    static let noticeFilterFields: [CommandSpec.Param] = [
        APIMember.param("to", "string", "notices to this address (IR-MFA/consular) or agency (IR-MFA)", optional: true),
        APIMember.param("from", "string", "notices from this agency", optional: true),
        APIMember.param("template", "string", "notices of this template", optional: true),
        APIMember.param("open", "boolean", "true: not yet acknowledged; false: acknowledged", optional: true),
    ]

    static let caseFilterFields: [CommandSpec.Param] = [
        APIMember.param("state", "CaseState", "cases in this state (on-hold: those a hold blocks now)", optional: true),
        APIMember.param("track", "Track", "cases on this track", optional: true),
        APIMember.param("movement", "string", "cases booked on this movement", optional: true),
    ]

    /// `on`, and the helpers for times.
    static func globalFunctions() -> APIFunctions {
        let globals = APIFunctions("_G")
        globals.function("on", [APIMember.param("event", "EventName|string", "one of the model's events, or a signal the timeline gives (such as leg.departing)"),
                                APIMember.param("handler", "fun(ev: table, ctx: Context)", "called with the event and a Context"),
                                APIMember.param("options", "{fail: 'open'|'closed'}", "fail-closed: if the handler fails, the command whose event it was is refused (needs the veto right on the event)", optional: true)],
                         "Subscribes a handler. Only while the plugin loads.") { p, args -> LuaNoResults in
            try p.subscribe(args)
            return .none
        }
        // Durations and times are checked as they cross into Swift: a number that is not one a
        // time can be (NaN, an infinity, a hundred thousand years) is the script's error.
        func seconds(_ name: String, _ unit: Double, _ args: LuaArguments) throws -> Int64 {
            let n = try args.double(1)
            guard n.isFinite, abs(n * unit) <= 1e10 else {
                throw LuaScriptError("\(name)(n): n must be a finite number of \(name) within three centuries, not \(LuaValue.number(n))")
            }
            return Int64((n * unit).rounded())
        }
        globals.function("days", returns: "integer", [APIMember.param("n", "number", "days")], "n days in seconds.") { _, args in
            try seconds("days", 86_400, args)
        }
        globals.function("hours", returns: "integer", [APIMember.param("n", "number", "hours")], "n hours in seconds.") { _, args in
            try seconds("hours", 3_600, args)
        }
        globals.function("iso", returns: "string", [APIMember.param("t", "integer", "seconds since 1970")], "A time as ISO 8601 text.") { _, args in
            let t = try args.double(1)
            guard let date = Timestamp.date(seconds: t) else {
                throw LuaScriptError("iso(t): t must be a time in seconds since 1970, between 1900 and 2200, not \(LuaValue.number(t))")
            }
            return Timestamp.iso(date)
        }
        globals.function("time", returns: "integer", [APIMember.param("text", "string", "2026-12-15T06:00:00Z")], "ISO 8601 text as seconds since 1970.") { _, args -> Int64 in
            let text = try args.string(1)
            guard let d = Timestamp.parse(text), Timestamp.isKept(d) else {
                throw LuaScriptError("time(): '\(text)' is not an ISO 8601 time between 1900 and 2200 with its zone, such as 2026-12-15T06:00:00Z")
            }
            return Self.seconds(d)
        }
        return globals
    }

    // MARK: Descriptions

    /// Every member of the plugin API, class by class, then the `model` table and the globals.
    public static var apiMembers: [APIMember] {
        caseAPI().members + movementAPI().members + handoffAPI().members + noticeAPI().members + contextAPI().members
            + modelFunctions().members + globalFunctions().members
    }

    /// The classes of tables the API's members take or give, with their fields (for the stubs).
    public static let tableClasses: [(name: String, fields: [CommandSpec.Param])] = [
        ("Hold", CaseBinding.holdFields), ("Leg", legFields), ("NoticeRequest", noticeRequestFields), ("CaseFilter", caseFilterFields),
        ("NoticeFilter", noticeFilterFields),
    ]

    /// The members a bridged object offers, for completion.
    public static func members(of object: AnyObject) -> [APIMember] {
        let owner: String
        switch object {
        case is CaseHandle: owner = "Case"
        case is MovementHandle: owner = "Movement"
        case is HandoffHandle: owner = "Handoff"
        case is NoticeHandle: owner = "Notice"
        case is HandlerContext: owner = "Context"
        default: return []
        }
        return apiMembers.filter { $0.owner == owner }
    }

    // MARK: Installing the API into a state

    func installAPI() throws {
        try state.register(Self.caseAPI().luaType())
        try state.register(Self.movementAPI().luaType())
        try state.register(Self.handoffAPI().luaType())
        try state.register(Self.noticeAPI().luaType())
        try state.register(Self.contextAPI().luaType())
        for (name, make) in Self.globalFunctions().makers { try state.setGlobal(name, .function(make(self))) }
        var model: [LuaValue: LuaValue] = [:]
        for (name, make) in Self.modelFunctions().makers { model[.string(LuaString(name))] = .function(make(self)) }
        try state.setGlobal("model", .table(model))
    }

    /// `on(event, handler, options)`: checked while the plugin loads, so a mistake is a load
    /// problem with its line, not a handler that never runs.
    func subscribe(_ args: LuaArguments) throws {
        guard loading else { throw LuaScriptError("on() may be called only while the plugin loads, not from a handler") }
        let event = try args.string(1)
        let function = try args.function(2)
        var failClosed = false
        if args.count >= 3, !args.isNil(3) {
            let options = try args.table(3)
            switch options[.string(LuaString("fail"))]?.stringValue {
            case nil, "open": failClosed = false
            case "closed": failClosed = true
            case let other?: throw LuaScriptError("on(): fail must be \"open\" or \"closed\", not \"\(other)\"")
            }
        }
        guard event.contains(".") else {
            throw LuaScriptError("on(): '\(event)' is not an event name (events look like case.opened, hold.raised, leg.departing)")
        }
        let location = args.callerLocation ?? manifest.entry
        func problem(_ message: String) {
            let parts = location.split(separator: ":")
            loadProblems.append(Problem(file: parts.dropLast().joined(separator: ":"), line: parts.last.flatMap { Int($0) }, message: message))
        }
        if let known = knownEvents, !known.contains(event) {
            let near = PluginChecks.nearest(event, in: known).map { "; did you mean '\($0)'?" } ?? ""
            problem("on(): no event '\(event)' is ever given in this operation\(near) (events are the model's, which `liaison stubs` lists, and the signals timeline.toml gives or operation.toml lists under signals)")
            return
        }
        if failClosed, !grant.mayVeto(event) {
            let rights = grant.vetoes.isEmpty ? "none" : grant.vetoes.sorted().joined(separator: ", ")
            problem("on(\"\(event)\", ..., { fail = \"closed\" }): \(manifest.agency) may not refuse commands on \(event), which a fail-closed hook does when it fails (the operation grants it vetoes on \(rights)): drop fail = \"closed\", or grant the veto in operation.toml's [grants]")
            return
        }
        handlers.append(Handler(event: event, function: function, failClosed: failClosed, location: location))
    }
}

extension Notice {
    /// The reply's answers as Lua reads them, by the kind each question asked (a date as
    /// `YYYY-MM-DD` text); nil when there is no reply.
    public var luaReply: LuaValue {
        guard let reply else { return .nil }
        return .table(Dictionary(uniqueKeysWithValues: reply.answers.map { a in
            let value: LuaValue
            switch asks?.first(where: { $0.name == a.name })?.kind ?? .text {
            case .boolean: value = .boolean(a.value == "true")
            case .number: value = Int64(a.value).map(LuaValue.integer) ?? Double(a.value).map(LuaValue.number) ?? .string(LuaString(a.value))
            case .text, .date: value = .string(LuaString(a.value))
            }
            return (LuaValue.string(LuaString(a.name)), value)
        }))
    }
}
