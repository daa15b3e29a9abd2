import Foundation
import LiaisonModel
import TOMLKit

/// A TOML file being read: its name in messages, the line of each key, and every problem found
/// so far, so that one run lists them all.
///
/// Values are read from TOMLKit's own tables, typed, with a path for each
/// (`agencies[2].role`, `movements[0].legs[1].departs`): a problem names the file, the line
/// and the key. (They were read through a JSON copy of the document before, in which an
/// integer, a float and a boolean looked alike.)
public final class TOMLDocument {
    /// `operation.toml`, `plugins/ir-mfa/plugin.toml`.
    public let file: String
    let lines: [String: Int]
    public private(set) var problems = Problems()
    /// The document's top-level table; nil when the text is not TOML (the reason is among
    /// `problems`).
    public private(set) var root: TOMLTableReader?

    /// The largest file read: an operation's files are small, and a parser given hundreds of
    /// megabytes (or tables nested thousands deep, which toml++ refuses itself) is a mistake
    /// or an attack.
    public static let maximumSize = 16 << 20

    public init(_ text: String, file: String) {
        self.file = file
        lines = Self.keyLines(text)
        guard text.utf8.count <= Self.maximumSize else {
            problems.add(file, nil, "is \(text.utf8.count >> 20) MiB: a Liaison file is at most \(Self.maximumSize >> 20) MiB")
            return
        }
        if let (line, parts) = Self.longestKey(text), parts > Self.maximumKeyParts {
            // No file of ours needs more than a few; naming the line before the parser (or the
            // key-line index below, which is quadratic in a key's parts) ever sees it.
            problems.add(file, line, "a key of \(parts) dotted parts: keys have at most \(Self.maximumKeyParts)")
            return
        }
        if let line = Self.lineWithNUL(text) {
            // TOMLKit hands strings over as C strings: a NUL would cut a value short unseen.
            problems.add(file, line, "a NUL character (\\u0000) cannot be part of a value")
            return
        }
        if let line = Self.headerWithoutName(text) {
            // toml++ asserts (aborting the process) on a header whose name starts with
            // anything else; found by the folder fuzz target.
            problems.add(file, line, "a table header needs a name after '[' or '[[': a word of letters, digits, '-' and '_', or a quoted name")
            return
        }
        do {
            root = TOMLTableReader(document: self, path: "", table: try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            problems.add(file, error.source.begin.line, "\(error.description) (column \(error.source.begin.column))")
        } catch {
            problems.add(file, nil, "cannot be read: \(error)")
        }
    }

    func add(_ path: String, _ message: String) {
        problems.add(file, line(path), "\(path): \(message)")
    }

    /// The line of `path`, or of the nearest enclosing table that has one.
    public func line(_ path: String) -> Int? {
        var parts = path.components(separatedBy: ".")
        while !parts.isEmpty {
            if let l = lines[parts.joined(separator: ".")] { return l }
            parts.removeLast()
        }
        return nil
    }

    /// The most dotted parts a key or a table header may have.
    public static let maximumKeyParts = 64

    /// The line whose key (before `=`, or in a `[header]`) has the most dotted parts, and how
    /// many (dots inside a quoted key count too: a bound, not a parse).
    static func longestKey(_ text: String) -> (line: Int, parts: Int)? {
        var best: (line: Int, parts: Int)?
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard let first = trimmed.first, first != "#" else { continue }
            let key = first == "[" ? trimmed.prefix { $0 != "]" } : trimmed.prefix { $0 != "=" }
            let parts = key.utf8.reduce(1) { $0 + ($1 == 0x2E ? 1 : 0) }
            if parts > (best?.parts ?? 0) { best = (i + 1, parts) }
        }
        return best
    }

    /// The first line with a table header (`[`, `[[`, at a line's start outside any value or
    /// string) whose name does not start with a bare key's character, a quote or `]`.
    static func headerWithoutName(_ text: String) -> Int? {
        var depth = 0               // brackets and braces open in values
        var multiline: [UInt8]? = nil  // the closing quotes of an open multi-line string
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let b = Array(line.utf8)
            var k = 0
            if multiline == nil && depth == 0 {
                while k < b.count, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                if k < b.count, b[k] == 0x5B {  // [
                    k += 1
                    if k < b.count, b[k] == 0x5B { k += 1 }
                    while k < b.count, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                    guard k < b.count else { return i + 1 }
                    let c = b[k]
                    let bare = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
                    guard bare || c == 0x22 || c == 0x27 || c == 0x5D else { return i + 1 }
                    continue
                }
            }
            // The rest of the line: strings, comments, and brackets of values.
            while k < b.count {
                if let close = multiline {
                    if b[k...].starts(with: close) { multiline = nil; k += 3 } else { k += b[k] == 0x5C && close[0] == 0x22 ? 2 : 1 }
                    continue
                }
                switch b[k] {
                case 0x23: k = b.count  // a comment
                case 0x22, 0x27:
                    let q = b[k]
                    if b[k...].starts(with: [q, q, q]) { multiline = [q, q, q]; k += 3; continue }
                    k += 1
                    while k < b.count, b[k] != q { k += q == 0x22 && b[k] == 0x5C ? 2 : 1 }
                    k += 1
                case 0x5B, 0x7B: depth += 1; k += 1
                case 0x5D, 0x7D: depth = max(0, depth - 1); k += 1
                default: k += 1
                }
            }
        }
        return nil
    }

    /// The first line holding a `\u0000` or `\U00000000` escape whose backslash is not itself
    /// escaped.
    static func lineWithNUL(_ text: String) -> Int? {
        guard text.contains("0000") else { return nil }
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let b = Array(line.utf8)
            var k = 0
            while k < b.count {
                if b[k] == 0x5C {  // a backslash: count the run
                    var run = 0
                    while k < b.count, b[k] == 0x5C { run += 1; k += 1 }
                    guard run % 2 == 1, k < b.count else { continue }
                    let rest = String(decoding: b[k...].prefix(9), as: UTF8.self)
                    if rest.hasPrefix("u0000") || rest.hasPrefix("U00000000") { return i + 1 }
                } else {
                    k += 1
                }
            }
        }
        return nil
    }

    /// The line of every key and table header, by the path the reader names it with:
    /// `name`, `agencies[2].role`, `movements[0].legs[1].departs`, `disclosure.roles.carrier`.
    /// (TOMLKit does not give the lines of what it parsed.)
    static func keyLines(_ text: String) -> [String: Int] {
        var lines: [String: Int] = [:]
        var arrays: [String: Int] = [:]  // array-of-tables path -> how many seen
        var current = ""
        func resolve(_ dotted: String, indexLast: Bool) -> String {
            var path = ""
            let parts = dotted.split(separator: ".").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            for (i, part) in parts.enumerated() {
                let base = path.isEmpty ? part : path + "." + part
                if i == parts.count - 1 && indexLast {
                    let n = arrays[base, default: 0]
                    arrays[base] = n + 1
                    path = "\(base)[\(n)]"
                } else if let n = arrays[base] {
                    path = "\(base)[\(n - 1)]"
                } else {
                    path = base
                }
            }
            return path
        }
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[["), let end = line.range(of: "]]") {
                current = resolve(String(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound]), indexLast: true)
                lines[current] = i + 1
            } else if line.hasPrefix("["), let end = line.firstIndex(of: "]") {
                current = resolve(String(line[line.index(after: line.startIndex)..<end]), indexLast: false)
                lines[current] = i + 1
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                lines[current.isEmpty ? key : current + "." + key] = i + 1
            }
        }
        return lines
    }
}

/// One table of a `TOMLDocument`, read key by key: each reader returns the value when it has
/// the type asked for, and otherwise adds a problem naming the key and returns nil (or the
/// default).
public struct TOMLTableReader {
    let document: TOMLDocument
    /// Where the table is: empty for the document's top level, `agencies[2]`, `grants.roles`.
    public let path: String
    let table: TOMLTable

    /// A value as TOML typed it.
    public indirect enum Value {
        case text(String), integer(Int), float(Double), boolean(Bool), dateTime(String), list([Value]), table(TOMLTableReader)
    }

    /// The path of `key` in this table, as messages name it.
    public func path(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The keys the table holds, sorted.
    public var keys: [String] { table.keys.sorted() }

    public func has(_ key: String) -> Bool { table[key] != nil }

    /// Adds a problem at `key` (the table itself when nil).
    public func fail(_ key: String?, _ message: String) {
        document.add(key.map(path) ?? path, message)
    }

    /// A problem for every key not among `known`, naming them.
    public func refuseUnknownKeys(_ known: [String], of what: String) {
        for key in keys where !known.contains(key) {
            fail(key, "is not a key of \(what) (keys: \(known.sorted().joined(separator: ", ")))")
        }
    }

    public func value(_ key: String) -> Value? {
        table[key].flatMap { value($0, at: path(key)) }
    }

    private func value(_ v: TOMLValueConvertible, at p: String) -> Value? {
        switch v.type {
        case .string: return v.string.map(Value.text)
        case .int: return v.int.map(Value.integer)
        case .double: return v.double.map(Value.float)
        case .bool: return v.bool.map(Value.boolean)
        case .dateTime:
            // TOMLKit writes a local date-time with a `Z` it was not given: without its offset,
            // it is written without a zone, and refused as one.
            guard let d = v.dateTime else { return nil }
            return .dateTime(d.offset == nil ? String(v.debugDescription.dropLast(v.debugDescription.hasSuffix("Z") ? 1 : 0)) : v.debugDescription)
        case .date, .time: return .dateTime(v.debugDescription)
        case .table: return v.table.map { .table(TOMLTableReader(document: document, path: p, table: $0)) }
        case .array:
            guard let a = v.array else { return nil }
            var items: [Value] = []
            for (i, item) in a.enumerated() {
                guard let x = value(item, at: "\(p)[\(i)]") else { return nil }
                items.append(x)
            }
            return .list(items)
        }
    }

    /// A non-empty string without control characters (a tab or a line break aside): text from
    /// these files reaches reports, terminals and other agencies.
    public func string(_ key: String, required: Bool = true) -> String? {
        guard let v = value(key) else {
            if required { fail(key, "missing") }
            return nil
        }
        guard case .text(let s) = v, !s.isEmpty else {
            fail(key, "must be a non-empty string")
            return nil
        }
        return checked(s, at: key)
    }

    private func checked(_ s: String, at key: String) -> String? {
        if let c = s.unicodeScalars.first(where: { $0.properties.generalCategory == .control && $0 != "\t" && $0 != "\n" }) {
            fail(key, "contains a control character (U+\(String(format: "%04X", c.value))): write the text without it")
            return nil
        }
        return s
    }

    /// A whole number at `key` (`default` when absent), from `minimum` to `maximum`.
    public func int(_ key: String, default fallback: Int, minimum: Int = 0, maximum: Int = Int.max) -> Int {
        guard let v = value(key) else { return fallback }
        guard case .integer(let n) = v, n >= minimum else {
            fail(key, minimum > 0 ? "must be a positive whole number" : minimum == 0 ? "must be a whole number, 0 or more" : "must be a whole number")
            return fallback
        }
        guard n <= maximum else {
            fail(key, "must be at most \(maximum), not \(n)")
            return fallback
        }
        return n
    }

    /// `true` or `false` at `key` (`default` when absent).
    public func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let v = value(key) else { return fallback }
        guard case .boolean(let b) = v else {
            fail(key, "must be true or false")
            return fallback
        }
        return b
    }

    /// A date and time with its zone, quoted or as TOML writes one, between 1900 and 2200.
    public func date(_ key: String) -> Date? {
        let text: String
        switch value(key) {
        case nil:
            fail(key, "missing")
            return nil
        case .text(let s)?: text = s
        case .dateTime(let s)?: text = s
        case _?:
            fail(key, "must be a date and time (for example 2026-12-15T06:00:00Z)")
            return nil
        }
        guard let d = Timestamp.parse(text), Timestamp.isKept(d) else {
            fail(key, "'\(text)' is not a date and time between 1900 and 2200 with its time zone (for example 2026-12-15T06:00:00Z)")
            return nil
        }
        return d
    }

    /// A list of strings (empty when absent).
    public func strings(_ key: String) -> [String] {
        guard let v = value(key) else { return [] }
        guard case .list(let items) = v else {
            fail(key, "must be a list of strings")
            return []
        }
        var out: [String] = []
        for item in items {
            guard case .text(let s) = item else {
                fail(key, "must be a list of strings")
                return []
            }
            guard let s = checked(s, at: key) else { return [] }
            out.append(s)
        }
        return out
    }

    /// The table at `key`: nil when absent, or (with a problem saying `shape`) not a table.
    public func table(_ key: String, shape: String) -> TOMLTableReader? {
        guard let v = value(key) else { return nil }
        guard case .table(let t) = v else {
            fail(key, "must be a table (\(shape))")
            return nil
        }
        return t
    }

    /// The array of tables at `key` (`[[key]]`), empty when absent.
    public func tables(_ key: String) -> [TOMLTableReader] {
        guard let v = table[key] else { return [] }
        guard let a = v.array else {
            fail(key, "must be an array of tables ([[\(key)]])")
            return []
        }
        var out: [TOMLTableReader] = []
        for (i, item) in a.enumerated() {
            guard let t = item.table else {
                fail(key, "must be an array of tables ([[\(key)]])")
                return []
            }
            out.append(TOMLTableReader(document: document, path: "\(path(key))[\(i)]", table: t))
        }
        return out
    }
}
