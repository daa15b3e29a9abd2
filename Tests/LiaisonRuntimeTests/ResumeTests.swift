import Foundation
import Synchronization
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

/// A run stopped anywhere and continued with `OperationHost.attach` (what `liaison run
/// --resume` does) ends where a run that never stopped ends: the same ledger, entry for entry,
/// so the same records, notices and plugin state. (A real SIGKILL at random moments is
/// `scripts/torture`'s work; here the run stops cleanly at chosen points.)
@Suite("Resuming a stopped run")
struct ResumeTests {
    struct Stop: Error {}

    enum Point: CustomStringConvertible, Sendable {
        case importing(Int), playing(Int)
        var description: String {
            switch self {
            case .importing(let n): return "after \(n) import commands"
            case .playing(let n): return "after \(n) timeline entries"
            }
        }
    }

    static func temporaryStore() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("liaison-resume-\(UUID().uuidString).sqlite").path
    }

    static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// The head of a run of `example` that never stopped.
    static func uninterrupted(_ example: String) throws -> LedgerHead {
        let path = temporaryStore()
        defer { remove(path) }
        let host = try OperationHost.open(examples(example), store: path)
        try host.importManifest()
        try host.play()
        return try host.store.head()
    }

    static let heads = Mutex<[String: LedgerHead]>([:])

    static func head(_ example: String) throws -> LedgerHead {
        if let head = heads.withLock({ $0[example] }) { return head }
        let head = try uninterrupted(example)
        heads.withLock { $0[example] = head }
        return head
    }

    @Test("the gulf charter stopped and resumed ends with the ledger of a run that never stopped",
          arguments: [Point.importing(1), .importing(99), .importing(100), .importing(199), .playing(0), .playing(1), .playing(6), .playing(12), .playing(15)])
    func gulfCharter(_ point: Point) throws {
        try resumed("gulf-charter", point)
    }

    @Test("the third-country operation likewise, its plugins' waiting requests kept in their state",
          arguments: [Point.importing(5), .playing(3), .playing(9)])
    func thirdCountry(_ point: Point) throws {
        try resumed("third-country", point)
    }

    func resumed(_ example: String, _ point: Point) throws {
        let expected = try Self.head(example)
        let path = Self.temporaryStore()
        defer { Self.remove(path) }
        do {
            let host = try OperationHost.open(examples(example), store: path)
            do {
                try host.importManifest { done, _ in if case .importing(let n) = point, done == n { throw Stop() } }
                if case .playing(0) = point { throw Stop() }
                try host.play { done, _, _ in if case .playing(let n) = point, done == n { throw Stop() } }
                Issue.record("the run did not stop \(point)")
            } catch is Stop {}
        }
        do {
            let host = try OperationHost.attach(examples(example), store: path)
            if case .importing(let n) = point {
                #expect(host.imported == n && host.importInterrupted && host.played == 0)
            } else if case .playing(let n) = point {
                #expect(!host.importInterrupted && host.played == n)
            }
            try host.importManifest()
            try host.play()
            #expect(try host.store.head() == expected, "resumed \(point)")
            #expect(try host.store.verify() == .intact(entries: expected.sequence))
        }
        // A second attach finds nothing left to do.
        let again = try OperationHost.attach(examples(example), store: path)
        #expect(again.imported == again.folder.importCommands.count && again.played == again.timeline.entries.count)
    }

    @Test("a store of another operation, or of a manifest that has changed since, is refused")
    func refused() throws {
        let path = Self.temporaryStore()
        defer { Self.remove(path) }
        do {
            let host = try OperationHost.open(examples("gulf-charter"), store: path)
            try host.importManifest { done, _ in if done == 10 { throw Stop() } }
        } catch is Stop {}
        let other = #expect(throws: HostError.self) { try OperationHost.attach(examples("third-country"), store: path) }
        #expect(String(describing: other!).contains("holds the operation 'gulf-charter', and the folder describes 'third-country'"))

        // The same folder with its first person's name changed.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: examples("gulf-charter"), to: copy)
        let csv = copy.appendingPathComponent("manifest.csv")
        var lines = try String(contentsOf: csv, encoding: .utf8).components(separatedBy: "\n")
        var fields = lines[1].components(separatedBy: ",")
        fields[2] = "Someone Else"
        lines[1] = fields.joined(separator: ",")
        try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        let changed = #expect(throws: HostError.self) { try OperationHost.attach(copy, store: path) }
        #expect(String(describing: changed!).contains("ledger entry 2 is not the import's next command (person.register): manifest.csv changed since this store's run began"))
    }
}

