import Foundation
import LiaisonModel
import LiaisonStore

/// Mistakes a plugin's files show before any handler runs, found when it loads so that they are
/// refused with their file and line rather than passing silently: an event no one will ever
/// give, a template that does not exist, a template printing what its recipient may never see.
enum PluginChecks {
    /// The known name nearest to `name` (by edit distance), when it is near enough to be the
    /// one meant: `case.state_changed` → `case.state-changed`.
    static func nearest(_ name: String, in known: some Sequence<String>) -> String? {
        var best: (String, Int)?
        for k in known {
            let d = distance(name, k)
            if best == nil || d < best!.1 || (d == best!.1 && k < best!.0) { best = (k, d) }
        }
        guard let best, best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }

    /// Levenshtein distance over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let kept = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = kept
            }
        }
        return row[b.count]
    }

    /// A `ctx:send_notice{ ... }` call in a plugin's source whose table names its recipient or
    /// template as literal text.
    struct NoticeCall {
        var file: String
        var line: Int
        var to: String?
        var template: String?
    }

    /// Every `send_notice{...}` or `send_notice({...})` in `source`, with the literal `to` and
    /// `template` of its table's top level. A light scan, not a parser: it skips comments and
    /// strings and balances braces, which is all these calls need; a name computed at run time
    /// is not seen here, and is checked when the notice is sent.
    static func noticeCalls(in source: String, file: String) -> [NoticeCall] {
        let text = Array(source.utf8)
        var calls: [NoticeCall] = []
        var i = 0, line = 1
        let marker = Array("send_notice".utf8)
        func skipSpace(_ j: inout Int) {
            while j < text.count, [0x20, 0x09, 0x0A, 0x0D].contains(text[j]) { j += 1 }
        }
        while i < text.count {
            let c = text[i]
            if c == 0x0A { line += 1; i += 1; continue }
            if c == 0x2D, i + 1 < text.count, text[i + 1] == 0x2D { while i < text.count, text[i] != 0x0A { i += 1 }; continue }  // -- comment
            if c == 0x22 || c == 0x27 { i = skipString(text, i, &line); continue }
            guard c == marker[0], i + marker.count <= text.count, Array(text[i..<i + marker.count]) == marker else { i += 1; continue }
            let callLine = line
            var j = i + marker.count
            skipSpace(&j)
            if j < text.count, text[j] == 0x28 { j += 1; skipSpace(&j) }  // (
            guard j < text.count, text[j] == 0x7B else { i += marker.count; continue }  // {
            var call = NoticeCall(file: file, line: callLine)
            var depth = 0, k = j, scanLine = line
            while k < text.count {
                let d = text[k]
                if d == 0x0A { scanLine += 1 }
                if d == 0x22 || d == 0x27 { k = skipString(text, k, &scanLine); continue }
                if d == 0x7B { depth += 1 } else if d == 0x7D { depth -= 1; if depth == 0 { k += 1; break } }
                if depth == 1, let (key, value, end) = literalField(text, k) {
                    if key == "to" { call.to = value }
                    if key == "template" { call.template = value }
                    k = end
                    continue
                }
                k += 1
            }
            calls.append(call)
            i = k
            line = scanLine
        }
        return calls
    }

    private static func skipString(_ text: [UInt8], _ start: Int, _ line: inout Int) -> Int {
        let quote = text[start]
        var k = start + 1
        while k < text.count, text[k] != quote {
            if text[k] == 0x5C { k += 1 }  // backslash
            if k < text.count, text[k] == 0x0A { line += 1 }
            k += 1
        }
        return k + 1
    }

    /// `key = "value"` starting at `k` (after a `{`, `,` or space), with the index after it.
    private static func literalField(_ text: [UInt8], _ k: Int) -> (String, String, Int)? {
        guard k > 0, [0x7B, 0x2C, 0x20, 0x09, 0x0A].contains(text[k - 1]) else { return nil }
        var j = k
        while j < text.count, text[j] == 0x5F || (text[j] >= 0x61 && text[j] <= 0x7A) { j += 1 }
        guard j > k else { return nil }
        let key = String(decoding: text[k..<j], as: UTF8.self)
        while j < text.count, text[j] == 0x20 || text[j] == 0x09 { j += 1 }
        guard j < text.count, text[j] == 0x3D, j + 1 < text.count, text[j + 1] != 0x3D else { return nil }
        j += 1
        while j < text.count, text[j] == 0x20 || text[j] == 0x09 { j += 1 }
        guard j < text.count, text[j] == 0x22 || text[j] == 0x27 else { return nil }
        let quote = text[j]
        var e = j + 1
        while e < text.count, text[e] != quote, text[e] != 0x5C, text[e] != 0x0A { e += 1 }
        guard e < text.count, text[e] == quote else { return nil }
        return (key, String(decoding: text[(j + 1)..<e], as: UTF8.self), e + 1)
    }

    /// The case fields with a category that a template's tags name (`{{case.names}}`, or
    /// `{{names}}` inside `{{#cases}}`), by name: every segment of every tag that is such a
    /// field counts, except under `data`, which is the sender's own values.
    static func caseFields(inTemplate text: String) -> [(name: String, category: FieldCategory)] {
        let categorised = Dictionary(CaseView.fields.compactMap { f in f.category.map { (f.name, $0) } }, uniquingKeysWith: { a, _ in a })
        var found: [String: FieldCategory] = [:]
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { break }
            var tag = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            if let first = tag.first, "#^/{&".contains(first) { tag.removeFirst() }
            if tag.hasPrefix("!") || tag.hasPrefix("%") || tag.hasPrefix(">") || tag.hasPrefix("=") { continue }
            let segments = tag.trimmingCharacters(in: CharacterSet(charactersIn: " }")).split(separator: ".").map(String.init)
            guard segments.first != "data" else { continue }
            for s in segments { if let c = categorised[s] { found[s] = c } }
        }
        return found.keys.sorted().map { ($0, found[$0]!) }
    }
}
