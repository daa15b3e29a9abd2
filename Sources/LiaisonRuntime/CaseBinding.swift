import LiaisonModel
import LuaKit

/// How a case reads in Lua, for every kind of case object: a plugin's (`Case`, through its
/// agency's disclosure) and a test's (`ScenarioCase`, as the coordinator). One binding, so the
/// two cannot drift apart, and every read goes through the model's `CaseView`.
public enum CaseBinding {
    /// Adds the case's fields, `discloses`, `has_document`, `active_holds`, printing and
    /// equality to `type`. `view` gives the case as its holder may read it; `field` reads one
    /// field (a plugin reads one without building the whole view); `hint` is what assigning to
    /// a field says to do instead.
    public static func install<H: AnyObject>(on type: LuaType<H>, ref: @escaping (H) -> CaseRef, hint: String,
                                             view: @escaping (H) throws -> CaseView,
                                             field: @escaping (H, String) throws -> FieldValue) {
        for f in CaseView.fields {
            let name = f.name
            type.field(name, hint: hint) { h -> LuaValue in
                do { return try field(h, name).luaValue } catch let e as DisclosureError {
                    throw LuaScriptError("\(e) (ask first with case:discloses(\"\(name)\"))")
                }
            }
        }
        type.method("discloses") { h, args in try view(h).discloses(try args.string(1)) }
        type.method("has_document") { h, args -> Bool in
            let kind = try args.optional(1) { try args.string($0) }
            return try disclosed { try view(h).hasValidDocument(kind: kind) }
        }
        type.method("active_holds") { h, args -> LuaValue in
            let kind = try args.optional(1) { try args.string($0) }
            let v = try view(h)
            _ = try disclosed { try v.read("holds") }
            return .array(v.visibleHolds.filter { kind == nil || $0.kind.rawValue == kind }.map(holdValue))
        }
        type.tostring { h in (try? view(h))?.summary ?? "<case \(ref(h))>" }
        type.eq { ref($0) == ref($1) }
    }

    /// A hold as Lua reads it.
    public static func holdValue(_ h: Hold) -> LuaValue {
        ["id": .integer(Int64(h.id)), "kind": .string(LuaString(h.kind.rawValue)), "raised_by": .string(LuaString(h.raisedBy.rawValue)),
         "reason": .string(LuaString(h.reason)), "lifted": .boolean(h.lifted != nil)]
    }

    /// A case's hold history (a coordinator's), with a disclosure refusal as the script's error.
    public static func disclosedHolds(_ body: () throws -> [Hold]) throws -> [Hold] { try disclosed(body) }

    /// `body`, with a disclosure refusal as the script's error.
    static func disclosed<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DisclosureError { throw LuaScriptError(e.description) }
    }
}
