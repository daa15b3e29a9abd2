import ArgumentParser
import LiaisonAllocator

/// The `liaison` command: run, explore and test a return operation's agency plugins.
@main
struct Liaison: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liaison",
        abstract: "A scripting host for return operations run by several agencies together.",
        discussion: """
            Each agency scripts its own workflow as a sandboxed Lua 5.4 plugin. Run an operation \
            end to end, explore it in a console as one agency sees it, and prove its plugins \
            with regression tests:

              liaison run Examples/gulf-charter --store /tmp/gulf.sqlite
              liaison repl Examples/gulf-charter --as IR-MFA
              liaison test Examples/gulf-charter
              liaison replay /tmp/gulf.sqlite --plugins plugins-v2
              liaison plugins Examples/gulf-charter
              liaison lua Examples/lua/tour.lua
              liaison audit verify --store /tmp/gulf.sqlite
              liaison serve Examples/gulf-charter --listen 127.0.0.1:8080
            """,
        version: "liaison (memory allocator: \(Allocator.description))",
        subcommands: [RunCommand.self, ReplCommand.self, PluginsCommand.self, TestCommand.self, ReplayCommand.self, LuaCommand.self, ImportCommand.self, AuditCommand.self, ExportCommand.self, ServeCommand.self, KeygenCommand.self, TokenCommand.self, WitnessCommand.self, NewCommand.self, StubsCommand.self, ReferenceCommand.self, DebugCommand.self]
    )
}
