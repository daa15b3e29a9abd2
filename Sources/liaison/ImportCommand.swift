import ArgumentParser
import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore

/// `liaison import OPERATION_DIR`: checks an operation folder and creates its store.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Check an operation folder and import it into a new store.",
        discussion: """
            The folder holds operation.toml (agencies and roles, disclosure policy, movements and \
            legs, who may lift which holds, the clock's start) and manifest.csv (one line per case: \
            the person and the case). Every problem in either file is listed with its file and line, \
            and a folder with any problem is refused whole: nothing is imported.

            Each person is registered and each case opened by a command of the sending agency, in \
            one transaction, each with its entry in the ledger. No plugin runs: they do not see \
            these case.opened events. To play the timeline on the store afterwards, give it to \
            liaison run --resume or liaison repl --store; liaison run does both with its plugins \
            from the start.

            Examples:
              liaison import Examples/gulf-charter
              liaison import Examples/gulf-charter --store /tmp/rehearsal.sqlite
            """
    )

    @Argument(help: ArgumentHelp("The operation folder.", valueName: "operation-dir"))
    var folder: String

    @Option(help: ArgumentHelp("Where to create the store (default: OPERATION_DIR/liaison.sqlite).", valueName: "path"))
    var store: String?

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let path = store ?? url.appendingPathComponent("liaison.sqlite").path
        let loaded = try reportingInputErrors("import") { try OperationFolder.load(url) }
        progress("liaison import: \(loaded.operation.name): \(loaded.people.count) people, \(loaded.cases.count) cases; writing \(path)")
        do {
            let created = try reportingInputErrors("import") { try SQLiteStore.create(at: path, operation: loaded.operation) }
            do {
                let applied = try created.applyAll(loaded.importCommands, at: loaded.start)
                print("Imported \(loaded.operation.name): \(loaded.people.count) people and \(loaded.cases.count) cases into \(path) "
                      + "(ledger entries 1–\(applied.last?.entry.sequence ?? 1)).")
            } catch {
                SQLiteStore.remove(at: path)
                throw error
            }
        } catch let refusal as Refusal {
            fail("liaison import: the manifest was refused, nothing was imported: \(refusal)")
            throw ExitCode(1)
        }
    }
}
