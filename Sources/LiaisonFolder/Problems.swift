import Foundation

/// One thing wrong with an input file.
public struct Problem: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String
    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String { file + (line.map { ":\($0)" } ?? "") + ": " + message }
}

/// An operation folder that was refused whole: nothing was imported.
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public var folder: String
    public var problems: [Problem]
    public init(folder: String, problems: [Problem]) {
        self.folder = folder
        self.problems = problems
    }
    public var description: String {
        let noun = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(noun) in \(folder); nothing was imported:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Problems gathered while reading input, so that one run lists them all.
public struct Problems: Sendable {
    public var list: [Problem] = []
    public init() {}
    public mutating func add(_ file: String, _ line: Int?, _ message: String) {
        list.append(Problem(file: file, line: line, message: message))
    }
    public mutating func add(_ other: Problems) { list += other.list }
}

/// An input file's text.
enum InputFile {
    /// Reads `url` as UTF-8 text; nil, with a problem (`missing` when there is no file), when
    /// it cannot.
    static func text(of url: URL, file: String, missing: String, into problems: inout Problems) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            problems.add(file, nil, missing)
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            problems.add(file, nil, "is not UTF-8 text")
            return nil
        }
        return text
    }
}
