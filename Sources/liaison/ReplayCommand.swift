import ArgumentParser
import LiaisonModel
import Foundation
import LiaisonTesting
import LuaKit

/// `liaison replay`: what another version of the plugins would have decided.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run an operation's recorded commands against other plugins and list what they decide differently.",
        discussion: """
            Takes the external commands of STORE's ledger (imports, the timeline, commands typed \
            at the REPL: everything no plugin caused), runs them again at their times, by their \
            agencies, against the plugins in DIR (a plugins/ folder), on a fresh store in memory, \
            and compares every decision per case: holds raised and lifted, notices (recipient, \
            template, due time), vetoes, handoff proposals and acknowledgements, final states. \
            With --as AGENCY, only what that agency may learn is listed: the holds its grants \
            let it see, its own notices and vetoes, handoffs and final states. \
            Exit status 0 when nothing differs, 1 when something does.

            Example: what would version 2 of the plugins have done on last month's operation?
              liaison replay /srv/ops/gulf-charter.sqlite --plugins ../plugins-v2/plugins
              liaison replay /srv/ops/gulf-charter.sqlite --plugins ../plugins-v2/plugins --as IR-MFA
            """
    )

    @Argument(help: ArgumentHelp("The operation's store.", valueName: "store"))
    var store: String

    @Option(help: ArgumentHelp("The plugins folder to replay against.", valueName: "dir"))
    var plugins: String

    @Flag(help: "Print the differences as JSON.")
    var json = false

    @Option(name: .customLong("as"), help: ArgumentHelp("List only what this agency may learn.", valueName: "agency"))
    var agency: String?

    func run() throws {
        let replay: Replay
        do {
            replay = try Replay.run(store: store, plugins: URL(fileURLWithPath: plugins), as: agency.map(AgencyID.init))
        } catch {
            fail("liaison replay: \(error)")
            throw ExitCode(2)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(replay.differences), as: UTF8.self))
        } else {
            print(replay.text)
        }
        if !replay.differences.isEmpty { throw ExitCode(1) }
    }
}
