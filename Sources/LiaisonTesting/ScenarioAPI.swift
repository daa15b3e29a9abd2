import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import LuaKit

/// An operation loaded for one test: a fresh store in memory, its plugins, its timeline.
final class ScenarioHandle {
    let host: OperationHost
    var pendingTime: Date?
    /// Who gives the next commands and signals (`op:as(...)`); commands default to the sending
    /// agency, signals to the coordinator.
    var actor: AgencyID?

    init(host: OperationHost) {
        self.host = host
    }

    /// An outcome as the agency `op:as(...)` speaks for may learn of it: all of it until `op:as`
    /// names an agency, and as the coordinator (`op:as("COORDINATOR")`). A command's `by` names
    /// who gives it, not whose view the outcome is shown in.
    func seen(_ outcome: Outcome) -> Outcome {
        guard let agency = actor, agency != .coordinator, let reader = try? CaseReader(agency, in: host.store.operation) else { return outcome }
        return outcome.seen(by: reader, in: host.store)
    }

    func caseView(_ ref: CaseRef) throws -> CaseView {
        do { return try CaseView.coordinator(ref, at: host.engine.now, in: host.store) } catch {
            throw LuaScriptError("no case \(ref) in operation \(host.folder.operation.name)")
        }
    }
}

/// A case in a scenario, read as the coordinator sees it (every field), always current.
final class ScenarioCase {
    let ref: CaseRef
    unowned let scenario: ScenarioHandle
    init(_ ref: CaseRef, _ scenario: ScenarioHandle) { self.ref = ref; self.scenario = scenario }
}

/// A person in a scenario, with their (latest) case.
final class ScenarioPerson {
    let person: Person
    let caseRef: CaseRef
    unowned let scenario: ScenarioHandle
    init(_ person: Person, _ caseRef: CaseRef, _ scenario: ScenarioHandle) { self.person = person; self.caseRef = caseRef; self.scenario = scenario }
}

/// `scenario.load(path)` and the objects it gives, in a test file's state: each class declared
/// once, with a description of each member beside its binding (see `APIType`), from which the
/// test API's stubs (`liaison stubs --tests`) are made.
enum ScenarioAPI {
    static func install(in session: TestSession, folder: URL) throws {
        let state = session.state
        try state.register(caseAPI().luaType())
        try state.register(personAPI().luaType())
        try state.register(scenarioAPI().luaType())
        let load = state.function("scenario.load") { [unowned session] args -> LuaValue in
            let path = try args.string(1)
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
            do {
                let host = try OperationHost.open(url.standardizedFileURL, store: nil)
                try host.importManifest()
                let handle = ScenarioHandle(host: host)
                session.scenarios.append(handle)
                return .object(handle)
            } catch {
                throw LuaScriptError("scenario.load(\"\(path)\"): \(error)")
            }
        }
        try state.setGlobal("scenario", .table([.string(LuaString("load")): .function(load)]))
    }

    /// Every member of the scenario API, class by class, and `scenario.load`.
    public static var members: [APIMember] {
        caseAPI().members + personAPI().members + scenarioAPI().members + [
            APIMember(owner: "scenario", name: "load", kind: .function, type: "Scenario",
                      params: [APIMember.param("path", "string", "an operation folder, relative to the test file's folder")],
                      doc: "Loads an operation in memory, with its plugins and timeline, and imports its manifest; nothing has run yet."),
        ]
    }

    /// The classes of tables the scenario API gives, with their fields (for the stubs).
    public static let tableClasses: [(name: String, fields: [CommandSpec.Param])] = [
        ("Outcome", [
            APIMember.param("accepted", "boolean", "whether the command took effect"),
            APIMember.param("command", "string", "its name"),
            APIMember.param("events", "string[]", "the events it caused, as the agency op:as names may hear of them"),
            APIMember.param("refusal", "string?", "why it was refused, if it was"),
            APIMember.param("failures", "Failure[]", "the plugins that failed while handling it"),
            APIMember.param("handler_calls", "integer", "how many handler calls it made"),
            APIMember.param("notices", "string[]", "the notices it sent: TEMPLATE to RECIPIENT"),
        ]),
        ("Failure", [
            APIMember.param("plugin", "string", "the plugin"), APIMember.param("hook", "string", "the event it handled"),
            APIMember.param("kind", "string", "error, timeout, memory, veto"), APIMember.param("message", "string", "what it said"),
            APIMember.param("summary", "string", "one line"), APIMember.param("location", "string?", "FILE:LINE"),
        ]),
        ("SentNotice", [
            APIMember.param("ref", "string", "N-000001"), APIMember.param("from", "string", "the sending agency"),
            APIMember.param("to", "string", "AGENCY or AGENCY/contact"), APIMember.param("template", "string", "its template"),
            APIMember.param("body", "string", "its text"), APIMember.param("due", "string?", "its deadline, ISO 8601"),
            APIMember.param("late", "boolean", "past its deadline and not acknowledged"),
            APIMember.param("acknowledged", "boolean", "whether it was acknowledged"), APIMember.param("cases", "string[]", "the cases it is about"),
            APIMember.param("reply", "table<string, string|number|boolean>?", "the recipient's answers (ctx:reply), by name; nil if none"),
        ]),
        ("HandoffRecord", [
            APIMember.param("ref", "string", "H-1"), APIMember.param("from", "string", "the agency handing over"),
            APIMember.param("to", "string", "the agency taking custody"), APIMember.param("place", "string", "where"),
            APIMember.param("state", "string", "proposed, completed or refused"), APIMember.param("cases", "string[]", "the cases"),
            APIMember.param("acknowledged_by", "string[]", "who acknowledged it"),
        ]),
        ("RunSummary", [
            APIMember.param("cases", "table<string, integer>", "cases by state"), APIMember.param("notices_sent", "integer", "notices sent"),
            APIMember.param("notices_late", "integer", "notices late"), APIMember.param("handoffs_completed", "integer", "handoffs completed"),
            APIMember.param("handoffs_refused", "integer", "handoffs refused"), APIMember.param("failures", "integer", "plugin failures"),
        ]),
    ]

    static func caseAPI() -> APIType<ScenarioCase> {
        let type = APIType<ScenarioCase>("ScenarioCase")
        CaseBinding.declare(on: type, ref: \.ref, hint: "give commands with op:command(name, { case = c, ... })",
                            view: { try $0.scenario.caseView($0.ref) }, field: { try $0.scenario.caseView($0.ref).read($1) })
        type.method("holds", returns: "Hold[]", [], "Every hold the case has had, lifted or not (a test reads as the coordinator).") { c, _ -> LuaValue in
            .array(try CaseBinding.disclosedHolds { try c.scenario.caseView(c.ref).holdHistory() }.map(CaseBinding.holdValue))
        }
        return type
    }

    static func personAPI() -> APIType<ScenarioPerson> {
        APIType<ScenarioPerson>("ScenarioPerson")
            .field("ref", "string", "The person's reference.") { $0.person.ref.rawValue }
            .field("names", "string[]", "Their names.") { $0.person.names }
            .field("date_of_birth", "string", "YYYY-MM-DD.") { $0.person.dateOfBirth.description }
            .field("nationalities", "string[]", "ISO codes.") { $0.person.nationalities }
            .field("vulnerabilities", "Vulnerability[]", "Their vulnerabilities.") { $0.person.vulnerabilities.sorted().map(\.rawValue) }
            .field("case", "ScenarioCase", "Their latest case.") { p -> LuaValue in .object(ScenarioCase(p.caseRef, p.scenario)) }
            .tostring { "<person \($0.person.ref)>" }
    }

    static func scenarioAPI() -> APIType<ScenarioHandle> {
        APIType<ScenarioHandle>("Scenario")
            .field("now", "string", "The operation's time, ISO 8601.") { Timestamp.iso($0.host.engine.now) }
            .field("name", "string", "The operation's name.") { $0.host.folder.operation.name }
            .method("case", returns: "ScenarioCase", [APIMember.param("ref", "string", "R-0042")], "A case; an error if there is none.") { op, args -> LuaValue in
                let ref = CaseRef(try args.string(1))
                _ = try op.caseView(ref)
                return .object(ScenarioCase(ref, op))
            }
            .method("person", returns: "ScenarioPerson", [APIMember.param("ref", "string", "a person's reference, or a case's")],
                    "A person, with their latest case.") { op, args -> LuaValue in try person(op, try args.string(1)) }
            .method("cases", returns: "ScenarioCase[]", [APIMember.param("filter", "{state: CaseState?}", "which cases", optional: true)],
                    "Cases in reference order, by state or progress.") { op, args -> LuaValue in
                let filter = args.count >= 1 && !args.isNil(1) ? try args.table(1) : [:]
                let state = filter[.string(LuaString("state"))]?.stringValue
                var out: [LuaValue] = []
                for ref in try op.host.store.caseRefs() {
                    if let state {
                        let c = try op.host.store.returnCase(ref)!
                        guard c.state(at: op.host.engine.now).rawValue == state || c.progress.rawValue == state else { continue }
                    }
                    out.append(.object(ScenarioCase(ref, op)))
                }
                return .array(out)
            }
            .method("at", returns: "Scenario", [APIMember.param("time", "string|integer", "ISO 8601 text, or seconds since 1970")],
                    "The time the next command or signal is given at: the timeline plays up to it first.") { op, args -> LuaValue in
                op.pendingTime = try time(args, 1)
                return .object(op)
            }
            .method("as", returns: "Scenario", [APIMember.param("agency", "string", "an agency, or COORDINATOR")],
                    "Who gives the next commands and signals, and whose view outcomes are shown in.") { op, args -> LuaValue in
                let agency = AgencyID(try args.string(1))
                guard agency == .coordinator || op.host.folder.operation.agency(agency) != nil else {
                    throw LuaScriptError("op:as: \(agency) is not an agency of \(op.host.folder.operation.name)")
                }
                op.actor = agency
                return .object(op)
            }
            .method("command", returns: "Outcome", [APIMember.param("name", "string", "a command, such as legal.record"),
                                                    APIMember.param("args", "table", "its subject (case = ...), arguments, and by = AGENCY", optional: true)],
                    "Gives a command, as the agency op:as names (the sending agency if none), and returns what happened.") { op, args -> LuaValue in
                try command(op, args)
            }
            .method("signal", returns: "Outcome", [APIMember.param("name", "string", "a signal, such as leg.departing"),
                                                   APIMember.param("fields", "table<string, any>", "its fields", optional: true)],
                    "Gives a signal, as the coordinator unless op:as names an agency.") { op, args -> LuaValue in
                let name = try args.string(1)
                var fields: [String: String] = [:]
                if args.count >= 2, !args.isNil(2) {
                    for (k, v) in try args.table(2) {
                        guard let key = k.stringValue else { continue }
                        fields[key] = text(v)
                    }
                }
                try moveClock(op)
                return outcomeValue(op.seen(try op.host.engine.submit(.signal(Signal(name: name, fields: fields)), by: op.actor ?? .coordinator)))
            }
            .method("run_until", [APIMember.param("time", "string|integer", "ISO 8601 text, or seconds since 1970")],
                    "Plays the timeline up to the time.") { op, args -> LuaNoResults in
                try op.host.play(until: try time(args, 1))
                return .none
            }
            .method("run", [], "Plays the rest of the timeline.") { op, _ -> LuaNoResults in
                try op.host.play()
                return .none
            }
            .method("notices", returns: "SentNotice[]", [APIMember.param("filter", "{to: string?, from: string?, template: string?, case: string?}", "which notices", optional: true)],
                    "The notices sent, oldest first.") { op, args -> LuaValue in
                let filter = args.count >= 1 && !args.isNil(1) ? try args.table(1) : [:]
                func f(_ k: String) -> String? { filter[.string(LuaString(k))]?.stringValue }
                let now = op.host.engine.now
                return .array(try op.host.store.notices().filter { n in
                    (f("to").map { n.to == $0 || n.recipient.rawValue == $0 } ?? true) && (f("from").map { n.from.rawValue == $0 } ?? true)
                        && (f("template").map { n.template == $0 } ?? true) && (f("case").map { n.cases.contains(CaseRef($0)) } ?? true)
                }.map { n in
                    var t: [String: LuaValue] = ["ref": .string(LuaString(n.ref.rawValue)), "from": .string(LuaString(n.from.rawValue)),
                                                 "to": .string(LuaString(n.to)), "template": .string(LuaString(n.template)),
                                                 "body": .string(LuaString(n.body)), "late": .boolean(n.isLate(at: now)),
                                                 "acknowledged": .boolean(n.acknowledgedAt != nil),
                                                 "cases": .array(n.cases.map { .string(LuaString($0.rawValue)) })]
                    if let due = n.due { t["due"] = .string(LuaString(Timestamp.iso(due))) }
                    t["reply"] = n.luaReply
                    return .table(Dictionary(uniqueKeysWithValues: t.map { (.string(LuaString($0.key)), $0.value) }))
                })
            }
            .method("handoffs", returns: "HandoffRecord[]", [], "Every handoff, by reference.") { op, _ -> LuaValue in
                .array(try op.host.store.handoffs().map { h in
                    ["ref": .string(LuaString(h.ref.rawValue)), "from": .string(LuaString(h.from.rawValue)), "to": .string(LuaString(h.to.rawValue)),
                     "place": .string(LuaString(h.place)), "state": .string(LuaString(h.state.rawValue)),
                     "cases": .array(h.cases.map { .string(LuaString($0.rawValue)) }),
                     "acknowledged_by": .array(h.acknowledgedBy.sorted().map { .string(LuaString($0.rawValue)) })]
                })
            }
            .method("failures", returns: "Failure[]", [], "Every plugin failure so far.") { op, _ -> LuaValue in .array(op.host.failures.map(failureValue)) }
            .method("log", returns: "string[]", [], "The run's log so far.") { op, _ -> [String] in op.host.engine.log }
            .method("summary", returns: "RunSummary", [], "The run's counts so far.") { op, _ -> LuaValue in
                let s = try op.host.summary()
                var states: [LuaValue: LuaValue] = [:]
                for (state, count) in s.casesByState { states[.string(LuaString(state))] = .integer(Int64(count)) }
                return ["cases": .table(states), "notices_sent": .integer(Int64(s.noticesSent)), "notices_late": .integer(Int64(s.noticesLate.count)),
                        "handoffs_completed": .integer(Int64(s.handoffsCompleted)), "handoffs_refused": .integer(Int64(s.handoffsRefused)),
                        "failures": .integer(Int64(s.failures.count))]
            }
            .tostring { "<scenario \($0.host.folder.operation.name) at \(Timestamp.iso($0.host.engine.now))>" }
    }

    static func person(_ op: ScenarioHandle, _ ref: String) throws -> LuaValue {
        let store = op.host.store
        if let c = try store.returnCase(CaseRef(ref)), let p = try store.person(c.person) { return .object(ScenarioPerson(p, c.ref, op)) }
        guard let p = try store.person(PersonRef(ref)) else { throw LuaScriptError("no person or case \(ref) in operation \(op.host.folder.operation.name)") }
        guard let c = try store.caseRefs().last(where: { (try? store.returnCase($0))??.person == p.ref }) else {
            throw LuaScriptError("person \(ref) has no case")
        }
        return .object(ScenarioPerson(p, c, op))
    }

    static func time(_ args: LuaArguments, _ i: Int) throws -> Date {
        switch try args.value(i) {
        case .integer(let n):
            guard let d = Timestamp.date(seconds: Double(n)) else { throw LuaScriptError("\(n) is not a time between 1900 and 2200") }
            return d
        case .string(let s):
            guard let d = Timestamp.parse(s.description), Timestamp.isKept(d) else { throw LuaScriptError("'\(s)' is not a time such as 2026-12-01T09:00Z") }
            return d
        default: throw LuaScriptError("a time is ISO 8601 text such as 2026-12-01T09:00Z")
        }
    }

    static func moveClock(_ op: ScenarioHandle) throws {
        if let t = op.pendingTime {
            try op.host.play(until: t)
            op.pendingTime = nil
        }
    }

    static func text(_ v: LuaValue) -> String {
        switch v {
        case .object(let c as ScenarioCase): return c.ref.rawValue
        case .string(let s): return s.description
        default: return v.description
        }
    }

    static func argValue(_ v: LuaValue) -> ArgValue? {
        switch v {
        case .object(let c as ScenarioCase): return .text(c.ref.rawValue)
        case .object(let p as ScenarioPerson): return .text(p.caseRef.rawValue)
        case .string(let s): return .text(s.description)
        case .integer(let n): return .integer(Int(n))
        case .number(let d): return .number(d)
        case .boolean(let b): return .flag(b)
        case .table: return v.arrayValue.map { .list($0.compactMap(argValue)) }
        default: return nil
        }
    }

    /// `op:command("legal.record", { case = c, kind = "appeal", suspensive = true, by = "US-ENF" })`
    static func command(_ op: ScenarioHandle, _ args: LuaArguments) throws -> LuaValue {
        let name = try args.string(1)
        guard let spec = CommandCatalog.spec(named: name) else {
            throw LuaScriptError("'\(name)' is not a command (commands: \(CommandCatalog.specs.map(\.command).joined(separator: ", ")))")
        }
        var values: [String: ArgValue] = [:]
        if args.count >= 2, !args.isNil(2) {
            for (k, v) in try args.table(2) {
                guard let key = k.stringValue, let a = argValue(v) else { continue }
                values[key] = a
            }
        }
        var actor = op.actor ?? op.host.folder.sendingAgency
        if case .text(let by)? = values.removeValue(forKey: "by") { actor = AgencyID(by) }
        var subject = ""
        if spec.subject != .model {
            let key = spec.subject.rawValue.lowercased()
            guard case .text(let s)? = values.removeValue(forKey: key) else { throw LuaScriptError("\(name) needs '\(key)', the \(key) it acts on") }
            subject = s
        }
        try moveClock(op)
        do {
            return outcomeValue(op.seen(try op.host.engine.submit(named: name, subject: subject, args: values, by: actor)))
        } catch let error as CommandArgumentError {
            throw LuaScriptError(error.message)
        }
    }

    static func outcomeValue(_ o: Outcome) -> LuaValue {
        var t: [String: LuaValue] = ["accepted": .boolean(o.accepted), "command": .string(LuaString(o.command)),
                                     "events": .array(o.events.map { .string(LuaString($0.name)) }),
                                     "failures": .array(o.failures.map(failureValue)), "handler_calls": .integer(Int64(o.handlerCalls)),
                                     "notices": .array(o.notices.map { .string(LuaString("\($0.template) to \($0.to)")) })]
        if let r = o.refusal { t["refusal"] = .string(LuaString(r)) }
        return .table(Dictionary(uniqueKeysWithValues: t.map { (.string(LuaString($0.key)), $0.value) }))
    }

    static func failureValue(_ f: PluginOutcome) -> LuaValue {
        var t: [String: LuaValue] = ["plugin": .string(LuaString(f.plugin)), "hook": .string(LuaString(f.hook)), "kind": .string(LuaString(f.kind.rawValue)),
                                     "message": .string(LuaString(f.message)), "summary": .string(LuaString(f.summary))]
        if let l = f.location { t["location"] = .string(LuaString(l)) }
        return .table(Dictionary(uniqueKeysWithValues: t.map { (.string(LuaString($0.key)), $0.value) }))
    }
}
