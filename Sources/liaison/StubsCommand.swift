import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore

/// `liaison stubs`: LuaLS annotations for editors.
struct StubsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stubs",
        abstract: "Write LuaLS annotations of the plugin API, for editor completion.",
        discussion: """
            The annotations are generated from the descriptors the Lua bindings are built from, so \
            they list exactly the fields, methods and functions plugins get. Point your editor's \
            Lua language server at the file (for example workspace.library in .luarc.json).

            Examples:
              liaison stubs -o liaison.d.lua
              liaison stubs > plugins/.luarc/liaison.lua
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let text = Stubs.generate()
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
            progress("liaison stubs: wrote \(output)")
        } else {
            print(text, terminator: "")
        }
    }
}
