import ArgumentParser
import Foundation
import LiaisonFolder
import LiaisonRuntime
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
    }
    throw ExitCode(1)
}

extension StoreError {
    /// What the user of the command line can do about it.
    var advice: String {
        switch self {
        case .exists: return "continue the run it holds with liaison run --resume, give another --store, or remove it to start the operation again"
        case .missing: return "import the operation first (liaison import OPERATION_DIR)"
        case .notAStore: return "give the path of a store that liaison import or liaison run --store made"
        case .unrecoverable(let p, _, _): return "run 'liaison audit verify --store \(p)' to find the first entry that does not hold"
        case .unusable: return "check the disk (space, permissions), then open the store again"
        case .inUse: return "is a liaison run or repl using it? Wait until that ends, or work on a copy"
        }
    }
}

/// One line of progress on standard error: rewritten in place on a terminal; every 25th step
/// and the last otherwise.
final class ProgressLine {
    private let terminal = isatty(STDERR_FILENO) == 1
    private var count = 0
    private var open = false

    func show(_ text: String, final: Bool) {
        count += 1
        if terminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text.prefix(110)).utf8))
            open = true
            if final { finish() }
        } else if final || count % 25 == 0 {
            progress(text)
        }
    }

    func finish() {
        if open { FileHandle.standardError.write(Data("\n".utf8)) }
        open = false
    }
}
