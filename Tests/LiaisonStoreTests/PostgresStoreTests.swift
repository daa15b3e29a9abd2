import Foundation
import LiaisonModel
@testable import LiaisonPostgres
import LiaisonStore
import LiaisonSynthetic
import LiaisonTestSupport
import Testing

/// What only a store several processes share must do: never fork or gap the ledger whoever
/// writes, keep the ledger append-only against the database's own users, and read its URL.
@Suite("The PostgreSQL store, shared")
struct PostgresStoreTests {
    @Test("a second store on the same operation that falls behind is refused, writes nothing, and goes on once opened again")
    func staleWriter() throws {
        let url = TestDatabase.fresh()
        var t = Synthetic.start
        let first = try PostgresStore.create(url, operation: Synthetic.operation(cases: 3))
        let second = try PostgresStore.open(url)
        try first.apply(.signal(Signal(name: "test.one")), by: .coordinator, at: t)
        t += 1
        let refused = #expect(throws: StoreError.self) { try second.apply(.signal(Signal(name: "test.two")), by: .coordinator, at: t) }
        #expect(refused == .stale(url.description, head: 2))
        // Refused again, even for a command it could decide: it no longer knows the records.
        #expect(throws: StoreError.self) { try second.apply(.signal(Signal(name: "test.three")), by: .coordinator, at: t) }
        #expect(try first.count(.ledger) == 2)
        let again = try PostgresStore.open(url)
        try again.apply(.signal(Signal(name: "test.two")), by: .coordinator, at: t)
        #expect(try again.verify() == .intact(entries: 3))
        #expect(try again.ledger(after: 0, limit: 10).map(\.command) == ["operation.create", "signal", "signal"])
    }

    @Test("writers in four processes' worth of connections, at once: every command they were told was kept is there once, in one unbroken chain")
    func concurrentWriters() throws {
        let url = TestDatabase.fresh()
        _ = try PostgresStore.create(url, operation: Synthetic.operation(cases: 1))
        let writers = 4, each = 25
        let kept = Locked<[String]>([])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            do {
                var store = try PostgresStore.open(url)
                var i = 0
                while i < each {
                    let name = "w\(w).n\(i)"
                    do {
                        try store.apply(.signal(Signal(name: "test.\(name)")), by: .coordinator, at: Synthetic.start + Double(i))
                        kept.withLock { $0.append(name) }
                        i += 1
                    } catch StoreError.stale {
                        store = try PostgresStore.open(url)  // read what the others wrote, then try again
                    }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let store = try PostgresStore.open(url)
        #expect(try store.verify() == .intact(entries: Int64(1 + writers * each)))
        let entries = try store.ledger(after: 0, limit: 1_000)
        #expect(entries.map(\.sequence) == Array(1...Int64(1 + writers * each)))
        let written = try entries.dropFirst().map { entry -> String in
            guard case .signal(let s) = try entry.decodedCommand() else { return "?" }
            return String(s.name.dropFirst("test.".count))
        }
        #expect(Set(written).count == written.count, "no command is in the ledger twice")
        #expect(Set(written) == Set(kept.withLock { $0 }))
    }

    @Test("the ledger refuses UPDATE, DELETE and TRUNCATE from any user of the database, naming why")
    func appendOnly() throws {
        let url = TestDatabase.fresh()
        _ = try PostgresStore.create(url, operation: Synthetic.operation(cases: 1))
        let link = try PostgresLink(url)
        for sql in ["UPDATE \"\(url.schema)\".ledger SET actor = 'X'", "DELETE FROM \"\(url.schema)\".ledger", "TRUNCATE \"\(url.schema)\".ledger"] {
            let error = #expect(throws: PostgresStoreError.self) { try link.rows(sql) }
            #expect(error?.message == "the ledger is append-only: entries are never changed or removed", "\(sql)")
        }
        #expect(try PostgresStore.open(url).verify() == .intact(entries: 1))
    }

    @Test("a store made before writes went through ledger_append is given the function by its first write (not by opening or auditing it), and writes every kind of record through it")
    func olderStoreGainsAppendFunction() throws {
        let url = TestDatabase.fresh()
        let made = try PostgresStore.create(url, operation: Synthetic.operation(cases: 2))
        let link = try PostgresLink(url)
        try link.rows("DROP FUNCTION \"\(url.schema)\".ledger_append")
        // Writing without the function fails, writes nothing, and leaves the store refusing.
        #expect(throws: PostgresStoreError.self) { try made.apply(.signal(Signal(name: "test.lost")), by: .coordinator, at: Synthetic.start) }
        #expect(throws: StoreError.self) { try made.apply(.signal(Signal(name: "test.lost")), by: .coordinator, at: Synthetic.start) }
        let store = try PostgresStore.open(url)
        #expect(try store.verify() == .intact(entries: 1))
        #expect(try !PostgresStore.hasAppendFunction(link), "opening and auditing write nothing, so a read-only role can audit")
        try store.apply(.signal(Signal(name: "test.kept")), by: .coordinator, at: Synthetic.start)
        #expect(try PostgresStore.hasAppendFunction(link))
        // A case's whole life: a person, the case, a handoff, the movement, through the function.
        _ = try store.applyAll(Synthetic.opening + Synthetic.lifecycle(1), at: Synthetic.start + 1)
        let audit = try PostgresStore.open(url)
        #expect(try audit.verify() == .intact(entries: Int64(2 + 1 + 12)), "the audit compares every stored record with the ledger's")
        #expect(try audit.caseRefs() == ["S-0000001"])
        #expect(try audit.returnCase("S-0000001")?.progress == .received)
        #expect(try audit.handoffs().map(\.ref) == ["SH-1"])
    }

    @Test("a store is created once per schema, and opening an empty schema says there is none")
    func createAndOpen() throws {
        let url = TestDatabase.fresh()
        #expect(throws: StoreError.missing(url.description)) { try PostgresStore.open(url) }
        _ = try PostgresStore.create(url, operation: Synthetic.operation(cases: 1))
        #expect(throws: StoreError.exists(url.description)) { try PostgresStore.create(url, operation: Synthetic.operation(cases: 1)) }
        #expect(try PostgresStore.exists(url))
    }

    @Test("URLs: user, host, port, database, schema and a Unix socket's folder; the password never shown")
    func urls() throws {
        let u = try #require(PostgresURL("postgres://ops:secret@db.example:6432/liaison?schema=gulf_charter"))
        #expect([u.user, u.password, u.host, String(u.port), u.database, u.schema] == ["ops", "secret", "db.example", "6432", "liaison", "gulf_charter"])
        #expect(u.description == "postgres://ops@db.example:6432/liaison?schema=gulf_charter")
        let socket = try #require(PostgresURL("postgresql://postgres@localhost/postgres?host=/tmp/pg"))
        #expect(socket.socketDirectory == "/tmp/pg" && socket.schema == "liaison" && socket.port == 5432)
        #expect(PostgresURL("postgres://ops@db/x?schema=Robert';DROP") == nil)  // a schema goes into SQL: names only
        #expect(PostgresURL("mysql://ops@db/x") == nil)
        #expect(PostgresURL("postgres://db/x") == nil)  // no user
    }
}

/// A value several threads change, one at a time.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
