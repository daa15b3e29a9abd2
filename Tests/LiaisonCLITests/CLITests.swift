import Foundation
import Testing

/// Runs the built `liaison` executable, as a user would.
struct Liaison {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable beside this test bundle in the build folder (SwiftPM builds it first,
    /// since this test target depends on it).
    static let executable: URL = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0])
        var dir = bundle.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("liaison").path) {
            dir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "")
                .deletingLastPathComponent()
        }
        return dir.appendingPathComponent("liaison")
    }()

    static func run(_ arguments: [String], in directory: URL? = nil, program: String = "liaison") throws -> Result {
        let process = Process()
        process.executableURL = executable.deletingLastPathComponent().appendingPathComponent(program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        // Standard error goes to a file, not a second pipe: a child that fills one pipe while
        // the test reads the other would block for ever (a sanitizer's report is that big).
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errPath.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errPath) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errPath)
        try process.run()
        // A backstop only (no timing is asserted): a run that outlives it has failed to stop.
        let killer = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        let stderr = try FileHandle(forReadingFrom: errPath).readToEnd() ?? Data()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Writes `source` to a file in a fresh folder and runs `liaison lua` on it.
    static func lua(_ source: String, _ options: [String] = ["--timeout", "0.3", "--memory", "16"]) throws -> (Result, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try source.write(to: dir.appendingPathComponent("snippet.lua"), atomically: true, encoding: .utf8)
        return (try run(["lua", "snippet.lua"] + options, in: dir), dir)
    }
}

@Suite("liaison lua, driven from outside")
struct LuaCommandTests {
    @Test("a script's output goes to stdout and it exits 0")
    func success() throws {
        let (result, _) = try Liaison.lua("print('hello', 1 + 1) print(string.format('%5.1f', 2.25))")
        #expect(result.status == 0)
        #expect(result.stdout == "hello\t2\n  2.2\n")
        #expect(result.stderr.isEmpty)
    }

    @Test("an error goes to stderr with file:line and a traceback, and the exit status is 1")
    func error() throws {
        let (result, _) = try Liaison.lua("local function f()\n  error('no travel document')\nend\nf()")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("liaison lua: snippet.lua:2: no travel document\nstack traceback:\n"))
        #expect(result.stderr.contains("snippet.lua:4: in main chunk"))
    }

    @Test("a syntax error names the file and line")
    func syntax() throws {
        let (result, _) = try Liaison.lua("x = = 1")
        #expect(result.status == 1)
        #expect(result.stderr == "liaison lua: snippet.lua:1: unexpected symbol near '='\n")
    }

    @Test("running past --timeout or --memory exits 2 and says which limit and where")
    func limits() throws {
        let (loop, _) = try Liaison.lua("local n = 0\nwhile true do n = n + 1 end")
        #expect(loop.status == 2)
        #expect(loop.stderr.hasPrefix("liaison lua: time limit of 300 ms exceeded at snippet.lua:2"))
        // A minute for the memory bomb, so that only its memory can stop it on a slow machine.
        let (bomb, _) = try Liaison.lua("local t = {} while true do t[#t + 1] = ('x'):rep(1000) end", ["--timeout", "60", "--memory", "16"])
        #expect(bomb.status == 2)
        #expect(bomb.stderr.hasPrefix("liaison lua: memory limit of 16 MiB exceeded"))
    }

    @Test("attempts to act outside the sandbox fail and leave the file system alone")
    func noEffects() throws {
        let (result, dir) = try Liaison.lua("""
            local tries = {
              function() return io.open("written.txt", "w") end,
              function() return os.remove("snippet.lua") end,
              function() return os.execute("touch executed.txt") end,
              function() return os.rename("snippet.lua", "moved.lua") end,
            }
            for _, try in ipairs(tries) do print(pcall(try)) end
            """)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("false\t") })
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(files == ["snippet.lua"])
    }

    @Test("require finds modules beside the file and nowhere else")
    func require() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("plugin/lib"), withIntermediateDirectories: true)
        try "return { greet = function(n) return 'hello ' .. n end }".write(to: dir.appendingPathComponent("plugin/lib/util.lua"), atomically: true, encoding: .utf8)
        try "return 'outside'".write(to: dir.appendingPathComponent("outside.lua"), atomically: true, encoding: .utf8)
        try "print(require('lib.util').greet('R-0042'))\nprint(pcall(require, 'outside'))".write(to: dir.appendingPathComponent("plugin/main.lua"), atomically: true, encoding: .utf8)
        let result = try Liaison.run(["lua", "plugin/main.lua"], in: dir)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("hello R-0042\nfalse\tmodule 'outside' not found"))
    }

    @Test("bad usage says what to type instead")
    func usage() throws {
        let missing = try Liaison.run(["lua", "/nonexistent/plugin.lua"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "liaison lua: /nonexistent/plugin.lua: no such file (give the path of a .lua file)\n")
        let (badTimeout, _) = try Liaison.lua("print(1)", ["--timeout", "0"])
        #expect(badTimeout.status == 64)
        #expect(badTimeout.stderr.contains("--timeout must be a positive number of seconds, for example --timeout 0.5"))
        let help = try Liaison.run(["lua", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Exit status: 0 when the file ran to its end"))
    }

    @Test("the example tour runs and shows each refusal")
    func tour() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try Liaison.run(["lua", "Examples/lua/tour.lua"], in: root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("R-0002  Sam Placeholder  removal    held: appeal pending"))
        #expect(!result.stdout.contains("allowed?!"))
        #expect(result.stdout.hasSuffix("2 of 3 people cleared; 2 notices queued.\n"))
    }
}

/// The hostile scripts of LuaKitTests again, from outside, as an agency would try them.
@Suite("liaison lua against hostile scripts")
struct HostileCommandTests {
    static let cases: [(String, Int32, String)] = [
        ("while true do end", 2, "time limit of 300 ms exceeded"),
        ("while true do pcall(function() while true do end end) end", 2, "time limit"),
        ("coroutine.wrap(function() while true do end end)()", 2, "time limit"),
        ("string.gsub(('a'):rep(9), 'a', function() while true do end end)", 2, "time limit"),
        ("table.sort({3, 2, 1}, function() while true do end end)", 2, "time limit"),
        ("xpcall(error, function() while true do end end)", 2, "time limit"),
        ("print(setmetatable({}, { __tostring = function() while true do end end }))", 2, "time limit"),
        ("return (('a'):rep(5000)):find('.-.-.-.-.-b')", 2, "time limit"),
        ("local s = 'x' while true do s = s .. s end", 2, "memory limit of 16 MiB exceeded"),
        ("while true do pcall(function() local t = {} while true do t[#t+1] = {} end end) end", 2, "memory limit"),
        ("setmetatable({}, { __gc = function() end })", 1, "__gc metamethods are not allowed"),
        ("do local x <close> = setmetatable({}, { __close = function() error('in close') end }) end", 1, "in close"),
        ("return debug.getinfo(1)", 1, "global 'debug'"),
        ("return package.loadlib('libc.so.6', 'system')", 1, "global 'package'"),
        ("return assert(load('\\27Lua'))", 1, "attempt to load a binary chunk"),
        ("setmetatable(_G, nil)", 1, "cannot change a protected metatable"),
        ("local t = setmetatable({}, { __index = function(t, k) return t[k] end }) return t.x", 1, "stack overflow"),
        ("local function f() return 1 + f() end return f()", 2, "memory limit"),
        ("assert(load('return ' .. ('('):rep(100000) .. '1' .. (')'):rep(100000)))", 1, "overflow"),
        ("do local x <close> = setmetatable({}, { __close = function() while true do end end }) error('x') end", 2, "time limit"),
        ("coroutine.wrap(function() local x <close> = setmetatable({}, { __close = function() while true do end end }) while true do end end)()", 2, "time limit"),
        ("return table.move({}, 1, math.maxinteger - 1, 2)", 2, "time limit"),
        ("os.exit(3)", 1, "field 'exit'"),
        ("return os.getenv('HOME')", 1, "field 'getenv'"),
        ("return os.remove('snippet.lua')", 1, "field 'remove'"),
        ("return io.open('snippet.lua')", 1, "global 'io'"),
        ("dofile('/etc/passwd')", 1, "global 'dofile'"),
        ("loadfile('/etc/passwd')", 1, "global 'loadfile'"),
        ("return string.dump(print)", 1, "field 'dump'"),
        ("require('..etc.passwd')", 1, "is not allowed"),
        ("string.upper = nil", 1, "read-only table 'string'"),
    ]

    @Test("each ends with its clear error and exit status", arguments: 0..<cases.count)
    func hostile(_ i: Int) throws {
        let (source, status, fragment) = Self.cases[i]
        // Only a script that must run out of time gets a short budget: the others get a minute,
        // so that their memory or their error, not a slow machine, ends them.
        let timeout = fragment.hasPrefix("time limit") ? "0.3" : "60"
        let (result, _) = try Liaison.lua(source, ["--timeout", timeout, "--memory", "16"])
        #expect(result.status == status, "\(source): \(result.stderr)")
        #expect(result.stderr.contains(fragment), "\(source): \(result.stderr)")
    }
}

@Suite("The command-line reference")
struct CLIReferenceTests {
    @Test("docs/CLI.md holds every command's --help as liaison reference cli prints it, and names every command")
    func cliReference() throws {
        let result = try Liaison.run(["reference", "cli"])
        #expect(result.status == 0)
        let doc = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/CLI.md"), encoding: .utf8)
        #expect(doc.contains(result.stdout), "docs/CLI.md differs from `liaison reference cli`: regenerate it")
        for command in ["run", "repl", "plugins", "test", "replay", "lua", "import", "audit verify", "audit head", "export", "serve", "keygen", "token", "new plugin", "stubs", "reference"] {
            #expect(doc.contains("\n## `liaison \(command)`\n"), "\(command)")
        }
        #expect(!doc.contains("liaison debug"))  // a test tool, hidden from --help
    }
}
