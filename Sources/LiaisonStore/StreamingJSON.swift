import Foundation
import LiaisonModel

/// JSON written straight into one byte buffer as `Encodable` values hand it over: for the
/// ledger's payloads and events, the journal and the record tables, which a store writes for
/// every command.
///
/// `CanonicalJSON` builds a tree first, so that it can sort each object's keys; that tree was
/// most of what a command cost after the record writes moved to checkpoints (a class, an array
/// and a byte array per value, by `perf`). This writer keeps keys in the order the value encodes
/// them (declaration order, for synthesized conformances), which is the same for the same value
/// and the same build. Dictionaries of strings are written with sorted keys, so they too give
/// the same bytes every run. Nothing here needs sorted keys: the ledger's hash covers the text
/// as written, and an audit compares what the text *means* (see `Canonical.sameEvents`).
///
/// Events, commands, people, notices and cases, which commands and checkpoints write all the
/// time, go to hand-written writers (`EventJSON`, `CommandJSON`, `PersonJSON`, `NoticeJSON`,
/// `ReturnCaseJSON`) that give the same text.
///
/// `Codable` never says when a container is finished, so the writer closes containers the way
/// synthesized conformances use them: a container is done when the value that opened it has
/// returned from `encode(to:)`, or when its parent writes its next key. A value that writes to a
/// container after that, or asks for a `superEncoder`, is noticed, and the whole value is then
/// written by `CanonicalJSON` instead: slower, never wrong.
struct StreamingJSON {
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = StreamWriter()
        try writer.value(value)
        writer.closeFrames(downTo: 0)
        if writer.unsupported {
            return try CanonicalJSON(sortedKeys: false).encode(value)
        }
        return writer.out
    }

    func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }
}

private final class StreamWriter: Encoder {
    struct Frame {
        var object: Bool
        var empty = true
        var id: Int
    }

    var out: [UInt8] = []
    var frames: [Frame] = []
    /// The number of frames open when the value now being written began.
    var valueBase = 0
    var nextID = 0
    var unsupported = false
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init() { out.reserveCapacity(256) }

    // MARK: Frames

    func open(object: Bool) -> (level: Int, id: Int) {
        nextID += 1
        out.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        frames.append(Frame(object: object, id: nextID))
        return (frames.count - 1, nextID)
    }

    func closeFrames(downTo count: Int) {
        while frames.count > count {
            out.append(frames.removeLast().object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Makes frame `level` the innermost again, before it takes another item; false (and the
    /// value falls back to the tree encoder) if that frame has already been closed.
    func resume(_ level: Int, _ id: Int) -> Bool {
        guard level < frames.count, frames[level].id == id else {
            unsupported = true
            return false
        }
        closeFrames(downTo: level + 1)
        if frames[level].empty { frames[level].empty = false } else { out.append(UInt8(ascii: ",")) }
        return true
    }

    func key(_ key: String) {
        writeJSONString(key, into: &out)
        out.append(UInt8(ascii: ":"))
    }

    // MARK: Values

    func value<T: Encodable>(_ value: T) throws {
        if writeScalar(value) { return }
        if T.self == [Event].self { return EventJSON.write(unsafeBitCast(value, to: [Event].self), into: &out) }
        if T.self == Command.self { return try CommandJSON.write(unsafeBitCast(value, to: Command.self), into: &out) }
        if let fields = Self.handWritten(value) { return fields.write(into: &out) }
        if T.self == [String: String].self {
            let dictionary = unsafeBitCast(value, to: [String: String].self)
            let (level, id) = open(object: true)
            for k in dictionary.keys.sorted() {
                _ = resume(level, id)
                key(k)
                writeJSONString(dictionary[k]!, into: &out)
            }
            closeFrames(downTo: level)
            return
        }
        let (base, start) = (valueBase, out.count)
        valueBase = frames.count
        defer { valueBase = base }
        try value.encode(to: self)
        closeFrames(downTo: valueBase)
        if out.count == start { out += [UInt8(ascii: "{"), UInt8(ascii: "}")] }  // encoded nothing: as Foundation writes it
    }

    /// The records written by hand (RecordJSON.swift), by type, without a dynamic cast.
    static func handWritten<T>(_ value: T) -> JSONFields? {
        if T.self == Person.self { return PersonJSON.fields(unsafeBitCast(value, to: Person.self), sortedKeys: false) }
        if T.self == Notice.self { return NoticeJSON.fields(unsafeBitCast(value, to: Notice.self)) }
        if T.self == ReturnCase.self { return ReturnCaseJSON.fields(unsafeBitCast(value, to: ReturnCase.self)) }
        return nil
    }

    /// The scalar types the model is made of, written without a dynamic cast.
    func writeScalar<T>(_ value: T) -> Bool {
        if T.self == String.self { writeJSONString(unsafeBitCast(value, to: String.self), into: &out) }
        else if T.self == Int.self { writeInteger(Int64(unsafeBitCast(value, to: Int.self))) }
        else if T.self == Int64.self { writeInteger(unsafeBitCast(value, to: Int64.self)) }
        else if T.self == Bool.self { writeBool(unsafeBitCast(value, to: Bool.self)) }
        else if T.self == Double.self { writeDouble(unsafeBitCast(value, to: Double.self)) }
        else if T.self == Date.self { writeDouble(unsafeBitCast(value, to: Date.self).timeIntervalSince1970) }
        else { return false }
        return true
    }

    func writeInteger(_ n: Int64) { out += String(n).utf8 }
    func writeBool(_ b: Bool) { out += (b ? "true" : "false").utf8 }
    func writeDouble(_ d: Double) {
        guard d.isFinite else { unsupported = true; out += "null".utf8; return }  // the tree encoder throws the error
        writeJSONNumber(d, into: &out)
    }

    // MARK: Encoder

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A value asking twice (as a subclass and its superclass do) shares one object.
        if frames.count > valueBase, frames[valueBase].object {
            closeFrames(downTo: valueBase + 1)
            return KeyedEncodingContainer(Keyed(writer: self, level: valueBase, id: frames[valueBase].id))
        }
        if frames.count > valueBase { unsupported = true }  // an object after an array, in one value
        let (level, id) = open(object: true)
        return KeyedEncodingContainer(Keyed(writer: self, level: level, id: id))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if frames.count > valueBase { unsupported = true }  // a second container for one value
        let (level, id) = open(object: false)
        return Unkeyed(writer: self, level: level, id: id)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        if frames.count > valueBase { unsupported = true }
        return Single(writer: self)
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: StreamWriter
        let level: Int, id: Int
        var codingPath: [CodingKey] { [] }

        func begin(_ key: Key) -> Bool {
            guard writer.resume(level, id) else { return false }
            writer.key(key.stringValue)
            return true
        }

        mutating func encodeNil(forKey key: Key) throws { if begin(key) { writer.out += "null".utf8 } }
        mutating func encode(_ value: String, forKey key: Key) throws { if begin(key) { writeJSONString(value, into: &writer.out) } }
        mutating func encode(_ value: Bool, forKey key: Key) throws { if begin(key) { writer.writeBool(value) } }
        mutating func encode(_ value: Int, forKey key: Key) throws { if begin(key) { writer.writeInteger(Int64(value)) } }
        mutating func encode(_ value: Double, forKey key: Key) throws { if begin(key) { writer.writeDouble(value) } }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { if begin(key) { try writer.value(value) } }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            _ = begin(key)
            let (level, id) = writer.open(object: true)
            return KeyedEncodingContainer(StreamWriter.Keyed<NestedKey>(writer: writer, level: level, id: id))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            _ = begin(key)
            let (level, id) = writer.open(object: false)
            return Unkeyed(writer: writer, level: level, id: id)
        }

        mutating func superEncoder() -> Encoder { writer.unsupported = true; return writer }
        mutating func superEncoder(forKey key: Key) -> Encoder { writer.unsupported = true; return writer }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let writer: StreamWriter
        let level: Int, id: Int
        var count = 0
        var codingPath: [CodingKey] { [] }

        mutating func begin() -> Bool {
            count += 1
            return writer.resume(level, id)
        }

        mutating func encodeNil() throws { if begin() { writer.out += "null".utf8 } }
        mutating func encode(_ value: String) throws { if begin() { writeJSONString(value, into: &writer.out) } }
        mutating func encode<T: Encodable>(_ value: T) throws { if begin() { try writer.value(value) } }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            _ = begin()
            let (level, id) = writer.open(object: true)
            return KeyedEncodingContainer(StreamWriter.Keyed<NestedKey>(writer: writer, level: level, id: id))
        }

        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            _ = begin()
            let (level, id) = writer.open(object: false)
            return Unkeyed(writer: writer, level: level, id: id)
        }

        mutating func superEncoder() -> Encoder { writer.unsupported = true; return writer }
    }

    struct Single: SingleValueEncodingContainer {
        let writer: StreamWriter
        var codingPath: [CodingKey] { [] }
        mutating func encodeNil() throws { writer.out += "null".utf8 }
        mutating func encode(_ value: String) throws { writeJSONString(value, into: &writer.out) }
        mutating func encode(_ value: Bool) throws { writer.writeBool(value) }
        mutating func encode(_ value: Int) throws { writer.writeInteger(Int64(value)) }
        mutating func encode(_ value: Double) throws { writer.writeDouble(value) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            if let text = try otherNumberText(value) { writer.out += text.utf8 } else { try writer.value(value) }
        }
    }
}

/// The text of a number of a type other than `Int`, `Int64` and `Double`, which both writers
/// handle themselves: `Int8`…`UInt64`, `Float`. `Codable` encodes these through a single-value
/// container whose default methods call its generic one, so a writer that passes them on to
/// `encode(to:)` again recurses without end. Nil for any other type.
func otherNumberText<T>(_ value: T) throws -> String? {
    if let n = value as? any BinaryInteger { return String(describing: n) }
    guard let f = value as? Float else { return nil }
    guard f.isFinite else {
        throw EncodingError.invalidValue(f, EncodingError.Context(codingPath: [], debugDescription: "\(f) cannot be written as JSON"))
    }
    return f == f.rounded() && abs(f) < 1e7 ? String(Int64(f)) : "\(f)"
}

/// A finite number as JSON: whole numbers without a fraction, as `JSONEncoder` writes them.
func writeJSONNumber(_ d: Double, into out: inout [UInt8]) {
    if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)).utf8 } else { out += "\(d)".utf8 }
}

/// A JSON string literal: the bytes as they are, unless one needs escaping.
func writeJSONString(_ s: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { bytes in
        var plain = bytes.startIndex
        for i in bytes.indices {
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<i]))
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            }
            plain = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain...]))
    }
    out.append(UInt8(ascii: "\""))
}

/// An object's members, written as they are added: for the hand-written encoders of events
/// and commands.
struct JSONFields {
    var bytes: [UInt8] = []

    /// Appends `{"name":{…}}`, the form an enum case takes.
    static func single(_ name: StaticString, _ value: JSONFields, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out += $0 }
        out += [UInt8(ascii: "\""), UInt8(ascii: ":")]
        value.write(into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The object, braces and all.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// Appends the object, braces and all.
    func write(into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        out += bytes
        out.append(UInt8(ascii: "}"))
    }

    /// `k` is written as it is: every key here is a Swift identifier, or a signal's field name
    /// (escaped, since a timeline gives those).
    mutating func key(_ k: StaticString) {
        if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes += $0 }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A member whose name is data (a signal's field), escaped as any text is.
    mutating func text(dynamicKey k: String, _ v: String) {
        if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
        writeJSONString(k, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        writeJSONString(v, into: &bytes)
    }
    mutating func text(_ k: StaticString, _ v: String) { key(k); writeJSONString(v, into: &bytes) }
    mutating func integer(_ k: StaticString, _ v: Int) { key(k); bytes += String(v).utf8 }
    mutating func flag(_ k: StaticString, _ v: Bool) { key(k); bytes += (v ? "true" : "false").utf8 }
    mutating func seconds(_ k: StaticString, _ d: Date) { key(k); writeJSONNumber(d.timeIntervalSince1970, into: &bytes) }
    mutating func texts(_ k: StaticString, _ v: [String]) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        for (i, s) in v.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            writeJSONString(s, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func optionalText(_ k: StaticString, _ v: String?) { if let v { text(k, v) } }
    /// A member whose value is already JSON.
    mutating func json(_ k: StaticString, _ v: [UInt8]) { key(k); bytes += v }
    /// A member that is an object itself.
    mutating func object(_ k: StaticString, _ v: JSONFields) { key(k); v.write(into: &bytes) }
    /// A member that is an array of objects.
    mutating func objects(_ k: StaticString, _ items: [JSONFields]) {
        key(k)
        bytes.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            item.write(into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
