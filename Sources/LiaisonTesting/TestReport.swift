import Foundation

/// How one test ended.
public struct TestResult: Sendable {
    public enum Status: String, Sendable { case passed, failed, error, skipped }
    public var file: String
    public var name: String
    public var status: Status
    /// The assertion's message (with the first difference), or the error.
    public var message: String?
    /// `tests/charter_test.lua:14`: the failing assertion, or where the test is declared.
    public var location: String?
    public var tags: [String]
}

/// The results of a run, and the three ways of writing them: for people, TAP, JUnit XML.
public struct TestReport: Sendable {
    public var seed: UInt32
    public var results: [TestResult] = []

    public init(seed: UInt32) { self.seed = seed }

    public var passed: Int { results.filter { $0.status == .passed }.count }
    public var failed: Int { results.filter { $0.status == .failed || $0.status == .error }.count }
    public var skipped: Int { results.filter { $0.status == .skipped }.count }
    /// Nothing failed and something ran.
    public var succeeded: Bool { failed == 0 && passed > 0 }

    /// `N passed, N failed`, and `, N skipped` when some were.
    public var summaryLine: String {
        "\(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : "")
    }

    /// One line per test as it ends, for people.
    public static func line(_ r: TestResult, colour: Bool) -> String {
        func paint(_ s: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        switch r.status {
        case .passed: return paint("✓", "32") + " " + r.name
        case .skipped: return paint("-", "33") + " " + r.name + " (pending)"
        case .failed, .error:
            let what = r.status == .failed ? "failed" : "error"
            return paint("✗", "31") + " " + r.name + " (\(what))\n    " + (r.location.map { "\($0): " } ?? "")
                + (r.message ?? "").replacingOccurrences(of: "\n", with: "\n    ")
        }
    }

    /// The failures again, gathered, then the summary line, which is the last line.
    public func text(colour: Bool) -> String {
        var out: [String] = []
        let failures = results.filter { $0.status == .failed || $0.status == .error }
        if !failures.isEmpty {
            out.append("\nFailures:")
            for r in failures { out.append(Self.line(r, colour: colour)) }
        }
        if results.isEmpty { out.append("no tests ran: name test files *_test.lua, in tests/ of the operation folder") }
        out.append("seed \(seed) (repeat this run with --seed \(seed))")
        out.append(summaryLine)
        return out.joined(separator: "\n")
    }

    /// TAP version 13. The summary line follows the plan's results as the last line.
    public var tap: String {
        var out = ["TAP version 13", "1..\(results.count)"]
        for (i, r) in results.enumerated() {
            let name = r.name.replacingOccurrences(of: "#", with: "\\#")
            switch r.status {
            case .passed: out.append("ok \(i + 1) - \(name)")
            case .skipped: out.append("ok \(i + 1) - \(name) # SKIP pending")
            case .failed, .error:
                out.append("not ok \(i + 1) - \(name)")
                out.append("  ---")
                out.append("  message: \(Self.yaml(r.message ?? ""))")
                out.append("  severity: \(r.status == .failed ? "fail" : "error")")
                if let l = r.location { out.append("  at: \(Self.yaml(l))") }
                out.append("  ...")
            }
        }
        out.append("# seed \(seed)")
        out.append(summaryLine)
        return out.joined(separator: "\n")
    }

    static func yaml(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// JUnit XML: one testsuite per file.
    public var junit: String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites tests=\"\(results.count)\" failures=\"\(results.filter { $0.status == .failed }.count)\" errors=\"\(results.filter { $0.status == .error }.count)\" skipped=\"\(skipped)\">"]
        var files: [String] = []
        for r in results where !files.contains(r.file) { files.append(r.file) }
        for file in files {
            let rs = results.filter { $0.file == file }
            out.append("  <testsuite name=\"\(esc(file))\" tests=\"\(rs.count)\" failures=\"\(rs.filter { $0.status == .failed }.count)\" errors=\"\(rs.filter { $0.status == .error }.count)\" skipped=\"\(rs.filter { $0.status == .skipped }.count)\">")
            for r in rs {
                out.append("    <testcase classname=\"\(esc(file))\" name=\"\(esc(r.name))\">")
                switch r.status {
                case .passed: break
                case .skipped: out.append("      <skipped message=\"pending\"/>")
                case .failed: out.append("      <failure message=\"\(esc(r.message ?? ""))\">\(esc((r.location ?? "") + ": " + (r.message ?? "")))</failure>")
                case .error: out.append("      <error message=\"\(esc(r.message ?? ""))\">\(esc((r.location ?? "") + ": " + (r.message ?? "")))</error>")
                }
                out.append("    </testcase>")
            }
            out.append("  </testsuite>")
        }
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }
}
