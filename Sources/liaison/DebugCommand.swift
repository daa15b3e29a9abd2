import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonSynthetic
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
            abstract: "Apply a synthetic operation's lifecycle commands, printing 'ack SEQUENCE' each time the ledger is durable further.")

        @Option(help: "The store to create.") var store: String
        @Option(help: "How many cases.") var cases = 100
        @Option(help: "Commands made durable together (the store's groupCommit).") var group = 1
        @Option(help: "Ledger entries between checkpoints of the record tables.") var checkpointInterval: Int64 = 100_000

        func run() throws {
            let s = try SQLiteStore.create(at: store, operation: Synthetic.operation(cases: cases))
            s.groupCommit = group
            s.checkpointInterval = checkpointInterval
            let out = FileHandle.standardOutput
            var acknowledged = s.durableSequence
            let commands = Synthetic.opening + (1...cases).flatMap(Synthetic.lifecycle)
            for (i, (command, actor)) in commands.enumerated() {
                try s.apply(command, by: actor, at: Synthetic.start.addingTimeInterval(Double(i)))
                if s.durableSequence > acknowledged {
                    acknowledged = s.durableSequence
                    out.write(Data("ack \(acknowledged)\n".utf8))
                }
            }
        }
    }
}
