import Foundation
import LiaisonModel
import LuaKit
import Mustache

/// Composes a notice from a template as `ctx:send_notice` does, without Lua: an embedding
/// application sends a rendered notice through it too (`Engine.send`).
///
/// The text carries what both the sender and the recipient may see of the cases, and no more: a
/// template that prints a field one of them may not see is refused (it would print blank), not
/// rendered with blanks. The notice is then a command like any other, which the rules decide.
public struct NoticeComposer {
    /// The template's name (its file's, without `.mustache`), recorded with the notice.
    public let name: String
    let template: NoticeTemplate
    /// What a notice from this template asks its recipient to answer (`ctx:reply`).
    public var asks: [NoticeQuestion] = []

    /// A value a template may print besides the cases: `{{data.KEY}}`.
    public enum Value: Sendable { case text(String), flag(Bool) }

    /// Parses `text` (Mustache, rendered as plain text); throws the parser's error.
    public init(name: String, text: String, asks: [NoticeQuestion] = []) throws {
        self.name = name
        template = try NoticeTemplate(text: text)
        self.asks = asks
    }

    init(name: String, template: NoticeTemplate, asks: [NoticeQuestion]) {
        (self.name, self.template, self.asks) = (name, template, asks)
    }

    /// The notice `ref` from `sender` to `to` (`AGENCY` or `AGENCY/contact`) about `cases`,
    /// rendered at `now` with what `sender` and the recipient may both see in `model`.
    public func compose(_ ref: NoticeRef, from sender: AgencyID, to: String, cases: [CaseRef], due: Date?, data: [String: Value] = [:],
                        at now: Date, in model: ModelReader) throws -> Notice {
        let recipient = AgencyID(String(to.prefix { $0 != "/" }))
        guard model.operation.agency(recipient) != nil else {
            throw NoticeError("\(recipient) is not an agency of this operation")
        }
        let shared = try CaseReader(sender, sharedWith: recipient, in: model.operation)
        let blank = template.withheld(from: shared)
        guard blank.isEmpty else {
            throw NoticeError("template '\(name)' prints \(blank.map { "\($0.name) (\($0.category.rawValue))" }.joined(separator: ", ")), which \(sender) and \(recipient) may not both see: it would print blank; send it to an agency that may, or take the field out of the template")
        }
        let caseData = cases.map { TemplateValue.record(NoticeCase(ref: $0, reader: shared, now: now, model: model)) }
        let context: [String: TemplateValue] = [
            "from": .text(sender.rawValue), "to": .text(to), "now": .text(Timestamp.iso(now)),
            "due": .text(due.map(Timestamp.iso) ?? ""), "operation": .text(model.operation.name),
            "case": caseData.first ?? .fields([:]), "cases": .list(caseData), "count": .number(caseData.count),
            "data": .fields(data.mapValues { v in
                switch v {
                case .text(let s): return .text(s)
                case .flag(let b): return .flag(b)
                }
            }),
        ]
        return Notice(ref: ref, from: sender, to: to, template: name, cases: cases, due: due, sentAt: now, body: template.render(.fields(context)),
                      asks: asks)
    }
}

/// Why a notice could not be composed.
public struct NoticeError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension Engine {
    /// Composes a notice from `sender` and gives it, as `ctx:send_notice` would from a handler:
    /// an embedding application's way to send a rendered notice. Returns the outcome (with its
    /// refusal, if the rules refuse it) and the notice's reference.
    @discardableResult
    public func send(_ composer: NoticeComposer, from sender: AgencyID, to: String, cases: [CaseRef], due: Date? = nil,
                     data: [String: NoticeComposer.Value] = [:]) throws -> (ref: NoticeRef, outcome: Outcome) {
        let ref = newNoticeRef()
        let notice = try composer.compose(ref, from: sender, to: to, cases: cases, due: due, data: data, at: now, in: reader)
        return (ref, try submit(.sendNotice(notice), by: sender))
    }
}

extension PluginRuntime {
    /// `ctx:send_notice{to = ..., template = ..., case = ..., cases = {...}, due = ..., data = {...}}`.
    func sendNotice(_ args: LuaArguments) throws -> NoticeRef {
        try require("notice.send")
        let engine = try engineInHandler("ctx:send_notice")
        let entries = try args.entries(1)
        func value(_ k: String) -> LuaValue? { entries.first { $0.key.stringValue == k }?.value }
        guard let to = value("to")?.stringValue, !to.isEmpty else { throw LuaScriptError("ctx:send_notice: 'to' is missing (an agency, or AGENCY/contact)") }
        guard let templateName = value("template")?.stringValue else { throw LuaScriptError("ctx:send_notice: 'template' is missing") }
        guard let template = templates[templateName] else {
            let place = isConsole ? "the templates of \(manifest.agency)'s plugins" : "\(manifest.displayFolder)/templates"
            throw LuaScriptError("ctx:send_notice: no template '\(templateName)' in \(place) (templates: \(templates.keys.sorted().joined(separator: ", ")))")
        }
        var cases: [CaseRef] = []
        for v in [value("case")].compactMap({ $0 }) + (value("cases")?.arrayValue ?? []) {
            if case .object(let h as CaseHandle) = v { cases.append(h.ref) } else if let s = v.stringValue { cases.append(CaseRef(s)) }
        }
        var due: Date?
        switch value("due") {
        case .integer(let n)?: due = Timestamp.date(seconds: Double(n))
        case .number(let d)?: due = Timestamp.date(seconds: d)
        case .string(let s)?: due = Timestamp.parse(s.description).flatMap { Timestamp.date(seconds: $0.timeIntervalSince1970) }
        case nil: break
        case let v?: throw LuaScriptError("ctx:send_notice: 'due' must be a time (seconds since 1970, or ISO 8601 text), not \(v)")
        }
        if value("due") != nil && due == nil {
            throw LuaScriptError("ctx:send_notice: 'due' \(value("due")!) is not a time between 1900 and 2200")
        }
        var data: [String: NoticeComposer.Value] = [:]
        for (k, v) in value("data")?.tableValue ?? [:] {
            guard let key = k.stringValue else { continue }
            switch v {
            case .string(let s): data[key] = .text(s.description)
            case .integer(let n): data[key] = .text(String(n))
            case .number(let d): data[key] = .text(String(d))
            case .boolean(let b): data[key] = .flag(b)
            default: continue
            }
        }
        let notice: Notice
        do {
            notice = try NoticeComposer(name: templateName, template: template, asks: manifest.replies[templateName] ?? [])
                .compose(engine.newNoticeRef(), from: manifest.agency, to: to, cases: cases, due: due, data: data, at: engine.now, in: engine.reader)
        } catch let error as NoticeError {
            throw LuaScriptError("ctx:send_notice: \(error)")
        }
        try engine.applyFromHandler(.sendNotice(notice), by: manifest.agency, origin: origin, giver: self)
        return notice.ref
    }

    static func text(_ v: FieldValue) -> String {
        switch v {
        case .none: return ""
        case .list(let l): return l.map(text).joined(separator: ", ")
        default: return v.description
        }
    }
}

/// A case as a notice's template sees it: a field both the sender and the recipient may see,
/// as text, read only when the template asks for it (a template names a few of the case's
/// thirty fields, or none, and reading each through two disclosure policies was most of what
/// sending a notice cost). It is read through one view granted only what both may see, so a
/// field that filters itself by category (the protection claims among `holds`) is filtered for
/// the recipient too. A withheld, absent or empty field is missing, so `{{#field}}` skips it.
/// A case that does not exist has no fields; the rules then refuse the notice.
private final class NoticeCase: TemplateRecord, MustacheParent, MustacheCustomRenderable {
    let ref: CaseRef
    let reader: CaseReader
    let now: Date
    let model: ModelReader
    private lazy var view: CaseView? = try? reader.view(ref, at: now, in: model)

    init(ref: CaseRef, reader: CaseReader, now: Date, model: ModelReader) {
        (self.ref, self.reader, self.now, self.model) = (ref, reader, now, model)
    }

    func field(_ name: String) -> String? {
        guard let v = view?.readIfDisclosed(name), v != .none, v != .list([]) else { return nil }
        return PluginRuntime.text(v)
    }

    var mustacheValue: Any { self }

    /// `{{case}}` prints the case's reference (and not the name of this type).
    var renderText: String { ref.rawValue }
    var isNull: Bool { false }

    func child(named name: String) -> Any? { field(name).map(NoticeText.init) }
}

/// A case field's text in a notice. Mustache renders a plain `String` through a chain of
/// dynamic casts and `String(describing:)`; a custom renderable is written as it is (a twentieth
/// less rendering work in the gulf-charter benchmark, by `callgrind`). It answers no child
/// names (a section over it looks further up, as over a string) and takes the same transforms
/// as a string (`{{uppercased(names)}}`); a test renders both alike.
private struct NoticeText: MustacheCustomRenderable, MustacheParent, MustacheTransformable {
    let text: String
    var renderText: String { text }
    var isNull: Bool { false }
    func child(named: String) -> Any? { nil }
    func transform(_ name: String) -> Any? { text.transform(name) }
}

