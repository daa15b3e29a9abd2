import LiaisonModel
import LuaKit

/// A member of the Lua API, described once: its binding is built from the same value (see
/// `APIType`), and so are the editor stubs (`liaison stubs`), the console's completion and the
/// API reference (`liaison reference api`).
public struct APIMember: Sendable {
    public enum Kind: Sendable { case field, method, function }
    /// How a call passes its parameters: in order, in order or as one table
    /// (`case:schedule{movement = "M-1"}`, as every command may), or only as one table
    /// (`ctx:send_notice{to = ..., template = ...}`).
    public enum Passing: Sendable { case positional, positionalOrTable, table }

    /// `Case`, `Movement`, `Handoff`, `Notice`, `Context`, `Model` (the `model` table's
    /// functions) or `_G` (globals); a test's types in the test API.
    public var owner: String
    public var name: String
    public var kind: Kind
    /// The LuaLS type of a field, or of a call's result (`nil` for none).
    public var type: String
    public var params: [CommandSpec.Param]
    public var passing: Passing
    public var doc: String
    /// The category of data a case field is (nil: operational, or not a case field).
    public var category: FieldCategory?

    public init(owner: String, name: String, kind: Kind, type: String, params: [CommandSpec.Param] = [], passing: Passing = .positional,
                doc: String, category: FieldCategory? = nil) {
        (self.owner, self.name, self.kind, self.type, self.params, self.passing, self.doc, self.category) =
            (owner, name, kind, type, params, passing, doc, category)
    }

    /// A parameter, for descriptions.
    public static func param(_ name: String, _ type: String, _ doc: String, optional: Bool = false) -> CommandSpec.Param {
        CommandCatalog.p(name, type, doc, optional: optional)
    }

    /// The LuaLS type of a case field of this shape.
    public static func luaType(of shape: FieldShape) -> String {
        switch shape {
        case .text(let set): return set ?? "string"
        case .optionalText: return "string?"
        case .list(let set): return (set ?? "string") + "[]"
        case .flag: return "boolean"
        case .optionalTime: return "integer?"
        case .count: return "integer"
        }
    }
}

/// A class of the Lua API: each field and method declared once, with its description and its
/// binding, so that the Lua type registered in a state and the members the stubs describe are
/// made from the same declarations and cannot drift apart.
///
/// Built afresh where it is needed (the closures capture nothing but what each declaration
/// names): `luaType()` for a state, `members` for the stubs.
public final class APIType<Handle: AnyObject> {
    public let name: String
    public private(set) var members: [APIMember] = []
    private var binders: [(LuaType<Handle>) -> Void] = []

    public init(_ name: String) { self.name = name }

    /// A read-only field; `hint` ends the error a script gets when it assigns to it.
    @discardableResult
    public func field<V: LuaPushable>(_ name: String, _ type: String, _ doc: String, hint: String? = nil, category: FieldCategory? = nil,
                                      _ get: @escaping (Handle) throws -> V) -> Self {
        members.append(APIMember(owner: self.name, name: name, kind: .field, type: type, doc: doc, category: category))
        binders.append { $0.field(name, hint: hint, get) }
        return self
    }

    /// A method, called as `object:name(...)`; argument 1 is the first after the object.
    @discardableResult
    public func method<R: LuaReturnable>(_ name: String, returns type: String = "nil", _ params: [CommandSpec.Param] = [],
                                         passing: APIMember.Passing = .positional, _ doc: String,
                                         _ body: @escaping (Handle, LuaArguments) throws -> R) -> Self {
        members.append(APIMember(owner: self.name, name: name, kind: .method, type: type, params: params, passing: passing, doc: doc))
        binders.append { $0.method(name, body) }
        return self
    }

    /// `tostring(object)`, and `a == b` between two objects: not members, but part of the type.
    @discardableResult
    public func tostring(_ body: @escaping (Handle) throws -> String) -> Self {
        binders.append { $0.tostring(body) }
        return self
    }

    @discardableResult
    public func eq(_ body: @escaping (Handle, Handle) throws -> Bool) -> Self {
        binders.append { $0.eq(body) }
        return self
    }

    /// The Lua type, to register with a state.
    public func luaType() -> LuaType<Handle> {
        let type = LuaType<Handle>(name)
        for bind in binders { bind(type) }
        return type
    }
}

/// Functions of a table or of the globals, declared as `APIType` declares members: each with
/// its description and its body, which gets the plugin it runs for.
final class APIFunctions {
    let owner: String
    private(set) var members: [APIMember] = []
    /// Each function's name, and how to make it for a plugin (which it holds weakly).
    private(set) var makers: [(name: String, make: (PluginRuntime) -> LuaFunction)] = []

    /// Runs before each body, with the function's name: the model's functions check there
    /// that a handler is running.
    private let before: ((PluginRuntime, String) throws -> Void)?

    init(_ owner: String, before: ((PluginRuntime, String) throws -> Void)? = nil) {
        self.owner = owner
        self.before = before
    }

    @discardableResult
    func function<R: LuaReturnable>(_ name: String, returns type: String = "nil", _ params: [CommandSpec.Param] = [],
                                    passing: APIMember.Passing = .positional, _ doc: String,
                                    _ body: @escaping (PluginRuntime, LuaArguments) throws -> R) -> Self {
        members.append(APIMember(owner: owner, name: name, kind: .function, type: type, params: params, passing: passing, doc: doc))
        let qualified = owner == "_G" ? name : "\(owner.lowercased()).\(name)"
        let before = before
        makers.append((name, { runtime in
            runtime.state.function(qualified) { [weak runtime] args in
                guard let runtime else { throw LuaScriptError("the plugin is unloaded") }
                try before?(runtime, qualified)
                return try body(runtime, args)
            }
        }))
        return self
    }
}
