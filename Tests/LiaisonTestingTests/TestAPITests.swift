import Foundation
@testable import LiaisonRuntime
@testable import LiaisonTesting
import LuaKit
import Testing

@Suite("The test API is described once, and the examples pass luacheck with the host's globals")
struct TestAPITests {
    @Test("every global, method and type a test file's state offers is in the test stubs, and they describe nothing else")
    func registeredIsDescribed() throws {
        let session = try TestSession(folder: repository.appendingPathComponent("Examples/gulf-charter/tests"), options: .init())
        let stubs = TestAPI.stubs()
        let registered = session.state.registeredTypes
        #expect(registered.map(\.name) == ["Scenario", "ScenarioCase", "ScenarioPerson"])
        for type in registered {
            #expect(stubs.contains("---@class \(type.name)\n"))
            for field in type.fields { #expect(stubs.contains("---@field \(field) "), "\(type.name).\(field)") }
            for method in type.methods { #expect(stubs.contains("function \(type.name):\(method)("), "\(type.name):\(method)") }
        }
        let globals = try session.state.run("""
            local out = {}
            for k in pairs(_G) do
              if type(k) == "string" and not k:match("^__liaison") then out[#out + 1] = k end
            end
            table.sort(out)
            return table.concat(out, "\\n")
            """, name: "list").first?.stringValue?.split(separator: "\n").map(String.init) ?? []
        let sandbox = Set(try LuacheckConfig.sandboxGlobals().map(\.name))
        let own = globals.filter { !sandbox.contains($0) }
        #expect(own == ["after_each", "before_each", "describe", "expect", "it", "pending", "scenario"])
        for g in own where g != "scenario" { #expect(stubs.contains("\nfunction \(g)("), "\(g)") }
        #expect(stubs.contains("\nfunction scenario.load(path) end"))
        // Expect's methods, read from the metatable the prelude gives every expectation.
        let methods = try session.state.run("""
            local out = {}
            for k, v in pairs(getmetatable(expect(1))) do if type(v) == "function" then out[#out + 1] = k end end
            table.sort(out)
            return table.concat(out, "\\n")
            """, name: "list").first?.stringValue?.split(separator: "\n").map(String.init) ?? []
        #expect(methods.count == 10)
        #expect(methods.sorted() == TestAPI.preludeMembers.filter { $0.owner == "Expect" }.map(\.name).sorted())
        for line in stubs.split(separator: "\n") where line.hasPrefix("function Expect:") || line.hasPrefix("function Scenario") {
            let name = line.dropFirst("function ".count).prefix { $0 != "(" }
            let parts = name.split(separator: ":").map(String.init)
            let offered = parts[0] == "Expect" ? methods : registered.first { $0.name == parts[0] }?.methods ?? []
            #expect(offered.contains(parts[1]), "the stubs describe \(name), which no state has")
        }
    }

    @Test("docs/API.md holds the test API's table generated from the same declarations")
    func referenceDoc() throws {
        let doc = try String(contentsOf: repository.appendingPathComponent("docs/API.md"), encoding: .utf8)
        #expect(doc.contains(Reference.members(TestAPI.members)), "docs/API.md's test API differs from `liaison reference test-api`: regenerate it")
    }

    /// luacheck, where it is installed (scripts/test installs it; on CI it must be there).
    static let luacheckPath: String? = ["/usr/bin/luacheck", "/usr/local/bin/luacheck"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("the examples' plugins and tests pass luacheck with the generated .luacheckrc; a plugin reaching for io or a stray global does not",
          .enabled(if: luacheckPath != nil || ProcessInfo.processInfo.environment["CI"] != nil, "luacheck is not installed (apt-get install lua-check)"))
    func luacheck() throws {
        let tool = try #require(Self.luacheckPath, "luacheck is not installed: scripts/test installs it (apt-get install lua-check)")
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-\(UUID().uuidString).luacheckrc")
        try LuacheckConfig.generate().write(to: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: config) }
        func run(_ paths: [String], in folder: URL) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["--config", config.path, "--no-color", "--codes"] + paths
            process.currentDirectoryURL = folder
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let examples = repository.appendingPathComponent("Examples")
        let clean = try run(["gulf-charter", "third-country", "lua"], in: examples)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("0 warnings / 0 errors"))

        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-lint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bad.appendingPathComponent("tests"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bad) }
        try """
            on("case.opened", function(ev, ctx)
              seen = (seen or 0) + 1
              io.write(ev.case.ref)
              it("is a test function, not a plugin's")
            end)
            """.write(to: bad.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
        try """
            describe("a test", function() model.case("R-1") end)
            """.write(to: bad.appendingPathComponent("tests/a_test.lua"), atomically: true, encoding: .utf8)
        let found = try run(["main.lua", "tests/a_test.lua"], in: bad)
        #expect(found.status != 0)
        for warning in ["main.lua:2:3: (W111) setting non-standard global variable 'seen'", "main.lua:3:3: (W113) accessing undefined variable 'io'",
                        "main.lua:4:3: (W113) accessing undefined variable 'it'", "tests/a_test.lua:1:31: (W113) accessing undefined variable 'model'"] {
            #expect(found.output.contains(warning), "\(found.output)")
        }
    }
}
