import Foundation
import LiaisonModel
import LuaKit

/// A value a plugin keeps in its state (`ctx:remember`): what JSON can say, read back by Lua as
/// it was kept. Strings are UTF-8 text; numbers finite; tables either lists (keys 1 to n) or
/// records (string keys), nested at most `maximumDepth` deep. A whole float comes back as an
/// integer (JSON does not tell them apart; Lua compares them equal).
enum StateValue: Codable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    case list([StateValue])
    case record([String: StateValue])

    static let maximumDepth = 16

    /// The value a Lua value keeps; throws, naming `key` and what is wrong, for anything else.
    init(lua value: LuaValue, key: String, depth: Int = 0) throws {
        func refuse(_ why: String) -> LuaScriptError {
            LuaScriptError("ctx:remember('\(key)'): \(why); a plugin's state keeps strings, finite numbers, booleans, and tables of them (lists or string keys)")
        }
        switch value {
        case .string(let s):
            guard let text = s.string else { throw refuse("a string that is not UTF-8 text") }
            self = .string(text)
        case .integer(let n): self = .integer(n)
        case .number(let d):
            guard d.isFinite else { throw refuse("\(d) is not a finite number") }
            self = .number(d)
        case .boolean(let b): self = .boolean(b)
        case .table(let t):
            guard depth < Self.maximumDepth else { throw refuse("tables nested deeper than \(Self.maximumDepth)") }
            if t.keys.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
                var record: [String: StateValue] = [:]
                for (k, v) in t {
                    guard case .string(let s) = k, let name = s.string else { throw refuse("a key that is not UTF-8 text") }
                    record[name] = try StateValue(lua: v, key: key, depth: depth + 1)
                }
                self = .record(record)
            } else {
                var list: [StateValue] = []
                for i in 1...max(1, t.count) where !t.isEmpty {
                    guard let v = t[.integer(Int64(i))] else { throw refuse("a table whose keys are neither all strings nor 1 to \(t.count)") }
                    list.append(try StateValue(lua: v, key: key, depth: depth + 1))
                }
                self = .list(list)
            }
        default: throw refuse("a \(value.typeName)")
        }
    }

    var lua: LuaValue {
        switch self {
        case .string(let s): return .string(LuaString(s))
        case .integer(let n): return .integer(n)
        case .number(let d): return .number(d)
        case .boolean(let b): return .boolean(b)
        case .list(let l): return .table(Dictionary(uniqueKeysWithValues: l.enumerated().map { (LuaValue.integer(Int64($0.offset + 1)), $0.element.lua) }))
        case .record(let r): return .table(Dictionary(uniqueKeysWithValues: r.map { (LuaValue.string(LuaString($0.key)), $0.value.lua) }))
        }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .boolean(b) }
        else if let n = try? c.decode(Int64.self) { self = .integer(n) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let l = try? c.decode([StateValue].self) { self = .list(l) }
        else { self = .record(try c.decode([String: StateValue].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .integer(let n): try c.encode(n)
        case .number(let d): try c.encode(d)
        case .boolean(let b): try c.encode(b)
        case .list(let l): try c.encode(l)
        case .record(let r): try c.encode(r)
        }
    }

    /// The JSON the ledger keeps: keys sorted, so the same value is always the same text.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("null".utf8), as: UTF8.self)
    }

    init(json: String) throws {
        self = try JSONDecoder().decode(StateValue.self, from: Data(json.utf8))
    }
}

extension PluginRuntime {
    /// `ctx:remember(key, value)`: keeps (nil: drops) one entry of this plugin's state, as a
    /// command of the running transaction.
    func remember(_ key: String, _ value: LuaValue) throws {
        let engine = try engineInHandler("ctx:remember")
        let json = value.isNil ? nil : try StateValue(lua: value, key: key).json
        let change = PluginStateChange(plugin: name, agency: manifest.agency, key: key, value: json)
        if let problem = change.problem { throw LuaScriptError("ctx:remember: \(problem)") }
        if let json {
            var state = engine.pluginState(name)
            state[key] = json
            let total = state.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
            guard total <= PluginStateChange.maximumTotalBytes else {
                throw LuaScriptError("ctx:remember('\(key)'): plugin \(name) would keep \(total) bytes of state, more than \(PluginStateChange.maximumTotalBytes): drop what it no longer needs with ctx:remember(key, nil)")
            }
        }
        try engine.applyFromHandler(.setPluginState(change), by: manifest.agency, origin: origin, giver: self)
    }

    /// `ctx:recall(key)`: the value kept under `key`, or nil.
    func recall(_ key: String) throws -> LuaValue {
        let engine = try engineInHandler("ctx:recall")
        guard let json = engine.pluginState(name, key) else { return .nil }
        return try StateValue(json: json).lua
    }
}
