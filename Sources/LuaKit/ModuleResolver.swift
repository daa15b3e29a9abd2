import Foundation

/// Finds the file behind `require "a.b"` inside one folder, and nowhere else.
///
/// Names are dotted identifiers (`lib.notice`); `a.b` is `a/b.lua`, or `a/b/init.lua`. The
/// file's real path (symbolic links resolved) must lie inside the folder's real path.
struct ModuleResolver {
    let root: URL

    /// Refuses a name that is not a dotted identifier, before any file is looked at.
    static func validate(_ name: String) throws {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !parts.isEmpty && parts.allSatisfy { part in
            guard let first = part.first, first == "_" || first.isASCII && first.isLetter else { return false }
            return part.allSatisfy { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
        }
        guard valid else {
            throw LuaScriptError("module name '\(name)' is not allowed: use dotted names of letters, digits and '_' (for example 'lib.notice')")
        }
    }

    /// The file's path, and the name errors show it by (relative to the root).
    func resolve(_ name: String) throws -> (path: String, shown: String) {
        try Self.validate(name)
        let base = name.replacingOccurrences(of: ".", with: "/")
        let realRoot = root.resolvingSymlinksInPath().standardizedFileURL.path
        for candidate in [base + ".lua", base + "/init.lua"] {
            let url = root.appendingPathComponent(candidate)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let real = url.resolvingSymlinksInPath().standardizedFileURL.path
            guard real.hasPrefix(realRoot.hasSuffix("/") ? realRoot : realRoot + "/") else {
                throw LuaScriptError("module '\(name)' resolves outside the module folder; require only loads files inside it")
            }
            return (real, candidate)
        }
        throw LuaScriptError("module '\(name)' not found: no file '\(base).lua' or '\(base)/init.lua' in the module folder")
    }
}
