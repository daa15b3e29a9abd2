import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonPostgres
import LiaisonRuntime
import LiaisonServer
import LiaisonStore
import Logging

/// `liaison serve OPERATION_DIR`: the operation over HTTP, for agencies holding keys.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an operation over HTTP to its agencies, each with its own key.",
        discussion: """
            Opens the operation's store (importing the folder's manifest when the store is new), \
            loads the agencies' plugins, and answers the HTTP API described at /openapi.json: \
            cases as the calling agency may see them, commands in its name, its notices, the \
            ledger, a live event stream. Every /v1 request carries a bearer token (liaison token) \
            signed with the key of the agency it speaks for; the operation holds the public keys \
            in OPERATION_DIR/keys/AGENCY.pub, or --keys DIR (liaison keygen makes a pair). A token for \
            COORDINATOR (keys/COORDINATOR.pub) reads everything and gives external signals.

            The store is SQLite by default (OPERATION_DIR/liaison.sqlite, or --store PATH), for \
            one server; --database postgres://USER@HOST:PORT/DATABASE?schema=NAME keeps it in \
            PostgreSQL, where several servers may serve one operation: their commands are \
            serialised by the database, and each server reads what the others wrote before \
            deciding. Commands that arrive together are decided one after another and made \
            durable together; no answer leaves before its command is in the ledger.

            The engine's clock follows the wall clock (notices fall overdue as time passes); \
            --clock store keeps it where the store's last command left it, for rehearsals and \
            tests. SIGTERM or SIGINT stops the server gracefully: no new connections, the \
            requests in flight finish, event streams end. Logs go to standard error. Serve \
            plain HTTP on loopback and put TLS in front (see docs/SERVER.md).

            Examples:
              liaison keygen US-ENF --out Examples/gulf-charter/keys
              liaison serve Examples/gulf-charter --store /tmp/gulf.sqlite --listen 127.0.0.1:8080
              liaison serve Examples/gulf-charter --database 'postgres://liaison@db:5432/ops?schema=gulf'
            """
    )

    @Argument(help: ArgumentHelp("The operation folder.", valueName: "operation-dir"))
    var folder: String

    @Option(help: ArgumentHelp("The SQLite store (default: OPERATION_DIR/liaison.sqlite); created and imported when missing.", valueName: "path"))
    var store: String?

    @Option(help: ArgumentHelp("Keep the operation in PostgreSQL instead: postgres://USER@HOST:PORT/DATABASE?schema=NAME.", valueName: "url"))
    var database: String?

    @Option(help: ArgumentHelp("The agencies' public keys, AGENCY.pub each (default: OPERATION_DIR/keys).", valueName: "dir"))
    var keys: String?

    @Option(help: ArgumentHelp("Where to listen (port 0: any free port, printed when listening).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("wall: the engine's clock follows the wall clock; store: it stays where the store's last command left it.", valueName: "clock"))
    var clock = "wall"

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        try validateStoreOptions(store: store, database: database)
        guard Self.address(listen) != nil else { throw ValidationError("--listen \(listen): give HOST:PORT, such as 127.0.0.1:8080 or 0.0.0.0:0") }
        guard clock == "wall" || clock == "store" else { throw ValidationError("--clock \(clock): give wall or store") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel): give trace, debug, info, notice, warning, error or critical") }
    }

    static func address(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let postgres = database.flatMap(PostgresURL.init)
        let path = store ?? url.appendingPathComponent("liaison.sqlite").path
        // A new store is created and the manifest imported first; every (re)opening after that
        // attaches to the store as it is, finishing an import a stop interrupted.
        let opener: OperationCore.Opener
        if let postgres {
            opener = { try Self.finishingImport(OperationHost.attach(url) { try PostgresStore.open(postgres) }) }
            if try !PostgresStore.exists(postgres) {
                progress("liaison serve: creating the operation's store in \(postgres) and importing the manifest")
                do {
                    let host = try OperationHost.open(url) { try PostgresStore.create(postgres, operation: $0) }
                    try host.importManifest()
                } catch StoreError.exists(_) {}  // another server created it first
            }
        } else {
            opener = { try Self.finishingImport(OperationHost.attach(url, store: path)) }
            if !FileManager.default.fileExists(atPath: path) {
                progress("liaison serve: creating the operation's store at \(path) and importing the manifest")
                try reportingInputErrors("serve") { try OperationHost.open(url, store: path).importManifest() }
            }
        }
        let core = try reportingInputErrors("serve") { try OperationCore(opening: opener, wallClock: clock == "wall") }
        let operation = try core.readNow { $0.store.operation }
        let logger = { () -> Logger in
            var logger = Logger(label: "liaison.serve") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = Logger.Level(rawValue: logLevel)!
            return logger
        }()
        let (host, port) = Self.address(listen)!
        let where_ = postgres?.description ?? path
        let keyFolder = keys.map { URL(fileURLWithPath: $0) } ?? url.appendingPathComponent("keys")
        try blocking {
            let verifier = try await TokenVerifier.load(keys: keyFolder, operation: operation)
            let agencies = await verifier.agencies
            if agencies.isEmpty {
                fail("liaison serve: warning: no agency can sign in: \(keyFolder.path) holds no AGENCY.pub (make pairs with liaison keygen AGENCY --out \(keyFolder.path))")
            }
            let server = LiaisonServer(core: core, verifier: verifier, operation: operation, logger: logger)
            try await server.run(host: host, port: port) { bound in
                let line = "liaison serve: \(operation.name) on http://\(host):\(bound) (store: \(where_); keys: \(agencies.map(\.rawValue).joined(separator: ", ")))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            progress("liaison serve: stopped; every command answered is in the ledger")
        }
    }

    static func finishingImport(_ host: OperationHost) throws -> OperationHost {
        if host.importInterrupted { try host.importManifest() }
        return host
    }
}

/// Runs async work from a synchronous command, waiting for it.
func blocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var failure: Error?
    Task {
        do { try await body() } catch { failure = error }
        done.signal()
    }
    done.wait()
    if let failure { throw failure }
}

/// `liaison keygen AGENCY --out DIR`.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an agency's Ed25519 key pair: AGENCY.key (keep it) and AGENCY.pub (give it to the operation).",
        discussion: """
            Writes DIR/AGENCY.key, the private key in PEM, readable by its owner only, and \
            DIR/AGENCY.pub, the public key. The agency keeps the first and signs its tokens with \
            it (liaison token); the operation's coordinator puts the second in the operation \
            folder's keys/ folder, which the server reads when it starts. An existing file is \
            never overwritten.

            Examples:
              liaison keygen IR-MFA --out ~/.liaison
              cp ~/.liaison/IR-MFA.pub Examples/gulf-charter/keys/
            """
    )

    @Argument(help: ArgumentHelp("The agency (its id in operation.toml), or COORDINATOR.", valueName: "agency"))
    var agency: String

    @Option(help: ArgumentHelp("The folder to write the pair into.", valueName: "dir"))
    var out = "."

    func run() throws {
        do {
            let (key, pub) = try AgencyKeys.generate(for: AgencyID(agency), into: URL(fileURLWithPath: out))
            print("wrote \(key.path) (private: keep it, mode 0600) and \(pub.path) (public: copy it to OPERATION_DIR/keys/)")
        } catch {
            fail("liaison keygen: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `liaison token AGENCY --key FILE`.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print a bearer token for an agency, signed with its private key.",
        discussion: """
            The token is a JWT signed with EdDSA: its subject is the agency, its audience the \
            operation (--operation: a token for one operation is refused by another), and it \
            expires after --ttl (30m, 8h, 2d; default 8h). Send it as Authorization: Bearer \
            TOKEN. Anyone holding it acts as the agency until it expires: keep it as you keep \
            the key.

            Examples:
              liaison token IR-MFA --key ~/.liaison/IR-MFA.key --operation gulf-charter
              curl -H "Authorization: Bearer $(liaison token IR-MFA --key IR-MFA.key)" http://127.0.0.1:8080/v1/cases
            """
    )

    @Argument(help: ArgumentHelp("The agency the token speaks for.", valueName: "agency"))
    var agency: String

    @Option(help: ArgumentHelp("The agency's private key (AGENCY.key from liaison keygen).", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("How long the token is valid: 30m, 8h, 2d or seconds.", valueName: "duration"))
    var ttl = "8h"

    @Option(help: ArgumentHelp("The operation the token is for (its name in operation.toml); without it, any operation holding the key accepts it.", valueName: "name"))
    var operation: String?

    func validate() throws {
        guard AgencyKeys.duration(ttl) != nil else { throw ValidationError("--ttl \(ttl): give a duration such as 30m, 8h, 2d, or seconds") }
    }

    func run() throws {
        let (agency, key, ttl, operation) = (AgencyID(self.agency), self.key, AgencyKeys.duration(self.ttl)!, self.operation)
        do {
            try blocking {
                let privateKey = try AgencyKeys.privateKey(at: key)
                print(try await AgencyKeys.token(for: agency, operation: operation, key: privateKey, ttl: ttl))
            }
        } catch {
            fail("liaison token: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `liaison witness --server URL --token TOKEN --key FILE`.
struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Countersign a server's ledger head with the agency's key, and keep it.",
        discussion: """
            Reads the head of the ledger the server holds (GET /v1/ledger/head), signs it with \
            the agency's private key, and sends the signature (POST /v1/ledger/witness): the \
            server checks it and keeps it in the ledger, where liaison audit verify --keys DIR \
            checks every witness against the agencies' public keys. With --keep FILE the head \
            (SEQ:HASH) is also added to FILE, the agency's own record: liaison audit verify \
            --head SEQ:HASH refuses a store whose history before that head was rewritten or cut, \
            whoever did it, the server's operator included.

            Examples:
              liaison witness --server http://127.0.0.1:8080 --token "$MFA" --key IR-MFA.key --keep ir-mfa-heads.txt
            """
    )

    @Option(help: ArgumentHelp("The server, such as http://127.0.0.1:8080.", valueName: "url"))
    var server: String

    @Option(help: ArgumentHelp("The agency's bearer token (default: LIAISON_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("The agency's private key (AGENCY.key), which signs the head.", valueName: "file"))
    var key: String

    @Option(help: ArgumentHelp("A file to add the witnessed head to, one SEQ:HASH a line.", valueName: "file"))
    var keep: String?

    func run() throws {
        let client = try serverClient(server, token: token)
        do {
            let me = try client.get("/v1/me")
            guard me.status == 200, let operation = me.json["operation"]?.string, let agency = me.json["agency"]?.string else { throw ClientError("\(server) refused the token (\(me.status)): \(me.detail)") }
            let headAnswer = try client.get("/v1/ledger/head")
            guard let sequence = headAnswer.json["sequence"]?.int, let hash = headAnswer.json["hash"]?.string else { throw ClientError("no head: \(headAnswer.detail)") }
            let head = LedgerHead(sequence: Int64(sequence), hash: hash)
            let signature = try Witness.sign(operation: operation, agency: AgencyID(agency), head: head, key: try AgencyKeys.privateKey(at: key))
            let answer = try client.post("/v1/ledger/witness", .object(["sequence": .int(sequence), "hash": .string(hash), "signature": .string(signature)]))
            guard answer.status == 200 else { throw ClientError("the server refused the witness (\(answer.status)): \(answer.detail)") }
            if let keep {
                if !FileManager.default.fileExists(atPath: keep) { FileManager.default.createFile(atPath: keep, contents: nil) }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: keep))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("\(head)\n".utf8))
                try handle.close()
            }
            print("\(agency) witnessed \(head) of \(operation)" + (keep.map { "; kept in \($0)" } ?? ""))
        } catch {
            fail("liaison witness: \(error)")
            throw ExitCode(1)
        }
    }
}
