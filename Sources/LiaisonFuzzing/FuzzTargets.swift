import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import LuaKit

/// The bodies of the fuzz targets. The `Fuzz/` package links them into a libFuzzer binary
/// built with `-sanitize=fuzzer` (so this package stays free of unsafe flags), and
/// `LiaisonFuzzingTests` runs every input of `Fuzz/Corpus/TARGET/` through them as regression
/// tests.
///
/// A target returns for any input the code handles correctly, refusals included (an error the
/// code throws is its answer). A crash is a finding: a trap in the code under test, or a
/// property a target checks (`fatalError` with what did not hold).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// An operation folder with one of its files replaced by the input (its first byte picks
    /// operation.toml, manifest.csv, timeline.toml or a plugin.toml): loaded, and when it loads,
    /// imported and played on an in-memory store.
    case folder
    /// Lua values decoded from the input, given to every helper a plugin calls with numbers and
    /// times (days, hours, time, iso, model.case, model.cases), kept as a plugin's state and
    /// read back, and pushed into Lua and pulled out again.
    case conversions
    /// The input as a notice template: where the compiled renderer renders it, it must give
    /// swift-mustache's text byte for byte.
    case template
    /// A small store's file with bytes overwritten as the input says: opening and verifying it
    /// may refuse, never crash.
    case audit

    public func run(_ data: [UInt8]) {
        switch self {
        case .folder: FolderTarget.run(data)
        case .conversions: ConversionTarget.run(data)
        case .template: TemplateTarget.run(data)
        case .audit: AuditTarget.run(data)
        }
    }
}

/// A scratch folder of this process's own, removed when the process exits (a fuzzer ending its
/// run, a test process): one per target, used again by every input.
func scratch(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-fuzz-\(getpid())-\(name)")
    scratchLock.withLock {
        if scratchFolders.isEmpty {
            atexit { scratchLock.withLock { for path in scratchFolders { try? FileManager.default.removeItem(atPath: path) } } }
        }
        scratchFolders.insert(url.path)
    }
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The scratch folders this process made, for its exit to remove.
nonisolated(unsafe) private var scratchFolders: Set<String> = []
private let scratchLock = NSLock()

/// A small operation: two agencies, a charter, three cases, a timeline and a plugin.
enum BaseOperation {
    static let files: [(path: String, text: String)] = [
        ("operation.toml", """
            name = "fuzz-op"
            start = "2026-12-01T08:00:00Z"
            signals = ["test.go"]
            [[agencies]]
            id = "US-ENF"
            name = "Sending"
            country = "US"
            role = "sending-enforcement"
            plugins = ["p"]
            [[agencies]]
            id = "IR-MFA"
            name = "Ministry"
            country = "IR"
            role = "destination-ministry"
            [[movements]]
            ref = "M-1"
            organiser = "US-ENF"
            carrier = "Example Air"
            charter = true
            capacity = 10
            [[movements.legs]]
            from = "AEX"
            to = "IKA"
            departs = "2026-12-15T06:00:00Z"
            arrives = "2026-12-15T20:00:00Z"

            """),
        ("manifest.csv", """
            case_ref,person_ref,names,aliases,date_of_birth,sex,nationalities,languages,vulnerabilities,group,track,destination_state,order,order_final_on
            R-1,P-1,Ana Example,,1990-01-01,F,IR,fa,medical,,removal,IR,A1,2026-10-01
            R-2,P-2,Bijan Sample,,2010-05-05,M,IR,fa,minor,,voluntary,IR,,
            R-3,P-3,Dara Fictive,,1979-03-03,M,IR,fa,,,removal,IR,A3,2026-10-01

            """),
        ("timeline.toml", """
            [[events]]
            at = "2026-12-02T10:00:00Z"
            actor = "US-ENF"
            command = "case.clear"
            case = "R-1"

            [[events]]
            at = "2026-12-03T10:00:00Z"
            signal = "test.go"
            n = 3

            """),
        ("plugins/p/plugin.toml", """
            name = "p"
            version = "1.0.0"
            agency = "US-ENF"
            api = 1
            permissions = ["notice.send"]
            [limits]
            time_ms = 2000
            memory_mib = 16

            """),
        ("plugins/p/main.lua", """
            on("test.go", function(ev, ctx)
              ctx:remember("n", ev.n)
              ctx:log(tostring(ctx:recall("n")))
            end)

            """),
    ]
}

extension BaseOperation {
    /// Writes the files into `dir`, the one at index `replaced` (if any) with `bytes` instead.
    @discardableResult
    static func write(to dir: URL, replacing replaced: Int? = nil, with bytes: ArraySlice<UInt8> = []) -> URL {
        for (i, file) in files.enumerated() {
            let url = dir.appendingPathComponent(file.path)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? (i == replaced ? Data(bytes) : Data(file.text.utf8)).write(to: url)
        }
        return dir
    }
}

enum FolderTarget {
    nonisolated(unsafe) static var folder: URL?

    static func run(_ data: [UInt8]) {
        let dir = folder ?? scratch("folder")
        folder = dir
        BaseOperation.write(to: dir, replacing: Int(data.first ?? 0) % 4, with: data.dropFirst())
        guard let host = try? OperationHost.open(dir, makingStore: InMemoryStore.init) else { return }
        try? host.importManifest()
        try? host.play()
        _ = try? host.summary().text
    }
}

enum ConversionTarget {
    nonisolated(unsafe) static var console: (PluginRuntime, Engine)?

    /// The console's state, with the helpers and `model` a plugin has, on the base operation.
    static func state() -> (PluginRuntime, Engine) {
        if let console { return console }
        let dir = BaseOperation.write(to: scratch("conversions"))
        let host = try! OperationHost.open(dir, makingStore: InMemoryStore.init)
        try! host.importManifest()
        let runtime = try! PluginRuntime.console(engine: host.engine, as: nil, output: { _ in })
        console = (runtime, host.engine)
        return (runtime, host.engine)
    }

    static let helpers = ["days", "hours", "time", "iso"]

    static func run(_ data: [UInt8]) {
        var reader = ValueReader(bytes: data)
        var values: [LuaValue] = []
        while let v = reader.value(depth: 0), values.count < 16 { values.append(v) }
        let (runtime, engine) = state()
        let lua = runtime.luaState
        _ = engine
        for value in values {
            for name in helpers {
                if case .function(let f)? = try? lua.global(name) { _ = try? f.call(value, returning: LuaValue.self) }
            }
            if case .table(let model)? = try? lua.global("model") {
                for name in ["case", "cases", "movement", "handoff"] {
                    if case .function(let f)? = model[.string(LuaString(name))] { _ = try? f.call(value, returning: LuaValue.self) }
                }
            }
            // What a plugin keeps, it reads back the same, however often.
            if let kept = try? FuzzProbes.keptState(value) {
                guard let again = try? FuzzProbes.keptState(kept), again == kept else {
                    fatalError("plugin state did not keep \(kept) as it was")
                }
            }
            // A scalar crosses into Lua and back unchanged.
            switch value {
            case .boolean, .integer, .string:
                try? lua.setGlobal("fuzz", value)
                guard (try? lua.global("fuzz")) == value else { fatalError("\(value) came back from Lua changed") }
            case .number(let d) where !d.isNaN:
                try? lua.setGlobal("fuzz", value)
                guard (try? lua.global("fuzz")) == value else { fatalError("\(value) came back from Lua changed") }
            default: break
            }
        }
    }

    /// Lua values from bytes: a tag byte, then the value's bytes.
    struct ValueReader {
        var bytes: [UInt8]
        var at = 0

        mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func word() -> UInt64? {
            guard at + 8 <= bytes.count else { return nil }
            defer { at += 8 }
            return bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) }
        }

        mutating func value(depth: Int) -> LuaValue? {
            guard let tag = byte() else { return nil }
            switch tag % 8 {
            case 0: return word().map { .integer(Int64(bitPattern: $0)) }
            case 1: return word().map { .number(Double(bitPattern: $0)) }
            case 2:
                guard let n = byte() else { return nil }
                let end = min(bytes.count, at + Int(n))
                defer { at = end }
                return .string(LuaString(bytes: Array(bytes[at..<end])))
            case 3: return byte().map { .boolean($0 & 1 == 1) }
            case 4 where depth < 20:
                guard let n = byte() else { return nil }
                var table: [LuaValue: LuaValue] = [:]
                for i in 0..<Int(n % 16) {
                    guard let v = value(depth: depth + 1) else { break }
                    table[.integer(Int64(i + 1))] = v
                }
                return .table(table)
            case 5 where depth < 20:
                guard let n = byte() else { return nil }
                var table: [LuaValue: LuaValue] = [:]
                for _ in 0..<Int(n % 16) {
                    guard let k = value(depth: depth + 1), let v = value(depth: depth + 1) else { break }
                    if case .number(let d) = k, d.isNaN { continue }
                    if k.isNil { continue }
                    table[k] = v
                }
                return .table(table)
            case 6: return .string(LuaString(["2026-12-01T08:00:00Z", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "R-1", "P-1",
                                               "-1", "1e308", "nan", "inf", "0x7fffffffffffffff"][Int(byte() ?? 0) % 10]))
            default:
                return [.integer(.max), .integer(.min), .number(.infinity), .number(-.infinity), .number(.nan), .number(1e300),
                        .number(-0.0), .number(Double(Int64.max)), .number(.leastNonzeroMagnitude), .nil][Int(byte() ?? 0) % 10]
            }
        }
    }
}

enum TemplateTarget {
    static func run(_ data: [UInt8]) {
        guard let text = String(validating: data, as: UTF8.self), let (compiled, reference) = try? FuzzProbes.renderTemplate(text) else { return }
        if let compiled, compiled != reference {
            fatalError("the compiled renderer gave \(compiled.debugDescription) where swift-mustache gives \(reference.debugDescription) for \(text.debugDescription)")
        }
    }
}

enum AuditTarget {
    nonisolated(unsafe) static var base: [UInt8]?
    nonisolated(unsafe) static var folder: URL?

    /// A store of the base operation, played to its end, as bytes.
    static func baseStore() -> [UInt8] {
        if let base { return base }
        let dir = BaseOperation.write(to: scratch("audit"))
        folder = dir
        let path = dir.appendingPathComponent("base.sqlite").path
        do {
            let host = try! OperationHost.open(dir, store: path)
            try! host.importManifest()
            try! host.play()
            try! host.store.checkpoint()
        }
        let bytes = Array(FileManager.default.contents(atPath: path)!)
        base = bytes
        return bytes
    }

    static func run(_ data: [UInt8]) {
        var bytes = baseStore()
        // Each 4 bytes of input: an offset (3 bytes) and the byte to write there.
        var i = 0
        while i + 4 <= data.count {
            let offset = (Int(data[i]) << 16 | Int(data[i + 1]) << 8 | Int(data[i + 2])) % bytes.count
            bytes[offset] = data[i + 3]
            i += 4
        }
        let path = folder!.appendingPathComponent("mutated.sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        if let store = try? SQLiteStore.open(at: path) {
            _ = try? store.verify()
            _ = try? store.caseRefs().map { try store.returnCase($0) }
            _ = try? store.notices()
        }
    }
}
