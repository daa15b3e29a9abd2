import Foundation
import LiaisonModel
import LiaisonServer
import LuaKit

/// What `liaison repl --server URL --token TOKEN` adds to a plain console: the operation a
/// server holds, as the token's agency may see it and act on it, through the server's API. The
/// server decides everything (disclosure, grants, rules); the console only asks.
///
///     model.case("R-0007")               -- the case's fields the agency may read
///     model.cases{ state = "on-hold" }    -- every case, or those matching the fields given
///     model.case("R-0007"):raise_hold{ kind = "fit-to-fly", reason = "clinic" }
///     model.command("handoff.propose", { cases = {"R-0007"}, to = "QA-TRANSIT", place = "DOH" })
///     model.notices("inbox"), model.ledger(after), model.head(), model.me()
///     ctx:acknowledge("N-000012"), ctx:reply("N-000012", { accepted = true })
///     :ledger [N], :notices, :events     as on a local console, through the API
///
/// Case methods are the plugin API's (`liaison reference api`), from the same command catalogue.
enum RemoteConsole {
    static let prelude = #"""
    local get, post, methods = ...
    local function command(name, args)
      local answer = post("/v1/commands", { command = name, args = args or {} })
      if answer.status ~= 200 then error("refused (" .. answer.status .. "): " .. tostring(answer.body.detail), 3) end
      return answer.body
    end
    local Case = {}
    Case.__index = function(self, key)
      local name = methods[key]
      if name == nil then return nil end
      return function(c, args)
        local a = {}
        for k, v in pairs(args or {}) do a[k] = v end
        a.case = c.ref
        return command(name, a)
      end
    end
    Case.__tostring = function(c) return "<case " .. c.ref .. " " .. tostring(c.state) .. ">" end
    local function answered(answer, what)
      if answer.status == 404 then return nil end
      if answer.status ~= 200 then error(what .. " (" .. answer.status .. "): " .. tostring(answer.body.detail), 3) end
      return answer.body
    end
    model = {}
    function model.case(ref)
      local c = answered(get("/v1/cases/" .. ref), "model.case")
      return c and setmetatable(c, Case)
    end
    function model.cases(filter)
      local out = {}
      for _, c in ipairs(answered(get("/v1/cases"), "model.cases").cases) do
        local keep = true
        for k, v in pairs(filter or {}) do if c[k] ~= v then keep = false end end
        if keep then out[#out + 1] = setmetatable(c, Case) end
      end
      return out
    end
    function model.command(name, args) return command(name, args) end
    function model.notices(box) return answered(get("/v1/notices" .. (box and ("?box=" .. box) or "")), "model.notices").notices end
    function model.ledger(after, limit)
      return answered(get("/v1/ledger?after=" .. math.tointeger(after or 0) .. "&limit=" .. math.tointeger(limit or 50)), "model.ledger").entries
    end
    function model.head() return answered(get("/v1/ledger/head"), "model.head") end
    function model.me() return answered(get("/v1/me"), "model.me") end
    ctx = {}
    function ctx:acknowledge(ref)
      local a = post("/v1/notices/" .. ref .. "/acknowledge", {})
      return answered(a, "ctx:acknowledge")
    end
    function ctx:reply(ref, answers)
      return answered(post("/v1/notices/" .. ref .. "/reply", { answers = answers }), "ctx:reply")
    end
    """#

    /// Installs `model` and `ctx` in `lua`, speaking to the server through `client`; `answered`
    /// hears the answer to every command, signal, acknowledgement and reply (for `:events`).
    static func install(_ client: ServerClient, in state: LuaState, answered: @escaping (JSONValue) -> Void) throws {
        func answer(_ a: ServerClient.Answer) -> LuaValue {
            .table([.string("status"): .integer(Int64(a.status)), .string("body"): lua(a.json)])
        }
        func lua(_ v: JSONValue) -> LuaValue {
            switch v {
            case .null: return .nil
            case .bool(let b): return .boolean(b)
            case .int(let i): return .integer(Int64(i))
            case .double(let d): return .number(d)
            case .string(let s): return .string(LuaString(s))
            case .array(let a): return .table(Dictionary(uniqueKeysWithValues: a.enumerated().map { (LuaValue.integer(Int64($0.offset + 1)), lua($0.element)) }.filter { $0.1 != .nil }))
            case .object(let o): return .table(Dictionary(uniqueKeysWithValues: o.compactMap { k, v in lua(v) == .nil ? nil : (LuaValue.string(LuaString(k)), lua(v)) }))
            }
        }
        func json(_ v: LuaValue) throws -> JSONValue {
            switch v {
            case .nil: return .null
            case .boolean(let b): return .bool(b)
            case .integer(let i): return .int(Int(i))
            case .number(let d): return .double(d)
            case .string(let s): return .string(s.description)
            case .table(let t):
                if t.isEmpty { return .object([:]) }
                if t.keys.allSatisfy({ if case .integer = $0 { return true } else { return false } }) {
                    return .array(try (1...t.count).map { try json(t[.integer(Int64($0))] ?? .nil) })
                }
                return .object(try Dictionary(uniqueKeysWithValues: t.map { k, v -> (String, JSONValue) in
                    guard case .string(let s) = k else { throw LuaScriptError("a table sent to the server has a key that is not a string: \(k)") }
                    return (s.description, try json(v))
                }))
            default: throw LuaScriptError("a \(v) cannot be sent to the server")
            }
        }
        let get: (LuaArguments) throws -> LuaValue = { args in answer(try client.get(try args.string(1))) }
        let post: (LuaArguments) throws -> LuaValue = { args in
            let a = try client.post(try args.string(1), try json(try args.value(2)))
            answered(a.status == 200 ? a.json : .object(["refusal": .string("refused (\(a.status)): \(a.detail)")]))
            return answer(a)
        }
        try state.register("__remote_get", get)
        try state.register("__remote_post", post)
        var methods: [LuaValue: LuaValue] = [:]
        for spec in CommandCatalog.specs where spec.subject == .case { methods[.string(LuaString(spec.method))] = .string(LuaString(spec.command)) }
        let setup = try state.load(prelude, name: "liaison/remote.lua")
        let g = try state.evaluate("return __remote_get", name: "remote", as: LuaFunction.self)
        let p = try state.evaluate("return __remote_post", name: "remote", as: LuaFunction.self)
        _ = try setup.call(LuaValue.function(g), LuaValue.function(p), LuaValue.table(methods))
        try state.setGlobal("__remote_get", .nil)
        try state.setGlobal("__remote_post", .nil)
    }
}

extension ConsoleSession {
    /// A console onto the operation `client`'s server holds, as the agency its token speaks for.
    public static func remote(_ client: ServerClient, colour: Bool, write: @escaping (String) -> Void) throws -> ConsoleSession {
        let me = try client.get("/v1/me")
        guard me.status == 200 else { throw ConsoleError("\(client.base.absoluteString) refused the token (\(me.status)): \(me.detail)") }
        let session = try ConsoleSession(operation: nil, store: nil, as: nil, colour: colour, write: write)
        session.remotePrompt = "\(me.json["operation"]?.string ?? "operation") as \(me.json["agency"]?.string ?? "?") @ \(client.base.host ?? "server")> "
        session.remote = RemoteConsole.Link(client: client, agency: me.json["agency"]?.string ?? "?")
        try RemoteConsole.install(client, in: session.lua) { [weak session] in session?.remote?.lastAnswer = $0 }
        return session
    }

    /// The console commands on a server: what the API answers, as the token's agency.
    func remoteCommand(_ name: String, _ argument: String, _ link: RemoteConsole.Link) {
        do {
            switch name {
            case ":ledger":
                // The last N entries of the ledger: those the agency may learn of, and how many
                // of them it may not, as on a local console.
                let n = max(1, Int(argument) ?? 10)
                let head = try link.client.get("/v1/ledger/head").json["sequence"]?.int ?? 0
                let after = max(0, head - n)
                let entries = try answer(link.client.get("/v1/ledger?after=\(after)&limit=\(n)"))["entries"]?.array ?? []
                for e in entries {
                    let origin = e["origin"]?.string.map { "  (\($0))" } ?? ""
                    write("\(e["sequence"]?.int ?? 0)  \(e["at"]?.string ?? "")  \(e["actor"]?.string ?? "")  \(e["command"]?.string ?? "")" + origin)
                }
                let withheld = head - after - entries.count
                if withheld > 0 { write("(\(withheld) of the last \(head - after) entries withheld from \(link.agency))") }
            case ":notices":
                let notices = try answer(link.client.get("/v1/notices"))["notices"]?.array ?? []
                if notices.isEmpty { write("no notices") }
                for n in notices {
                    let state: String
                    if let reply = n["reply"]?.object, let at = reply["at"]?.string {
                        let answers = (reply["answers"]?.object ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.string ?? "")" }
                        state = "replied \(at): " + answers.joined(separator: ", ")
                    } else if let at = n["acknowledged_at"]?.string {
                        state = "acknowledged \(at)"
                    } else if let due = n["due"]?.string {
                        state = "open, due \(due)"
                    } else {
                        state = "open"
                    }
                    let cases = (n["cases"]?.array ?? []).compactMap(\.string).joined(separator: " ")
                    write("\(n["ref"]?.string ?? "")  \(n["from"]?.string ?? "") -> \(n["to"]?.string ?? "")  \(n["template"]?.string ?? "")  \(cases)  \(state)")
                }
            case ":events":
                guard let last = link.lastAnswer else { write("no command yet"); return }
                if let refusal = last["refusal"]?.string, last["command"] == nil { write(refusal); return }
                let entries = last["entries"]?.array?.count ?? 0
                write("\(last["command"]?.string ?? "the command"): " + (last["refusal"]?.string.map { "refused: \($0)" } ?? "\(entries) ledger entries"))
                let events = (last["events"]?.array ?? []).compactMap { $0["event"]?.string }
                write("  events: " + (events.isEmpty ? "none" : Self.counted(events)))
                for f in last["failures"]?.array ?? [] { write("  failure: \(f.string ?? "")") }
                for n in last["notices"]?.array ?? [] { write("  notice \(n.string ?? "")") }
            case ":as":
                error(":as is not available on a server: a console speaks for its token's agency (start one with another agency's token)")
            case ":advance":
                error(":advance is not available on a server: the operation's clock is the server's")
            case ":reload":
                error(":reload is not available on a server: replace a plugin with liaison plugins push DIR --server URL --token TOKEN")
            default:
                error("unknown command \(name): type :help")
            }
        } catch {
            self.error(String(describing: error))
        }
    }

    /// The body of a 200, or an error with the server's reason.
    private func answer(_ a: ServerClient.Answer) throws -> JSONValue {
        guard a.status == 200 else { throw ConsoleError("the server answered \(a.status): \(a.detail)") }
        return a.json
    }
}

extension RemoteConsole {
    /// A remote console's server, its agency, and the last command's answer.
    final class Link {
        let client: ServerClient
        let agency: String
        var lastAnswer: JSONValue?
        init(client: ServerClient, agency: String) { (self.client, self.agency) = (client, agency) }
    }
}
