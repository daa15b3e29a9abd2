import Foundation
import LuaKit
import Testing

/// A state whose `print` output is collected, for tests.
final class Printed: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    var lines: [String] { lock.withLock { storage } }
    func append(_ line: String) { lock.withLock { storage.append(line) } }
}

func makeState(limits: LuaLimits = LuaLimits(memory: 32 << 20, time: .milliseconds(500)),
               moduleRoot: URL? = nil, printed: Printed = Printed()) throws -> LuaState {
    try LuaState(limits: limits, sandbox: LuaSandbox(moduleRoot: moduleRoot, output: { printed.append($0) }))
}

/// Runs `source` and returns the error it ends with, failing the test if it ends without one.
func failure(of source: String, in lua: LuaState, name: String = "test.lua") -> Error? {
    do {
        try lua.run(source, name: name)
        Issue.record("expected \(name) to fail")
        return nil
    } catch {
        return error
    }
}

func runtimeMessage(_ error: Error?) -> String? {
    if case .runtime(let message, _)? = error as? LuaError { return message }
    return nil
}

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("luakit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
