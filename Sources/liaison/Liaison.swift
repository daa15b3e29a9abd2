import ArgumentParser

/// The `liaison` command: run, explore and test a return operation's agency plugins.
@main
struct Liaison: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liaison",
        abstract: "A scripting host for return operations run by several agencies together.",
        discussion: """
            Each agency scripts its own workflow as a sandboxed Lua 5.4 plugin. Start by trying \
            a snippet in exactly the sandbox plugins get, then import an operation and check its ledger:

              liaison lua Examples/lua/tour.lua
              liaison run Examples/gulf-charter --store /tmp/gulf.sqlite --report /tmp/gulf.md
              liaison plugins Examples/gulf-charter
              liaison audit verify --store /tmp/gulf.sqlite
            """,
        subcommands: [RunCommand.self, ReplCommand.self, PluginsCommand.self, TestCommand.self, ReplayCommand.self, LuaCommand.self, ImportCommand.self, AuditCommand.self, StubsCommand.self, DebugCommand.self]
    )
}
