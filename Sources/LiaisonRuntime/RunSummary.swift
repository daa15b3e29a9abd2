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
    public var noticesByTemplate: [(template: String, count: Int, acknowledged: Int, replied: Int, late: Int)]
    /// Each case that has not left (not departed, in transit, handed over, received or closed),
    /// and why: its active holds, its strike, its missing document or fitness, refusals.
    public var notBoarded: [(ref: String, state: String, why: [String])]
    /// Each agency's notices (sent; received, and of those acknowledged, replied and late),
    /// vetoes and script errors.
    public var agencies: [(id: String, role: String, sent: Int, received: Int, acknowledged: Int, replied: Int, late: Int, vetoes: Int, errors: Int)]
    public var handoffsCompleted: Int
    public var handoffsRefused: Int
    public var failures: [PluginOutcome]
    public var refusals: [RefusedCommand]
    public var commands: Int
    public var handlerCalls: Int
    /// The timeline's entries played so far.
    public var timeline: [(at: Date, title: String, note: String?, line: Int?)]

    init(host: OperationHost) throws {
        let store = host.store
        let now = host.engine.now
        operation = store.operation.name
        at = now
        var states: [String: Int] = [:]
        var raised: [String: Int] = [:], active: [String: Int] = [:]
        var notBoarded: [(ref: String, state: String, why: [String])] = []
        let left: Set<CaseState> = [.departed, .inTransit, .handedOver, .received, .closed]
        // A refused timeline entry about a case ("case.schedule R-0007") is part of its story.
        var refusedFor: [String: [String]] = [:]
        for r in host.refusals {
            if let subject = r.entry?.split(separator: " ").dropFirst().first { refusedFor[String(subject), default: []].append("\(r.entry!) refused: \(r.reason)") }
        }
        for ref in try store.caseRefs() {
            guard let c = try store.returnCase(ref) else { continue }
            let state = c.state(at: now)
            states[state.rawValue, default: 0] += 1
            if !left.contains(state) { notBoarded.append((ref.rawValue, state.rawValue, Self.why(c, at: now) + (refusedFor[ref.rawValue] ?? []))) }
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
        noticesByTemplate = Dictionary(grouping: notices, by: \.template).map { template, ns in
            (template, ns.count, ns.filter { $0.acknowledgedAt != nil }.count, ns.filter { $0.reply != nil }.count, ns.filter { $0.isLate(at: now) }.count)
        }.sorted { $0.template < $1.template }
        self.notBoarded = notBoarded
        agencies = store.operation.agencies.map { a in
            let received = notices.filter { $0.recipient == a.id }
            let mine = host.failures.filter { $0.agency == a.id }
            return (a.id.rawValue, a.role.rawValue, notices.filter { $0.from == a.id }.count, received.count,
                    received.filter { $0.acknowledgedAt != nil }.count, received.filter { $0.reply != nil }.count,
                    received.filter { $0.isLate(at: now) }.count, mine.filter { $0.kind == .veto }.count, mine.filter { $0.kind != .veto }.count)
        }
        let handoffs = try store.handoffs()
        handoffsCompleted = handoffs.filter { $0.state == .completed }.count
        handoffsRefused = handoffs.filter { $0.state == .refused }.count
        failures = host.failures
        refusals = host.refusals
        commands = host.entriesWritten
        handlerCalls = host.handlerCalls
        timeline = host.timeline.entries.prefix(host.played).map { ($0.at, $0.title, $0.note, $0.line) }
    }

    /// Why a case that has not left is where it is, as its records say.
    static func why(_ c: ReturnCase, at now: Date) -> [String] {
        var out: [String] = c.holds.filter { $0.isActive(at: now) }.map { h in
            "hold \(h.kind.rawValue) raised by \(h.raisedBy) on \(Timestamp.day(h.raisedAt)): \(h.reason)"
        }
        if let struck = c.manifest?.struck { out.append("struck from \(c.manifest!.movement): \(struck)") }
        switch c.state(at: now) {
        case .consentWithdrawn: if out.isEmpty { out.append("consent withdrawn") }
        case .aborted: out.append("return aborted")
        case .released: out.append("released")
        case .identified, .cleared, .documented, .fit, .onHold:
            if c.validDocument(at: now) == nil { out.append("no valid travel document") }
            if let fit = c.fitToFly, !fit.isValid(at: now) {
                out.append(fit.fit ? "fit-to-fly expired on \(Timestamp.day(fit.expiresAt))" : "assessed not fit to fly")
            } else if c.fitToFly == nil {
                out.append("no fit-to-fly assessment")
            }
            if c.manifest == nil && c.progress == .fit { out.append("not scheduled") }
        case .scheduled: out.append("scheduled, not yet departed")
        default: break
        }
        return out.isEmpty ? ["(nothing on record)"] : out
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

    /// The report file: Markdown, or HTML (with the timeline drawn) when `html`. Both render
    /// the same sections (`sections`), so neither has what the other lacks.
    public func report(html: Bool) -> String {
        let title = "Operation \(operation)", lead = "State at \(Timestamp.iso(at))."
        return html ? Self.html(title: title, lead: lead, sections, timeline: timelinePicture) : Self.markdown(title: title, lead: lead, sections)
    }

    /// A part of the report: paragraphs, tables and lists, in order.
    public enum Block: Sendable {
        case paragraph(String)
        case table([String], [[String]])
        case list([String])
        /// Drawn in HTML only; the timeline's table says the same in both.
        case timelinePicture
    }

    public var sections: [(title: String, blocks: [Block])] {
        var out: [(String, [Block])] = []
        out.append(("Cases by state", [.table(["state", "cases"], casesByState.map { [$0.state, String($0.count)] })]))
        out.append(("Who did not board, and why", notBoarded.isEmpty ? [.paragraph("Everyone left.")]
            : [.paragraph("\(notBoarded.count) \(notBoarded.count == 1 ? "case" : "cases") did not leave:"),
               .table(["case", "state", "why"], notBoarded.map { [$0.ref, $0.state, $0.why.joined(separator: "; ")] })]))
        out.append(("Holds by kind", holdsByKind.isEmpty ? [.paragraph("None raised.")]
            : [.table(["kind", "raised", "still active"], holdsByKind.map { [$0.kind, String($0.raised), String($0.active)] })]))
        var notices: [Block] = [.paragraph("\(noticesSent) sent, \(noticesLate.count) late.")]
        if !noticesByTemplate.isEmpty {
            notices.append(.table(["template", "sent", "acknowledged", "replied", "late"], noticesByTemplate.map {
                [$0.template, String($0.count), String($0.acknowledged), String($0.replied), String($0.late)]
            }))
        }
        notices.append(.paragraph(noticesLate.isEmpty ? "No notice is late." : "Late notices:"))
        if !noticesLate.isEmpty {
            notices.append(.list(noticesLate.map { n in
                "\(n.ref) (\(n.template) to \(n.to), due \(n.due.map(Timestamp.iso) ?? "-"), "
                    + (n.acknowledgedAt.map { "acknowledged \(Timestamp.iso($0))" } ?? "not acknowledged") + ")"
            }))
        }
        out.append(("Notices", notices))
        out.append(("Agencies", [.table(["agency", "role", "notices sent", "received", "acknowledged", "replied", "late", "vetoes", "script errors"],
                                        agencies.map { [$0.id, $0.role, String($0.sent), String($0.received), String($0.acknowledged),
                                                        String($0.replied), String($0.late), String($0.vetoes), String($0.errors)] })]))
        out.append(("Handoffs", [.paragraph("\(handoffsCompleted) completed, \(handoffsRefused) refused.")]))
        out.append(("Vetoes and script errors", failures.isEmpty ? [.paragraph("None.")]
            : [.list(failures.map { "\($0.summary)" + ($0.refusedTrigger ? " — \($0.trigger) refused" : " — \($0.trigger) went on") })]))
        out.append(("Refused commands", refusals.isEmpty ? [.paragraph("None.")] : [.list(refusals.map(\.summary))]))
        let refusedLines = Dictionary(refusals.compactMap { r in r.line.map { ($0, r.reason) } }, uniquingKeysWith: { a, _ in a })
        out.append(("Timeline", [.timelinePicture, .table(["time", "entry", "note", "outcome"], timeline.map { e in
            [Timestamp.iso(e.at), e.title, e.note ?? "", e.line.flatMap { refusedLines[$0] }.map { "refused: \($0)" } ?? "done"]
        })]))
        return out
    }

    static func markdown(title: String, lead: String, _ sections: [(title: String, blocks: [Block])]) -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var md = "# \(title)\n\n\(lead)\n"
        for section in sections {
            md += "\n## \(section.title)\n"
            for block in section.blocks {
                switch block {
                case .paragraph(let p): md += "\n\(p)\n"
                case let .table(header, rows):
                    md += "\n| " + header.map(cell).joined(separator: " | ") + " |\n|" + header.map { _ in "---|" }.joined() + "\n"
                    md += rows.map { "| " + $0.map(cell).joined(separator: " | ") + " |\n" }.joined()
                case .list(let items): md += "\n" + items.map { "- \($0.replacingOccurrences(of: "\n", with: " "))\n" }.joined()
                case .timelinePicture: break
                }
            }
        }
        return md
    }

    static func html(title: String, lead: String, _ sections: [(title: String, blocks: [Block])], timeline: String) -> String {
        var body = "<h1>\(esc(title))</h1><p>\(esc(lead))</p>"
        for section in sections {
            body += "<h2>\(esc(section.title))</h2>"
            for block in section.blocks {
                switch block {
                case .paragraph(let p): body += "<p>\(esc(p))</p>"
                case let .table(header, rows):
                    body += "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
                    body += rows.map { row in
                        (row.last?.hasPrefix("refused") == true ? "<tr class=\"refused\">" : "<tr>") + row.map { "<td>\(esc($0))</td>" }.joined() + "</tr>"
                    }.joined() + "</table>"
                case .list(let items): body += "<ul>" + items.map { "<li>\(esc($0))</li>" }.joined() + "</ul>"
                case .timelinePicture: body += timeline
                }
            }
        }
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(esc(title))</title>"
            + "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:left;vertical-align:top}"
            + "tr.refused td{color:#b00}</style></head><body>\(body)</body></html>\n"
    }

    public static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The timeline drawn: one dot per entry on a line from the first entry to the last, red
    /// for an entry whose command was refused.
    var timelinePicture: String {
        let esc = Self.esc
        let refused = Set(refusals.compactMap(\.line))
        let width = 900.0
        let times = timeline.map(\.at.timeIntervalSince1970)
        let (lo, hi) = (times.min() ?? 0, max(times.max() ?? 1, (times.min() ?? 0) + 1))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width) + 40)\" height=\"\(60 + 16 * timeline.count)\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<line x1=\"20\" y1=\"30\" x2=\"\(Int(width) + 20)\" y2=\"30\" stroke=\"#444\"/>"
        for (i, e) in timeline.enumerated() {
            let x = 20 + (e.at.timeIntervalSince1970 - lo) / (hi - lo) * width
            let y = 50 + 16 * i
            let isRefused = e.line.map(refused.contains) ?? false
            svg += "<circle cx=\"\(Int(x))\" cy=\"30\" r=\"4\" fill=\"\(isRefused ? "#c22" : "#2a6")\"/><line x1=\"\(Int(x))\" y1=\"34\" x2=\"\(Int(x))\" y2=\"\(y - 4)\" stroke=\"#ccc\"/>"
            svg += "<text x=\"\(Int(x) + 4)\" y=\"\(y)\"\(isRefused ? " fill=\"#c22\"" : "")>\(esc(String(Timestamp.iso(e.at).prefix(16)))) \(esc(e.title))\(isRefused ? " (refused)" : "")</text>"
        }
        return svg + "</svg>"
    }
}
