import Foundation
import LiaisonModel
import LiaisonRuntime
import LuaKit

/// Runs `*_test.lua` files: each test in a fresh sandboxed state (busted's `insulate`: globals
/// and loaded modules never leak from one test to the next), with random seeded and the
/// operation clock the only time.
///
/// ```swift
/// let report = try TestRunner(options: .init(seed: 42)).run(files: TestRunner.files(in: ["Examples/gulf-charter"]))
/// print(report.summaryLine)        // "12 passed, 0 failed"
/// ```
public final class TestRunner {
    public struct Options: Sendable {
        /// Only tests whose full name matches this regular expression.
        public var filter: String?
        /// Only tests carrying one of these `#tags`.
        public var tags: [String]
        public var seed: UInt32
        /// Per test: time and memory.
        public var limits: LuaLimits

        public init(filter: String? = nil, tags: [String] = [], seed: UInt32 = 1, limits: LuaLimits = LuaLimits(memory: 256 << 20, time: .seconds(60))) {
            self.filter = filter
            self.tags = tags
            self.seed = seed
            self.limits = limits
        }
    }

    public let options: Options
    /// Told about each test as it ends.
    public var progress: ((TestResult) -> Void)?

    public init(options: Options) { self.options = options }

    /// The test files under `paths`: a `*_test.lua` file as given; in a folder, its `tests/`
    /// folder if it has one (an operation folder), otherwise the folder itself, recursively.
    public static func files(in paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw TestSetupError("\(path): no such file or folder")
            }
            guard isDir.boolValue else { out.append(path); continue }
            let testsFolder = (path as NSString).appendingPathComponent("tests")
            let root = FileManager.default.fileExists(atPath: testsFolder) ? testsFolder : path
            let found = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [])
                .filter { $0.hasSuffix("_test.lua") }.sorted().map { (root as NSString).appendingPathComponent($0) }
            out += found
        }
        return out
    }

    public func run(files: [String]) throws -> TestReport {
        var report = TestReport(seed: options.seed)
        for file in files {
            report.results += try run(file: file)
        }
        return report
    }

    /// Collects a file's tests, then runs each selected one in its own state.
    func run(file: String) throws -> [TestResult] {
        guard let data = FileManager.default.contents(atPath: file) else { throw TestSetupError("\(file): cannot be read") }
        let source = LuaString(bytes: [UInt8](data))
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        let discovery: [DiscoveredTest]
        do {
            let session = try TestSession(folder: folder, options: options)
            defer { session.close() }
            try session.load(source, name: file)
            discovery = try session.discovered()
        } catch {
            let result = TestResult(file: file, name: "(loading \((file as NSString).lastPathComponent))", status: .error,
                                    message: Self.message(error), location: Self.location(error, file), tags: [])
            progress?(result)
            return [result]
        }
        var results: [TestResult] = []
        for (i, test) in discovery.enumerated() {
            guard selected(test) else { continue }
            var result = TestResult(file: file, name: test.name, status: .passed, message: nil, location: test.location, tags: test.tags)
            if test.pending {
                result.status = .skipped
            } else {
                let session = try TestSession(folder: folder, options: options)
                defer { session.close() }
                do {
                    try session.load(source, name: file)
                    try session.runTest(i + 1)
                    if let failure = session.failure { (result.status, result.message, result.location) = (.failed, failure.message, failure.location) }
                } catch {
                    if let failure = session.failure {
                        (result.status, result.message, result.location) = (.failed, failure.message, failure.location)
                    } else {
                        (result.status, result.message) = (.error, Self.message(error))
                        result.location = Self.location(error, file) ?? test.location
                    }
                }
            }
            progress?(result)
            results.append(result)
        }
        return results
    }

    func selected(_ test: DiscoveredTest) -> Bool {
        if let filter = options.filter, test.name.range(of: filter, options: .regularExpression) == nil { return false }
        if !options.tags.isEmpty && Set(options.tags).isDisjoint(with: test.tags) { return false }
        return true
    }

    static func message(_ error: Error) -> String {
        if case let LuaError.runtime(message, _) = error {
            if let loc = PluginLocation.prefix(of: message) { return String(message.dropFirst(loc.count + 1)).trimmingCharacters(in: .whitespaces) }
            return message
        }
        return String(describing: error)
    }

    static func location(_ error: Error, _ file: String) -> String? {
        switch error {
        case let LuaError.runtime(message, _): return PluginLocation.prefix(of: message)
        case let LuaError.syntax(_, line, _): return line.map { "\(file):\($0)" }
        case let LuaError.timeout(_, location), let LuaError.memory(_, location): return location
        default: return nil
        }
    }
}

/// "file.lua:12" at the front of a Lua error message.
enum PluginLocation {
    static func prefix(of message: String) -> String? {
        let parts = message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber) else { return nil }
        return "\(parts[0]):\(parts[1])"
    }
}

struct DiscoveredTest {
    var name: String
    var tags: [String]
    var location: String?
    var pending: Bool
}

public struct TestSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// One sandboxed state with the prelude and the scenario API, for one pass over a test file.
final class TestSession {
    static let preludeName = "liaison/expect.lua"
    let state: LuaState
    var failure: (message: String, location: String?)?
    var scenarios: [ScenarioHandle] = []

    struct AssertionFailed: Error, CustomStringConvertible {
        var description: String
    }

    init(folder: URL, options: TestRunner.Options) throws {
        var sandbox = LuaSandbox(moduleRoot: folder, output: { print($0) })
        sandbox.moduleChunkPrefix = ""
        state = try LuaState(limits: options.limits, sandbox: sandbox)
        let fail = state.function("fail") { [unowned self] args -> LuaNoResults in
            let message = try args.string(1)
            failure = (message, Self.testLocation(args))
            throw AssertionFailed(description: message)
        }
        let whereFunction = state.function("where") { args -> String? in Self.testLocation(args) }
        let show = try state.load(LuaPrinter.source, name: "liaison/show.lua").call().first ?? .nil
        try state.load(TestPrelude.source, name: Self.preludeName).call(arguments: [.function(fail), .function(whereFunction), show])
        try state.run("math.randomseed(\(options.seed))", name: "seed")
        try ScenarioAPI.install(in: self, folder: folder)
    }

    /// The first line on the stack outside the prelude: the test's own.
    static func testLocation(_ args: LuaArguments) -> String? {
        for level in 1...20 {
            guard let loc = args.location(level: level) else { continue }
            if !loc.hasPrefix("liaison/") { return loc }
        }
        return nil
    }

    func load(_ source: LuaString, name: String) throws {
        try state.load(source, name: name).call()
    }

    func discovered() throws -> [DiscoveredTest] {
        guard case .table(let list) = try state.run("return __liaison_tests()", name: "discover").first ?? .nil else { return [] }
        return (1...max(1, list.count)).compactMap { i -> DiscoveredTest? in
            guard case .table(let t)? = list[.integer(Int64(i))] else { return nil }
            func s(_ k: String) -> LuaValue? { t[.string(LuaString(k))] }
            return DiscoveredTest(name: s("name")?.stringValue ?? "?", tags: s("tags")?.arrayValue?.compactMap(\.stringValue) ?? [],
                                  location: s("where")?.stringValue, pending: s("pending")?.boolValue ?? false)
        }
    }

    func runTest(_ index: Int) throws {
        try state.run("__liaison_run(\(index))", name: "run")
    }

    func close() {
        state.close()
        scenarios.removeAll()
    }
}
