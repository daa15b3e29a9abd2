import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonPostgres
import LiaisonRuntime
import LiaisonStore

/// `liaison run OPERATION_DIR`: imports, loads the plugins, plays the timeline, reports.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an operation end to end: import, load the plugins, play the timeline, report.",
        discussion: """
            Reads OPERATION_DIR (operation.toml, manifest.csv, timeline.toml, plugins/), creates \
            a new store, registers the people and opens their cases through the engine (so the \
            plugins see every case.opened), then plays the timeline's events in time order. Each \
            command and everything the plugins do about it is one transaction and one group of \
            ledger entries. It ends with a summary (every veto, script error and refused command, \
            by plugin, hook, file and line, or by timeline line), an optional report file, and a \
            verification of the ledger.

            A run that stopped (killed, a power cut, an error) is continued with --resume on \
            the same store: its ledger says how far the import and the timeline got, and the \
            run goes on from there to the same end as a run that never stopped. Plugins keep \
            what they kept with ctx:remember; what they held only in Lua variables is gone. An \
            interrupted import is finished first. A store made from another folder, or from \
            this one before its manifest changed, is refused.

            --database postgres://USER@HOST:PORT/DATABASE?schema=NAME keeps the operation in \
            PostgreSQL instead of a SQLite file: one schema per operation (created; refused if it \
            holds a store already, unless --resume), the same ledger and audit.

            Exit status: 0 when the operation ran to its end, every handler returned and the \
            ledger verifies; 1 when the operation could not be loaded or run, or the ledger does \
            not verify; 3 when it ran and verifies but plugins failed (errors, time or memory \
            limits: the summary lists each). Vetoes and refused commands are decisions, not \
            failures: they are listed, and leave the status 0.

            Examples:
              liaison run Examples/gulf-charter --store /tmp/gulf.sqlite
              liaison run Examples/third-country --store /tmp/tc.sqlite --report /tmp/tc.html
              liaison run Examples/gulf-charter --store /tmp/gulf.sqlite --resume
              liaison run Examples/gulf-charter --database 'postgres://liaison@db.example:5432/ops?schema=gulf'
            """
    )

    @Argument(help: ArgumentHelp("The operation folder.", valueName: "operation-dir"))
    var folder: String

    @Option(help: ArgumentHelp("Where to create the store (default: OPERATION_DIR/liaison.sqlite).", valueName: "path"))
    var store: String?

    @Option(help: ArgumentHelp("Keep the operation in PostgreSQL instead: postgres://USER@HOST:PORT/DATABASE?schema=NAME.", valueName: "url"))
    var database: String?

    func validate() throws {
        try validateStoreOptions(store: store, database: database)
    }

    @Option(help: ArgumentHelp("Write a report: Markdown, or HTML with a timeline picture when the name ends in .html.", valueName: "path"))
    var report: String?

    @Flag(help: "Print the plugins' log lines (ctx:log and print) after the summary.")
    var log = false

    @Flag(help: "Continue the run the store holds from where it stopped, instead of creating a new store.")
    var resume = false

    static func announceResume(_ host: OperationHost, _ path: String) {
        let imports = host.folder.importCommands.count, entries = host.timeline.entries.count
        progress("resuming \(path) at \(Timestamp.iso(host.engine.now)): import \(host.imported)/\(imports) commands"
                 + (host.importInterrupted ? " (interrupted: finishing it)" : "") + ", timeline \(host.played)/\(entries) entries played")
    }

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let postgres = database.flatMap(PostgresURL.init)
        var path = postgres?.description ?? store ?? url.appendingPathComponent("liaison.sqlite").path
        let host = try reportingInputErrors("run") { () throws -> OperationHost in
            if let postgres {
                guard resume else { return try OperationHost.open(url) { try PostgresStore.create(postgres, operation: $0) } }
                guard try PostgresStore.exists(postgres) else {
                    fail("liaison run: nothing to resume: there is no store in \(postgres); run without --resume to start the operation")
                    throw ExitCode(1)
                }
                let host = try OperationHost.attach(url) { try PostgresStore.open(postgres) }
                Self.announceResume(host, path)
                return host
            }
            guard resume else { return try OperationHost.open(url, store: path) }
            guard FileManager.default.fileExists(atPath: path) else {
                fail("liaison run: nothing to resume: there is no store at \(path); run without --resume to start the operation")
                throw ExitCode(1)
            }
            let host = try OperationHost.attach(url, store: path)
            Self.announceResume(host, path)
            return host
        }
        path = host.store.location
        let line = ProgressLine()
        defer { line.finish() }
        try reportingInputErrors("run") {
            try host.importManifest { done, total in line.show("import", done: done, total: total, detail: "commands") }
            try host.play { done, total, entry in
                line.show("timeline", done: done, total: total, detail: "\(Timestamp.iso(entry.at)) \(entry.title)")
            }
        }
        line.finish()
        let summary = try host.summary()
        print(summary.text)
        if log && !host.engine.log.isEmpty {
            print("\nPlugin log:")
            for l in host.engine.log { print("  \(l)") }
        }
        if let report {
            try summary.report(html: report.hasSuffix(".html")).write(toFile: report, atomically: true, encoding: .utf8)
            print("Report written to \(report).")
        }
        let verification = try host.store.verify()
        switch verification {
        case .intact: print("\(path): \(verification)")
        case .broken:
            fail("liaison run: \(path): \(verification)")
            throw ExitCode(1)
        }
        let errors = summary.scriptErrors.count
        if errors > 0 {
            fail("liaison run: \(errors) plugin handler\(errors == 1 ? "" : "s") failed (listed under script errors above); the ledger records each")
            throw ExitCode(3)
        }
    }
}
