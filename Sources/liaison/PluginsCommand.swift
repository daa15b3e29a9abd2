import ArgumentParser
import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// `liaison plugins OPERATION_DIR`: lists and validates an operation's plugins.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List and validate an operation's plugins.",
        discussion: """
            Loads every plugins/*/plugin.toml and entry file of OPERATION_DIR exactly as `liaison \
            run` does, in their sandboxes, and lists each plugin in the order it handles events \
            (higher priority first, then by name, each just after what it depends on), with its \
            agency, permissions \
            and handlers. Any problem is listed with its file and line, and the exit status is 1.

            Example:
              liaison plugins Examples/gulf-charter
            """
    )

    @Argument(help: ArgumentHelp("The operation folder.", valueName: "operation-dir"))
    var folder: String

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let (op, set) = try reportingInputErrors("plugins") {
            let op = try OperationFolder.load(url)
            return (op, try PluginSet.load(operationFolder: url, operation: op.operation))
        }
        print("\(set.plugins.count) plugins for \(op.operation.name), in the order they handle events:")
        for p in set.plugins {
            let m = p.manifest
            print("  \(m.name) \(m.version) for \(m.agency), priority \(m.priority)" + (m.dependencies.isEmpty ? "" : ", after " + m.dependencies.map { "\($0.name) \($0.range)" }.joined(separator: ", ")))
            print("    permissions: " + (m.permissions.isEmpty ? "none" : m.permissions.sorted().joined(separator: ", ")))
            for h in p.handlers { print("    on \(h.event)\(h.failClosed ? " (fail-closed)" : "") at \(h.location)") }
        }
    }
}
