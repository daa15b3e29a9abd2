import ArgumentParser
import Foundation
import LuaKit

/// `liaison lua FILE`: runs a Lua file in exactly the sandbox and limits plugins get.
struct LuaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lua",
        abstract: "Run a Lua file in the plugin sandbox, with the limits plugins get.",
        discussion: """
            The file runs in its own sandboxed state: the standard libraries less io, debug, \
            package, string.dump and every os function but time, clock and date; load only \
            accepts text; require finds modules only in the file's folder (require "lib.notice" \
            loads lib/notice.lua). print writes to standard output.

            On an error, the message (file:line) and a Lua traceback go to standard error.

            Examples:
              liaison lua Examples/lua/tour.lua
              liaison lua snippet.lua --timeout 0.5 --memory 16

            Exit status: 0 when the file ran to its end; 1 when it raised an error or did not \
            compile; 2 when it ran past --timeout or --memory; 64 for a usage error.
            """
    )

    @Argument(help: ArgumentHelp("The Lua file to run.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Seconds the file may run (fractions allowed).", valueName: "seconds"))
    var timeout: Double = 5

    @Option(help: ArgumentHelp("Memory the script may hold, in MiB.", valueName: "mib"))
    var memory: Int = 64

    func validate() throws {
        guard timeout > 0, timeout.isFinite else {
            throw ValidationError("--timeout must be a positive number of seconds, for example --timeout 0.5")
        }
        guard memory > 0, memory <= 1 << 20 else {
            throw ValidationError("--memory must be a whole number of MiB between 1 and 1048576, for example --memory 64")
        }
    }

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
            report("\(file): no such file (give the path of a .lua file)")
            throw ExitCode(1)
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        let limits = LuaLimits(memory: memory << 20, time: .milliseconds(Int64((timeout * 1000).rounded(.up))))
        let sandbox = LuaSandbox(moduleRoot: folder, output: { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        })
        do {
            let lua = try LuaState(limits: limits, sandbox: sandbox)
            try lua.runFile(file)
        } catch let error as LuaError {
            report(error.description)
            throw ExitCode(error.isLimit ? 2 : 1)
        } catch {
            report(String(describing: error))
            throw ExitCode(1)
        }
    }

    private func report(_ message: String) {
        fail("liaison lua: \(message)")
    }
}
