import Foundation
@testable import LiaisonRuntime
import Mustache
import Testing

/// The compiled notice renderer must give swift-mustache's bytes, or hand the notice to it.
@Suite("Notice templates: the compiled renderer writes what swift-mustache writes")
struct NoticeTemplateTests {
    /// A case-like record: fields by name, and for swift-mustache a parent giving the same text.
    final class Record: TemplateRecord, MustacheParent {
        let fields: [String: String]
        init(_ fields: [String: String]) { self.fields = fields }
        func field(_ name: String) -> String? { fields[name] }
        var mustacheValue: Any { self }
        func child(named name: String) -> Any? { fields[name] }
    }

    static func reference(_ text: String, _ root: TemplateValue) throws -> String {
        try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text).render(root.mustacheValue)
    }

    static func sampleRoot(cases: Int, flag: Bool = true) -> TemplateValue {
        let records = (0..<cases).map { i in
            TemplateValue.record(Record(["ref": "R-\(i)", "names": "Person \(i)", "vulnerabilities": i % 3 == 0 ? "medical" : "",
                                         "document": "laissez-passer issued"].filter { !$0.value.isEmpty }))
        }
        return .fields([
            "from": .text("US-ENF"), "to": .text("IR-MFA/consular"), "now": .text("2026-12-09T08:00:00Z"), "due": .text(""),
            "operation": .text("Gulf charter"), "case": records.first ?? .fields([:]), "cases": .list(records),
            "count": .number(cases), "data": .fields(["place": .text("IKA"), "movement": .text("M-1"), "urgent": .flag(flag)]),
        ])
    }

    @Test("every example operation's template, over cases with and without each field")
    func exampleTemplates() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples")
        let files = FileManager.default.enumerator(atPath: examples.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".mustache") }
        #expect(files.count >= 10)
        for file in files {
            let text = try String(contentsOf: examples.appendingPathComponent(file), encoding: .utf8)
            let template = try NoticeTemplate(text: text)
            #expect(template.compiled != nil, "\(file) should be in the compiled subset")
            for root in [Self.sampleRoot(cases: 0), Self.sampleRoot(cases: 1), Self.sampleRoot(cases: 7, flag: false)] {
                #expect(template.render(root) == (try Self.reference(text, root)), "\(file)")
            }
        }
    }

    @Test("thousands of generated templates: standalone lines, indentation, CRLF, nesting, comments, stray braces")
    func generatedTemplates() throws {
        var rng = SplitMix(seed: 20261129)
        let names = ["ref", "names", "vulnerabilities", "missing", "count", "data.place", "data.urgent", "case.ref", "case.missing",
                     ".", ".ref", "data", "now", "cases", "due"]
        let sectionNames = ["cases", "case", "data.urgent", "vulnerabilities", "missing", "count", "data", "names", "due", "case.ref"]
        func piece(_ depth: Int) -> String {
            switch rng.next(15) {
            case 0: return "\n"
            case 1: return "\r\n"
            case 2: return "  "
            case 3: return "\t"
            case 4: return "text"
            case 5: return "{"
            case 6: return "}"
            case 7: return "{{! a comment }}"
            case 8: return "{{{\(names[rng.next(names.count)])}}}"
            case 9: return "{{& \(names[rng.next(names.count)]) }}"
            case 10, 11:
                guard depth < 3 else { return "x" }
                let name = sectionNames[rng.next(sectionNames.count)]
                let open = rng.next(2) == 0 ? "#" : "^"
                let body = (0..<rng.next(5)).map { _ in piece(depth + 1) }.joined()
                let lead = rng.next(2) == 0 ? "\n" : ""
                return "\(lead){{\(open)\(name)}}\(rng.next(2) == 0 ? "\n" : "")\(body){{/\(name)}}\(rng.next(2) == 0 ? "\n" : " ")"
            default: return "{{\(names[rng.next(names.count)])}}"
            }
        }
        var parsed = 0, handedOver = 0
        for i in 0..<3_000 {
            let text = (0..<(1 + rng.next(10))).map { _ in piece(0) }.joined()
            let template: NoticeTemplate
            do {
                template = try NoticeTemplate(text: text)
            } catch {
                // The host refuses only what swift-mustache itself refuses (a section closed out
                // of order, say): the reference must refuse it too.
                #expect(throws: (any Error).self, "the host refused what swift-mustache takes: \(text.debugDescription)") {
                    try Self.reference(text, Self.sampleRoot(cases: 1))
                }
                continue
            }
            parsed += 1
            #expect(template.compiled != nil, "in the subset, so compiled: \(text.debugDescription)")
            let root = Self.sampleRoot(cases: i % 4, flag: i % 2 == 0)
            let fast = template.compiled.flatMap { TemplateRenderer.render($0, root) }
            if fast == nil { handedOver += 1 }
            #expect(template.render(root) == (try Self.reference(text, root)), "template \(text.debugDescription)")
        }
        #expect(parsed > 2_000, "most generated templates parse")
        #expect(handedOver > 0, "some print a list or a record, and go to swift-mustache")
    }

    @Test("what the subset leaves to swift-mustache: transforms, partials, other delimiters, HTML")
    func outsideTheSubset() throws {
        for text in ["{{uppercased(names)}}", "{{> other}}", "{{=<% %>=}}<% names %>", "{{% CONTENT_TYPE: HTML}}{{names}}", "{{$block}}x{{/block}}"] {
            let template = try NoticeTemplate(text: text)
            #expect(template.compiled == nil, "\(text)")
            let root = Self.sampleRoot(cases: 1)
            #expect(template.render(root) == (try Self.reference(text, root)), "\(text)")
        }
    }
}

/// A small seeded generator, so a failure names a template that can be found again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
