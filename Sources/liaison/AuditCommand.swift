import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonPostgres
import LiaisonServer
import LiaisonStore

/// `liaison audit verify`: checks a store's ledger and records.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check an operation's audit ledger.",
        subcommands: [Verify.self, Head.self]
    )

    /// The store of an operation folder, or the one `--store` names.
    static func storePath(folder: String?, store: String?) -> String {
        store ?? URL(fileURLWithPath: folder!).appendingPathComponent("liaison.sqlite").path
    }

    static func validate(folder: String?, store: String?, database: String?, _ command: String) throws {
        if [folder != nil, store != nil, database != nil].filter({ $0 }).count != 1 {
            throw ValidationError("give an operation folder, --store PATH or --database URL (one of them), for example: liaison audit \(command) Examples/gulf-charter")
        }
        try validateDatabaseURL(database)
    }

    /// The store the options name, opened.
    static func open(folder: String?, store: String?, database: String?) throws -> any Store {
        if let database { return try PostgresStore.open(PostgresURL(database)!) }
        return try SQLiteStore.open(at: storePath(folder: folder, store: store))
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the ledger's head, SEQ:HASH, for an agency to keep.",
            discussion: """
                Prints the last entry's sequence number and hash. Kept outside the store (in \
                each agency's own records), it lets `liaison audit verify --head SEQ:HASH` tell \
                later whether the ledger still holds that entry unchanged: a hash chain alone \
                cannot show that entries were cut off its end, or that the whole chain was \
                written again by whoever holds the file.

                Examples:
                  liaison audit head Examples/gulf-charter
                  liaison audit head --store /tmp/gulf.sqlite > heads/2026-12-15.txt
                """
        )

        @Argument(help: ArgumentHelp("The operation folder (its store is OPERATION_DIR/liaison.sqlite).", valueName: "operation-dir"))
        var folder: String?

        @Option(help: ArgumentHelp("The store, instead of the folder's.", valueName: "path"))
        var store: String?

        @Option(help: ArgumentHelp("A store in PostgreSQL: postgres://USER@HOST:PORT/DATABASE?schema=NAME.", valueName: "url"))
        var database: String?

        func validate() throws { try AuditCommand.validate(folder: folder, store: store, database: database, "head") }

        func run() throws {
            print(try reportingInputErrors("audit head") { try AuditCommand.open(folder: folder, store: store, database: database).head() })
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the ledger's hash chain and that it accounts for every stored record.",
            discussion: """
                Walks the ledger from its first entry: each must hold the SHA-256 of the one before \
                and match its own. Then replays every command through the rules and compares the \
                result with the stored cases, people, handoffs and movements. With --head, also \
                checks that the ledger still holds each entry an agency kept (from `liaison audit \
                head`) with the same hash: a ledger cut short or written again is caught. Exits 0 \
                when everything holds; otherwise names the first entry (or record) that does not, \
                and exits 1.

                Examples:
                  liaison audit verify Examples/gulf-charter
                  liaison audit verify --store /tmp/rehearsal.sqlite --head 1340:9f2c...
                  liaison audit verify --store /tmp/served.sqlite --keys Examples/gulf-charter/keys
                """
        )

        @Argument(help: ArgumentHelp("The operation folder (its store is OPERATION_DIR/liaison.sqlite).", valueName: "operation-dir"))
        var folder: String?

        @Option(help: ArgumentHelp("The store to verify, instead of the folder's.", valueName: "path"))
        var store: String?

        @Option(help: ArgumentHelp("A store in PostgreSQL to verify: postgres://USER@HOST:PORT/DATABASE?schema=NAME.", valueName: "url"))
        var database: String?

        @Option(help: ArgumentHelp("Check every witnessed head the ledger holds against the agencies' public keys in DIR (AGENCY.pub each).", valueName: "dir"))
        var keys: String?

        @Option(name: .customLong("head"), help: ArgumentHelp("A head kept earlier (SEQ:HASH, as `liaison audit head` prints it); may be given more than once.", valueName: "seq:hash"))
        var heads: [String] = []

        func validate() throws {
            try AuditCommand.validate(folder: folder, store: store, database: database, "verify")
            for h in heads where LedgerHead(h) == nil {
                throw ValidationError("--head \(h): a head is SEQ:HASH, a sequence number and 64 lower-case hexadecimal digits, as `liaison audit head` prints it")
            }
        }

        func run() throws {
            let line = ProgressLine()
            var path = database.flatMap(PostgresURL.init)?.description ?? AuditCommand.storePath(folder: folder, store: store)
            let result = try reportingInputErrors("audit verify") { () throws -> Verification in
                let opened = try AuditCommand.open(folder: folder, store: store, database: database)
                path = opened.location
                var kept = heads.compactMap(LedgerHead.init)
                if let keys {
                    let witnesses = try Witness.recorded(in: opened)
                    for w in witnesses {
                        let file = URL(fileURLWithPath: keys).appendingPathComponent("\(w.agency.rawValue).pub").path
                        let key = try AgencyKeys.publicKey(at: file)
                        guard Witness.verify(w.signature, operation: opened.operation.name, agency: w.agency, head: w.head, key: key) else {
                            return .broken(entry: w.entry, reason: "its witness of \(w.head) is not signed with \(w.agency)'s key in \(file)")
                        }
                        kept.append(w.head)
                    }
                    progress("\(witnesses.count) witnessed head\(witnesses.count == 1 ? "" : "s") signed by their agencies; checking them against the chain")
                }
                return try opened.verify(heads: kept) { done, total in
                    line.show("verify", done: Int(done), total: Int(total), detail: "ledger entries checked")
                }
            }
            line.finish()
            switch result {
            case .intact:
                print("\(path): \(result)")
            case .broken:
                fail("liaison audit verify: \(path): \(result)")
                throw ExitCode(1)
            }
        }
    }
}
