import LuaKit
import Mustache

/// What the fuzz targets (the `LiaisonFuzzing` module) reach of this module's internals, and
/// nothing else does.
package enum FuzzProbes {
    /// A root with every kind of value a template meets, cases as plain fields.
    static var templateRoot: TemplateValue {
        let cases = (0..<3).map { i in
            TemplateValue.fields(["ref": .text("R-\(i)"), "names": .text("Person \(i)"), "document": .text(i == 1 ? "" : "passport")])
        }
        return .fields([
            "from": .text("US-ENF"), "to": .text("IR-MFA/consular"), "now": .text("2026-12-09T08:00:00Z"), "due": .text(""),
            "case": cases[0], "cases": .list(cases), "count": .number(3),
            "data": .fields(["place": .text("IKA <&>"), "urgent": .flag(true), "none": .flag(false), "n": .number(0)]),
        ])
    }

    /// Parses `text` as a notice template and renders it both ways: the compiled renderer's
    /// text (nil when the template is outside its subset or hands over to swift-mustache) and
    /// swift-mustache's. Throws what the parser throws.
    package static func renderTemplate(_ text: String) throws -> (compiled: String?, reference: String) {
        let template = try NoticeTemplate(text: text)
        let root = templateRoot
        let compiled = template.compiled.flatMap { TemplateRenderer.render($0, root) }
        return (compiled, template.mustache.render(root.mustacheValue))
    }

    /// What a plugin's state keeps of `value` and gives back, or the error `ctx:remember`
    /// would raise.
    package static func keptState(_ value: LuaValue) throws -> LuaValue {
        try StateValue(json: StateValue(lua: value, key: "fuzz").json).lua
    }
}
