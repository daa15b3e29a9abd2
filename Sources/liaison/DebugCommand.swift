import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonStore

/// `liaison debug churn`: applies a synthetic operation's commands one transaction at a time,
/// printing each acknowledged ledger sequence. The durability test kills it at random points
/// and checks that nothing it acknowledged was lost. Hidden from --help: it is a test tool.
struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Tools for testing Liaison itself.",
        shouldDisplay: false,
        subcommands: [Churn.self]
    )

    struct Churn: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a synthetic operation's lifecycle commands, printing 'ack SEQUENCE' after each commit.")

        @Option(help: "The store to create.") var store: String
        @Option(help: "How many cases.") var cases = 100

        func run() throws {
            let s = try SQLiteStore.create(at: store, operation: Synthetic.operation(cases: cases))
            let out = FileHandle.standardOutput
            let commands = Synthetic.opening + (1...cases).flatMap(Synthetic.lifecycle)
            for (i, (command, actor)) in commands.enumerated() {
                let applied = try s.apply(command, by: actor, at: Synthetic.start.addingTimeInterval(Double(i)))
                out.write(Data("ack \(applied.entry.sequence)\n".utf8))
            }
        }
    }
}
