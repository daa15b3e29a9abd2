import Foundation
import Synchronization

/// A calendar date without a time or zone, such as a date of birth: `1990-03-01`.
public struct LocalDate: Hashable, Codable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int

    /// Parses `YYYY-MM-DD`, refusing dates that do not exist (`1990-13-01`, `2026-02-30`).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= LocalDate.days(in: m, of: y) else { return nil }
        (year, month, day) = (y, m, d)
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
    /// days_from_civil).
    static func days(fromCivil y: Int, _ mo: Int, _ d: Int) -> Int {
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func days(in month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String { "\(zeroPadded(year, 4))-\(zeroPadded(month, 2))-\(zeroPadded(day, 2))" }

    /// Midnight UTC at the start of the date. By day arithmetic from 1583 on, where Foundation's
    /// Gregorian calendar agrees with it (a `Calendar` cost about 3,000 instructions a call, and
    /// the rules ask this of every removal order); through `Calendar` before, across its
    /// Julian cutover.
    public var start: Date {
        if year >= 1583 { return Date(timeIntervalSince1970: Double(Self.days(fromCivil: year, month, day) * 86_400)) }
        var c = DateComponents()
        (c.year, c.month, c.day) = (year, month, day)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: c)!
    }

    /// Whole years from this date to `date` (an age, for a date of birth).
    public func years(until date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.dateComponents([.year], from: start, to: date).year ?? 0
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a date"))
        }
        self = date
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Timestamps in messages and the ledger: `2026-11-20` for a date, ISO 8601 in UTC in full.
public enum Timestamp {
    public static func day(_ date: Date) -> String {
        String(iso(date).prefix(10))
    }

    /// The times the model keeps, in seconds since 1970: from 1900 to 2200. A time outside
    /// them, or not a number at all, is refused wherever it comes in (a plugin, a timeline, a
    /// test), so that no record holds a time that cannot be written back and read again.
    public static let seconds: ClosedRange<Double> = -2_208_988_800 ... 7_258_118_400

    /// The date `seconds` after 1970, if it is a time the model keeps.
    public static func date(seconds: Double) -> Date? {
        seconds.isFinite && Self.seconds.contains(seconds) ? Date(timeIntervalSince1970: seconds) : nil
    }

    /// Whether `date` is a time the model keeps.
    public static func isKept(_ date: Date) -> Bool { seconds.contains(date.timeIntervalSince1970) }

    /// `2026-11-20T09:00:00Z`, to the second. Written byte by byte from the civil date: it
    /// runs twice for every ledger entry (its text and its hash), where a Foundation formatter
    /// costs about 100 µs to set up and string interpolation of six padded numbers was a
    /// twelfth of what a command cost the store.
    public static func iso(_ date: Date) -> String {
        // Every time the model keeps is in range; anything else is written, not trapped on.
        guard let total = Int64(exactly: date.timeIntervalSince1970.rounded(.down)), abs(total) < 1 << 50 else {
            return "(not a time: \(date.timeIntervalSince1970) seconds)"
        }
        var days = total / 86_400
        var rest = total % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        let (y, mo, d) = civil(fromDays: days)
        guard (1000...9999).contains(y) else {  // years without four digits, unpadded as they always were
            return "\(y)-\(zeroPadded(mo, 2))-\(zeroPadded(d, 2))T\(zeroPadded(Int(rest / 3600), 2)):"
                + "\(zeroPadded(Int(rest / 60 % 60), 2)):\(zeroPadded(Int(rest % 60), 2))Z"
        }
        return String(unsafeUninitializedCapacity: 20) { b in
            func put(_ n: Int, _ at: Int, _ width: Int) {
                var n = n
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    b[i] = UInt8(truncatingIfNeeded: 0x30 + n % 10)
                    n /= 10
                }
            }
            put(y, 0, 4); b[4] = 0x2D; put(mo, 5, 2); b[7] = 0x2D; put(d, 8, 2); b[10] = 0x54
            put(Int(rest / 3600), 11, 2); b[13] = 0x3A; put(Int(rest / 60 % 60), 14, 2); b[16] = 0x3A
            put(Int(rest % 60), 17, 2); b[19] = 0x5A
            return 20
        }
    }

    /// The civil date of a day counted from 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(fromDays z: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    private static let parser = Mutex(ISO8601DateFormatter())

    /// Parses ISO 8601 (`2026-12-15T06:00:00Z`, with or without fractional seconds or an
    /// offset) or a plain date (midnight UTC).
    public static func parse(_ text: String) -> Date? {
        if let d = fastParse(text) { return d }
        guard wellFormed(text) else { return nil }
        return parser.withLock { f in
            f.timeZone = TimeZone(identifier: "UTC")
            f.formatOptions = [.withInternetDateTime]
            if let d = f.date(from: text) { return d }
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = f.date(from: text) { return d }
            // "2026-12-01T09:00Z": minutes without seconds, as people write a time.
            f.formatOptions = [.withInternetDateTime]
            if text.count == 17, text.hasSuffix("Z"), let d = f.date(from: String(text.dropLast()) + ":00Z") { return d }
            return LocalDate(text)?.start
        }
    }

    /// Whether `text` names a day the calendar has and, when it gives a time, a time of day
    /// with its zone (`Z` or `+03:00`). ISO8601DateFormatter rolls 2026-02-30 over to 2 March
    /// and reads a time without a zone as UTC: a timeline written in local time would be hours
    /// off without a word.
    static func wellFormed(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 10, LocalDate(String(decoding: b[0..<10], as: UTF8.self)) != nil else { return false }
        guard b.count > 10 else { return true }
        func n(_ from: Int) -> Int? {
            guard from + 1 < b.count, (0x30...0x39).contains(b[from]), (0x30...0x39).contains(b[from + 1]) else { return nil }
            return Int(b[from] - 0x30) * 10 + Int(b[from + 1] - 0x30)
        }
        guard b[10] == 0x54 || b[10] == 0x74, let h = n(11), h < 24, b.count > 13, b[13] == 0x3A, let m = n(14), m < 60 else { return false }
        if b.count > 16, b[16] == 0x3A { guard let s = n(17), s < 60 else { return false } }
        let last = b[b.count - 1]
        if last == 0x5A || last == 0x7A { return true }  // Z
        return b.count >= 22 && (b[b.count - 6] == 0x2B || b[b.count - 6] == 0x2D) && b[b.count - 3] == 0x3A
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the form the ledger and timelines write, without a formatter:
    /// ISO8601DateFormatter was a twentieth of a large run's time.
    static func fastParse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A else { return nil }
        func n(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                guard (0x30...0x39).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = n(0, 4), let mo = n(5, 2), let d = n(8, 2), let h = n(11, 2), let mi = n(14, 2), let s = n(17, 2),
              (1...12).contains(mo), d >= 1, d <= LocalDate.days(in: mo, of: y), h < 24, mi < 60, s < 60 else { return nil }
        return Date(timeIntervalSince1970: Double(LocalDate.days(fromCivil: y, mo, d) * 86_400 + h * 3600 + mi * 60 + s))
    }
}

/// `n` in decimal, with leading zeros to `width` digits: what `String(format: "%0*d")` gives,
/// without parsing a format each time (references and dates are made in every command).
public func zeroPadded(_ n: Int, _ width: Int) -> String {
    let digits = String(n.magnitude)
    let padding = String(repeating: "0", count: max(0, width - digits.count - (n < 0 ? 1 : 0)))
    return (n < 0 ? "-" : "") + padding + digits
}
