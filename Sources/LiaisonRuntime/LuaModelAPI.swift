import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore
import LuaKit
import Mustache

/// A model object as a plugin holds it: a reference into the model, and the plugin it belongs
/// to (weakly: a reload may unload the plugin while a script still holds the object).
protocol PluginHandle: AnyObject {
    var plugin: PluginRuntime? { get }
    /// `case R-0042`, in messages.
    var label: String { get }
    /// The reference commands are given on: `R-0042`.
    var subject: String { get }
}

extension PluginHandle {
    func live() throws -> PluginRuntime {
        guard let plugin else { throw LuaScriptError("\(label) belongs to an unloaded plugin") }
        return plugin
    }

    /// The record this handle names, as the running transaction has it.
    func current<T>(_ read: (ModelReader) throws -> T?) throws -> T {
        let engine = try live().engineInHandler(label)
        guard let record = try read(engine.reader) else { throw LuaScriptError("no \(label) in this operation") }
        return record
    }
}

/// A case as a plugin holds it: a reference, read through the plugin agency's disclosure
/// policy each time a field is read, so it always shows the model as it is now.
final class CaseHandle: PluginHandle {
    let ref: CaseRef
    weak var plugin: PluginRuntime?
    init(_ ref: CaseRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

final class MovementHandle: PluginHandle {
    let ref: MovementRef
    weak var plugin: PluginRuntime?
    init(_ ref: MovementRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

final class HandoffHandle: PluginHandle {
    let ref: HandoffRef
    weak var plugin: PluginRuntime?
    init(_ ref: HandoffRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

/// A notice as a plugin sees it in a `notice.sent`, `notice.received` or `notice.acknowledged`
/// event. A bridged object rather than a table, so that its list of cases becomes case handles
/// only when a handler asks for it: every plugin subscribed to `notice.sent` is offered every
/// notice, and building the list for each made most of the case handles a run allocated.
final class NoticeHandle: PluginHandle {
    let ref: NoticeRef
    weak var plugin: PluginRuntime?
    init(_ ref: NoticeRef, _ plugin: PluginRuntime) { self.ref = ref; self.plugin = plugin }
}

/// The `ctx` a handler gets: who it acts for, the operation's time, and what it may do besides
/// the model's methods. It dies when the call returns.
final class HandlerContext {
    weak var plugin: PluginRuntime?
    let hook: String
    let now: Date
    var veto: (reason: String, location: String?)?
    /// The ledger's origin for the commands this call gives, built once for all of them.
    private(set) lazy var origin = "plugin \(plugin?.name ?? "?"), hook \(hook)"
    init(plugin: PluginRuntime, hook: String, now: Date) { self.plugin = plugin; self.hook = hook; self.now = now }
}

/// A member of the Lua API, described once: the binding is built from it, and so are the
/// editor stubs (`liaison stubs`).
public struct APIMember: Sendable {
    public enum Kind: Sendable { case field, method, function }
    public var owner: String
    public var name: String
    public var kind: Kind
    /// The LuaLS type of a field, or of a method's result.
    public var type: String
    public var params: [CommandSpec.Param]
    public var doc: String
}

extension FieldValue {
    /// The value as Lua sees it: times as seconds since 1970, lists as arrays, none as nil.
    public var luaValue: LuaValue {
        switch self {
        case .none: return .nil
        case .text(let s): return .string(LuaString(s))
        case .number(let n): return .integer(Int64(n))
        case .flag(let b): return .boolean(b)
        case .date(let d): return .integer(PluginRuntime.seconds(d))
        case .list(let l): return .array(l.map(\.luaValue))
        }
    }
}

extension PluginRuntime {
    /// A time as Lua sees it. Every time a record holds is one the model keeps; a stranger one
    /// (a store from before the model checked) reads as 0 rather than stopping the host.
    static func seconds(_ d: Date) -> Int64 { Int64(exactly: d.timeIntervalSince1970.rounded(.down)) ?? 0 }


    /// LuaLS types of the case fields `CaseView` offers.
    static let caseFieldTypes: [String: String] = [
        "names": "string[]", "aliases": "string[]", "nationalities": "string[]", "languages": "string[]", "vulnerabilities": "string[]",
        "holds": "string[]", "on_hold": "boolean", "medical_escort": "boolean", "reception_verified": "boolean", "order_final": "boolean",
        "document_valid_until": "integer?", "fit_to_fly_expires": "integer?", "protection_claims": "integer",
    ]

    /// The read side of the API, besides the case fields and the commands.
    static let readMembers: [APIMember] = [
        APIMember(owner: "Case", name: "discloses", kind: .method, type: "boolean", params: [CommandCatalog.p("field", "string", "a field name")],
                  doc: "Whether your agency's disclosure policy lets you read the field."),
        APIMember(owner: "Case", name: "has_document", kind: .method, type: "boolean", params: [CommandCatalog.p("kind", "string", "laissez-passer, passport, ...", optional: true)],
                  doc: "Whether a valid travel document (of the kind) is on record. Needs 'travel-document' disclosure."),
        APIMember(owner: "Case", name: "active_holds", kind: .method, type: "{id: integer, kind: string, raised_by: string, reason: string}[]",
                  params: [CommandCatalog.p("kind", "string", "only holds of this kind", optional: true)],
                  doc: "The active holds. Needs 'legal' disclosure; protection-claim holds need 'protection'."),
        APIMember(owner: "Movement", name: "ref", kind: .field, type: "string", params: [], doc: "The movement's reference."),
        APIMember(owner: "Movement", name: "capacity", kind: .field, type: "integer", params: [], doc: "Seats."),
        APIMember(owner: "Movement", name: "booked", kind: .field, type: "integer", params: [], doc: "Seats taken."),
        APIMember(owner: "Movement", name: "charter", kind: .field, type: "boolean", params: [], doc: "A charter, not a scheduled flight."),
        APIMember(owner: "Movement", name: "legs", kind: .field, type: "{from: string, to: string, departs: integer, arrives: integer, transit: string}[]",
                  params: [], doc: "The legs, in order."),
        APIMember(owner: "Movement", name: "cases", kind: .method, type: "Case[]", params: [CommandCatalog.p("state", "string", "only cases in this state", optional: true)],
                  doc: "The cases on this movement's manifest (not struck)."),
        APIMember(owner: "Handoff", name: "ref", kind: .field, type: "string", params: [], doc: "The handoff's reference."),
        APIMember(owner: "Handoff", name: "from", kind: .field, type: "string", params: [], doc: "The agency handing custody over."),
        APIMember(owner: "Handoff", name: "to", kind: .field, type: "string", params: [], doc: "The agency taking custody."),
        APIMember(owner: "Handoff", name: "place", kind: .field, type: "string", params: [], doc: "Where."),
        APIMember(owner: "Handoff", name: "state", kind: .field, type: "string", params: [], doc: "proposed, completed or refused."),
        APIMember(owner: "Handoff", name: "monitor_present", kind: .field, type: "boolean", params: [], doc: "Whether the monitor is present."),
        APIMember(owner: "Handoff", name: "documents", kind: .field, type: "string[]", params: [], doc: "Documents handed over."),
        APIMember(owner: "Handoff", name: "acknowledged_by", kind: .field, type: "string[]", params: [], doc: "Agencies that acknowledged it."),
        APIMember(owner: "Handoff", name: "cases", kind: .method, type: "Case[]", params: [], doc: "The cases handed over."),
        APIMember(owner: "Notice", name: "ref", kind: .field, type: "string", params: [], doc: "The notice's reference."),
        APIMember(owner: "Notice", name: "from", kind: .field, type: "string", params: [], doc: "The agency that sent it."),
        APIMember(owner: "Notice", name: "to", kind: .field, type: "string", params: [], doc: "AGENCY or AGENCY/contact."),
        APIMember(owner: "Notice", name: "template", kind: .field, type: "string", params: [], doc: "The template it was rendered from."),
        APIMember(owner: "Notice", name: "due", kind: .field, type: "integer?", params: [], doc: "The deadline, in seconds since 1970 (UTC), if any."),
        APIMember(owner: "Notice", name: "body", kind: .field, type: "string?", params: [], doc: "The text; nil unless your agency is the recipient."),
        APIMember(owner: "Notice", name: "acknowledged", kind: .field, type: "boolean", params: [], doc: "Whether the recipient has acknowledged it."),
        APIMember(owner: "Notice", name: "cases", kind: .field, type: "Case[]", params: [], doc: "The cases it is about."),
        APIMember(owner: "Context", name: "agency", kind: .field, type: "string", params: [], doc: "Your plugin's agency."),
        APIMember(owner: "Context", name: "now", kind: .field, type: "integer", params: [], doc: "The operation's time, in seconds since 1970 (UTC)."),
        APIMember(owner: "Context", name: "hook", kind: .field, type: "string", params: [], doc: "The event being handled."),
        APIMember(owner: "Context", name: "send_notice", kind: .method, type: "string",
                  params: [CommandCatalog.p("to", "string", "AGENCY or AGENCY/contact"), CommandCatalog.p("template", "string", "a templates/*.mustache name"),
                           CommandCatalog.p("case", "Case|string", "the case it is about", optional: true),
                           CommandCatalog.p("cases", "(Case|string)[]", "the cases it is about", optional: true),
                           CommandCatalog.p("due", "integer|string", "the deadline", optional: true),
                           CommandCatalog.p("data", "table<string, string|number|boolean>", "more values for the template", optional: true)],
                  doc: "Renders a template with what the recipient may see and puts the notice in the outbox. Needs permission notice.send. Returns its reference."),
        APIMember(owner: "Context", name: "acknowledge", kind: .method, type: "nil", params: [CommandCatalog.p("notice", "Notice|string", "the notice or its reference")],
                  doc: "Acknowledges a notice addressed to your agency. Needs permission notice.acknowledge."),
        APIMember(owner: "Context", name: "veto", kind: .method, type: "nil", params: [CommandCatalog.p("reason", "string", "why")],
                  doc: "Refuses the command whose event this handler was offered: it and everything it caused are taken back, its giver is told, the veto is recorded. Needs the operation's veto right on this event."),
        APIMember(owner: "Context", name: "log", kind: .method, type: "nil", params: [CommandCatalog.p("message", "string", "a line for the run's log")],
                  doc: "Writes a line to the run's log."),
        APIMember(owner: "Model", name: "case", kind: .function, type: "Case?", params: [CommandCatalog.p("ref", "string", "R-0042")], doc: "A case, or nil."),
        APIMember(owner: "Model", name: "cases", kind: .function, type: "Case[]",
                  params: [CommandCatalog.p("filter", "{state: string?, track: string?, movement: string?}", "which cases", optional: true)],
                  doc: "Cases by their progress state, track or movement, in reference order."),
        APIMember(owner: "Model", name: "movement", kind: .function, type: "Movement?", params: [CommandCatalog.p("ref", "string", "M-1")], doc: "A movement, or nil."),
        APIMember(owner: "Model", name: "handoff", kind: .function, type: "Handoff?", params: [CommandCatalog.p("ref", "string", "H-1")], doc: "A handoff, or nil."),
        APIMember(owner: "_G", name: "on", kind: .function, type: "nil",
                  params: [CommandCatalog.p("event", "EventName|string", "one of the model's events, or a signal the timeline gives (such as leg.departing)"),
                           CommandCatalog.p("handler", "fun(ev: table, ctx: Context)", "called with the event and a Context"),
                           CommandCatalog.p("options", "{fail: 'open'|'closed'}", "fail-closed: if the handler fails, the command whose event it was is refused (needs the veto right on the event)", optional: true)],
                  doc: "Subscribes a handler. Only while the plugin loads."),
        APIMember(owner: "_G", name: "days", kind: .function, type: "integer", params: [CommandCatalog.p("n", "number", "days")], doc: "n days in seconds."),
        APIMember(owner: "_G", name: "hours", kind: .function, type: "integer", params: [CommandCatalog.p("n", "number", "hours")], doc: "n hours in seconds."),
        APIMember(owner: "_G", name: "iso", kind: .function, type: "string", params: [CommandCatalog.p("t", "integer", "seconds since 1970")], doc: "A time as ISO 8601 text."),
        APIMember(owner: "_G", name: "time", kind: .function, type: "integer", params: [CommandCatalog.p("text", "string", "2026-12-15T06:00:00Z")], doc: "ISO 8601 text as seconds since 1970."),
    ]

    /// Every member of the API: case fields, read members and commands.
    public static var apiMembers: [APIMember] {
        let caseFields = CaseView.fields.map { f in
            APIMember(owner: "Case", name: f.name, kind: .field, type: caseFieldTypes[f.name] ?? "string?", params: [],
                      doc: f.category.map { "Disclosed with '\($0.rawValue)'." } ?? "Operational: every agency sees it.")
        }
        let commands = CommandCatalog.specs.map { s in
            APIMember(owner: s.subject.rawValue, name: s.method, kind: s.subject == .model ? .function : .method, type: "nil", params: s.params,
                      doc: s.doc + " Gives the command \(s.command) (permission '\(s.command)').")
        }
        return caseFields + readMembers + commands
    }

    // MARK: Installing the API into a state

    func installAPI() throws {
        let caseType = LuaType<CaseHandle>("Case")
        CaseBinding.install(on: caseType, ref: \.ref, hint: "plugins change the model through methods, such as case:schedule{movement = \"M-1\"}",
                            view: { try $0.view().1 }, field: { try $0.read($1) })
        Self.addCommands(to: caseType, .case)
        try state.register(caseType)

        let movementType = LuaType<MovementHandle>("Movement")
            .field("ref") { $0.ref.rawValue }
            .field("capacity") { try $0.movement().capacity }
            .field("booked") { try $0.movement().booked }
            .field("charter") { try $0.movement().charter }
            .field("legs") { m -> LuaValue in
                .array(try m.movement().legs.map { l in
                    ["from": .string(LuaString(l.from)), "to": .string(LuaString(l.to)), "departs": .integer(Self.seconds(l.scheduledDeparture)),
                     "arrives": .integer(Self.seconds(l.scheduledArrival)), "transit": .string(LuaString(l.transit.rawValue))]
                })
            }
            .method("cases") { m, args -> LuaValue in
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
        Self.addCommands(to: movementType, .movement)
        try state.register(movementType)

        let handoffType = LuaType<HandoffHandle>("Handoff")
            .field("ref") { $0.ref.rawValue }
            .field("from") { try $0.handoff().from.rawValue }
            .field("to") { try $0.handoff().to.rawValue }
            .field("place") { try $0.handoff().place }
            .field("state") { try $0.handoff().state.rawValue }
            .field("monitor_present") { try $0.handoff().monitorPresent }
            .field("documents") { try $0.handoff().documents }
            .field("acknowledged_by") { try $0.handoff().acknowledgedBy.map(\.rawValue).sorted() }
            .method("cases") { h, _ -> LuaValue in
                let plugin = try h.live()
                return .array(try h.handoff().cases.map { .object(CaseHandle($0, plugin)) })
            }
            .tostring { "<handoff \($0.ref)>" }
            .eq { $0.ref == $1.ref }
        Self.addCommands(to: handoffType, .handoff)
        try state.register(handoffType)

        try state.register(LuaType<NoticeHandle>("Notice")
            .field("ref") { $0.ref.rawValue }
            .field("from") { try $0.notice().from.rawValue }
            .field("to") { try $0.notice().to }
            .field("template") { try $0.notice().template }
            .field("due") { n -> LuaValue in try n.notice().due.map { .integer(Self.seconds($0)) } ?? .nil }
            .field("body") { n -> LuaValue in
                let notice = try n.notice()
                return notice.recipient == n.plugin?.manifest.agency ? .string(LuaString(notice.body)) : .nil
            }
            .field("acknowledged") { try $0.notice().acknowledgedAt != nil }
            .field("cases") { n -> LuaValue in
                let plugin = try n.live()
                return .array(try n.notice().cases.map { .object(CaseHandle($0, plugin)) })
            }
            .tostring { "<notice \($0.ref)>" }
            .eq { $0.ref == $1.ref })

        try state.register(LuaType<HandlerContext>("Context")
            .field("agency") { try $0.live().manifest.agency.rawValue }
            .field("now") { Self.seconds($0.now) }
            .field("hook") { $0.hook }
            .method("send_notice") { ctx, args -> String in try ctx.live().sendNotice(args).rawValue }
            .method("acknowledge") { ctx, args -> LuaNoResults in
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
            .method("veto") { ctx, args -> LuaNoResults in
                let plugin = try ctx.live()
                let reason = try args.string(1)
                try plugin.requireVeto(on: ctx.hook)
                ctx.veto = (reason, args.callerLocation)
                throw LuaScriptError("veto: \(reason)")
            }
            .method("log") { ctx, args -> LuaNoResults in
                let plugin = try ctx.live()
                plugin.engine?.note("plugin \(plugin.name), hook \(ctx.hook): \(try args.string(1))", by: plugin.manifest.agency)
                return .none
            }
            .tostring { "<context \($0.hook)>" })

        try installGlobals()
    }

    /// A method for each command given on `subject`: `case:schedule{...}`, `handoff:accept()`.
    static func addCommands<H: PluginHandle>(to type: LuaType<H>, _ subject: CommandSpec.Subject) {
        for spec in CommandCatalog.specs where spec.subject == subject {
            type.method(spec.method) { h, args -> LuaNoResults in
                try h.live().give(spec, subject: h.subject, args)
                return .none
            }
        }
    }

    private func installGlobals() throws {
        try state.register("on") { [weak self] args -> LuaNoResults in
            guard let self else { return .none }
            guard self.loading else { throw LuaScriptError("on() may be called only while the plugin loads, not from a handler") }
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
            let location = args.callerLocation ?? self.manifest.entry
            func problem(_ message: String) {
                let parts = location.split(separator: ":")
                self.loadProblems.append(Problem(file: parts.dropLast().joined(separator: ":"), line: parts.last.flatMap { Int($0) }, message: message))
            }
            if let known = self.knownEvents, !known.contains(event) {
                let near = PluginChecks.nearest(event, in: known).map { "; did you mean '\($0)'?" } ?? ""
                problem("on(): no event '\(event)' is ever given in this operation\(near) (events are the model's, which `liaison stubs` lists, and the signals timeline.toml gives or operation.toml lists under signals)")
                return .none
            }
            if failClosed, !self.grant.mayVeto(event) {
                let rights = self.grant.vetoes.isEmpty ? "none" : self.grant.vetoes.sorted().joined(separator: ", ")
                problem("on(\"\(event)\", ..., { fail = \"closed\" }): \(self.manifest.agency) may not refuse commands on \(event), which a fail-closed hook does when it fails (the operation grants it vetoes on \(rights)): drop fail = \"closed\", or grant the veto in operation.toml's [grants]")
                return .none
            }
            self.handlers.append(Handler(event: event, function: function, failClosed: failClosed, location: location))
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
        try state.register("days") { args in try seconds("days", 86_400, args) }
        try state.register("hours") { args in try seconds("hours", 3_600, args) }
        try state.register("iso") { args in
            let t = try args.double(1)
            guard let date = Timestamp.date(seconds: t) else {
                throw LuaScriptError("iso(t): t must be a time in seconds since 1970, between 1900 and 2200, not \(LuaValue.number(t))")
            }
            return Timestamp.iso(date)
        }
        try state.register("time") { args -> Int64 in
            let text = try args.string(1)
            guard let d = Timestamp.parse(text), Timestamp.isKept(d) else {
                throw LuaScriptError("time(): '\(text)' is not an ISO 8601 time between 1900 and 2200, such as 2026-12-15T06:00:00Z")
            }
            return Self.seconds(d)
        }
        var model: [LuaValue: LuaValue] = [:]
        func add<R: LuaReturnable>(_ name: String, _ body: @escaping (PluginRuntime, LuaArguments) throws -> R) {
            model[.string(LuaString(name))] = .function(state.function("model.\(name)") { [weak self] args in
                guard let self else { throw LuaScriptError("the plugin is unloaded") }
                _ = try self.engineInHandler("model.\(name)")
                return try body(self, args)
            })
        }
        add("case") { p, args -> LuaValue in
            let ref = CaseRef(try args.string(1))
            return try p.engine!.reader.returnCase(ref) == nil ? .nil : .object(CaseHandle(ref, p))
        }
        add("movement") { p, args -> LuaValue in
            let ref = MovementRef(try args.string(1))
            return try p.engine!.reader.movement(ref) == nil ? .nil : .object(MovementHandle(ref, p))
        }
        add("handoff") { p, args -> LuaValue in
            let ref = HandoffRef(try args.string(1))
            return try p.engine!.reader.handoff(ref) == nil ? .nil : .object(HandoffHandle(ref, p))
        }
        add("cases") { p, args -> LuaValue in
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
        for spec in CommandCatalog.specs where spec.subject == .model {
            add(spec.method) { p, args -> LuaNoResults in
                try p.give(spec, subject: "", args)
                return .none
            }
        }
        try state.setGlobal("model", .table(model))
    }


    // MARK: Events as Lua sees them

    /// `ev` for a handler of `hook`: the event's name as the handler subscribed to it
    /// (`notice.received` for a sent notice to its own agency), the objects involved and the
    /// event's details.
    func eventValue(_ event: Event, as hook: String) -> LuaRecord {
        var t = LuaRecord()
        t["name"] = .string(LuaString(hook))
        func s(_ v: String) -> LuaValue { .string(LuaString(v)) }
        func c(_ ref: CaseRef) -> LuaValue { .object(CaseHandle(ref, self)) }
        switch event {
        case .personRegistered(let p): t["person"] = s(p.rawValue)
        case .caseOpened(let ref), .receptionVerified(let ref): t["case"] = c(ref)
        case let .stateChanged(ref, from, to): (t["case"], t["from"], t["to"]) = (c(ref), s(from.rawValue), s(to.rawValue))
        case let .holdRaised(ref, hold, kind): (t["case"], t["hold"], t["kind"]) = (c(ref), .integer(Int64(hold)), s(kind.rawValue))
        case let .holdLifted(ref, hold, kind, by): (t["case"], t["hold"], t["kind"], t["by"]) = (c(ref), .integer(Int64(hold)), s(kind.rawValue), s(by.rawValue))
        case let .legalEventRecorded(ref, id, kind): (t["case"], t["event"], t["kind"]) = (c(ref), .integer(Int64(id)), s(kind.rawValue))
        case let .legalEventDecided(ref, id, outcome): (t["case"], t["event"], t["outcome"]) = (c(ref), .integer(Int64(id)), s(outcome))
        case let .consentRecorded(ref, id), let .consentWithdrawn(ref, id): (t["case"], t["consent"]) = (c(ref), .integer(Int64(id)))
        case let .documentUpdated(ref, status): (t["case"], t["status"]) = (c(ref), s(status.rawValue))
        case let .fitnessAssessed(ref, fit): (t["case"], t["fit"]) = (c(ref), .boolean(fit))
        case let .noticeServed(ref, ends): (t["case"], t["period_ends"]) = (c(ref), .integer(Self.seconds(ends)))
        case let .struck(ref, reason): (t["case"], t["reason"]) = (c(ref), s(reason))
        case let .transitUpdated(m, leg, state): (t["movement"], t["leg"], t["state"]) = (.object(MovementHandle(m, self)), .integer(Int64(leg + 1)), s(state.rawValue))
        case .handoffProposed(let h), .handoffCompleted(let h): t["handoff"] = .object(HandoffHandle(h, self))
        case let .handoffAcknowledged(h, by): (t["handoff"], t["by"]) = (.object(HandoffHandle(h, self)), s(by.rawValue))
        case let .handoffRefused(h, reason): (t["handoff"], t["reason"]) = (.object(HandoffHandle(h, self)), s(reason))
        case let .custodyTransferred(ref, from, to): (t["case"], t["from"], t["to"]) = (c(ref), s(from.rawValue), s(to.rawValue))
        case let .dataReleased(ref, to, categories): (t["case"], t["to"], t["categories"]) = (c(ref), s(to.rawValue), .array(categories.map { s($0.rawValue) }))
        case let .noticeSent(ref, _), let .noticeAcknowledged(ref, _):
            if case let .noticeSent(_, to) = event { t["to"] = s(to) }
            if case let .noticeAcknowledged(_, by) = event { t["by"] = s(by.rawValue) }
            t["notice"] = .object(NoticeHandle(ref, self))
        case .signalled(let signal):
            for (k, v) in signal.fields {
                switch k {
                case "case": t[k] = c(CaseRef(v))
                case "movement": t[k] = .object(MovementHandle(MovementRef(v), self))
                case "handoff": t[k] = .object(HandoffHandle(HandoffRef(v), self))
                default: t[k] = Int64(v).map(LuaValue.integer) ?? s(v)
                }
            }
        case let .pluginFailed(plugin, hook, kind): (t["plugin"], t["hook"], t["kind"]) = (s(plugin), s(hook), s(kind.rawValue))
        }
        return t
    }

    // MARK: Notices

    func sendNotice(_ args: LuaArguments) throws -> NoticeRef {
        try require("notice.send")
        let engine = try engineInHandler("ctx:send_notice")
        let entries = try args.entries(1)
        func value(_ k: String) -> LuaValue? { entries.first { $0.key.stringValue == k }?.value }
        guard let to = value("to")?.stringValue, !to.isEmpty else { throw LuaScriptError("ctx:send_notice: 'to' is missing (an agency, or AGENCY/contact)") }
        guard let templateName = value("template")?.stringValue else { throw LuaScriptError("ctx:send_notice: 'template' is missing") }
        guard let template = templates[templateName] else {
            throw LuaScriptError("ctx:send_notice: no template '\(templateName)' in \(manifest.displayFolder)/templates (templates: \(templates.keys.sorted().joined(separator: ", ")))")
        }
        var cases: [CaseRef] = []
        for v in [value("case")].compactMap({ $0 }) + (value("cases")?.arrayValue ?? []) {
            if case .object(let h as CaseHandle) = v { cases.append(h.ref) } else if let s = v.stringValue { cases.append(CaseRef(s)) }
        }
        var due: Date?
        switch value("due") {
        case .integer(let n)?: due = Timestamp.date(seconds: Double(n))
        case .number(let d)?: due = Timestamp.date(seconds: d)
        case .string(let s)?: due = Timestamp.parse(s.description).flatMap { Timestamp.date(seconds: $0.timeIntervalSince1970) }
        case nil: break
        case let v?: throw LuaScriptError("ctx:send_notice: 'due' must be a time (seconds since 1970, or ISO 8601 text), not \(v)")
        }
        if value("due") != nil && due == nil {
            throw LuaScriptError("ctx:send_notice: 'due' \(value("due")!) is not a time between 1900 and 2200")
        }
        let recipient = AgencyID(String(to.prefix { $0 != "/" }))
        guard engine.operation.agency(recipient) != nil else {
            throw LuaScriptError("ctx:send_notice: \(recipient) is not an agency of this operation")
        }
        // The text carries what both the sender and the recipient may see, and no more; a
        // template that prints more is a mistake to say, not blanks to send.
        let shared = try CaseReader(manifest.agency, sharedWith: recipient, in: engine.operation)
        let blank = template.withheld(from: shared)
        guard blank.isEmpty else {
            throw LuaScriptError("ctx:send_notice: template '\(templateName)' prints \(blank.map { "\($0.name) (\($0.category.rawValue))" }.joined(separator: ", ")), which \(manifest.agency) and \(recipient) may not both see: it would print blank; send it to an agency that may, or take the field out of the template")
        }
        let caseData = cases.map { TemplateValue.record(NoticeCase(ref: $0, reader: shared, now: engine.now, model: engine.reader)) }
        var data: [String: TemplateValue] = [:]
        for (k, v) in value("data")?.tableValue ?? [:] {
            guard let key = k.stringValue else { continue }
            switch v {
            case .string(let s): data[key] = .text(s.description)
            case .integer(let n): data[key] = .text(String(n))
            case .number(let d): data[key] = .text(String(d))
            case .boolean(let b): data[key] = .flag(b)
            default: continue
            }
        }
        let context: [String: TemplateValue] = [
            "from": .text(manifest.agency.rawValue), "to": .text(to), "now": .text(Timestamp.iso(engine.now)),
            "due": .text(due.map(Timestamp.iso) ?? ""), "operation": .text(engine.operation.name),
            "case": caseData.first ?? .fields([:]), "cases": .list(caseData), "count": .number(caseData.count), "data": .fields(data),
        ]
        let ref = engine.newNoticeRef()
        let notice = Notice(ref: ref, from: manifest.agency, to: to, template: templateName, cases: cases, due: due, sentAt: engine.now,
                            body: template.render(.fields(context)))
        try engine.applyFromHandler(.sendNotice(notice), by: manifest.agency, origin: origin, giver: self)
        return ref
    }

    static func text(_ v: FieldValue) -> String {
        switch v {
        case .none: return ""
        case .list(let l): return l.map(text).joined(separator: ", ")
        default: return v.description
        }
    }
}

/// A case as a notice's template sees it: a field both the sender and the recipient may see,
/// as text, read only when the template asks for it (a template names a few of the case's
/// thirty fields, or none, and reading each through two disclosure policies was most of what
/// sending a notice cost). It is read through one view granted only what both may see, so a
/// field that filters itself by category (the protection claims among `holds`) is filtered for
/// the recipient too. A withheld, absent or empty field is missing, so `{{#field}}` skips it.
/// A case that does not exist has no fields; the rules then refuse the notice.
private final class NoticeCase: TemplateRecord, MustacheParent {
    let ref: CaseRef
    let reader: CaseReader
    let now: Date
    let model: ModelReader
    private lazy var view: CaseView? = try? reader.view(ref, at: now, in: model)

    init(ref: CaseRef, reader: CaseReader, now: Date, model: ModelReader) {
        (self.ref, self.reader, self.now, self.model) = (ref, reader, now, model)
    }

    func field(_ name: String) -> String? {
        guard let v = view?.readIfDisclosed(name), v != .none, v != .list([]) else { return nil }
        return PluginRuntime.text(v)
    }

    var mustacheValue: Any { self }

    func child(named name: String) -> Any? { field(name).map(NoticeText.init) }
}

/// A case field's text in a notice. Mustache renders a plain `String` through a chain of
/// dynamic casts and `String(describing:)`; a custom renderable is written as it is (a twentieth
/// less rendering work in the gulf-charter benchmark, by `callgrind`). It answers no child
/// names (a section over it looks further up, as over a string) and takes the same transforms
/// as a string (`{{uppercased(names)}}`); a test renders both alike.
private struct NoticeText: MustacheCustomRenderable, MustacheParent, MustacheTransformable {
    let text: String
    var renderText: String { text }
    var isNull: Bool { false }
    func child(named: String) -> Any? { nil }
    func transform(_ name: String) -> Any? { text.transform(name) }
}

// MARK: Handles reach the live model through their plugin

extension CaseHandle {
    var label: String { "case \(ref)" }
    var subject: String { ref.rawValue }

    func view() throws -> (PluginRuntime, CaseView) {
        try reading { plugin, reader, engine in (plugin, try reader.view(ref, at: engine.now, in: engine.reader)) }
    }

    /// One field, reading only the records it is on.
    func read(_ field: String) throws -> FieldValue {
        try reading { _, reader, engine in try reader.read(field, of: ref, at: engine.now, in: engine.reader) }
    }

    /// `body` with the plugin, how it reads cases, and its engine, inside a handler; a model
    /// error (the case is gone) becomes the script's error.
    private func reading<T>(_ body: (PluginRuntime, CaseReader, Engine) throws -> T) throws -> T {
        let plugin = try live()
        let engine = try plugin.engineInHandler(label)
        do {
            return try body(plugin, try plugin.caseReader(for: engine), engine)
        } catch let e as ModelError {
            throw LuaScriptError(e.description)
        }
    }
}

extension MovementHandle {
    var label: String { "movement \(ref)" }
    var subject: String { ref.rawValue }

    func movement() throws -> Movement { try current { try $0.movement(ref) } }
}

extension HandoffHandle {
    var label: String { "handoff \(ref)" }
    var subject: String { ref.rawValue }

    func handoff() throws -> Handoff { try current { try $0.handoff(ref) } }
}

extension NoticeHandle {
    var label: String { "notice \(ref)" }
    var subject: String { ref.rawValue }

    func notice() throws -> Notice { try current { try $0.notice(ref) } }
}

extension HandlerContext {
    func live() throws -> PluginRuntime {
        guard let plugin, plugin.context === self else {
            throw LuaScriptError("this ctx belongs to a handler call that has returned; use the ctx of the current call")
        }
        return plugin
    }
}
