import Foundation
import LiaisonModel

/// An operation's external events, in `timeline.toml`: what happens outside the plugins, at
/// what time. Each entry is a command an agency gives, or a signal (a fact plugins react to).
///
/// ```toml
/// [[events]]
/// at = "2026-12-05T10:00:00Z"
/// actor = "US-ENF"                 # who gives it (signals: the coordinator, unless named)
/// command = "legal.record"         # any command of `liaison stubs`, by name
/// case = "R-0007"                  # its subject: case, movement or handoff
/// kind = "appeal"                  # the command's arguments
/// suspensive = true
/// note = "counsel files an appeal" # shown in the report
///
/// [[events]]
/// at = "2026-12-15T05:30:00Z"
/// signal = "leg.departing"
/// movement = "M-1"
/// leg = 1
/// ```
public struct Timeline: Sendable {
    public struct Entry: Sendable {
        public enum Action: Sendable {
            case command(name: String, subject: String, args: [String: ArgValue])
            case signal(Signal)
        }
        public var at: Date
        public var actor: AgencyID
        public var action: Action
        public var note: String?
        /// The line of its `[[events]]` header in timeline.toml.
        public var line: Int?

        /// What the ledger records as the cause of what the entry gives: `timeline.toml:57`.
        public var origin: String { "timeline.toml:" + (line.map(String.init) ?? "?") }

        /// `legal.record R-0007` or `signal leg.departing`.
        public var title: String {
            switch action {
            case let .command(name, subject, _): return subject.isEmpty ? name : "\(name) \(subject)"
            case let .signal(s): return "signal \(s.name)" + (s.fields.isEmpty ? "" : " " + s.fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
            }
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The names of the signals it gives.
    public var signals: Set<String> {
        Set(entries.compactMap { if case .signal(let s) = $0.action { return s.name } else { return nil } })
    }

    /// Reads `folder/timeline.toml`; a folder without one has an empty timeline. Every problem
    /// is listed by line, and the timeline is refused whole.
    public static func load(_ folder: URL, operation: ReturnOperation) throws -> Timeline {
        let url = folder.appendingPathComponent("timeline.toml")
        guard FileManager.default.fileExists(atPath: url.path) else { return Timeline(entries: []) }
        var problems = Problems()
        let file = "timeline.toml"
        guard let text = InputFile.text(of: url, file: file, missing: "cannot be read", into: &problems) else {
            throw ImportError(folder: folder.path, problems: problems.list)
        }
        let document = TOMLDocument(text, file: file)
        guard let root = document.root else { throw ImportError(folder: folder.path, problems: document.problems.list) }
        root.refuseUnknownKeys(["events"], of: "timeline.toml")
        var entries: [Entry] = []
        for e in root.tables("events") {
            guard let at = e.date("at") else { continue }
            let note = e.has("note") ? e.string("note") : nil
            var args: [String: ArgValue] = [:]
            for k in e.keys where !["at", "actor", "command", "signal", "note"].contains(k) {
                guard let a = e.value(k).flatMap(argValue) else {
                    e.fail(k, "must be a string, a whole or finite number, a boolean, or a list of them")
                    continue
                }
                args[k] = a
            }
            let actor = AgencyID(e.has("actor") ? e.string("actor") ?? "" : AgencyID.coordinator.rawValue)
            if actor != .coordinator && operation.agency(actor) == nil {
                e.fail("actor", "\(actor) is not an agency of this operation (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
                continue
            }
            let line = document.line(e.path)
            if e.has("command") {
                guard let name = e.string("command") else { continue }
                guard let spec = CommandCatalog.spec(named: name) else {
                    e.fail("command", "'\(name)' is not a command (commands: \(CommandCatalog.names.joined(separator: ", ")))")
                    continue
                }
                if actor == .coordinator { e.fail("actor", "missing: a command needs the agency that gives it"); continue }
                let key = spec.subjectKey
                var subject = ""
                if let key {
                    guard case .text(let s)? = args.removeValue(forKey: key) else { e.fail(nil, "\(name) needs '\(key)', the \(key) it acts on"); continue }
                    subject = s
                }
                entries.append(Entry(at: at, actor: actor, action: .command(name: name, subject: subject, args: args), note: note, line: line))
            } else if e.has("signal") {
                guard let name = e.string("signal") else { continue }
                var fields: [String: String] = [:]
                for (k, v) in args {
                    switch v {
                    case .text(let s): fields[k] = s
                    case .integer(let n): fields[k] = String(n)
                    default: fields[k] = v.description
                    }
                }
                entries.append(Entry(at: at, actor: actor, action: .signal(Signal(name: name, fields: fields)), note: note, line: line))
            } else {
                e.fail(nil, "needs either command = \"...\" or signal = \"...\"")
            }
        }
        guard document.problems.list.isEmpty else { throw ImportError(folder: folder.path, problems: document.problems.list) }
        // Stable: entries at the same time keep the file's order.
        let ordered = entries.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        return Timeline(entries: ordered)
    }

    /// A command's argument as TOML typed it: text, a whole or finite number, a boolean, or a
    /// list of them. (A date and time is given as text.)
    static func argValue(_ v: TOMLTableReader.Value) -> ArgValue? {
        switch v {
        case .text(let s): return s.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" } ? nil : .text(s)
        case .integer(let n): return .integer(n)
        case .float(let d): return d.isFinite ? .number(d) : nil
        case .boolean(let b): return .flag(b)
        case .dateTime(let s): return .text(s)
        case .list(let items):
            let values = items.compactMap(argValue)
            return values.count == items.count ? .list(values) : nil
        case .table: return nil
        }
    }
}
