import Foundation
import GRDB
import LiaisonModel
import LiaisonRuntime
@testable import LiaisonStore
import Testing

/// A transaction's records are staged in the store's memory as its commands are decided: these
/// check that whatever does not commit is taken back.
@Suite("The engine's staged records: taken back unless the transaction commits")
struct StagingTests {
    /// The host's SQLite store (these tests break its writes).
    func sqlite(_ host: OperationHost) -> SQLiteStore { host.store as! SQLiteStore }

    /// Makes the store's next ledger insert from `sequence` on fail, as a full disk would.
    func failWrites(_ host: OperationHost, from sequence: Int64) throws {
        try sqlite(host).db.write { db in
            try db.execute(sql: "CREATE TRIGGER fail BEFORE INSERT ON ledger WHEN NEW.seq >= \(sequence) BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
        }
    }

    func healWrites(_ host: OperationHost) throws {
        try sqlite(host).db.write { try $0.execute(sql: "DROP TRIGGER fail") }
    }

    @Test("a transaction the store cannot write leaves the model as it was, and the next one goes through", arguments: [1, 4_200])
    func failedCommit(notices: Int) throws {
        // One notice a command: 4,200 of them make a transaction the store writes while it
        // chains the hashes (see SQLiteStore.writePipelined), one a transaction written at once.
        let op = try TestOperation(plugins: ["enf": ("US-ENF", ["case.clear", "notice.send"], """
            on("test.go", function(ev, ctx)
              model.case("R-3"):clear()
              for i = 1, \(notices) do ctx:send_notice{ to = "IR-MFA", template = "ping", case = "R-3" } end
            end)
            """, "")], templates: ["enf": ["ping": "ping"]])
        defer { op.remove() }
        let host = try op.host(onSQLite: true)
        let go = Command.signal(Signal(name: "test.go"))
        let before = try snapshot(host)
        let first = sqlite(host).durableSequence + 1
        try failWrites(host, from: first + 1 + Int64(notices) / 2)  // deep in the transaction
        let error = #expect(throws: (any Error).self) { try host.engine.submit(go, by: .coordinator) }
        #expect(String(describing: error!).contains("disk trouble"))
        #expect(try snapshot(host) == before)
        #expect(try host.store.returnCase("R-3")?.progress == .identified)
        #expect(sqlite(host).durableSequence == first - 1)

        try healWrites(host)
        let outcome = try host.engine.submit(go, by: .coordinator)
        #expect(outcome.accepted && outcome.applied.count == 2 + notices)
        #expect(try host.store.returnCase("R-3")?.progress == .cleared)
        #expect(try host.store.notices().count == notices)
        #expect(try host.store.verify() == .intact(entries: first + 1 + Int64(notices)))
    }
}
