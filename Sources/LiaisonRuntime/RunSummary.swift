import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore

/// An operation at a glance: cases by state, holds by kind, notices sent and late, handoffs,
/// and every veto and script failure with its file and line.
public struct RunSummary: Sendable {
    public var operation: String
    public var at: Date
    public var casesByState: [(state: String, count: Int)]
    /// Raised over the operation, and still active, by kind.
    public var holdsByKind: [(kind: String, raised: Int, active: Int)]
    public var noticesSent: Int
    public var noticesLate: [Notice]
    public var noticesByTemplate: [(template: String, count: Int)]
    public var handoffsCompleted: Int
    public var handoffsRefused: Int
    public var failures: [PluginOutcome]
    public var refusals: [RefusedCommand]
    public var commands: Int
    public var handlerCalls: Int
    /// The timeline's entries played so far.
    public var timeline: [(at: Date, title: String, note: String?)]

    init(host: OperationHost) throws {
        let store = host.store
        let now = host.engine.now
        operation = store.operation.name
        at = now
        var states: [String: Int] = [:]
        var raised: [String: Int] = [:], active: [String: Int] = [:]
        for ref in try store.caseRefs() {
            guard let c = try store.returnCase(ref) else { continue }
            states[c.state(at: now).rawValue, default: 0] += 1
            for h in c.holds {
                raised[h.kind.rawValue, default: 0] += 1
                if h.isActive(at: now) { active[h.kind.rawValue, default: 0] += 1 }
            }
        }
        let order = CaseState.allCases.map(\.rawValue)
        casesByState = states.sorted { order.firstIndex(of: $0.key)! < order.firstIndex(of: $1.key)! }.map { ($0.key, $0.value) }
        holdsByKind = raised.keys.sorted().map { ($0, raised[$0]!, active[$0] ?? 0) }
        let notices = try store.notices()
        noticesSent = notices.count
        noticesLate = notices.filter { $0.isLate(at: now) }
        noticesByTemplate = Dictionary(grouping: notices, by: \.template).map { ($0.key, $0.value.count) }.sorted { $0.template < $1.template }
        let handoffs = try store.handoffs()
        handoffsCompleted = handoffs.filter { $0.state == .completed }.count
        handoffsRefused = handoffs.filter { $0.state == .refused }.count
        failures = host.failures
        refusals = host.refusals
        commands = host.entriesWritten
        handlerCalls = host.handlerCalls
        timeline = host.timeline.entries.prefix(host.played).map { ($0.at, $0.title, $0.note) }
    }

    /// How many refusals, vetoes and script errors the summary names before "and N more".
    static let listed = 20

    /// Handler failures other than vetoes: errors, time and memory limits, interruptions. A run
    /// with any ends with a non-zero status.
    public var scriptErrors: [PluginOutcome] { failures.filter { $0.kind != .veto } }

    /// How many late notices the terminal summary names.
    static let lateNamed = 5

    /// The summary as a coordinator reads it in a terminal.
    public var text: String {
        var out: [String] = []
        out.append("Operation \(operation) at \(Timestamp.iso(at))")
        out.append("  cases:    " + casesByState.map { "\($0.count) \($0.state)" }.joined(separator: ", "))
        out.append("  holds:    " + (holdsByKind.isEmpty ? "none" : holdsByKind.map { "\($0.kind) \($0.raised) raised, \($0.active) active" }.joined(separator: "; ")))
        // The first late notices by name; at scale the rest would bury the summary (the report
        // lists them all).
        let named = noticesLate.prefix(Self.lateNamed).map { "\($0.ref) \($0.template) to \($0.to)" }
            + (noticesLate.count > Self.lateNamed ? ["and \(noticesLate.count - Self.lateNamed) more: see the report (--report)"] : [])
        out.append("  notices:  \(noticesSent) sent, \(noticesLate.count) late" + (named.isEmpty ? "" : " (" + named.joined(separator: ", ") + ")"))
        out.append("  handoffs: \(handoffsCompleted) completed, \(handoffsRefused) refused")
        // Each list names its first few: a run with thousands of script errors would otherwise
        // print every one (the report, --report, lists them all).
        func first<T>(_ items: [T], _ line: (T) -> String) -> String {
            items.prefix(Self.listed).map { "\n    " + line($0) }.joined()
                + (items.count > Self.listed ? "\n    and \(items.count - Self.listed) more: see the report (--report)" : "")
        }
        out.append("  commands: \(commands) in the ledger, \(handlerCalls) handler calls, \(refusals.count) refused" + first(refusals, \.summary))
        let vetoes = failures.filter { $0.kind == .veto }
        let errors = failures.filter { $0.kind != .veto }
        out.append("  vetoes:   \(vetoes.count)" + first(vetoes, \.summary))
        out.append("  script errors: \(errors.count)" + first(errors) { $0.summary + ($0.failClosed ? " (fail-closed: \($0.trigger) refused)" : " (fail-open: \($0.trigger) went on)") })
        return out.joined(separator: "\n")
    }

    /// The report file: Markdown, or HTML (with the timeline drawn) when `html`.
    public func report(html: Bool) -> String {
        html ? htmlReport : markdown
    }

    var markdown: String {
        var md = "# Operation \(operation)\n\nState at \(Timestamp.iso(at)).\n\n## Cases by state\n\n| state | cases |\n|---|---|\n"
        md += casesByState.map { "| \($0.state) | \($0.count) |" }.joined(separator: "\n")
        md += "\n\n## Holds by kind\n\n| kind | raised | still active |\n|---|---|---|\n"
        md += holdsByKind.map { "| \($0.kind) | \($0.raised) | \($0.active) |" }.joined(separator: "\n")
        md += "\n\n## Notices\n\n\(noticesSent) sent, \(noticesLate.count) late.\n\n| template | sent |\n|---|---|\n"
        md += noticesByTemplate.map { "| \($0.template) | \($0.count) |" }.joined(separator: "\n")
        if !noticesLate.isEmpty {
            md += "\n\nLate: " + noticesLate.map { "\($0.ref) (\($0.template) to \($0.to), due \($0.due.map(Timestamp.iso) ?? "-"))" }.joined(separator: ", ")
        }
        md += "\n\n## Handoffs\n\n\(handoffsCompleted) completed, \(handoffsRefused) refused.\n\n## Vetoes and script errors\n\n"
        md += failures.isEmpty ? "None.\n" : failures.map { "- \($0.summary)" + ($0.refusedTrigger ? " — \($0.trigger) refused" : " — \($0.trigger) went on") }.joined(separator: "\n") + "\n"
        md += "\n## Refused commands\n\n"
        md += refusals.isEmpty ? "None.\n" : refusals.map { "- \($0.summary)" }.joined(separator: "\n") + "\n"
        md += "\n## Timeline\n\n| time | event | note |\n|---|---|---|\n"
        md += timeline.map { "| \(Timestamp.iso($0.at)) | \($0.title) | \($0.note ?? "") |" }.joined(separator: "\n") + "\n"
        return md
    }

    var htmlReport: String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        // The timeline picture: one dot per entry on a line from the first entry to the last.
        let width = 900.0
        let times = timeline.map(\.at.timeIntervalSince1970)
        let (lo, hi) = (times.min() ?? 0, max(times.max() ?? 1, (times.min() ?? 0) + 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width) + 40)\" height=\"\(60 + 16 * timeline.count)\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<line x1=\"20\" y1=\"30\" x2=\"\(Int(width) + 20)\" y2=\"30\" stroke=\"#444\"/>"
        for (i, e) in timeline.enumerated() {
            let x = 20 + (e.at.timeIntervalSince1970 - lo) / (hi - lo) * width
            let y = 50 + 16 * i
            svg += "<circle cx=\"\(Int(x))\" cy=\"30\" r=\"4\" fill=\"#2a6\"/><line x1=\"\(Int(x))\" y1=\"34\" x2=\"\(Int(x))\" y2=\"\(y - 4)\" stroke=\"#ccc\"/>"
            svg += "<text x=\"\(Int(x) + 4)\" y=\"\(y)\">\(esc(String(Timestamp.iso(e.at).prefix(16)))) \(esc(e.title))</text>"
        }
        svg += "</svg>"
        var body = "<h1>Operation \(esc(operation))</h1><p>State at \(Timestamp.iso(at)).</p><h2>Timeline</h2>\(svg)"
        body += "<h2>Cases by state</h2><table>" + casesByState.map { "<tr><td>\(esc($0.state))</td><td>\($0.count)</td></tr>" }.joined() + "</table>"
        body += "<h2>Holds by kind</h2><table><tr><th>kind</th><th>raised</th><th>active</th></tr>"
            + holdsByKind.map { "<tr><td>\(esc($0.kind))</td><td>\($0.raised)</td><td>\($0.active)</td></tr>" }.joined() + "</table>"
        body += "<h2>Notices</h2><p>\(noticesSent) sent, \(noticesLate.count) late.</p>"
        body += "<h2>Handoffs</h2><p>\(handoffsCompleted) completed, \(handoffsRefused) refused.</p>"
        body += "<h2>Vetoes and script errors</h2><ul>" + failures.map { "<li>\(esc($0.summary))</li>" }.joined() + "</ul>"
        body += "<h2>Refused commands</h2>" + (refusals.isEmpty ? "<p>None.</p>" : "<ul>" + refusals.map { "<li>\(esc($0.summary))</li>" }.joined() + "</ul>")
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(esc(operation))</title>"
            + "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left}</style></head><body>\(body)</body></html>\n"
    }
}
