import Foundation
import LiaisonStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Where an operation lives in PostgreSQL, as the command line takes it:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME][&host=/socket/dir]`.
/// `host=` in the query (as libpq reads it) connects through the Unix socket in that folder
/// instead of TCP; `schema=` names the schema the operation's tables are in (default
/// `liaison`), so one database can hold several operations.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var schema: String
    /// The folder of the server's Unix socket, when it is reached that way.
    public var socketDirectory: String?

    public init?(_ text: String) {
        guard let c = URLComponents(string: text), c.scheme == "postgres" || c.scheme == "postgresql" else { return nil }
        guard let user = c.user, !user.isEmpty else { return nil }
        self.user = user
        password = c.password
        host = c.host.flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        port = c.port ?? 5432
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? user : path
        let query = Dictionary((c.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, b in b })
        schema = query["schema"] ?? "liaison"
        socketDirectory = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        guard Self.isName(schema) else { return nil }
    }

    /// A schema name the store may put in SQL as it is: lower-case letters, digits and `_`.
    public static func isName(_ s: String) -> Bool {
        s.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil
    }

    /// The same database, another schema.
    public func with(schema: String) -> PostgresURL {
        var copy = self
        copy.schema = schema
        return copy
    }

    /// The URL without its password: for messages and `Store.location`.
    public var description: String {
        "postgres://\(user)@\(host)\(port == 5432 ? "" : ":\(port)")/\(database)?schema=\(schema)"
            + (socketDirectory.map { "&host=\($0)" } ?? "")
    }

    var configuration: PostgresConnection.Configuration {
        if let socketDirectory {
            return .init(unixSocketPath: socketDirectory + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
        }
        return .init(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}

/// One connection to PostgreSQL, used synchronously: the engine and its stores are synchronous,
/// and a store's work is one statement after another. Each call waits on SwiftNIO's event loop
/// (never on a Swift concurrency thread's), so it may be called from any thread that is not an
/// event loop's.
final class PostgresLink: @unchecked Sendable {
    let url: PostgresURL
    private let connection: PostgresConnection
    private let logger = Logger(label: "liaison.postgres")

    init(_ url: PostgresURL) throws {
        self.url = url
        do {
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: url.configuration,
                                                        id: 1, logger: logger).wait()
        } catch {
            throw StoreError.unreachable(url.description, reason: Self.describe(error))
        }
    }

    deinit { try? connection.close().wait() }

    /// How long a statement may take before the link gives up on it and closes the connection:
    /// a server that went away without closing the socket must not hold the caller for ever.
    static let statementTimeout: TimeAmount = .seconds(60)

    /// Runs `sql` with `binds` ($1, $2, … in order) and returns its rows.
    @discardableResult
    func rows(_ sql: String, _ binds: [PostgresBindable] = []) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for b in binds { b.bind(into: &bindings) }
        do {
            // A connection the server closed (it stopped, or restarted) fails at once.
            guard !connection.isClosed else { throw PostgresLinkClosed() }
            let loop = connection.eventLoop
            let answer = loop.makePromise(of: PostgresQueryResult.self)
            // Whichever comes first, the answer or the timeout, settles it: both run on `loop`.
            final class Once: @unchecked Sendable { var done = false }
            let once = Once()
            @Sendable func settle(_ result: Result<PostgresQueryResult, Error>) {
                guard !once.done else { return }
                once.done = true
                answer.completeWith(result)
            }
            connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).whenComplete(settle)
            let connection = self.connection
            let timer = loop.scheduleTask(in: Self.statementTimeout) {
                settle(.failure(PostgresLinkTimeout()))
                connection.close().whenComplete { _ in }
            }
            defer { timer.cancel() }
            return Array(try answer.futureResult.wait())
        } catch {
            throw PostgresStoreError(url: url.description, message: Self.describe(error), sqlState: (error as? PSQLError)?.serverInfo?[.sqlState])
        }
    }

    /// What went wrong, in PostgreSQL's words where it gave some (PostgresNIO's own description
    /// hides them).
    static func describe(_ error: Error) -> String {
        guard let e = error as? PSQLError else { return String(describing: error) }
        if let info = e.serverInfo, let message = info[.message] {
            return message + (info[.detail].map { " (\($0))" } ?? "")
        }
        return e.underlying.map { String(describing: $0) } ?? e.code.description
    }
}

struct PostgresLinkClosed: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL is closed (the server stopped or restarted)" }
}

struct PostgresLinkTimeout: Error, CustomStringConvertible {
    var description: String { "PostgreSQL did not answer within \(PostgresLink.statementTimeout.nanoseconds / 1_000_000_000) seconds; the connection was closed" }
}

/// An error PostgreSQL gave, with its SQLSTATE (`40001`, `42P01`, …).
public struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var message: String
    public var sqlState: String?
    public var description: String { "\(url): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }
}

/// A value a statement binds: text, a whole number, a float, a flag, NULL, or an array of one
/// of them (a whole column of rows in one parameter, for `unnest`).
enum PostgresBindable {
    case text(String), integer(Int64), float(Double), flag(Bool), null
    case texts([String]), integers([Int64]), floats([Double]), flags([Bool])

    func bind(into b: inout PostgresBindings) {
        switch self {
        case .text(let s): b.append(s)
        case .integer(let n): b.append(n)
        case .float(let d): b.append(d)
        case .flag(let f): b.append(f)
        case .null: b.appendNull()
        case .texts(let a): b.append(a)
        case .integers(let a): b.append(a)
        case .floats(let a): b.append(a)
        case .flags(let a): b.append(a)
        }
    }
}
