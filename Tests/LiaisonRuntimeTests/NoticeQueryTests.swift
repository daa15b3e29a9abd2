import Foundation
import LiaisonModel
import LiaisonRuntime
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
