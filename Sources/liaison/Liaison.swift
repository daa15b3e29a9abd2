import ArgumentParser

/// The `liaison` command: run, explore and test a return operation's agency plugins.
@main
struct Liaison: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liaison",
        abstract: "A scripting host for return operations run by several agencies together.",
        discussion: """
            Each agency scripts its own workflow as a sandboxed Lua 5.4 plugin. Start by trying \
            a snippet in exactly the sandbox plugins get:

              liaison lua Examples/lua/tour.lua
            """,
        subcommands: [LuaCommand.self]
    )
}
