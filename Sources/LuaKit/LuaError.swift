/// What went wrong running Lua code.
///
/// A Swift error thrown by a Swift function that Lua called is not wrapped in a `LuaError`:
/// if the script does not catch it with `pcall`, it arrives back in Swift as itself.
///
/// ```swift
/// do { try state.run("error('no manifest')", name: "main.lua") }
/// catch let error as LuaError { print(error) }   // main.lua:1: no manifest + traceback
/// ```
public enum LuaError: Error, Equatable, CustomStringConvertible {
    /// The chunk did not compile. `line` is nil when Lua did not name one.
    case syntax(chunk: String, line: Int?, message: String)
    /// The code raised an error; `message` usually starts with `file:line:`.
    case runtime(message: String, traceback: String)
    /// The state's memory limit was reached; `location` is where the script was stopped, if known.
    case memory(limit: Int, location: String?)
    /// The call ran past its time budget.
    case timeout(limit: Duration, location: String?)
    /// `LuaState.interrupt()` stopped the call.
    case interrupted(location: String?)
    /// A value could not be converted between Lua and Swift.
    case conversion(String)
    /// The state was closed.
    case closed

    public var description: String {
        switch self {
        case let .syntax(_, _, message):
            return message
        case let .runtime(message, traceback):
            return traceback.isEmpty ? message : message + "\n" + traceback
        case let .memory(limit, location):
            return "memory limit of \(Self.bytes(limit)) exceeded" + Self.at(location)
                + " (raise it with --memory, or keep less data alive)"
        case let .timeout(limit, location):
            return "time limit of \(Self.seconds(limit)) exceeded" + Self.at(location)
                + " (an endless loop? raise it with --timeout if the work is real)"
        case let .interrupted(location):
            return "interrupted" + Self.at(location)
        case let .conversion(message):
            return message
        case .closed:
            return "the Lua state is closed"
        }
    }

    /// True for the three ways the host stops a script from outside: memory, time, interrupt.
    public var isLimit: Bool {
        switch self {
        case .memory, .timeout, .interrupted: return true
        default: return false
        }
    }

    private static func at(_ location: String?) -> String {
        location.map { " at \($0)" } ?? ""
    }

    static func bytes(_ n: Int) -> String {
        n % (1 << 20) == 0 ? "\(n >> 20) MiB" : n % 1024 == 0 ? "\(n >> 10) KiB" : "\(n) bytes"
    }

    static func seconds(_ d: Duration) -> String {
        let (s, atto) = d.components
        if atto == 0 { return "\(s) s" }
        let ms = Double(s) * 1000 + Double(atto) / 1e15
        return ms >= 1000 ? "\(ms / 1000) s" : "\(Int(ms.rounded())) ms"
    }
}

/// Thrown from a Swift function that Lua called, to raise a plain Lua error string
/// (prefixed with the caller's `file:line:`, as Lua's own `error` does). Scripts see a string
/// they can match; any other Swift error reaches them as a value whose `tostring` describes it.
public struct LuaScriptError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A bad argument to a Swift function, reported as Lua reports its own:
/// `bad argument #2 to 'send' (string expected, got nil)`.
public struct LuaArgumentError: Error, CustomStringConvertible {
    /// The argument's position as the script counts it (a method's self is not counted).
    public var position: Int
    public var problem: String
    public init(position: Int, _ problem: String) {
        self.position = position
        self.problem = problem
    }
    public var description: String { "bad argument #\(position) (\(problem))" }
}
