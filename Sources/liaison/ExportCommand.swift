import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// `liaison export`: an operation's cases, notices, handoffs and ledger as CSV or JSON.
struct ExportCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an operation's cases, notices, handoffs and ledger as CSV or JSON, whole or as one agency may see them.",
        discussion: """
            Reads the store (OPERATION_DIR/liaison.sqlite, or --store) and writes four tables: \
            cases (one column per case field), notices, handoffs and the ledger (each entry with \
            the events it caused). --format csv writes cases.csv, notices.csv, handoffs.csv and \
            ledger.csv into the --output folder, for a spreadsheet; --format json writes one \
            document to --output, or to standard output.

            With --as AGENCY, everything goes through that agency's disclosure, as its plugins \
            and its console see the operation: only the case fields its grants cover (the others \
            are not columns at all), only the notices it sent or receives (a notice's text only \
            to its recipient), withheld reasons marked "(withheld)", and only the ledger entries \
            it may learn of, without their payloads. Without --as it is the coordinator's whole \
            view. Give --as whenever the file leaves the coordinator's hands.

            Examples:
              liaison export Examples/gulf-charter --format csv --output /tmp/gulf-export
              liaison export --store /tmp/gulf.sqlite --format json --as IR-MFA > ir-mfa.json
            """
    )

    @Argument(help: ArgumentHelp("The operation folder (its store is OPERATION_DIR/liaison.sqlite).", valueName: "operation-dir"))
    var folder: String?

    @Option(help: ArgumentHelp("The store, instead of the folder's.", valueName: "path"))
    var store: String?

    @Option(help: ArgumentHelp("A store in PostgreSQL: postgres://USER@HOST:PORT/DATABASE?schema=NAME.", valueName: "url"))
    var database: String?

    @Option(help: ArgumentHelp("csv (a folder of four files) or json (one document).", valueName: "format"))
    var format: Format

    @Option(name: .customLong("as"), help: ArgumentHelp("Export as this agency may see the operation.", valueName: "agency"))
    var agency: String?

    @Option(name: [.short, .long], help: ArgumentHelp("Where to write: a folder for csv (created if missing), a file for json (default: standard output).", valueName: "path"))
    var output: String?

    func validate() throws {
        try AuditCommand.validate(folder: folder, store: store, database: database, "export")
        if format == .csv && output == nil {
            throw ValidationError("--format csv writes four files: give the folder for them with --output DIR")
        }
    }

    func run() throws {
        let store = try reportingInputErrors("export") { try AuditCommand.open(folder: folder, store: self.store, database: database) }
        let operation = store.operation
        let reader: CaseReader
        if let agency {
            guard operation.agency(AgencyID(agency)) != nil else {
                fail("liaison export: \(agency) is not an agency of \(operation.name) (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
                throw ExitCode(1)
            }
            reader = try CaseReader(AgencyID(agency), in: operation)
        } else {
            reader = .coordinator
        }
        let now = try store.ledger(after: max(0, try store.head().sequence - 1), limit: 1).last?.at ?? Date(timeIntervalSince1970: 0)
        let export = try OperationExport(store: store, at: now, as: reader)
        switch format {
        case .csv:
            let dir = URL(fileURLWithPath: output!)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, text) in export.csv() {
                try text.write(to: dir.appendingPathComponent("\(name).csv"), atomically: true, encoding: .utf8)
            }
            let counts = export.tables.map { "\($0.rows.count) \($0.name == "ledger" ? "ledger entries" : $0.name)" }.joined(separator: ", ")
            print("Exported \(operation.name)\(agency.map { " as \($0)" } ?? "") to \(dir.path): \(counts).")
        case .json:
            let text = try export.json(operation: operation.name, as: agency.map(AgencyID.init))
            if let output {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } else {
                print(text, terminator: "")
            }
        }
    }
}
