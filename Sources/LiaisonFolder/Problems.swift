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
            let (line, column) = firstInvalidUTF8(data)
            problems.add(file, line, "byte \(column) of this line is not UTF-8 text: save the file as UTF-8")
            return nil
        }
        return text
    }

    /// The line (from 1) and the byte within it (from 1) where `data` stops being UTF-8.
    static func firstInvalidUTF8(_ data: Data) -> (line: Int, column: Int) {
        var line = 1, lineStart = 0, offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                if scalar == "\n" { line += 1; lineStart = offset }
            case .emptyInput:
                return (line, offset - lineStart + 1)
            case .error:
                return (line, offset - lineStart + 1)
            }
        }
    }

    /// The first NUL or control character (a tab, a line break or a carriage return aside) in
    /// `text`, as its line and character within it: a reference or a name holding one would
    /// reach the ledger, reports and terminals.
    static func firstControlCharacter(_ text: String) -> (line: Int, column: Int, scalar: Unicode.Scalar)? {
        var line = 1, column = 0
        for scalar in text.unicodeScalars {
            column += 1
            if scalar == "\n" { line += 1; column = 0; continue }
            if scalar.properties.generalCategory == .control, scalar != "\t", scalar != "\r" { return (line, column, scalar) }
        }
        return nil
    }
}
