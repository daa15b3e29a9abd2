import LiaisonModel
import Mustache

/// A notice template (`templates/*.mustache`): checked and parsed by swift-mustache, which
/// stays the reference and renders anything outside the subset compiled here.
///
/// Why a second renderer. swift-mustache finds every `{{name}}` by splitting the name into a
/// new array of strings and casting each object on the context stack, through `Any`, to four
/// protocols: about 19,000 instructions a lookup (by `callgrind`), and notices were 12% of the
/// gulf-charter benchmark's time, most of it there. The subset every example uses (text,
/// variables, sections, inverted sections, comments, the text content type) is compiled here
/// into nodes whose names are split once, and rendered over `TemplateValue`, a closed set of
/// values, with no casts at all.
///
/// The compiler is a port of swift-mustache 2.1's parser, kept line for line where it decides
/// what text a tag leaves behind (standalone lines, the whitespace before a tag), so both give
/// the same bytes; `NoticeTemplateTests` holds them to it over every example template and over
/// thousands of generated ones. A template using anything else (partials, blocks, lambdas,
/// transforms such as `{{uppercased(names)}}`, other delimiters, HTML escaping) is not compiled,
/// and a compiled one meeting a value it does not render (a list or a case printed as text)
/// hands the whole notice to swift-mustache.
struct NoticeTemplate {
    let mustache: MustacheTemplate
    /// Nil when the template uses more than the compiled subset.
    let compiled: [Node]?
    /// The case fields with a category it prints, and what both sender and recipient must be
    /// granted for none of them to print blank.
    let caseFields: [(name: String, category: FieldCategory)]
    let categories: Set<FieldCategory>

    /// Parses `text` as plain text (nothing is HTML-escaped); throws swift-mustache's errors.
    init(text: String) throws {
        let full = "{{% CONTENT_TYPE: TEXT}}" + text
        mustache = try MustacheTemplate(string: full)
        compiled = TemplateCompiler.compile(full)
        caseFields = PluginChecks.caseFields(inTemplate: text)
        categories = Set(caseFields.map(\.category))
    }

    /// The fields it prints that `reader` (a notice's sender and recipient together) may not see.
    func withheld(from reader: CaseReader) -> [(name: String, category: FieldCategory)] {
        guard !reader.grants(all: categories) else { return [] }
        return caseFields.filter { !reader.grants($0.category) }
    }

    func render(_ root: TemplateValue) -> String {
        if let compiled, let text = TemplateRenderer.render(compiled, root) { return text }
        return mustache.render(root.mustacheValue)
    }

    indirect enum Node {
        case text(String)
        case variable(TemplateName)
        case section(TemplateName, [Node])
        case inverted(TemplateName, [Node])
    }
}

/// A name as swift-mustache resolves it: `.` is the current object; `.a.b` starts from the
/// current object only; `a.b` finds `a` on the nearest object of the stack that has it.
struct TemplateName {
    let segments: [String]
    let fromTop: Bool

    init(_ name: String) {
        segments = name == "." ? [] : name.split(separator: ".").map(String.init)
        fromTop = name.first == "."
    }
}

/// What a notice template reads: text, numbers, flags, lists, tables of named values, and
/// records (a case) that read their fields only when asked.
enum TemplateValue {
    case text(String)
    case number(Int)
    case flag(Bool)
    case list([TemplateValue])
    case fields([String: TemplateValue])
    case record(TemplateRecord)

    /// The same value as swift-mustache's renderer takes it.
    var mustacheValue: Any {
        switch self {
        case .text(let s): return s
        case .number(let n): return n
        case .flag(let b): return b
        case .list(let l): return l.map(\.mustacheValue)
        case .fields(let f): return f.mapValues(\.mustacheValue)
        case .record(let r): return r.mustacheValue
        }
    }

    /// The value's child called `name`: what swift-mustache finds through `MustacheParent` (a
    /// table, a record) or a mirror (nothing, for text, numbers, flags and lists).
    func child(_ name: String) -> TemplateValue? {
        switch self {
        case .fields(let f): return f[name]
        case .record(let r): return r.field(name).map(TemplateValue.text)
        case .text, .number, .flag, .list: return nil
        }
    }
}

/// A record a template reads field by field (a case, through the notice's disclosure view).
protocol TemplateRecord: AnyObject {
    /// The field's text; nil when it is withheld, absent or empty.
    func field(_ name: String) -> String?
    /// The record for swift-mustache: a `MustacheParent` whose children render as `field` gives.
    var mustacheValue: Any { get }
}

/// Renders compiled nodes as swift-mustache renders their template with the text content type.
enum TemplateRenderer {
    /// Nil when a variable names a list, a table or a record: swift-mustache prints those with
    /// `String(describing:)`, which this does not imitate.
    static func render(_ nodes: [NoticeTemplate.Node], _ root: TemplateValue) -> String? {
        var stack = [root]
        var out = ""
        return render(nodes, &stack, &out) ? out : nil
    }

    private static func render(_ nodes: [NoticeTemplate.Node], _ stack: inout [TemplateValue], _ out: inout String) -> Bool {
        for node in nodes {
            switch node {
            case .text(let t):
                out += t
            case .variable(let name):
                switch lookup(name, stack) {
                case .text(let s)?: out += s
                case .number(let n)?: out += String(n)
                case .flag(let b)?: out += b ? "true" : "false"
                case nil: break
                case .list?, .fields?, .record?: return false
                }
            case let .section(name, body):
                switch lookup(name, stack) {
                case nil: break
                case .flag(let b)?: if b, !render(body, &stack, &out) { return false }
                case .list(let items)?:
                    for item in items {
                        stack.append(item)
                        defer { stack.removeLast() }
                        if !render(body, &stack, &out) { return false }
                    }
                case let value?:
                    stack.append(value)
                    defer { stack.removeLast() }
                    if !render(body, &stack, &out) { return false }
                }
            case let .inverted(name, body):
                let shown: Bool
                switch lookup(name, stack) {
                case nil: shown = true
                case .flag(let b)?: shown = !b
                case .list(let items)?: shown = items.isEmpty
                case .some: shown = false
                }
                if shown, !render(body, &stack, &out) { return false }
            }
        }
        return true
    }

    private static func lookup(_ name: TemplateName, _ stack: [TemplateValue]) -> TemplateValue? {
        guard let first = name.segments.first else { return stack.last }
        var found: TemplateValue?
        if name.fromTop {
            found = stack.last?.child(first)
        } else {
            for object in stack.reversed() {
                if let child = object.child(first) { found = child; break }
            }
        }
        for segment in name.segments.dropFirst() {
            guard let object = found else { return nil }
            found = object.child(segment)
        }
        return found
    }
}

/// swift-mustache 2.1's parser (`MustacheTemplate.parse`), ported for the compiled subset: the
/// same characters read in the same order, the same whitespace kept or dropped. Returns nil for
/// any tag outside the subset, and for anything swift-mustache would refuse.
enum TemplateCompiler {
    static func compile(_ text: String) -> [NoticeTemplate.Node]? {
        var parser = CharacterParser(Array(text))
        guard let nodes = parse(&parser, atNewLine: true, section: nil), parser.atEnd else { return nil }
        return nodes
    }

    private static let nameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")

    /// Parses up to the end, or (for a section) up to and including its closing tag.
    /// `newLine` is what swift-mustache's parser keeps between tags: whether it stands at a
    /// line's start, where a tag alone on its line takes the line with it.
    private static func parse(_ parser: inout CharacterParser, atNewLine: Bool, section: String?) -> [NoticeTemplate.Node]? {
        var nodes: [NoticeTemplate.Node] = []
        var newLine = atNewLine
        var whiteSpaceBefore = ""
        func flushWhiteSpace() {
            if !whiteSpaceBefore.isEmpty { nodes.append(.text(whiteSpaceBefore)); whiteSpaceBefore = "" }
        }
        while !parser.atEnd {
            if newLine { whiteSpaceBefore = parser.read { $0 == " " || $0 == "\t" } }
            let text = readUntilTagOrNewline(&parser)
            if parser.current.isNewline {
                nodes.append(.text(whiteSpaceBefore + text + String(parser.current)))
                newLine = true
                parser.advance()
                continue
            }
            if !text.isEmpty {
                nodes.append(.text(whiteSpaceBefore + text))
                whiteSpaceBefore = ""
                newLine = false
            }
            if parser.atEnd { break }
            var setNewLine = false
            switch parser.current {
            case "#", "^":
                let inverted = parser.current == "^"
                parser.advance()
                guard let name = parseName(&parser) else { return nil }
                if isStandalone(&parser, newLine) { setNewLine = true } else { flushWhiteSpace() }
                // The section starts on a new line only after a standalone tag (which needed one).
                guard let body = parse(&parser, atNewLine: setNewLine, section: name) else { return nil }
                nodes.append(inverted ? .inverted(TemplateName(name), body) : .section(TemplateName(name), body))
            case "/":
                parser.advance()
                guard let name = parseName(&parser), name == section else { return nil }
                if !isStandalone(&parser, newLine) { flushWhiteSpace() }
                return nodes
            case "!":
                parser.advance()
                guard parser.skip(past: "}}") else { return nil }
                setNewLine = isStandalone(&parser, newLine)
            case "{", "&":
                flushWhiteSpace()
                let braced = parser.current == "{"
                parser.advance()
                guard let name = parseName(&parser) else { return nil }
                if braced {
                    guard parser.current == "}" else { return nil }
                    parser.advance()
                }
                nodes.append(.variable(TemplateName(name)))
            case "%":
                // The only configuration the subset takes: the text content type the host
                // puts first. Any other (HTML escaping) is left to swift-mustache.
                parser.advance()
                parser.skipWhiteSpace()
                guard parser.read(while: nameCharacters) == "CONTENT_TYPE" else { return nil }
                parser.skipWhiteSpace()
                guard parser.current == ":" else { return nil }
                parser.advance()
                parser.skipWhiteSpace()
                guard parser.read(while: nameCharacters) == "TEXT" else { return nil }
                parser.skipWhiteSpace()
                guard parser.skip("}}") else { return nil }
                setNewLine = isStandalone(&parser, newLine)
            case ">", "<", "$", "=":
                return nil  // partials, blocks, delimiters: swift-mustache's
            default:
                flushWhiteSpace()
                guard let name = parseName(&parser) else { return nil }
                nodes.append(.variable(TemplateName(name)))
            }
            newLine = setNewLine
        }
        return section == nil ? nodes : nil  // a section never closed
    }

    /// Text up to a newline (not consumed) or past a tag's `{{`.
    private static func readUntilTagOrNewline(_ parser: inout CharacterParser) -> String {
        var text = ""
        while !parser.atEnd {
            text += parser.read { $0 != "\n" && $0 != "\r\n" && $0 != "{" }
            if parser.current.isNewline { break }
            if parser.current == "{" {
                if parser.skip("{{") { break }
                text.append("{")
                parser.advance()
            }
        }
        return text
    }

    /// A name and the closing `}}`; nil for a transform (`f(x)`) or a malformed tag.
    private static func parseName(_ parser: inout CharacterParser) -> String? {
        parser.skipWhiteSpace()
        let name = parser.read(while: nameCharacters)
        parser.skipWhiteSpace()
        guard parser.skip("}}") else { return nil }
        return name
    }

    /// A tag alone on its line: the rest of the line (blanks and the newline) is consumed.
    private static func isStandalone(_ parser: inout CharacterParser, _ newLine: Bool) -> Bool {
        guard newLine else { return false }
        if parser.atEnd { return true }
        var ahead = parser
        _ = ahead.read { $0 == " " || $0 == "\t" }
        guard ahead.current.isNewline else { return false }
        ahead.advance()
        parser = ahead
        return true
    }
}

/// A cursor over a template's characters (as Swift counts them: `\r\n` is one).
private struct CharacterParser {
    let characters: [Character]
    var position = 0

    init(_ characters: [Character]) { self.characters = characters }

    var atEnd: Bool { position == characters.count }
    /// The current character, or NUL at the end (as swift-mustache's parser gives).
    var current: Character { atEnd ? "\0" : characters[position] }
    mutating func advance() { position += 1 }

    mutating func read(while accept: (Character) -> Bool) -> String {
        var s = ""
        while !atEnd, accept(characters[position]) { s.append(characters[position]); position += 1 }
        return s
    }

    mutating func read(while set: Set<Character>) -> String { read { set.contains($0) } }

    mutating func skipWhiteSpace() { _ = read { $0.isWhitespace } }

    /// Consumes `literal` if it comes next.
    mutating func skip(_ literal: String) -> Bool {
        let chars = Array(literal)
        guard characters.count - position >= chars.count, Array(characters[position..<position + chars.count]) == chars else { return false }
        position += chars.count
        return true
    }

    /// Consumes everything up to and including the first `literal`.
    mutating func skip(past literal: String) -> Bool {
        let chars = Array(literal)
        var i = position
        while characters.count - i >= chars.count {
            if Array(characters[i..<i + chars.count]) == chars { position = i + chars.count; return true }
            i += 1
        }
        return false
    }
}
