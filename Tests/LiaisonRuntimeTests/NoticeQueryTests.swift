import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonFolder
import LiaisonStore
import Testing

/// `model.notices{...}`: a plugin finds the notices its agency sent or receives, and no other.
@Suite("model.notices")
struct NoticeQueryTests {
    static let plugins: [String: (agency: String, permissions: [String], lua: String, extra: String)] = [
        "enf": ("US-ENF", ["notice.send"], """
            on("test.go", function(ev, ctx)
              ctx:send_notice{ to = "IR-MFA/consular", template = "ask", case = "R-1" }
              ctx:send_notice{ to = "IR-MFA", template = "tell", case = "R-2" }
              ctx:send_notice{ to = "QA-TRANSIT", template = "ask", case = "R-3" }
              local refs = {}
              for _, n in ipairs(model.notices{}) do refs[#refs + 1] = n.ref .. ">" .. n.to end
              ctx:log("enf sent " .. table.concat(refs, " "))
            end)
            """, ""),
        "mfa": ("IR-MFA", ["notice.acknowledge"], """
            local function list(filter)
              local refs = {}
              for _, n in ipairs(model.notices(filter)) do refs[#refs + 1] = n.ref .. ":" .. n.template end
              return table.concat(refs, " ")
            end
            on("a.b", function(ev, ctx)
              ctx:log("all " .. list())
              ctx:acknowledge(model.notices{ template = "tell" }[1])
              ctx:log("open " .. list{ open = true })
              ctx:log("answered " .. list{ open = false })
              ctx:log("consular " .. list{ to = "IR-MFA/consular" })
              ctx:log("from enf " .. list{ from = "US-ENF", template = "ask" })
              ctx:log("from me " .. list{ from = "IR-MFA" })
              local ok, err = pcall(model.notices, { recipient = "IR-MFA" })
              ctx:log(err)
            end)
            """, ""),
        "qa": ("QA-TRANSIT", [], """
            on("a.b", function(ev, ctx) ctx:log("transit sees " .. #model.notices{} .. " " .. model.notices{}[1].template) end)
            """, ""),
    ]

    @Test("each agency lists what it sent or receives, by address, sender, template and answer, within the transaction too")
    func listed() throws {
        let op = try TestOperation(plugins: Self.plugins, templates: ["enf": ["ask": "Please answer.", "tell": "For your information."]])
        defer { op.remove() }
        let host = try op.host()
        #expect(try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator).failures.isEmpty)
        #expect(try host.engine.submit(.signal(Signal(name: "a.b")), by: .coordinator).failures.isEmpty)
        let lines = host.engine.log.map { $0.components(separatedBy: ": ").dropFirst().joined(separator: ": ") }
        #expect(lines == [
            "enf sent N-000001>IR-MFA/consular N-000002>IR-MFA N-000003>QA-TRANSIT",
            "all N-000001:ask N-000002:tell",
            "open N-000001:ask",
            "answered N-000002:tell",
            "consular N-000001:ask",
            "from enf N-000001:ask",
            "from me ",
            "model.notices: unknown filter \"recipient\" (filters: to, from, template, open)",
            "transit sees 1 ask",
        ])
    }
}

/// `ctx:reply`: the sender's plugin.toml declares what a template's notices ask; the recipient's
/// plugin answers, checked against it; the sender's plugins hear of it.
@Suite("Notice replies")
struct NoticeReplyTests {
    static let asks = """
        [replies.ask]
        traced = "boolean"
        on = "date"
        note = "text?"
        """

    @Test("a reply is checked against what the template asks, a wrong one refused with its file and line; the sender hears of a good one")
    func replies() throws {
        let op = try TestOperation(plugins: [
            "enf": ("US-ENF", ["notice.send"], """
                on("test.go", function(ev, ctx)
                  ctx:send_notice{ to = "IR-MFA/consular", template = "ask", case = "R-1" }
                end)
                on("notice.replied", function(ev, ctx)
                  local r = ev.notice.reply
                  ctx:log(("replied by %s: traced=%s on=%s note=%s at %d"):format(ev.by, tostring(r.traced), r.on, r.note, ev.notice.replied_at))
                end)
                """, Self.asks),
            "mfa": ("IR-MFA", ["notice.reply"], """
                on("notice.received", function(ev, ctx)
                  local asks = {}
                  for name, kind in pairs(ev.notice.asks) do asks[#asks + 1] = name .. "=" .. kind end
                  table.sort(asks)
                  ctx:log("asks " .. table.concat(asks, " "))
                  local ok, err = pcall(function() ctx:reply(ev.notice, { traced = "yes", on = "2026-12-01" }) end)
                  ctx:log(err)
                end)
                on("a.b", function(ev, ctx)
                  local n = model.notices{ template = "ask" }[1]
                  if ev.good then ctx:reply(n, { traced = true, on = "2026-12-01" }) return end
                  ctx:reply(n, { traced = true, on = "2026-12-01", lawyer = "met" })
                end)
                """, ""),
        ], templates: ["enf": ["ask": "Please answer."]])
        defer { op.remove() }
        let host = try op.host()
        #expect(try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator).failures.isEmpty)
        let before = try snapshot(host)
        let refused = try host.engine.submit(.signal(Signal(name: "a.b")), by: .coordinator)
        let failure = try #require(refused.failures.first)
        #expect(failure.location == "plugins/mfa/main.lua:12")
        #expect(failure.message.hasSuffix("notice.reply refused: notice N-000001 (template ask) does not ask 'lawyer' (it asks: note: text?, on: date, traced: boolean)"))
        #expect(try snapshot(host) == before)
        #expect(try host.engine.submit(.signal(Signal(name: "a.b", fields: ["good": "1"])), by: .coordinator).failures.isEmpty)
        let lines = host.engine.log.map { $0.components(separatedBy: ": ").dropFirst().joined(separator: ": ") }
        #expect(lines.first == "asks note=text? on=date traced=boolean")
        #expect(lines.dropFirst().first == "plugins/mfa/main.lua:6: ctx:reply: 'traced' must be a boolean, not string")
        let at = Int64(host.engine.now.timeIntervalSince1970.rounded(.down))
        #expect(lines.last == "replied by IR-MFA: traced=true on=2026-12-01 note=nil at \(at)")
        let notice = try #require(try host.store.notice("N-000001"))
        #expect(notice.reply?.answers == [.init(name: "on", value: "2026-12-01"), .init(name: "traced", value: "true")])
        #expect(notice.acknowledgedAt != nil)
        #expect(try host.store.verify().description.hasPrefix("ledger intact"))
    }

    @Test("[replies] must name a template the plugin has and kinds the host knows, each problem with its file and line")
    func declarations() throws {
        let op = try TestOperation(plugins: [
            "enf": ("US-ENF", ["notice.send"], "on('a.b', print)", """
                [replies.ask]
                traced = "yes-or-no"
                Bad-Name = "text"
                [replies.nope]
                x = "text"
                """),
        ], templates: ["enf": ["ask": "Please answer."]])
        defer { op.remove() }
        let folder = try OperationFolder.load(op.url)
        let error = try #require(throws: PluginLoadError.self) { try PluginSet.load(operationFolder: op.url, operation: folder.operation) }
        let lines = error.problems.map(\.description)
        #expect(lines.contains { $0.hasPrefix("plugins/enf/plugin.toml:") && $0.hasSuffix("replies.ask.traced: 'yes-or-no' is not a kind of answer (kinds: text, date, boolean, number; add ? when the answer may be left out)") })
        #expect(lines.contains { $0.hasPrefix("plugins/enf/plugin.toml:") && $0.hasSuffix("replies.ask.Bad-Name: 'Bad-Name' must be lower-case letters, digits and underscores, starting with a letter, at most 64 bytes") })
        #expect(lines.contains { $0.hasPrefix("plugins/enf/plugin.toml:") && $0.hasSuffix("replies.nope: plugins/enf/templates/nope.mustache does not exist: [replies.nope] declares the answers to notices from that template") })
        #expect(lines.count == 3, "\(lines)")
    }
}
