/// Identifiers are strings with a type each, so that a case reference cannot be passed where an
/// agency is expected.
public protocol Identifier: RawRepresentable, Hashable, Codable, Comparable, Sendable,
    ExpressibleByStringLiteral, CustomStringConvertible where RawValue == String
{
    init(_ rawValue: String)
}

extension Identifier {
    public init(rawValue: String) { self.init(rawValue) }
    public init(stringLiteral value: String) { self.init(value) }
    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// An agency taking part in the operation: `US-ENF`, `QA-TRANSIT`, `IR-MFA`, `IR-RECEPTION`.
public struct AgencyID: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A return case, by the sending agency's reference: `R-0042`.
public struct CaseRef: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A person, by the sending agency's reference: `P-0042`.
public struct PersonRef: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A family unit or other group travelling together.
public struct GroupRef: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A movement (a charter or scheduled flight series): `M-1`.
public struct MovementRef: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A custody handoff: `H-DOH-1`.
public struct HandoffRef: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A notice in the outbox: `N-000012`.
public struct NoticeRef: Identifier {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

extension AgencyID {
    /// The operation's coordinator: the actor of timeline facts, the clock, and the REPL's
    /// all-seeing view. It is not an agency and may issue only signals.
    public static let coordinator = AgencyID("COORDINATOR")
}
