import Foundation
import GRDB
import GRDBSQLite
import LiaisonModel

/// A prepared statement run through SQLite's C API: parameters bound in order, then stepped.
/// Used only for statements no GRDB call runs, so GRDB's own bookkeeping of them never
/// disagrees; GRDB still prepares and caches them, and owns the connection.
struct RawStatement {
    let statement: OpaquePointer
    let connection: OpaquePointer?
    var column: Int32 = 0

    init(_ statement: Statement, in db: Database) {
        self.statement = statement.sqliteStatement
        self.connection = db.sqliteConnection
    }

    /// SQLite copies the text before `bind` returns (SQLITE_TRANSIENT).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func bind(_ value: Int64) {
        column += 1
        sqlite3_bind_int64(statement, column, value)
    }

    mutating func bind(_ value: Double?) {
        column += 1
        if let value { sqlite3_bind_double(statement, column, value) } else { sqlite3_bind_null(statement, column) }
    }

    mutating func bind(_ value: String) {
        column += 1
        var text = value
        let column = column
        text.withUTF8 { bytes in
            if let start = bytes.baseAddress {
                _ = start.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(statement, column, $0, Int32(bytes.count), Self.transient)
                }
            } else {
                _ = sqlite3_bind_text(statement, column, "", 0, Self.transient)  // no address would bind NULL
            }
        }
    }

    /// Runs a statement that returns no rows.
    func run(_ bindings: (inout RawStatement) throws -> Void = { _ in }) throws {
        try step(bindings) { code in
            guard code == SQLITE_DONE else { throw error(code) }
        }
    }

    /// The first column of the first row as text; nil when there is no row (or it is NULL).
    func text(binding bindings: (inout RawStatement) -> Void) throws -> String? {
        try step(bindings) { code in
            switch code {
            case SQLITE_ROW:
                return sqlite3_column_text(statement, 0).map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: Int(sqlite3_column_bytes(statement, 0))), as: UTF8.self)
                }
            case SQLITE_DONE: return nil
            default: throw error(code)
            }
        }
    }

    func step<T>(_ bindings: (inout RawStatement) throws -> Void, _ result: (Int32) throws -> T) throws -> T {
        var s = self
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        try bindings(&s)
        precondition(s.column == sqlite3_bind_parameter_count(statement), "bound \(s.column) parameters of \(sqlite3_bind_parameter_count(statement))")
        defer { sqlite3_reset(statement) }
        return try result(sqlite3_step(statement))
    }

    func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
                      sql: String(cString: sqlite3_sql(statement)))
    }
}
