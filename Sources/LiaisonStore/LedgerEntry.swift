import Crypto
import Foundation
import LiaisonModel

/// One entry of the append-only ledger: a command that took effect, who gave it and when, what
/// it caused, and the SHA-256 chain that makes any later edit detectable.
public struct LedgerEntry: Codable, Hashable, Sendable {
    public var sequence: Int64
    public var at: Date
    public var actor: AgencyID
    /// The command's name, such as `case.schedule`.
    public var command: String
    /// The command in its ledger form (JSON): a person's record appears as its digest only.
    public var payload: String
    /// The events it caused (JSON).
    public var events: String
    public var previousHash: String
    public var hash: String
    /// What caused it: `plugin ir-mfa, hook handoff.proposed` for a handler's command;
    /// `timeline.toml:57` for a timeline entry's; `repl, as IR-MFA` for a console's; empty for
    /// an import's and a caller's own. A replay re-runs all but the handlers' commands.
    public var origin: String = ""

    package init(sequence: Int64, at: Date, actor: AgencyID, command: String, payload: String, events: String, previousHash: String,
                 hash: String, origin: String = "") {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.command = command
        self.payload = payload
        self.events = events
        self.previousHash = previousHash
        self.hash = hash
        self.origin = origin
    }

    public static let genesisHash = String(repeating: "0", count: 64)

    /// The hash an entry with these contents must carry: the SHA-256 of its parts, each
    /// followed by 0x1F (a separator no field contains unescaped), hashed in one pass.
    public static func hash(sequence: Int64, at: Date, actor: AgencyID, command: String, payload: String, events: String,
                            previousHash: String, origin: String = "") -> String {
        hash(sequence: sequence, at: HashedTime(at), actor: actor, command: command, payload: payload, events: events,
             previousHash: previousHash, origin: origin)
    }

    /// An entry's time in the two spellings its hash takes (ISO 8601 and seconds), worked out
    /// once for all the entries of a transaction.
    package struct HashedTime {
        package let date: Date
        package let iso: String
        package let seconds: String
        package init(_ date: Date) { (self.date, iso, seconds) = (date, Timestamp.iso(date), secondsText(date.timeIntervalSince1970)) }
    }

    static func hash(sequence: Int64, at: HashedTime, actor: AgencyID, command: String, payload: String, events: String,
                     previousHash: String, origin: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.utf8.count + events.utf8.count + previousHash.utf8.count + 128)
        func part(_ s: String) {
            bytes.append(contentsOf: s.utf8)
            bytes.append(0x1F)
        }
        part(previousHash)
        part(String(sequence))
        part(at.iso)
        part(at.seconds)
        part(actor.rawValue)
        part(command)
        part(payload)
        part(events)
        // The origin joins the hashed parts only when there is one, so entries written before
        // it existed keep their hashes.
        if !origin.isEmpty { part(origin) }
        return Canonical.hex(SHA256.hash(data: bytes))
    }

    /// `String(seconds)`, as the hash has always used it; whole seconds (every time the host
    /// makes) without Swift's general float printing.
    static func secondsText(_ seconds: Double) -> String {
        if seconds == seconds.rounded(), abs(seconds) < 1e15, !(seconds == 0 && seconds.sign == .minus) {
            return String(Int64(seconds)) + ".0"
        }
        return String(seconds)
    }

    public var expectedHash: String {
        Self.hash(sequence: sequence, at: at, actor: actor, command: command, payload: payload, events: events,
                  previousHash: previousHash, origin: origin)
    }
}

/// JSON for the ledger and the record tables, with exact timestamps, so that the same value
/// always encodes to the same bytes.
package enum Canonical {
    /// Sorted keys: for what is compared as text across versions (the operation the ledger
    /// starts with, a person's digest).
    static let encoder = CanonicalJSON(sortedKeys: true)

    /// Keys in declaration order, written in one pass: for what a store writes with every
    /// command (payloads, events, the journal) and at every checkpoint (records). An audit
    /// compares these decoded, so key order does not matter there.
    static let fast = StreamingJSON()

    package static func record<T: Encodable>(_ value: T) throws -> String {
        try fast.string(value)
    }

    /// Whether `text`, as the ledger holds it, records `events`: compared as text first, and
    /// decoded when the texts differ (an entry written with another key order, such as the
    /// sorted keys of stores written before the "v3" migration).
    static func sameEvents(_ events: [Event], _ text: String) throws -> Bool {
        try fast.string(events) == text || (try? decode([Event].self, text)) == events
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { out in
                for (i, b) in bytes.enumerated() {
                    out[2 * i] = hexDigits[Int(b >> 4)]
                    out[2 * i + 1] = hexDigits[Int(b & 0xF)]
                }
                return bytes.count * 2
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()

    package static func string<T: Encodable>(_ value: T) throws -> String {
        try encoder.string(value)
    }

    package static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(T.self, from: Data(text.utf8))
    }

    /// The SHA-256 of a person's record, kept in the ledger instead of the record.
    static func digest(_ person: Person) -> String {
        hex(SHA256.hash(data: PersonJSON.fields(person, sortedKeys: true).encoded))  // what `encoder` gives, written directly
    }

    /// The SHA-256 of a notice's text, kept in the ledger instead of the text.
    static func noticeDigest(_ notice: Notice) -> String {
        hex(SHA256.hash(data: Data(notice.body.utf8)))
    }

}

extension LedgerEntry {
    /// An entry with the hash its contents give.
    init(sequence: Int64, at: Date, actor: AgencyID, command: String, payload: String, events: String, previousHash: String,
         origin: String = "") {
        self.init(sequence: sequence, at: HashedTime(at), actor: actor, command: command, payload: payload, events: events,
                  previousHash: previousHash, origin: origin)
    }

    init(sequence: Int64, at: HashedTime, actor: AgencyID, command: String, payload: String, events: String, previousHash: String,
         origin: String) {
        self.init(sequence: sequence, at: at.date, actor: actor, command: command, payload: payload, events: events,
                  previousHash: previousHash, hash: Self.hash(sequence: sequence, at: at, actor: actor, command: command, payload: payload,
                                                              events: events, previousHash: previousHash, origin: origin),
                  origin: origin)
    }

    /// The command the entry records, in its ledger form (a person as a digest, a notice's text
    /// as a digest).
    public func decodedCommand() throws -> Command {
        try Canonical.decode(Command.self, payload)
    }

    /// The events the command caused.
    public func decodedEvents() throws -> [Event] {
        try Canonical.decode([Event].self, events)
    }
}
