import ArgumentParser
import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonServer
import LiaisonStore

/// `liaison plugins`: an operation's plugins, listed and validated, or one pushed to a server.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List and validate an operation's plugins, or push one to a running server.",
        discussion: """
            Examples:
              liaison plugins Examples/gulf-charter
              liaison plugins push Examples/gulf-charter/plugins/ir-mfa --server http://127.0.0.1:8080 --token "$MFA"
            """,
        subcommands: [PluginsListCommand.self, PluginsPushCommand.self],
        defaultSubcommand: PluginsListCommand.self
    )
}

/// `liaison plugins [list] OPERATION_DIR`: lists and validates an operation's plugins.
struct PluginsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List and validate an operation's plugins (the default).",
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

/// `liaison plugins push DIR --server URL --token TOKEN`.
struct PluginsPushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Replace one of your agency's plugins on a running server.",
        discussion: """
            Sends the plugin folder DIR (plugin.toml, its Lua, its templates) to the server, \
            which loads it with every other plugin of the operation exactly as it would when \
            starting, and installs it only if the whole set loads: between two batches of \
            commands, so no command sees half of it. The plugin's name, version and digest \
            (SHA-256 of its files) go into the ledger first (a plugins.updated signal given by \
            your agency), so a replay knows which code decided what; the server's folder follows, \
            keeping the replaced one as plugins/.replaced-NAME-TIME. An agency may push only its \
            own plugins (plugin.toml's agency is the token's, and a plugin of that name is not \
            another agency's); every problem is listed with its file and line, and nothing changes.

            Each server loads its own folder: with several servers on one PostgreSQL database, \
            push to each.

            Example:
              liaison plugins push my-op/plugins/ir-mfa --server http://127.0.0.1:8080 --token "$MFA"
            """
    )

    @Argument(help: ArgumentHelp("The plugin's folder.", valueName: "dir"))
    var folder: String

    @Option(help: ArgumentHelp("The server, such as http://127.0.0.1:8080.", valueName: "url"))
    var server: String

    @Option(help: ArgumentHelp("Your agency's bearer token (default: LIAISON_TOKEN).", valueName: "token"))
    var token: String?

    func run() throws {
        let client = try serverClient(server, token: token)
        do {
            let bundle = try PluginBundle.read(folder: URL(fileURLWithPath: folder))
            let answer = try client.post("/v1/plugins", bundle.json)
            guard answer.status == 200 else { throw ClientError("the server refused the plugin (\(answer.status)): \(answer.detail)") }
            let entry = answer.json["outcome"]?["entries"]?.array?.first?["sequence"]?.int
            print("\(answer.json["plugin"]?.string ?? "?") \(answer.json["version"]?.string ?? "?") installed, digest \(answer.json["digest"]?.string ?? "?")"
                  + (entry.map { "; ledger entry \($0)" } ?? ""))
        } catch {
            fail("liaison plugins push: \(error)")
            throw ExitCode(1)
        }
    }
}
