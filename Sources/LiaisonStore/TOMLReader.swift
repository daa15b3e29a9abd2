import Foundation
import LiaisonModel
import TOMLKit

/// Reads the parsed TOML with a path for every value, so each problem names its line.
public struct TOMLReader {
    /// The file's name in messages: `operation.toml`, `plugins/ir-mfa/plugin.toml`.
    public let file: String
    let lines: [String: Int]
    public var problems: Problems

    /// Parses `text`; on a syntax error adds it (with line and column) to `problems` and
    /// returns nil: read the problems back with `lastProblems`.
    public static func parse(_ text: String, file: String, _ problems: Problems) -> (TOMLReader, [String: Any])? {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            return nil
        }
        guard let data = table.convert(to: .json).data(using: .utf8),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return nil
        }
        return (TOMLReader(file: file, lines: keyLines(text), problems: problems), root)
    }

    /// `problems` with the reason `parse` returned nil added.
    public static func lastProblems(_ text: String, file: String, _ problems: Problems) -> Problems {
        var problems = problems
        do {
            let table = try TOMLTable(string: text)
            if table.convert(to: .json).data(using: .utf8).flatMap({ try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }) == nil {
                problems.add(file, nil, "cannot be read as a table")
            }
        } catch let error as TOMLParseError {
            problems.add(file, error.source.begin.line, "\(error.description) (column \(error.source.begin.column))")
        } catch {
            problems.add(file, nil, "cannot be read: \(error)")
        }
        return problems
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

    public mutating func fail(_ path: String, _ message: String) {
        problems.add(file, line(path), "\(path): \(message)")
    }

    public mutating func string(_ t: [String: Any], _ key: String, _ path: String, required: Bool = true) -> String? {
        let p = path.isEmpty ? key : path + "." + key
        guard let v = t[key] else {
            if required { fail(p, "missing") }
            return nil
        }
        guard let s = v as? String, !s.isEmpty else {
            fail(p, "must be a non-empty string")
            return nil
        }
        return s
    }

    /// A TOML scalar as it was written. TOMLKit hands tables over as JSON, and on Linux
    /// JSONSerialization's numbers answer `as? Bool` and `as? Int` alike (`true` reads as 1,
    /// `1` as true): the number's own type tells them apart.
    public enum Scalar: Equatable, Sendable {
        case boolean(Bool), integer(Int), float(Double), text(String)
    }

    public static func scalar(_ v: Any) -> Scalar? {
        if let n = v as? NSNumber {
            switch String(cString: n.objCType) {
            case "c", "B": return .boolean(n.boolValue)
            case "d", "f":
                let d = n.doubleValue
                return d == d.rounded() && abs(d) < 1e15 ? .integer(Int(d)) : .float(d)
            default: return .integer(n.intValue)
            }
        }
        return (v as? String).map(Scalar.text)
    }

    /// A whole number at `key` (`default` when absent), at least `minimum`.
    public mutating func int(_ t: [String: Any], _ key: String, _ path: String, default value: Int, minimum: Int = 0, maximum: Int = Int.max) -> Int {
        let p = path.isEmpty ? key : path + "." + key
        guard let v = t[key] else { return value }
        guard case .integer(let n)? = Self.scalar(v), n >= minimum else {
            fail(p, minimum > 0 ? "must be a positive whole number" : "must be a whole number")
            return value
        }
        guard n <= maximum else {
            fail(p, "must be at most \(maximum), not \(n)")
            return value
        }
        return n
    }

    /// `true` or `false` at `key` (`default` when absent).
    public mutating func bool(_ t: [String: Any], _ key: String, _ path: String, default value: Bool) -> Bool {
        guard let v = t[key] else { return value }
        guard case .boolean(let b)? = Self.scalar(v) else {
            fail(path.isEmpty ? key : path + "." + key, "must be true or false")
            return value
        }
        return b
    }

    public mutating func date(_ t: [String: Any], _ key: String, _ path: String) -> Date? {
        guard let s = string(t, key, path) else { return nil }
        guard let d = Timestamp.parse(s), Timestamp.isKept(d) else {
            fail(path.isEmpty ? key : path + "." + key, "'\(s)' is not a date and time between 1900 and 2200 (for example 2026-12-15T06:00:00Z)")
            return nil
        }
        return d
    }

    public mutating func strings(_ v: Any?, _ path: String) -> [String] {
        guard let v else { return [] }
        guard let a = v as? [Any], let s = a as? [String] else {
            fail(path, "must be a list of strings")
            return []
        }
        return s
    }

    public mutating func tables(_ t: [String: Any], _ key: String, _ path: String = "") -> [[String: Any]] {
        guard let v = t[key] else { return [] }
        guard let a = v as? [[String: Any]] else {
            fail(path.isEmpty ? key : path + "." + key, "must be an array of tables ([[\(key)]])")
            return []
        }
        return a
    }

    /// The line of every key and table header, by the path the reader names it with:
    /// `name`, `agencies[2].role`, `movements[0].legs[1].departs`, `disclosure.roles.carrier`.
    public static func keyLines(_ text: String) -> [String: Int] {
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
            if line.hasPrefix("[[") , let end = line.range(of: "]]") {
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
