import Foundation
import LiaisonModel
import LiaisonStore

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
        guard let data = FileManager.default.contents(atPath: url.path) else { return Timeline(entries: []) }
        let file = "timeline.toml"
        let problems = Problems()
        guard let text = String(data: data, encoding: .utf8) else { throw ImportError(folder: folder.path, problems: [Problem(file: file, line: nil, message: "is not UTF-8 text")]) }
        guard let parsed = TOMLReader.parse(text, file: file, problems) else {
            throw ImportError(folder: folder.path, problems: TOMLReader.lastProblems(text, file: file, problems).list)
        }
        var r = parsed.0
        var entries: [Entry] = []
        for (i, e) in r.tables(parsed.1, "events").enumerated() {
            let path = "events[\(i)]"
            guard let at = r.date(e, "at", path) else { continue }
            let note = e["note"] as? String
            var args: [String: ArgValue] = [:]
            for (k, v) in e where !["at", "actor", "command", "signal", "note"].contains(k) {
                guard let a = argValue(v) else { r.fail("\(path).\(k)", "must be a string, number, boolean or list"); continue }
                args[k] = a
            }
            let actor = AgencyID((e["actor"] as? String) ?? AgencyID.coordinator.rawValue)
            if actor != .coordinator && operation.agency(actor) == nil {
                r.fail("\(path).actor", "\(actor) is not an agency of this operation (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
                continue
            }
            if let name = e["command"] as? String {
                guard let spec = CommandCatalog.spec(named: name) else {
                    r.fail("\(path).command", "'\(name)' is not a command (commands: \(CommandCatalog.specs.map(\.command).uniqued().joined(separator: ", ")))")
                    continue
                }
                if actor == .coordinator { r.fail("\(path).actor", "missing: a command needs the agency that gives it"); continue }
                let key = spec.subject == .model ? nil : spec.subject.rawValue.lowercased()
                var subject = ""
                if let key {
                    guard case .text(let s)? = args.removeValue(forKey: key) else { r.fail(path, "\(name) needs '\(key)', the \(key) it acts on"); continue }
                    subject = s
                }
                entries.append(Entry(at: at, actor: actor, action: .command(name: name, subject: subject, args: args), note: note, line: r.line(path)))
            } else if let name = e["signal"] as? String {
                var fields: [String: String] = [:]
                for (k, v) in args {
                    switch v {
                    case .text(let s): fields[k] = s
                    case .integer(let n): fields[k] = String(n)
                    default: fields[k] = v.description
                    }
                }
                entries.append(Entry(at: at, actor: actor, action: .signal(Signal(name: name, fields: fields)), note: note, line: r.line(path)))
            } else {
                r.fail(path, "needs either command = \"...\" or signal = \"...\"")
            }
        }
        guard r.problems.list.isEmpty else { throw ImportError(folder: folder.path, problems: r.problems.list) }
        // Stable: entries at the same time keep the file's order.
        let ordered = entries.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        return Timeline(entries: ordered)
    }

    static func argValue(_ v: Any) -> ArgValue? {
        if let a = v as? [Any] {
            let items = a.compactMap(argValue)
            return items.count == a.count ? .list(items) : nil
        }
        switch TOMLReader.scalar(v) {
        case .boolean(let b)?: return .flag(b)
        case .integer(let n)?: return .integer(n)
        case .float(let d)?: return .number(d)
        case .text(let s)?: return .text(s)
        case nil: return nil
        }
    }
}
