import ArgumentParser
import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonTesting

/// `liaison new plugin`: a working plugin to start from.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start something new from a working example.",
        subcommands: [Plugin.self]
    )

    struct Plugin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a plugin for an agency to an operation folder, with a test that passes as generated.",
            discussion: """
                Writes plugins/NAME/ (plugin.toml, main.lua with two handlers to start from, \
                templates/), a test tests/NAME_test.lua, and adds NAME to the agency's plugins \
                in operation.toml. A folder without editor settings gets them: .luarc.json and \
                .luarc/ (the Lua language server's annotations of the plugin and test APIs) and \
                .luacheckrc. The plugin asks only for permissions the operation grants the \
                agency. The folder is loaded again afterwards; if the plugin does not load, \
                nothing is left changed.

                Then: edit main.lua; try the API in liaison repl OPERATION_DIR --as AGENCY \
                (:help NAME describes any member or event); run liaison test OPERATION_DIR.

                Examples:
                  liaison new plugin legal-aid --agency MONITOR Examples/gulf-charter
                """
        )

        @Argument(help: ArgumentHelp("The plugin's name: lowercase letters, digits and '-'.", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("The agency it acts for (an id in operation.toml).", valueName: "agency"))
        var agency: String

        @Argument(help: ArgumentHelp("The operation folder (default: the current folder).", valueName: "operation-dir"))
        var folder: String = "."

        func validate() throws {
            guard !name.isEmpty, name.count <= 64, name.first!.isLetter,
                  name.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) else {
                throw ValidationError("'\(name)' cannot name a plugin: use lowercase letters, digits and '-', starting with a letter (legal-aid)")
            }
        }

        func run() throws {
            let url = URL(fileURLWithPath: folder)
            let loaded = try reportingInputErrors("new plugin") { try OperationFolder.load(url) }
            let operation = loaded.operation
            guard let agency = operation.agency(AgencyID(self.agency)) else {
                fail("liaison new plugin: \(self.agency) is not an agency of \(operation.name) (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
                throw ExitCode(1)
            }
            let pluginDir = url.appendingPathComponent("plugins/\(name)")
            let testFile = url.appendingPathComponent("tests/\(name)_test.lua")
            for existing in [pluginDir, testFile] where FileManager.default.fileExists(atPath: existing.path) {
                fail("liaison new plugin: \(existing.path) already exists: choose another name")
                throw ExitCode(1)
            }
            let tomlURL = url.appendingPathComponent("operation.toml")
            let originalTOML = try String(contentsOf: tomlURL, encoding: .utf8)
            guard let editedTOML = Self.adding(name, toPluginsOf: agency.id, in: originalTOML) else {
                fail("liaison new plugin: could not find the [[agencies]] table with id = \"\(agency.id)\" in \(tomlURL.path): add \"\(name)\" to its plugins = [...] by hand")
                throw ExitCode(1)
            }
            let granted = operation.grants.grant(for: agency).commands
            // After the agency's own plugins, so that what they do (acknowledging a notice, say)
            // comes first and the new one sees it done.
            let existing = try reportingInputErrors("new plugin") { try PluginSet.load(operationFolder: url, operation: operation) }
            let priority = existing.plugins.filter { $0.manifest.agency == agency.id }.map(\.manifest.priority).min().map { $0 - 10 } ?? 50
            let acknowledges = granted.contains("notice.acknowledge")
            let createdTests = !FileManager.default.fileExists(atPath: url.appendingPathComponent("tests").path)
            // Editor settings for the whole folder, unless it has its own: the Lua language
            // server's annotations of both APIs, and luacheck's globals.
            var editorFiles: [(path: String, text: () throws -> String)] = [
                (".luarc/liaison.lua", { Stubs.generate() }), (".luarc/liaison-test.lua", { TestAPI.stubs() }),
                (".luarc.json", { "{\n  \"runtime.version\": \"Lua 5.4\",\n  \"workspace.library\": [\".luarc\"]\n}\n" }),
                (".luacheckrc", { try LuacheckConfig.generate() }),
            ]
            editorFiles.removeAll { FileManager.default.fileExists(atPath: url.appendingPathComponent($0.path).path) }
            do {
                for file in editorFiles {
                    let target = url.appendingPathComponent(file.path)
                    try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try file.text().write(to: target, atomically: true, encoding: .utf8)
                }
                try FileManager.default.createDirectory(at: pluginDir.appendingPathComponent("templates"), withIntermediateDirectories: true)
                try FileManager.default.createDirectory(at: testFile.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Self.manifest(name, agency, priority: priority, acknowledges: acknowledges, granted: granted)
                    .write(to: pluginDir.appendingPathComponent("plugin.toml"), atomically: true, encoding: .utf8)
                try Self.main(name, agency, acknowledges: acknowledges).write(to: pluginDir.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
                try Self.template(name, agency).write(to: pluginDir.appendingPathComponent("templates/note.mustache"), atomically: true, encoding: .utf8)
                try Self.test(name, agency, acknowledges: acknowledges).write(to: testFile, atomically: true, encoding: .utf8)
                try editedTOML.write(to: tomlURL, atomically: true, encoding: .utf8)
                _ = try PluginSet.load(operationFolder: url, operation: try OperationFolder.load(url).operation)
            } catch {
                // Nothing half made stays behind.
                try? FileManager.default.removeItem(at: pluginDir)
                try? FileManager.default.removeItem(at: testFile)
                if createdTests { try? FileManager.default.removeItem(at: testFile.deletingLastPathComponent()) }
                for file in editorFiles { try? FileManager.default.removeItem(at: url.appendingPathComponent(file.path)) }
                try? originalTOML.write(to: tomlURL, atomically: true, encoding: .utf8)
                fail("liaison new plugin: \(error)\nnothing was changed")
                throw ExitCode(1)
            }
            print("""
                Added plugin \(name) for \(agency.id) to \(operation.name):
                  \(pluginDir.path)/plugin.toml, main.lua, templates/note.mustache
                  \(testFile.path)
                  operation.toml: \(agency.id) now runs "\(name)"\(editorFiles.isEmpty ? "" : "\n  editor settings: " + editorFiles.map(\.path).joined(separator: ", "))
                Next: edit main.lua; try the API with liaison repl \(folder) --as \(agency.id) (:help NAME); \
                run liaison test \(folder).
                """)
        }

        /// `text` with `name` added to the `plugins` of the agency `id`: to its list if it has
        /// one, otherwise a new line after its `id`. Nil when the agency's table is not found.
        static func adding(_ name: String, toPluginsOf id: AgencyID, in text: String) -> String? {
            var lines = text.components(separatedBy: "\n")
            func trimmed(_ i: Int) -> String { lines[i].trimmingCharacters(in: .whitespaces) }
            guard let idLine = lines.indices.first(where: { trimmed($0).replacingOccurrences(of: " ", with: "") == "id=\"\(id)\"" }) else { return nil }
            var end = idLine + 1
            while end < lines.count, !trimmed(end).hasPrefix("[") { end += 1 }
            if let list = (idLine..<end).first(where: { trimmed($0).hasPrefix("plugins") }), let close = lines[list].lastIndex(of: "]") {
                let inside = lines[list][lines[list].index(after: lines[list].firstIndex(of: "[")!)..<close].trimmingCharacters(in: .whitespaces)
                lines[list].replaceSubrange(close..<close, with: (inside.isEmpty ? "" : ", ") + "\"\(name)\"")
            } else {
                lines.insert("plugins = [\"\(name)\"]", at: idLine + 1)
            }
            return lines.joined(separator: "\n")
        }

        static func manifest(_ name: String, _ agency: Agency, priority: Int, acknowledges: Bool, granted: Set<String>) -> String {
            """
            # \(name): \(agency.name)'s workflow in this operation.
            name = "\(name)"
            version = "0.1.0"
            agency = "\(agency.id)"
            api = 1
            entry = "main.lua"
            priority = \(priority)           # plugins handle an event in priority order, highest first
            # The commands it gives. The operation grants \(agency.id): \(granted.sorted().joined(separator: ", ")).
            permissions = [\(acknowledges ? "\"notice.acknowledge\"" : "")]

            [limits]                # per handler call
            time_ms = 2000
            memory_mib = 32

            # What a notice sent from a template asks its recipient to answer (ctx:reply); the
            # rules refuse a reply that leaves out an answer or gives one not asked for.
            # [replies.note]
            # confirmed = "boolean"   # text, date, boolean or number; "text?" when it may be left out

            """
        }

        static func main(_ name: String, _ agency: Agency, acknowledges: Bool) -> String {
            let inbox = acknowledges ? """
                -- A notice to \(agency.id): acknowledged unless another of its plugins already did,
                -- and counted in the plugin's own state (ctx:remember keeps it across reloads and
                -- a resumed run; no other agency sees it).
                on("notice.received", function(ev, ctx)
                  if not ev.notice.acknowledged then ctx:acknowledge(ev.notice) end
                  ctx:remember("received", (ctx:recall("received") or 0) + 1)
                end)
                """ : """
                -- A notice to \(agency.id): counted in the plugin's own state (ctx:remember keeps it
                -- across reloads and a resumed run; no other agency sees it).
                on("notice.received", function(ev, ctx)
                  ctx:remember("received", (ctx:recall("received") or 0) + 1)
                end)
                """
            return """
                -- \(name): what \(agency.id) does in this operation. Each handler reacts to an event of
                -- the model; what it may read and do is what the operation grants \(agency.id).
                -- Try the API with liaison repl OPERATION_DIR --as \(agency.id); :help NAME describes
                -- any function, method, field or event.

                -- Every case opened: a line in the run's log (liaison run --log prints it).
                on("case.opened", function(ev, ctx)
                  ctx:log("case " .. ev.case.ref .. " opened, " .. ev.case.state)
                end)

                \(inbox)

                """
        }

        static func template(_ name: String, _ agency: Agency) -> String {
            """
            A note from \(agency.id) about {{count}} case(s):
            {{#cases}}
            - {{ref}}
            {{/cases}}

            """
        }

        static func test(_ name: String, _ agency: Agency, acknowledges: Bool) -> String {
            """
            -- What \(name) must do, whatever version of it runs. Each test loads the operation afresh
            -- (the folder above) and plays its timeline. liaison test OPERATION_DIR runs them.

            describe("\(name)", function()
              it("runs the whole operation without a failure", function()
                local op = scenario.load("..")
                op:run()
                expect(#op:failures()):to_equal(0)
              end)

              it("logs every case opened", function()
                local op = scenario.load("..")
                local opened = 0
                for _, line in ipairs(op:log()) do
                  if line:find("plugin \(name), hook case.opened: case ", 1, true) then opened = opened + 1 end
                end
                expect(opened):to_equal(#op:cases())
              end)
            end)

            """
        }
    }
}
