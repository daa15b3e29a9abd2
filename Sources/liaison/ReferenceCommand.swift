import ArgumentParser
import LiaisonRuntime
import LiaisonTesting

/// `liaison reference TABLE`: the reference tables of docs/EVENTS.md, docs/TRUST.md, docs/API.md and docs/CLI.md, from the code itself.
struct ReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Print a reference table (Markdown): the events, who may give each command, who may object where, the Lua APIs.",
        discussion: """
            The tables are generated from the descriptions the host runs on, so they say exactly \
            what it does; docs/EVENTS.md, docs/TRUST.md, docs/API.md and docs/CLI.md hold the same tables, and a test keeps them \
            equal.

            Examples:
              liaison reference events      every event, its cause, who hears of it, its fields
              liaison reference commands    who may give each command, and what the standard grants give
              liaison reference vetoes      the events on which each role may object, by the standard grants
              liaison reference api         every field, method and function plugins get
              liaison reference test-api    every function and method test files get
              liaison reference cli         every command's --help
            """
    )

    enum Table: String, ExpressibleByArgument, CaseIterable {
        case events, commands, vetoes, api, cli
        case testAPI = "test-api"
    }

    @Argument(help: ArgumentHelp("events, commands, vetoes, api, test-api or cli.", valueName: "table"))
    var table: Table

    func run() {
        switch table {
        case .events: print(Reference.events, terminator: "")
        case .commands: print(Reference.commands, terminator: "")
        case .vetoes: print(Reference.vetoes, terminator: "")
        case .api: print(Reference.api, terminator: "")
        case .testAPI: print(Reference.members(TestAPI.members), terminator: "")
        case .cli: print(Self.cli, terminator: "")
        }
    }

    /// Every command's help, as `liaison help COMMAND` prints it at 100 columns, for docs/CLI.md.
    static var cli: String {
        var out = "## `liaison`\n\n```text\n" + Liaison.helpMessage(columns: 100) + "\n```\n"
        func add(_ command: ParsableCommand.Type) {
            guard command.configuration.shouldDisplay else { return }
            let help = Liaison.helpMessage(for: command, columns: 100)
            // The command's full name, as its usage line spells it: `liaison audit verify`.
            let usage = help.split(separator: "\n").first { $0.hasPrefix("USAGE: ") }.map { $0.dropFirst("USAGE: ".count) } ?? ""
            let name = usage.split(separator: " ").prefix { !"<[-".contains($0.first!) }.joined(separator: " ")
            out += "\n## `\(name)`\n\n```text\n" + help + "\n```\n"
            for sub in command.configuration.subcommands { add(sub) }
        }
        for sub in Liaison.configuration.subcommands { add(sub) }
        return out
    }
}
