import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// `liaison replay`: the external commands of an operation's ledger, run again against another
/// version of the plugins, and every decision that comes out differently.
///
/// External commands are the ledger entries no plugin caused (imports, the timeline, commands
/// typed at the REPL, whose origin says `repl`);
/// `notice.overdue` signals are left out, since the engine raises them again from the notices
/// the replayed plugins send. Decisions are compared per case as sets of lines: holds raised and
/// lifted, notices (recipient, template, due time), vetoes, handoff proposals and
/// acknowledgements, and final states. Notice references and ledger numbers are not compared:
/// they shift whenever anything earlier changes.
public struct Replay {
    public struct Difference: Sendable, Encodable {
        /// A case reference, or `(operation)` for what concerns no single case.
        public var subject: String
        public var before: [String]
        public var after: [String]
    }

    public var differences: [Difference]
    public var externalCommands: Int

    /// `agency`: list only the decisions that agency may learn of (holds it may see, its own
    /// notices and vetoes, handoffs and states); nil for the coordinator's whole list.
    public static func run(store path: String, plugins: URL, as agency: AgencyID? = nil) throws -> Replay {
        let original = try SQLiteStore.open(at: path)
        let reader = try agency.map { try CaseReader($0, in: original.operation) }
        let entries = try allEntries(original)
        // The signals the ledger gives are the ones handlers may subscribe to.
        let signals = Set(entries.compactMap { e -> String? in
            guard e.command == "signal", case .signal(let s)? = try? e.decodedCommand() else { return nil }
            return s.name
        })
        let set = try PluginSet.load(pluginsFolder: plugins, operation: original.operation, signals: signals)
        let fresh = try SQLiteStore.inMemory(operation: original.operation)
        let external = entries.dropFirst().filter { e in
            guard e.origin.isEmpty || e.origin.hasPrefix("repl") || e.origin.hasPrefix("timeline.toml:") else { return false }
            if case .signal(let s)? = try? e.decodedCommand(), s.name == "notice.overdue" { return false }
            return true
        }
        let engine = try Engine(store: fresh, start: external.first?.at ?? Date(timeIntervalSince1970: 0), plugins: set)
        for entry in external {
            try engine.advance(to: entry.at)
            var command = try entry.decodedCommand()
            if case .registerPerson(let p) = command {
                guard let person = try original.person(p.ref) else { throw ReplayError("person \(p.ref) of entry \(entry.sequence) is missing from \(path)") }
                command = .registerPerson(person)
            }
            try engine.submit(command, by: entry.actor)
        }
        let end = max(entries.last?.at ?? engine.now, engine.now)
        let before = try decisions(entries, in: original, at: end, for: reader)
        let after = try decisions(try allEntries(fresh), in: fresh, at: end, for: reader)
        var differences: [Difference] = []
        for subject in Set(before.keys).union(after.keys).sorted() {
            let b = before[subject] ?? [], a = after[subject] ?? []
            let onlyBefore = subtract(b, a), onlyAfter = subtract(a, b)
            if !onlyBefore.isEmpty || !onlyAfter.isEmpty { differences.append(Difference(subject: subject, before: onlyBefore, after: onlyAfter)) }
        }
        return Replay(differences: differences, externalCommands: external.count)
    }

    static func allEntries(_ store: SQLiteStore) throws -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        try store.forEachEntry { out.append($0) }
        return out
    }

    /// What is in `a` and not in `b`, counting repeats.
    static func subtract(_ a: [String], _ b: [String]) -> [String] {
        var left = Dictionary(b.map { ($0, 1) }, uniquingKeysWith: +)
        return a.filter { line in
            if let n = left[line], n > 0 { left[line] = n - 1; return false }
            return true
        }
    }

    /// Every decision of a ledger, as lines grouped by case.
    static func decisions(_ entries: [LedgerEntry], in store: SQLiteStore, at end: Date, for reader: CaseReader? = nil) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        func add(_ subject: String, _ line: String) { out[subject, default: []].append(line) }
        let me = reader?.agency.id
        let handoffs = Dictionary(uniqueKeysWithValues: try store.handoffs().map { ($0.ref, $0) })
        let notices = Dictionary(uniqueKeysWithValues: try store.notices().map { ($0.ref, $0) })
        // Each plugin's state at the end, by plugin and key.
        var states: [String: [String: String]] = [:]
        for entry in entries.dropFirst() {
            let command = try entry.decodedCommand()
            for event in try entry.decodedEvents() {
                switch event {
                case let .holdRaised(c, _, kind) where reader?.grants(all: kind.categories) ?? true:
                    add(c.rawValue, "hold raised: \(kind.rawValue) by \(entry.actor)")
                case let .holdLifted(c, _, kind, by) where reader?.grants(all: kind.categories) ?? true:
                    add(c.rawValue, "hold lifted: \(kind.rawValue) by \(by)")
                default: break
                }
            }
            switch command {
            case .sendNotice(let n) where me == nil || me == n.from || me == n.recipient:
                let line = "notice from \(n.from) to \(n.to): \(n.template), due \(n.due.map(Timestamp.iso) ?? "none")"
                if n.cases.isEmpty { add("(operation)", line) } else { for c in n.cases { add(c.rawValue, line) } }
            case .recordPluginOutcome(let o) where o.kind == .veto && (me == nil || me == o.agency):
                add("(operation)", "veto by plugin \(o.plugin), hook \(o.hook): \(o.message) (refused \(o.trigger))")
            case let .replyNotice(ref, answers):
                guard let n = notices[ref], me == nil || me == n.from || me == n.recipient else { break }
                let line = "reply from \(n.recipient) to \(n.template) from \(n.from): " + answers.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
                if n.cases.isEmpty { add("(operation)", line) } else { for c in n.cases { add(c.rawValue, line) } }
            case .proposeHandoff(let p):
                for c in p.cases { add(c.rawValue, "handoff proposed: \(p.from) -> \(p.to) at \(p.place), by \(entry.actor)") }
            case .acknowledgeHandoff(let ref), .refuseHandoff(let ref, _):
                let verb = { if case .refuseHandoff = command { return "refused" } else { return "acknowledged" } }()
                for c in handoffs[ref]?.cases ?? [] { add(c.rawValue, "handoff \(verb): \(handoffs[ref]!.from) -> \(handoffs[ref]!.to) at \(handoffs[ref]!.place), by \(entry.actor)") }
            case .setPluginState(let change) where me == nil || me == change.agency:
                states[change.plugin, default: [:]][change.key] = change.value
            default: break
            }
        }
        for (plugin, state) in states {
            for (key, value) in state.sorted(by: { $0.key < $1.key }) { add("(plugin \(plugin))", "state \(key) = \(value)") }
        }
        for ref in try store.caseRefs() {
            if let c = try store.returnCase(ref) { add(ref.rawValue, "final state: \(c.state(at: end).rawValue)") }
        }
        return out
    }

    /// For people: each case that differs, with `-` for what only the recorded run decided
    /// and `+` for what only the replay decided.
    public var text: String {
        if differences.isEmpty { return "no differences: \(externalCommands) external commands replayed, every decision the same" }
        var lines = ["\(differences.count) \(differences.count == 1 ? "case differs" : "cases differ") (- recorded, + replayed):"]
        for d in differences {
            lines.append("  \(d.subject)")
            lines += d.before.map { "    - \($0)" } + d.after.map { "    + \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}

public struct ReplayError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
