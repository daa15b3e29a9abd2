import LiaisonModel
import LuaKit

/// How a case reads in Lua, for every kind of case object: a plugin's (`Case`, through its
/// agency's disclosure) and a test's (`ScenarioCase`, as the coordinator). One binding, so the
/// two cannot drift apart, and every read goes through the model's `CaseView`.
public enum CaseBinding {
    /// Declares the case's fields (one per `CaseView.fields`), `discloses`, `has_document`,
    /// `active_holds`, printing and equality on `type`. `view` gives the case as its holder may
    /// read it; `field` reads one field (a plugin reads one without building the whole view);
    /// `hint` is what assigning to a field says to do instead.
    public static func declare<H: AnyObject>(on type: APIType<H>, ref: @escaping (H) -> CaseRef, hint: String,
                                             view: @escaping (H) throws -> CaseView,
                                             field: @escaping (H, String) throws -> FieldValue) {
        for f in CaseView.fields {
            let name = f.name
            let doc = f.doc + " " + (f.category.map { "Disclosed with '\($0.rawValue)'." } ?? "Operational: every agency sees it.")
            type.field(name, APIMember.luaType(of: f.shape), doc, hint: hint, category: f.category) { h -> LuaValue in
                do { return try field(h, name).luaValue } catch let e as DisclosureError {
                    throw LuaScriptError("\(e) (ask first with case:discloses(\"\(name)\"))")
                }
            }
        }
        type.method("discloses", returns: "boolean", [APIMember.param("field", "string", "a field name")],
                    "Whether your agency's disclosure policy lets you read the field.") { h, args in
            try view(h).discloses(try args.string(1))
        }
        type.method("has_document", returns: "boolean", [APIMember.param("kind", "string", "laissez-passer, passport, ...", optional: true)],
                    "Whether a valid travel document (of the kind) is on record. Needs 'travel-document' disclosure.") { h, args -> Bool in
            let kind = try args.optional(1) { try args.string($0) }
            return try disclosed { try view(h).hasValidDocument(kind: kind) }
        }
        type.method("active_holds", returns: "Hold[]", [APIMember.param("kind", "HoldKind", "only holds of this kind", optional: true)],
                    "The active holds. Needs 'legal' disclosure; protection-claim holds need 'protection'.") { h, args -> LuaValue in
            let kind = try args.optional(1) { try args.string($0) }
            let v = try view(h)
            _ = try disclosed { try v.read("holds") }
            return .array(v.visibleHolds.filter { kind == nil || $0.kind.rawValue == kind }.map(holdValue))
        }
        type.tostring { h in (try? view(h))?.summary ?? "<case \(ref(h))>" }
        type.eq { ref($0) == ref($1) }
    }

    /// A hold as Lua reads it; the stubs describe it as the class `Hold`.
    public static func holdValue(_ h: Hold) -> LuaValue {
        ["id": .integer(Int64(h.id)), "kind": .string(LuaString(h.kind.rawValue)), "raised_by": .string(LuaString(h.raisedBy.rawValue)),
         "reason": .string(LuaString(h.reason)), "lifted": .boolean(h.lifted != nil)]
    }

    /// The fields of `holdValue`'s tables, for the stubs.
    public static let holdFields: [CommandSpec.Param] = [
        APIMember.param("id", "integer", "the hold's number on its case"),
        APIMember.param("kind", "HoldKind", "what holds the case"),
        APIMember.param("raised_by", "string", "the agency that raised it"),
        APIMember.param("reason", "string", "why; withheld as \"(withheld)\" unless you may read what its writer may"),
        APIMember.param("lifted", "boolean", "whether it has been lifted"),
    ]

    /// A case's hold history (a coordinator's), with a disclosure refusal as the script's error.
    public static func disclosedHolds(_ body: () throws -> [Hold]) throws -> [Hold] { try disclosed(body) }

    /// `body`, with a disclosure refusal as the script's error.
    static func disclosed<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DisclosureError { throw LuaScriptError(e.description) }
    }
}
