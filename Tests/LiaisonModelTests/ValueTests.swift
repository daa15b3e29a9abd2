import Foundation
@testable import LiaisonModel
import Testing

@Suite("Timestamps as the ledger writes them")
struct TimestampTests {
    /// What `Timestamp.iso` gave through gmtime_r and string interpolation: every ledger hash
    /// includes this text, so the fast formatter must give exactly the same bytes.
    static func reference(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { zeroPadded(Int(n), 2) }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    @Test("the same text as gmtime gives, across leap years, centuries and the epoch")
    func sameAsGmtime() {
        var generator = SystemRandomNumberGenerator()
        let fixed = [0, -1, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 4_107_542_399 /* 2100-02-28T23:59:59 */,
                     253_402_300_799 /* 9999-12-31T23:59:59 */, -30_610_224_000 /* 1000-01-01 */, 1_795_683_600]
        let random = (0..<20_000).map { _ in Int.random(in: -62_135_596_800...253_402_300_799, using: &generator) }
        for seconds in fixed + random {
            #expect(Timestamp.iso(Date(timeIntervalSince1970: Double(seconds))) == Self.reference(seconds), "at \(seconds) s")
        }
    }

    @Test("fractions of a second are dropped, and the text parses back to the second")
    func roundTrip() {
        let date = Date(timeIntervalSince1970: 1_795_683_600.75)
        #expect(Timestamp.iso(date) == "2026-11-26T09:00:00Z")
        #expect(Timestamp.parse(Timestamp.iso(date)) == Date(timeIntervalSince1970: 1_795_683_600))
        #expect(Timestamp.iso(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
    }
}

@Suite("A local date's midnight")
struct LocalDateStartTests {
    @Test("the same instant as Calendar gives, for every day of the years around the cutover, leap days and random dates to 9999")
    func sameAsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        var dates: [(Int, Int, Int)] = []
        for year in [1, 1581, 1582, 1583, 1584, 1600, 1699, 1900, 1969, 1970, 2000, 2024, 2026, 2100, 9999] {
            for month in 1...12 { for day in 1...LocalDate.days(in: month, of: year) { dates.append((year, month, day)) } }
        }
        for _ in 0..<3_000 {
            let (y, m) = (Int.random(in: 1...9999, using: &generator), Int.random(in: 1...12, using: &generator))
            dates.append((y, m, Int.random(in: 1...LocalDate.days(in: m, of: y), using: &generator)))
        }
        for (y, m, d) in dates {
            let date = LocalDate("\(zeroPadded(y, 4))-\(zeroPadded(m, 2))-\(zeroPadded(d, 2))")!
            #expect(date.start == calendar.date(from: DateComponents(year: y, month: m, day: d)), "\(date)")
        }
    }
}

@Suite("Working days, as a charter's notice period counts them")
struct WorkingDaysTests {
    /// What the rules computed through `Calendar` before: the fast count must agree with it.
    static func reference(_ n: Int, after start: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var date = start
        var left = n
        while left > 0 {
            date = calendar.date(byAdding: .day, value: 1, to: date)!
            if !calendar.isDateInWeekend(date) { left -= 1 }
        }
        return date
    }

    @Test("the same day and time as Calendar gives, from every weekday, before and after 1970")
    func sameAsCalendar() {
        var generator = SystemRandomNumberGenerator()
        let fixed: [Double] = [0, -1, 86_399.5, 1_795_683_600 /* a Thursday */, 1_796_202_000 /* a Wednesday */, -86_400 * 3 - 0.25]
        let random = (0..<3_000).map { _ in Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator)) + 0.5 }
        for seconds in fixed + random {
            let start = Date(timeIntervalSince1970: seconds)
            for n in [0, 1, 2, 5, 7, 12] {
                #expect(Rules.workingDays(n, after: start) == Self.reference(n, after: start), "\(n) after \(seconds) s")
            }
        }
    }

    @Test("a Friday afternoon plus one working day is the Monday after")
    func overTheWeekend() {
        let friday = Timestamp.parse("2026-12-04T15:30:00Z")!
        #expect(Rules.workingDays(1, after: friday) == Timestamp.parse("2026-12-07T15:30:00Z"))
    }
}

@Suite("A case record is a value")
struct ReturnCaseValueTests {
    static func sample() -> ReturnCase {
        var c = ReturnCase(ref: "R-0001", person: "P-0001", track: .removal, sendingState: "US", destinationState: "IR",
                           legalBasis: LegalBasis(order: "EOIR-1", finalOn: LocalDate("2026-10-01")), owner: "US-ENF")
        c.documents.append(TravelDocument(kind: .laissezPasser, issuer: "IR-MFA", number: "LP-1",
                                          validUntil: Date(timeIntervalSince1970: 1_800_000_000), status: .issued))
        return c
    }

    @Test("changing a copy leaves the original as it was, however deep the change")
    func copies() {
        let original = Self.sample()
        var copy = original
        #expect(copy == original)
        copy.documents[0].number = "LP-2"
        copy.progress = .cleared
        copy.manifest = ManifestEntry(movement: "M-1", escorted: true, seat: nil, struck: nil)
        copy.manifest?.struck = "appeal-pending"
        #expect(original.documents[0].number == "LP-1")
        #expect(original.progress == .identified && original.manifest == nil)
        #expect(copy.manifest?.struck == "appeal-pending")
        #expect(copy != original)
        #expect(Set([original, copy, Self.sample()]).count == 2)  // equal values hash alike
    }

    @Test("its JSON is its fields' JSON, and reads back equal")
    func json() throws {
        let c = Self.sample()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(c) == encoder.encode(c.fields))
        let text = String(decoding: try encoder.encode(c), as: UTF8.self)
        #expect(text.hasPrefix(#"{"consents":[],"custody":"US-ENF","destinationState":"IR","documents":[{"#))
        #expect(try JSONDecoder().decode(ReturnCase.self, from: Data(text.utf8)) == c)
    }
}

@Suite("People and notices are values too")
struct PersonNoticeValueTests {
    @Test("changing a copy leaves the original; JSON, equality and hash are the fields'")
    func copies() throws {
        let person = Person(ref: "P-1", names: ["Ana Example"], dateOfBirth: LocalDate("1990-02-03")!, sex: .female,
                            nationalities: ["IR"], vulnerabilities: [.medical])
        var p2 = person
        p2.names.append("Ana E.")
        p2.vulnerabilities.insert(.minor)
        #expect(person.names == ["Ana Example"] && person.vulnerabilities == [.medical])
        #expect(p2 != person && Set([person, p2, person]).count == 2)

        let notice = Notice(ref: "N-000001", from: "US-ENF", to: "IR-MFA/consular", template: "identity-request", cases: ["R-1"],
                            due: nil, sentAt: Date(timeIntervalSince1970: 0), body: "text")
        var n2 = notice
        n2.acknowledgedAt = Date(timeIntervalSince1970: 60)
        n2.cases.append("R-2")
        #expect(notice.acknowledgedAt == nil && notice.cases == ["R-1"] && n2 != notice)

        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(p2) == encoder.encode(p2.fields))
        #expect(try encoder.encode(n2) == encoder.encode(n2.fields))
        #expect(try JSONDecoder().decode(Person.self, from: encoder.encode(p2)) == p2)
        #expect(try JSONDecoder().decode(Notice.self, from: encoder.encode(n2)) == n2)
    }
}
