import ArgumentParser
import LiaisonRuntime
import LiaisonTesting

/// `liaison reference TABLE`: the reference tables of docs/TRUST.md, from the code itself.
struct ReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Print a reference table (Markdown): the events, who may give each command, who may object where, the Lua APIs.",
        discussion: """
            The tables are generated from the descriptions the host runs on, so they say exactly \
            what it does; docs/TRUST.md and docs/API.md hold the same tables, and a test keeps them \
            equal.

            Examples:
              liaison reference events      every event, its cause, who hears of it, its fields
              liaison reference commands    who may give each command, and what the standard grants give
              liaison reference vetoes      the events on which each role may object, by the standard grants
              liaison reference api         every field, method and function plugins get
              liaison reference test-api    every function and method test files get
            """
    )

    enum Table: String, ExpressibleByArgument, CaseIterable {
        case events, commands, vetoes, api
        case testAPI = "test-api"
    }

    @Argument(help: ArgumentHelp("events, commands, vetoes, api or test-api.", valueName: "table"))
    var table: Table

    func run() {
        switch table {
        case .events: print(Reference.events, terminator: "")
        case .commands: print(Reference.commands, terminator: "")
        case .vetoes: print(Reference.vetoes, terminator: "")
        case .api: print(Reference.api, terminator: "")
        case .testAPI: print(Reference.members(TestAPI.members), terminator: "")
        }
    }
}
