/// A semantic version, `MAJOR.MINOR.PATCH`, as plugins declare theirs.
public struct Version: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        (self.major, self.minor, self.patch) = (major, minor, patch)
    }

    /// `1.2.3`; with `partial`, also `1.2` and `1` (the rest zero), as ranges write them.
    public init?(_ text: String, partial: Bool = false) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.allSatisfy({ $0 != nil && $0! >= 0 }), parts.count == 3 || (partial && (1...2).contains(parts.count)) else { return nil }
        let n = parts.map { $0! } + [0, 0]
        self.init(n[0], n[1], n[2])
    }

    public static func < (a: Version, b: Version) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// A set of versions, written as npm and Cargo write them: `*`, `1.2.3` (exactly), `^1.2`
/// (compatible: same major), `~1.2.0` (same minor), and comparisons joined by spaces
/// (`>=1.0.0 <2.0.0`).
public struct VersionRange: Hashable, Sendable, CustomStringConvertible {
    private enum Bound: Hashable, Sendable { case atLeast(Version), above(Version), atMost(Version), below(Version) }
    private var bounds: [Bound] = []
    public let description: String

    public init?(_ text: String) {
        description = text
        for term in text.split(separator: " ") {
            let t = String(term)
            if t == "*" { continue }
            func version(_ prefix: Int) -> Version? { Version(String(t.dropFirst(prefix)), partial: true) }
            if t.hasPrefix(">="), let v = version(2) { bounds.append(.atLeast(v)) }
            else if t.hasPrefix("<="), let v = version(2) { bounds.append(.atMost(v)) }
            else if t.hasPrefix(">"), let v = version(1) { bounds.append(.above(v)) }
            else if t.hasPrefix("<"), let v = version(1) { bounds.append(.below(v)) }
            else if t.hasPrefix("^"), let v = version(1) {
                bounds += [.atLeast(v), .below(v.major > 0 ? Version(v.major + 1, 0, 0) : Version(0, v.minor + 1, 0))]
            } else if t.hasPrefix("~"), let v = version(1) {
                bounds += [.atLeast(v), .below(Version(v.major, v.minor + 1, 0))]
            } else if let v = Version(t.hasPrefix("=") ? String(t.dropFirst()) : t) {
                bounds += [.atLeast(v), .atMost(v)]
            } else {
                return nil
            }
        }
    }

    public func contains(_ v: Version) -> Bool {
        bounds.allSatisfy { bound in
            switch bound {
            case .atLeast(let b): return v >= b
            case .above(let b): return v > b
            case .atMost(let b): return v <= b
            case .below(let b): return v < b
            }
        }
    }
}
