import ArgumentParser
import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import LiaisonTesting

/// `liaison stubs`: LuaLS annotations for editors.
struct StubsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stubs",
        abstract: "Write LuaLS annotations of the plugin API (or the test API), or a .luacheckrc, for editors and linters.",
        discussion: """
            The annotations are generated from the declarations the Lua bindings are built from, \
            so they list exactly the fields, methods and functions plugins get, each event's \
            fields, and the values of states, hold kinds, vulnerabilities and fit-to-fly. Point \
            your editor's Lua language server at the files (for example workspace.library in \
            .luarc.json). The test API's annotations name the plugin API's classes: keep both.

            --luacheckrc writes a configuration for luacheck (Debian: lua-check) that knows the \
            host's globals: plugins may read model, on, days, hours, iso and time; test files \
            also describe, it, expect, scenario and the rest.

            Examples:
              liaison stubs -o .luarc/liaison.lua
              liaison stubs --tests -o .luarc/liaison-test.lua
              liaison stubs --luacheckrc -o .luacheckrc && luacheck plugins tests
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @Flag(help: "The test API's annotations (describe, it, expect, scenario) instead of the plugin API's.")
    var tests = false

    @Flag(help: "A .luacheckrc with the host's globals instead of annotations.")
    var luacheckrc = false

    func validate() throws {
        if tests && luacheckrc { throw ValidationError("--tests and --luacheckrc each choose what to write: give one") }
    }

    func run() throws {
        let text = luacheckrc ? try LuacheckConfig.generate() : tests ? TestAPI.stubs() : Stubs.generate()
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
            progress("liaison stubs: wrote \(output)")
        } else {
            print(text, terminator: "")
        }
    }
}
