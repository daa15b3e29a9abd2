import ArgumentParser
import Foundation
import LiaisonFolder
import LiaisonPostgres
import LiaisonRuntime
import LiaisonServer
import LiaisonStore

func fail(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs `body`. A problem with what the user gave (an operation folder, its plugins or
/// timeline, a store) is printed as `liaison COMMAND: ...` on standard error and ends the
/// command with status 1; any other error goes on up.
func reportingInputErrors<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ImportError {
        fail("liaison \(command): \(error)")
    } catch let error as PluginLoadError {
        fail("liaison \(command): \(error)")
    } catch let error as StoreError {
        fail("liaison \(command): \(error): \(error.advice)")
    } catch let error as HostError {
        fail("liaison \(command): \(error)")
    } catch let error as PostgresStoreError {
        fail("liaison \(command): \(error)")
    }
    throw ExitCode(1)
}

extension StoreError {
    /// What the user of the command line can do about it.
    var advice: String {
        switch self {
        case .exists: return "continue the run it holds with liaison run --resume, give another --store, or remove it to start the operation again"
        case .missing(let p) where p.hasPrefix("postgres"):
            return "start the operation there first: liaison run OPERATION_DIR --database URL, or liaison serve OPERATION_DIR --database URL (both import it)"
        case .missing: return "import the operation first (liaison import OPERATION_DIR)"
        case .notAStore(let p, _) where p.hasPrefix("postgres"): return "give the URL (and ?schema=) of a store that liaison run or liaison serve made"
        case .notAStore: return "give the path of a store that liaison import or liaison run --store made"
        case .unreachable: return "check the URL (user, host, port, database, ?host= for a Unix socket) and that PostgreSQL runs and lets that user in; scripts/postgres start DIR starts a private one"
        case .unrecoverable(let p, _, _): return "run 'liaison audit verify --store \(p)' to find the first entry that does not hold"
        case .unusable: return "check the disk (space, permissions), then open the store again"
        case .inUse: return "is a liaison run or repl using it? Wait until that ends, or work on a copy"
        case .stale: return "open the store again to read what the other process wrote, then give the command again"
        }
    }
}

/// Progress on standard error. On a terminal, one line rewritten in place: a bar, the count,
/// the rate and the time left, and what is being done
/// (`import [██████░░░░░░░░] 41% 41000/100000  9,800/s  6s left`). Otherwise (a log file, a
/// pipe, CI), plain lines a reader can follow: each step of a short job (a timeline's
/// entries), and for a long one each tenth and the last, never more than one line a second
/// besides them.
final class ProgressLine {
    private let terminal: Bool
    private let write: (String) -> Void
    private let clock: () -> Double
    private var open = false
    private var started: Double?
    private var lastDrawn = -1.0
    private var lastTenth = -1
    private var lastPlain = -1.0
    private(set) var width: Int

    init(terminal: Bool = isatty(STDERR_FILENO) == 1, width: Int? = nil, clock: @escaping () -> Double = { Date().timeIntervalSince1970 },
         write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.terminal = terminal
        self.write = write
        self.clock = clock
        self.width = width ?? Self.terminalWidth()
    }

    /// Step `done` of `total` of `label` (`import`, `timeline`); `detail` says what it is.
    func show(_ label: String, done: Int, total: Int, detail: String = "") {
        let now = clock()
        if started == nil { started = now }
        let final = done >= total
        if terminal {
            // A bar redrawn at most 20 times a second: a million commands would otherwise
            // spend their time writing to the terminal.
            guard final || now - lastDrawn >= 0.05 else { return }
            lastDrawn = now
            write("\r\u{1B}[K" + bar(label, done: done, total: total, detail: detail, elapsed: now - started!))
            open = true
            if final { finish() }
            return
        }
        let tenth = total > 0 ? done * 10 / total : 10
        let plain = total <= 50 || final || tenth > lastTenth && now - lastPlain >= 1 || now - lastPlain >= 30
        guard plain else { return }
        lastTenth = tenth
        lastPlain = now
        write("\(label): \(done)/\(total)" + (detail.isEmpty ? "" : " \(detail)") + "\n")
    }

    /// The bar's line, cut to the terminal's width.
    func bar(_ label: String, done: Int, total: Int, detail: String, elapsed: Double) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let cells = 20
        let filled = Int((fraction * Double(cells)).rounded(.down))
        var line = "\(label) [" + String(repeating: "█", count: filled) + String(repeating: "░", count: cells - filled) + "] "
            + String(format: "%3d%% %d/%d", Int(fraction * 100), done, total)
        if elapsed >= 1, done > 0 {
            let rate = Double(done) / elapsed
            line += "  \(Self.grouped(Int(rate)))/s"
            if done < total { line += "  \(Self.duration(Double(total - done) / rate)) left" }
        }
        if !detail.isEmpty { line += "  " + detail }
        return String(line.prefix(max(20, width - 1)))
    }

    func finish() {
        if open { write("\n") }
        open = false
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 100
    }
}

/// Checks the options that choose a store: `--store PATH` or `--database URL`, not both, and a
/// URL that is one.
func validateStoreOptions(store: String?, database: String?) throws {
    if store != nil && database != nil { throw ValidationError("give --store PATH or --database URL, not both") }
    try validateDatabaseURL(database)
}

func validateDatabaseURL(_ database: String?) throws {
    if let database, PostgresURL(database) == nil {
        throw ValidationError("--database \(database): give a URL such as postgres://USER@HOST:5432/DATABASE?schema=NAME (schema: lower-case letters, digits, _)")
    }
}

/// A client of the server `--server URL` names, with `--token` or LIAISON_TOKEN.
func serverClient(_ server: String, token: String?) throws -> ServerClient {
    guard let base = URL(string: server), base.scheme?.hasPrefix("http") == true else {
        throw ValidationError("--server \(server): give the server's URL, such as http://127.0.0.1:8080")
    }
    return ServerClient(base: base, token: token ?? ProcessInfo.processInfo.environment["LIAISON_TOKEN"])
}
