/// A Lua string: bytes, not necessarily UTF-8, and embedded zeros survive.
///
/// ```swift
/// let s: LuaString = "R-0042"
/// s.string          // "R-0042"
/// LuaString(bytes: [0x41, 0x00, 0x42]).count   // 3
/// ```
public struct LuaString: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible,
    Comparable
{
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    public init(stringLiteral value: String) { self.init(value) }

    /// The text, if the bytes are valid UTF-8.
    public var string: String? { String(validating: bytes, as: UTF8.self) }
    public var count: Int { bytes.count }

    /// The text, with invalid UTF-8 replaced by U+FFFD.
    public var description: String { String(decoding: bytes, as: UTF8.self) }

    public static func < (a: LuaString, b: LuaString) -> Bool {
        a.bytes.lexicographicallyPrecedes(b.bytes)
    }
}
