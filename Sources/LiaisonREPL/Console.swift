import CConsole
import Foundation
import LuaKit

/// The terminal side of `liaison repl`: libedit's line editing (arrows, Ctrl-R search, tab
/// completion), history kept in a file across sessions, Ctrl-C that cancels the current input
/// (or stops running code) without leaving, Ctrl-D that leaves. When standard input is not a
/// terminal, the input is read whole as a script: no prompts, no colours.
public enum Console {
    /// The session that answers completions; libedit calls back through a C function.
    nonisolated(unsafe) static var current: ConsoleSession?

    public static var historyPath: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? NSTemporaryDirectory()) + "/.liaison_history"
    }

    /// Reads and evaluates until Ctrl-D or `:quit`.
    public static func interactive(_ session: ConsoleSession) {
        current = session
        cc_setup("liaison", { word, line in
            guard let word, let line, let session = Console.current else { return nil }
            let matches = session.completions(word: String(cString: word), line: String(cString: line))
            guard !matches.isEmpty else { return nil }
            // libedit wants the common prefix first, then the matches, then NULL.
            let common = matches.dropFirst().reduce(matches[0]) { a, b in String(a.commonPrefix(with: b)) }
            let list = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: matches.count + 2)
            list[0] = strdup(matches.count == 1 ? matches[0] : common)
            for (i, m) in matches.enumerated() { list[i + 1] = strdup(m) }
            list[matches.count + 1] = nil
            return list
        })
        cc_history_load(historyPath)
        print("liaison repl: :help for commands, Ctrl-D to leave")
        while true {
            guard let raw = cc_readline(session.prompt) else {
                if cc_interrupted() != 0 {
                    print("")
                    session.cancel()
                    continue
                }
                print("")
                break
            }
            let line = String(cString: raw)
            free(raw)
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { cc_history_add(line) }
            let keepGoing = watchingCtrlC(session) { session.handle(line) }
            if !keepGoing { break }
        }
        cc_history_save(historyPath, 1000)
        current = nil
    }

    /// Runs `body`; Ctrl-C meanwhile interrupts the console's Lua code.
    static func watchingCtrlC<T>(_ session: ConsoleSession, _ body: () -> T) -> T {
        cc_reset_interrupt()
        let interrupter = session.lua.interrupter
        let done = OnceFlag()
        let watcher = Thread {
            while !done.isSet {
                if cc_interrupted() != 0 {
                    cc_reset_interrupt()
                    interrupter.interrupt()
                }
                usleep(10_000)
            }
        }
        watcher.start()
        defer { done.set() }
        return body()
    }

    /// Piped input: every line as typed, nothing else printed.
    public static func script(_ session: ConsoleSession, input: String) {
        for line in input.split(separator: "\n", omittingEmptySubsequences: false) {
            if !session.handle(String(line)) { return }
        }
        session.finishInput()
    }
}

/// A flag set once, read from another thread.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
