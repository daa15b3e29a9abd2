import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonREPL
import LiaisonRuntime
import LiaisonServer
import LiaisonStore

/// `liaison repl`: a Lua console onto a live operation.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "A Lua console onto an operation, as one agency sees it (or the coordinator).",
        discussion: """
            With OPERATION_DIR, the console has the model as plugins do: model.case("R-0042"), \
            model.cases{ state = "scheduled" }, case:schedule{ movement = "M-1" }, ... With --as \
            AGENCY it has that agency's disclosure and its plugins' permissions; without, it is the \
            coordinator: every field, every command (given in the sending agency's name, marked \
            "repl, coordinator" in the ledger). Each line or chunk you enter is one transaction: a \
            refused command shows the model's reason and changes nothing. Each chunk has a ctx of \
            its own, as a handler has: ctx:send_notice{...} (from the agency's plugins' templates), \
            ctx:acknowledge, ctx:reply, ctx.now. Times print with their ISO 8601 reading \
            (1796112000 --[[2026-12-01T08:00:00Z]]). Without OPERATION_DIR it is a plain sandboxed \
            Lua console.

            --store PATH continues an existing store, or creates it; without --store the operation \
            lives in memory. Type :help for the console's commands (:as, :events, :advance, \
            :notices, :reload, :ledger, :load), and :help NAME for any function, method, field or \
            event of the Lua API (:help reply, :help case.state-changed). Line editing, Ctrl-R \
            search and history (~/.liaison_history) come from libedit; Tab completes globals, the \
            keys of any table (string.up becomes string.upper) and model objects' fields and \
            methods; Ctrl-C cancels the line, or stops running code; Ctrl-D leaves.

            When standard input is not a terminal, it is read whole as a script: no prompts, no \
            colours, so a session can be piped in and its output compared. The exit status is 1 \
            when any line failed (a Lua error, a refused command, a console command that could \
            not run), after the whole script has run.

            With --server URL --token TOKEN (or LIAISON_TOKEN), the console is onto the operation \
            a liaison serve holds, as the agency the token speaks for: model.case(REF), \
            model.cases{...}, case methods (c:raise_hold{...}), model.command(NAME, ARGS), \
            model.notices, model.ledger, ctx:acknowledge and ctx:reply go through the server's \
            API, which decides what the agency may read and do; :help lists them.

            Examples:
              liaison repl Examples/gulf-charter --as IR-MFA
              liaison repl --server http://127.0.0.1:8080 --token "$(liaison token IR-MFA --key IR-MFA.key)"
              liaison repl Examples/gulf-charter --store /tmp/gulf.sqlite
              echo 'model.case("R-0007").state' | liaison repl Examples/gulf-charter
            """
    )

    @Argument(help: ArgumentHelp("The operation folder (none: a plain Lua console).", valueName: "operation-dir"))
    var folder: String?

    @Option(help: ArgumentHelp("A store to continue, or to create.", valueName: "path"))
    var store: String?

    @Option(name: .customLong("as"), help: ArgumentHelp("See and act as this agency's plugins do.", valueName: "agency"))
    var agency: String?

    @Option(help: ArgumentHelp("A liaison serve to work on instead of a folder, such as http://127.0.0.1:8080.", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("The bearer token for --server (default: the LIAISON_TOKEN environment variable).", valueName: "token"))
    var token: String?

    func validate() throws {
        if let server {
            _ = try serverClient(server, token: token)
            if folder != nil || store != nil || agency != nil { throw ValidationError("--server works without OPERATION_DIR, --store and --as: the token says which agency you are") }
            if (token ?? ProcessInfo.processInfo.environment["LIAISON_TOKEN"]) == nil { throw ValidationError("--server needs --token TOKEN (or LIAISON_TOKEN): make one with liaison token AGENCY --key AGENCY.key") }
        } else if token != nil {
            throw ValidationError("--token goes with --server URL")
        }
    }

    func run() throws {
        let terminal = isatty(STDIN_FILENO) == 1
        let session: ConsoleSession
        do {
            if let server {
                let client = try serverClient(server, token: token)
                session = try ConsoleSession.remote(client, colour: terminal && isatty(STDOUT_FILENO) == 1, write: { print($0) })
            } else {
                session = try ConsoleSession(operation: folder.map { URL(fileURLWithPath: $0) }, store: store, as: agency.map(AgencyID.init),
                                             colour: terminal && isatty(STDOUT_FILENO) == 1, write: { print($0) })
            }
        } catch {
            fail("liaison repl: \(error)")
            throw ExitCode(1)
        }
        if terminal {
            Console.interactive(session)
        } else {
            let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            Console.script(session, input: input)
            if session.errors > 0 {
                fflush(nil)  // the script's output first, then the verdict
                fail("liaison repl: \(session.errors) error\(session.errors == 1 ? "" : "s") in the script (shown above)")
                throw ExitCode(1)
            }
        }
    }
}
