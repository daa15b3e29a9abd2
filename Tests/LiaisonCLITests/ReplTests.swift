import Foundation
import Testing

/// `liaison repl` on a real terminal: `script` (util-linux, in every Debian) runs it in a new
/// pseudo-terminal that is its controlling terminal, so keystrokes, Ctrl-C and line editing
/// behave as they do for a person; this side writes keystrokes and reads the screen's bytes.
final class Terminal: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    private let lock = NSLock()
    private var bytes = Data()

    init(_ arguments: [String], home: URL, in directory: URL = repositoryRoot) throws {
        let liaison = Liaison.executable.path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qfec", ([liaison] + arguments).map { "'\($0)'" }.joined(separator: " "), "/dev/null"]
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home.path
        env["TERM"] = "xterm"
        process.environment = env
        process.standardInput = input
        let output = Pipe()
        process.standardOutput = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            lock.withLock { bytes.append(d) }
        }
        try process.run()
    }

    /// What the terminal showed so far, without colour and cursor sequences.
    var screen: String {
        let raw = lock.withLock { String(decoding: bytes, as: UTF8.self) }
        return raw.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\u{07}", with: "")
    }

    /// Types `text`, then waits for the console to have taken it, as a person waits to see a
    /// line before typing the next (libedit reads one burst at a time): after a line, until a
    /// new prompt (every prompt ends in "> ") shows; after other keys, until the screen changes.
    /// Ctrl-D alone waits for nothing: the console may be gone.
    func type(_ text: String, expectingPrompt: Bool = true) {
        let (seenBytes, seenPrompts) = lock.withLock { (bytes.count, prompts) }
        // The program may have ended (a run that finished, a console that left): its side of
        // the pipe is closed, and the write fails with EPIPE, which is no test's concern here.
        guard (try? input.fileHandleForWriting.write(contentsOf: Data(text.utf8))) != nil else { return }
        if text == "\u{04}" { return }
        let end = Date().addingTimeInterval(20)
        while Date() < end {
            let (count, shown) = lock.withLock { (bytes.count, prompts) }
            if text.hasSuffix("\n") && expectingPrompt ? shown > seenPrompts : count > seenBytes { return }
            usleep(5_000)
        }
    }

    /// How many prompts the console has shown.
    private var prompts: Int { String(decoding: bytes, as: UTF8.self).components(separatedBy: "> ").count - 1 }

    /// Waits until the screen shows `text` (at least `count` times).
    @discardableResult
    func waitFor(_ text: String, count: Int = 1, timeout: Double = 20) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if screen.components(separatedBy: text).count - 1 >= count { return true }
            usleep(50_000)
        }
        return false
    }

    func close() {
        if process.isRunning { type("\u{04}") }
        let end = Date().addingTimeInterval(10)
        while process.isRunning && Date() < end { usleep(50_000) }
        if process.isRunning { process.terminate() }
    }
}

func temporaryHome() throws -> URL {
    let url = URL(fileURLWithPath: temporaryPath("home"))
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite("liaison repl, driven through a terminal as a person would", .serialized)
struct ReplTests {
    @Test("a multi-line function definition continues with >> and then runs")
    func multiLine() throws {
        let t = try Terminal(["repl"], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("lua> "))
        t.type("function f(x)\n")
        #expect(t.waitFor(">> "))
        t.type("return x * 2\n")
        t.type("end\n")
        t.type("f(21)\n")
        #expect(t.waitFor("\n42\n"), "\(t.screen)")
    }

    @Test("Tab completes a case's methods after ':' and fields after '.'")
    func completion() throws {
        let t = try Terminal(["repl", "Examples/gulf-charter"], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("(coordinator)> "))
        t.type("c = model.case('R-0001')\n")
        t.type("c:sch\t")
        #expect(t.waitFor("c:schedule"), "\(t.screen)")
        t.type("\u{15}")  // Ctrl-U: drop the line
        t.type("c.fit_to\t")
        #expect(t.waitFor("c.fit_to_fly"), "\(t.screen)")
        t.type("_e\t\n")
        #expect(t.waitFor("\nnil\n"), "\(t.screen)")
        // Inside the standard library's tables, and the user's own.
        t.type("string.up\t")
        #expect(t.waitFor("string.upper"), "\(t.screen)")
        t.type("\u{15}")
        t.type("mine = { alpha = 1, beta = 2 }\n")
        t.type("mine.al\t")
        #expect(t.waitFor("mine.alpha"), "\(t.screen)")
        t.type("\n")
        #expect(t.waitFor("\n1\n"), "\(t.screen)")
    }

    @Test(":help NAME on a terminal describes an API member, and ctx at the prompt is the console's agency's")
    func helpAndContext() throws {
        let t = try Terminal(["repl", "Examples/gulf-charter", "--as", "IR-MFA"], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("as IR-MFA> "))
        t.type(":help reply\n")
        #expect(t.waitFor("Context:reply(notice, answers)"), "\(t.screen)")
        #expect(t.waitFor("answers (table<string, string|number|boolean>): an answer for each thing the notice asks"), "\(t.screen)")
        t.type("ctx.agency, ctx.now\n")
        #expect(t.waitFor("\"IR-MFA\"\t1796112000 --[[2026-12-01T08:00:00Z]]"), "\(t.screen)")
    }

    @Test("history: Up recalls the last line, Ctrl-R searches, and history outlives the session")
    func history() throws {
        let home = try temporaryHome()
        let t = try Terminal(["repl"], home: home)
        #expect(t.waitFor("lua> "))
        t.type("6 * 7\n")
        #expect(t.waitFor("\n42\n"))
        t.type("1 + 1\n")
        t.type("\u{1B}[A\u{1B}[A\n")  // Up, Up: 6 * 7 again
        #expect(t.waitFor("\n42\n", count: 2), "\(t.screen)")
        t.close()
        let saved = (try? String(contentsOf: home.appendingPathComponent(".liaison_history"), encoding: .utf8)) ?? "(none)"
        #expect(saved.contains("6\\040*\\0407"), "\(saved)\n\(t.screen)")  // libedit's format writes a space as \040
        let again = try Terminal(["repl"], home: home)
        defer { again.close() }
        #expect(again.waitFor("lua> "))
        again.type("\u{12}6 *")  // Ctrl-R, then the search text
        again.type("\n")
        #expect(again.waitFor("\n42\n"), "\(again.screen)")
    }

    @Test("Ctrl-C cancels a half-typed line without leaving, and stops running code")
    func ctrlC() throws {
        let t = try Terminal(["repl"], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("lua> "))
        t.type("error('this must never run')\u{03}")
        t.type("2 + 3\n")
        #expect(t.waitFor("\n5\n"), "\(t.screen)")
        #expect(!t.screen.contains("this must never run\n"))
        // Ctrl-C once the loop runs (its first line printed), not before it starts.
        t.type("print('looping') while true do end\n", expectingPrompt: false)
        #expect(t.waitFor("looping\n"), "\(t.screen)")
        t.type("\u{03}")
        #expect(t.waitFor("interrupted"), "\(t.screen)")
        t.type("1 + 1\n")
        #expect(t.waitFor("\n2\n"))
    }

    @Test("a refused command shows the model's reason, and :as changes what is visible")
    func refusalAndAs() throws {
        let t = try Terminal(["repl", "Examples/gulf-charter", "--as", "QA-TRANSIT"], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("gulf-charter as QA-TRANSIT> "))
        t.type("model.case('R-0018').vulnerabilities\n")
        #expect(t.waitFor("QA-TRANSIT may not read 'vulnerabilities'"), "\(t.screen)")
        t.type(":as\n")
        #expect(t.waitFor("(coordinator)> "))
        t.type("model.case('R-0018').vulnerabilities\n")
        #expect(t.waitFor("{\"medical\"}"), "\(t.screen)")
        t.type("model.case('R-0007'):depart()\n")
        #expect(t.waitFor("case.depart refused: case R-0007 cannot depart: it is on-hold, not scheduled"), "\(t.screen)")
    }

    @Test(":reload with a broken plugin keeps the running set and says why")
    func reload() throws {
        let copy = URL(fileURLWithPath: temporaryPath("op"))
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/gulf-charter"), to: copy)
        let t = try Terminal(["repl", copy.path], home: try temporaryHome())
        defer { t.close() }
        #expect(t.waitFor("(coordinator)> "))
        try "on('x.y', function(\n".write(to: copy.appendingPathComponent("plugins/monitor/main.lua"), atomically: true, encoding: .utf8)
        t.type(":reload\n")
        #expect(t.waitFor("the running plugins stay"), "\(t.screen)")
        #expect(t.screen.contains("plugins/monitor/main.lua:2:"))
        t.type(":advance 2d\n")
        #expect(t.waitFor("now 2026-12-03T08:00:00Z"), "\(t.screen)")
    }
}

/// Runs `liaison repl ARGUMENTS` with `input` piped in; its exit status and everything it printed.
func pipedRepl(_ arguments: [String], _ input: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = Liaison.executable
    process.arguments = ["repl"] + arguments
    process.currentDirectoryURL = repositoryRoot
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let text = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

@Suite("liaison repl with piped input")
struct ReplScriptTests {
    @Test("piped input runs as a script: no prompts, no colours, output to compare")
    func piped() throws {
        let (status, text) = try pipedRepl(["Examples/gulf-charter"], """
            x = 2
            = x * 21
            function double(n)
              return n * 2
            end
            double(4)
            model.case("R-0007")
            model.case("R-0007"):depart()
            :as QA-TRANSIT
            model.case("R-0018").vulnerabilities
            model.case("R-0018").names
            :as
            :advance 4d
            model.case("R-0007").state
            :events
            { b = 1, a = { "x", true } }

            """)
        #expect(status == 1)  // two lines failed; the rest of the script ran
        #expect(text == """
            42
            8
            <case R-0007 on-hold, 1 hold>
            stdin:1: case.depart refused: case R-0007 cannot depart: it is on-hold, not scheduled
            now seeing and acting as QA-TRANSIT, with its disclosure and what the operation grants it
            stdin:1: QA-TRANSIT may not read 'vulnerabilities' (vulnerability data): the policy for role transit-authority does not grant 'vulnerability' (ask first with case:discloses("vulnerabilities"))
            {"Shirin Proto"}
            now the coordinator: every field, every command
            now 2026-12-05T08:00:00Z; 5 commands ran, timeline 4/16
            plugin us-enf, hook notice.overdue: notice N-000022 to IR-RECEPTION/child-protection is overdue; sending a reminder
            "on-hold"
            fitness.assess by US-ENF: 1 ledger entries
              events: fitness.assessed
              handler calls: 0
            {a = {"x", true}, b = 1}
            liaison repl: 2 errors in the script (shown above)

            """, "\(text)")
    }
}

extension ReplScriptTests {
    @Test("a console speaking for the ministry is shown only what the ministry may learn: its events, its ledger entries, its own plugins' log")
    func consoleAsAgency() throws {
        let (status, text) = try pipedRepl(["Examples/gulf-charter", "--as", "IR-MFA"], """
            :advance 2026-12-06T12:00:00Z
            :ledger 400
            model.case("R-0013"):clear()

            """)
        #expect(status == 1)  // the ministry may not clear a case
        // The sending agency's plugin reacts to the appeal and the claim with notices to its own
        // legal desk and a strike; none of it, nor its log, reaches the ministry's console.
        #expect(!text.contains("legal.record") && !text.contains("hold.raise") && !text.contains("hold-notice"), "\(text)")
        #expect(!text.contains("plugin us-enf"), "\(text)")
        #expect(text.contains("notice.acknowledge"), "\(text)")  // the ministry's own acknowledgements
        #expect(text.contains("entries withheld from IR-MFA"), "\(text)")
        #expect(text.contains("stdin:1: plugin repl lacks permission 'case.clear'") || text.contains("has what the operation grants IR-MFA, and that does not include 'case.clear'"), "\(text)")
    }

    @Test("piped input that ends inside a chunk says so")
    func unfinished() throws {
        let text = try pipedRepl([], "print('before')\nfunction f()\n  return 1\n").output
        #expect(text == "before\nthe input ended inside an unfinished chunk: stdin:3: 'end' expected (to close 'function' at line 1) near <eof>\nliaison repl: 1 error in the script (shown above)\n")
    }
}

extension ReplScriptTests {
    @Test("hostile input ends with a clear error and the console goes on")
    func hostile() throws {
        let text = try pipedRepl([], """
            local t = {} while true do t[#t + 1] = ("x"):rep(1000) .. #t end
            io
            setmetatable({}, { __gc = function() end })
            1 + 1

            """).output
        #expect(text == """
            memory limit of 256 MiB exceeded at stdin:1: the console holds at most that; keep less data alive
            nil
            stdin:1: __gc metamethods are not allowed in the sandbox (a finaliser cannot be interrupted); use __close instead
            2
            liaison repl: 2 errors in the script (shown above)

            """)
    }
}

extension ReplScriptTests {
    @Test(":help NAME describes an API member or an event from the one description; :notices lists the agency's own; :events after a failed chunk says so")
    func helpNoticesEvents() throws {
        let (status, text) = try pipedRepl(["Examples/gulf-charter", "--as", "IR-MFA"], """
            :help remember
            :help case.state-changed
            :help no_such_thing
            model.case("R-0007"):depart()
            :events
            :advance 2026-12-02T09:00:00Z
            :notices

            """)
        #expect(status == 1)  // the unknown name and the refused departure
        #expect(text.hasPrefix("""
            Context:remember(key, value)
              Keeps a value in your plugin's own state: part of this handler's transaction
            """), "\(text)")
        #expect(text.contains("""
            event case.state-changed: any command that moves a case along its states; heard by every agency
                ev.case (Case): the case
            """), "\(text)")
        #expect(text.contains("nothing is called no_such_thing: try a method (schedule)"))
        #expect(text.contains("""
            the last chunk failed and changed nothing: stdin:1: the console as IR-MFA has what the operation grants IR-MFA, and that does not include 'case.depart'
            """), "\(text)")
        let notices = text.split(separator: "\n").filter { $0.hasPrefix("N-") }
        #expect(notices.count == 100, "\(text)")  // the identity requests to its consular desk, and none of the sending agency's own
        #expect(notices.allSatisfy { $0.contains(" -> IR-MFA/consular  identity-request  R-") && $0.hasSuffix("acknowledged 2026-12-01T08:00:00Z") })
    }
}

extension ReplScriptTests {
    @Test(":events counts each event once, in the order first seen")
    func eventsCounted() throws {
        let (status, text) = try pipedRepl(["Examples/gulf-charter"], ":advance 2026-12-15T07:00:00Z\n:events\n")
        #expect(status == 0)
        #expect(text.contains("""
            signal leg.departing by COORDINATOR: 103 ledger entries
              events: leg.departing, case.state-changed ×96, notice.sent ×3, notice.acknowledged ×3
              handler calls: 6

            """), "\(text)")
    }
}

extension ReplScriptTests {
    @Test("ctx at the prompt sends a notice from the agency's templates, is dead after its chunk, and refuses a veto with a reason")
    func promptContext() throws {
        let (status, text) = try pipedRepl(["Examples/gulf-charter", "--as", "IR-RECEPTION"], """
            ctx.agency, ctx.hook
            n = ctx:send_notice{ to = "IR-MFA", template = "reception-record", case = "R-0001" }
            n
            kept = ctx
            kept.agency
            ctx:veto("no")
            ctx:send_notice{ to = "IR-MFA", template = "departure", case = "R-0001" }
            :advance 2026-12-11T10:00:00Z
            model.notices{ template = "minor-reception-request" }[1].reply

            """)
        #expect(status == 1)
        #expect(text.hasPrefix("\"IR-RECEPTION\"\t\"repl\"\n\"N-000102\"\n"), "\(text)")
        #expect(text.contains("\"N-000102\"\nstdin:1: attempt to use a released Context object\n"), "\(text)")
        #expect(text.contains("stdin:1: ctx:veto refuses the command whose event a handler is offered, and at the prompt no event is being handled"), "\(text)")
        #expect(text.contains("stdin:1: ctx:send_notice: no template 'departure' in the templates of IR-RECEPTION's plugins (templates: reception-record)"), "\(text)")
        #expect(text.contains("{family_traced = true, traced_on = \"2026-12-11\"}"), "\(text)")
        #expect(text.hasSuffix("liaison repl: 3 errors in the script (shown above)\n"), "\(text)")
    }
}
