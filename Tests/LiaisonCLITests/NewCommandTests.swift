import Foundation
import Testing

/// `liaison new plugin`: a plugin that loads, and a test that passes, as generated.
@Suite("liaison new plugin")
struct NewCommandTests {
    static func copy(_ example: String) throws -> URL {
        let dir = URL(fileURLWithPath: temporaryPath(example))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/\(example)"), to: dir)
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.contains(".sqlite") {
            try FileManager.default.removeItem(at: dir.appendingPathComponent(f))
        }
        return dir
    }

    @Test("a plugin for an agency that already runs one: it runs after it, the operation lists it, its test and the others pass")
    func scaffold() throws {
        let dir = try Self.copy("gulf-charter")
        let made = try Liaison.run(["new", "plugin", "legal-aid", "--agency", "MONITOR", dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("operation.toml: MONITOR now runs \"legal-aid\"\n  editor settings: .luarc/liaison.lua, .luarc/liaison-test.lua, .luarc.json, .luacheckrc\n"), "\(made.stdout)")
        let luarc = try String(contentsOf: dir.appendingPathComponent(".luarc/liaison.lua"), encoding: .utf8)
        #expect(luarc.contains("function Context:remember(key, value)"), "\(luarc.prefix(300))")
        let toml = try String(contentsOf: dir.appendingPathComponent("operation.toml"), encoding: .utf8)
        #expect(toml.contains("plugins = [\"monitor\", \"legal-aid\"]"))
        let manifest = try String(contentsOf: dir.appendingPathComponent("plugins/legal-aid/plugin.toml"), encoding: .utf8)
        #expect(manifest.contains("priority = -10") && manifest.contains("permissions = [\"notice.acknowledge\"]"))
        let plugins = try Liaison.run(["plugins", dir.path])
        #expect(plugins.status == 0 && plugins.stdout.contains("legal-aid 0.1.0 for MONITOR, priority -10"), "\(plugins.stdout)")
        let tests = try Liaison.run(["test", dir.path, "--seed", "1"])
        #expect(tests.status == 0, "\(tests.stdout)")
        #expect(tests.stdout.hasSuffix("18 passed, 0 failed\n"), "\(tests.stdout)")
        #expect(tests.stdout.contains("legal-aid logs every case opened"))
        let run = try Liaison.run(["run", dir.path, "--store", dir.appendingPathComponent("s.sqlite").path])
        #expect(run.status == 0 && run.stdout.contains("script errors: 0"), "\(run.stdout)")
    }

    @Test("an agency without a plugins list gets one; a taken name, an unknown agency, a bad name and a folder whose plugins do not load change nothing")
    func refusals() throws {
        let dir = try Self.copy("third-country")
        var toml = try String(contentsOf: dir.appendingPathComponent("operation.toml"), encoding: .utf8)
        let before = toml
        let made = try Liaison.run(["new", "plugin", "io-desk", "--agency", "OMBUDS", dir.path])
        #expect(made.status == 0, "\(made.stderr)")
        toml = try String(contentsOf: dir.appendingPathComponent("operation.toml"), encoding: .utf8)
        #expect(toml == before.replacingOccurrences(of: "id = \"OMBUDS\"\n", with: "id = \"OMBUDS\"\nplugins = [\"io-desk\"]\n"))
        #expect(try Liaison.run(["test", dir.path, "--seed", "1"]).status == 0)

        let snapshot = try String(contentsOf: dir.appendingPathComponent("operation.toml"), encoding: .utf8)
        let taken = try Liaison.run(["new", "plugin", "io-desk", "--agency", "OMBUDS", dir.path])
        #expect(taken.status == 1 && taken.stderr.contains("plugins/io-desk already exists: choose another name"))
        let stranger = try Liaison.run(["new", "plugin", "x", "--agency", "NOPE", dir.path])
        #expect(stranger.status == 1 && stranger.stderr.contains("NOPE is not an agency of third-country"))
        let bad = try Liaison.run(["new", "plugin", "Bad_Name", "--agency", "IO-PA", dir.path])
        #expect(bad.status == 64 && bad.stderr.contains("'Bad_Name' cannot name a plugin"))
        try "this is not Lua (".write(to: dir.appendingPathComponent("plugins/io-desk/main.lua"), atomically: true, encoding: .utf8)
        let broken = try Liaison.run(["new", "plugin", "another", "--agency", "IO-PA", dir.path])
        #expect(broken.status == 1 && broken.stderr.contains("io-desk"), "\(broken.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".luacheckrc").path))  // from the first, kept
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("plugins/another").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("tests/another_test.lua").path))
        #expect(try String(contentsOf: dir.appendingPathComponent("operation.toml"), encoding: .utf8) == snapshot)
    }
}
