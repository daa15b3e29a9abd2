import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

@Suite("Plugin manifests, loading and reloading")
struct PluginLoadingTests {
    @Test("every manifest problem is listed with file and line, and the set is refused whole")
    func manifestProblems() throws {
        let op = try TestOperation(plugins: [
            "bad": ("XX-NOBODY", ["case.fly"], "on('a.b', print)", "[dependencies]\nmissing = \">=2.0.0\""),
            "good": ("US-ENF", [], "on('a.b', print)", ""),
        ])
        defer { op.remove() }
        try """
            name = "bad"
            version = "1.0"
            agency = "XX-NOBODY"
            api = 2
            permissions = ["case.fly"]
            colour = "blue"
            priority = true
            [limits]
            time_ms = 0
            """.write(to: op.url.appendingPathComponent("plugins/bad/plugin.toml"), atomically: true, encoding: .utf8)
        let folder = try OperationFolder.load(op.url)
        let error = try #require(throws: PluginLoadError.self) { try PluginSet.load(operationFolder: op.url, operation: folder.operation) }
        let lines = error.problems.map(\.description)
        #expect(lines.contains("plugins/bad/plugin.toml:6: colour: is not a key of plugin.toml (keys: agency, api, dependencies, entry, incompatible, limits, name, permissions, priority, replies, version)"))
        #expect(lines.contains("plugins/bad/plugin.toml:2: version: '1.0' is not a semantic version (MAJOR.MINOR.PATCH, for example 1.0.0)"))
        #expect(lines.contains { $0.hasPrefix("plugins/bad/plugin.toml:3: agency: XX-NOBODY is not an agency of operation test-op") })
        #expect(lines.contains("plugins/bad/plugin.toml:4: api: this host offers plugin API 1, not 2"))
        #expect(lines.contains { $0.hasPrefix("plugins/bad/plugin.toml:5: permissions: 'case.fly' is not a permission") })
        // TOML's true is not the number 1, nor 0 a time limit.
        #expect(lines.contains("plugins/bad/plugin.toml:7: priority: must be a whole number"))
        #expect(lines.contains("plugins/bad/plugin.toml:9: limits.time_ms: must be a positive whole number"))
    }

    @Test("mistakes are refused at load with file and line: a misspelt event with the nearest name, an unknown template, a template printing what its recipient may never see")
    func loadMistakes() throws {
        let lua = """
            on("case.state_changed", function(ev, ctx) end)
            on("hold.raisd", function(ev, ctx) end)
            on("leg.departing", function(ev, ctx) end)
            on("test.go", function(ev, ctx)
              ctx:send_notice{ to = "IR-MFA/consular", template = "identity-reqest", case = ev.case }
              ctx:send_notice{
                to = "QA-TRANSIT",
                template = "medical",
                case = ev.case,
              }
              ctx:send_notice{ to = "XX-NOBODY", template = "medical" }
              -- a recipient computed at run time is checked when the notice is sent
              ctx:send_notice{ to = ev.to, template = "medical" }
            end)
            """
        let op = try TestOperation(plugins: ["p": ("US-ENF", ["notice.send"], lua, "")],
                                   templates: ["p": ["identity-request": "{{case.names}}", "medical": "{{#cases}}{{ref}}: {{fit_to_fly_conditions}}{{/cases}}"]])
        defer { op.remove() }
        let error = try #require(throws: PluginLoadError.self) { try op.host() }
        let known = "(events are the model's, which `liaison stubs` lists, and the signals timeline.toml gives or operation.toml lists under signals)"
        #expect(error.problems.map(\.description) == [
            "plugins/p/main.lua:1: on(): no event 'case.state_changed' is ever given in this operation; did you mean 'case.state-changed'? \(known)",
            "plugins/p/main.lua:2: on(): no event 'hold.raisd' is ever given in this operation; did you mean 'hold.raised'? \(known)",
            "plugins/p/main.lua:3: on(): no event 'leg.departing' is ever given in this operation \(known)",
            "plugins/p/main.lua:5: ctx:send_notice names template 'identity-reqest', which plugins/p/templates does not have (did you mean 'identity-request'?) (templates: identity-request, medical)",
            "plugins/p/main.lua:6: ctx:send_notice{ to = \"QA-TRANSIT\", template = \"medical\" }: the template prints fit_to_fly_conditions (medical), which US-ENF and QA-TRANSIT may not both see, so it would print blank",
            "plugins/p/main.lua:11: ctx:send_notice is addressed to 'XX-NOBODY', but XX-NOBODY is not an agency of operation test-op (agencies: US-ENF, QA-TRANSIT, IR-MFA, IR-RECEPTION)",
        ])
    }

    @Test("a signal the timeline gives, or operation.toml lists, may be subscribed to")
    func knownSignals() throws {
        let timeline = """
            [[events]]
            at = "2026-12-02T08:00:00Z"
            signal = "leg.departing"
            """
        let op = try TestOperation(plugins: ["p": ("US-ENF", [], "on('leg.departing', print) on('intake.review', print)", "")], timeline: timeline,
                                   signals: ["intake.review"])
        defer { op.remove() }
        #expect(try op.host().engine.plugins.plugins.first?.handlers.map(\.event) == ["leg.departing", "intake.review"])
    }

    @Test("dependencies: missing, wrong version, incompatible and cyclic sets are refused")
    func dependencies() throws {
        let op = try TestOperation(plugins: [
            "a": ("US-ENF", [], "on('a.b', print)", "[dependencies]\nb = \"^2\"\nghost = { version = \"*\", optional = true }\nnone = \"*\""),
            "b": ("IR-MFA", [], "on('a.b', print)", "[dependencies]\nc = \"*\"\n[incompatible]\na = \"<2.0.0\""),
            "c": ("QA-TRANSIT", [], "on('a.b', print)", "[dependencies]\nb = \"*\""),
        ])
        defer { op.remove() }
        let folder = try OperationFolder.load(op.url)
        let error = try #require(throws: PluginLoadError.self) { try PluginSet.load(operationFolder: op.url, operation: folder.operation) }
        let text = error.description
        #expect(text.contains("dependencies.b: needs b ^2, but plugins/ has 1.0.0"))
        #expect(text.contains("dependencies.none: plugin none * is required but not in plugins/"))
        #expect(!text.contains("ghost"))
        #expect(text.contains("incompatible.a: b cannot run with a 1.0.0"))
        #expect(text.contains("dependencies form a cycle"))
    }

    @Test("version ranges read as npm and Cargo write them")
    func ranges() {
        let v = { Version($0)! }
        #expect(VersionRange("^1.2")!.contains(v("1.9.0")) && !VersionRange("^1.2")!.contains(v("2.0.0")))
        #expect(VersionRange("^0.3.1")!.contains(v("0.3.5")) && !VersionRange("^0.3.1")!.contains(v("0.4.0")))
        #expect(VersionRange("~1.2.3")!.contains(v("1.2.9")) && !VersionRange("~1.2.3")!.contains(v("1.3.0")))
        #expect(VersionRange(">=1.0.0 <2.0.0")!.contains(v("1.5.0")) && !VersionRange(">=1.0.0 <2.0.0")!.contains(v("2.0.0")))
        #expect(VersionRange("1.0.0")!.contains(v("1.0.0")) && !VersionRange("1.0.0")!.contains(v("1.0.1")))
        #expect(VersionRange("*")!.contains(v("9.9.9")))
        #expect(VersionRange("about one") == nil)
        #expect(Version("1.2") == nil)
    }

    @Test("a script error and a template error are listed with file and line")
    func scriptAndTemplateErrors() throws {
        let op = try TestOperation(plugins: ["p": ("US-ENF", [], "on('a.b', function()\n  return 1 +\nend)", "")],
                                   templates: ["p": ["broken": "line one\n{{#open}} never closed"]])
        defer { op.remove() }
        let folder = try OperationFolder.load(op.url)
        let error = try #require(throws: PluginLoadError.self) { try PluginSet.load(operationFolder: op.url, operation: folder.operation) }
        #expect(error.problems.contains { $0.file == "plugins/p/main.lua" && $0.line == 3 })
        #expect(error.problems.contains { $0.file == "plugins/p/templates/broken.mustache" && $0.line != nil })
    }

    @Test("an entry file that loops for ever is stopped while loading")
    func endlessLoad() throws {
        let op = try TestOperation(plugins: ["p": ("US-ENF", [], "while true do end", "")])
        defer { op.remove() }
        let folder = try OperationFolder.load(op.url)
        let error = try #require(throws: PluginLoadError.self) { try PluginSet.load(operationFolder: op.url, operation: folder.operation) }
        #expect(error.description.contains("time limit"))
    }

    @Test("a reload with one broken plugin keeps the old set running; a good reload swaps it in")
    func reload() throws {
        let op = try TestOperation(plugins: [
            "enf": ("US-ENF", ["case.clear"], "on('test.go', function() model.case('R-3'):clear() end)", ""),
            "mfa": ("IR-MFA", [], "on('test.go', function(ev, ctx) ctx:log('mfa v1') end)", ""),
        ])
        defer { op.remove() }
        let host = try op.host()
        let old = host.engine.plugins
        try "on('test.go', function(ev, ctx) ctx:log('mfa v2') end)".write(to: op.url.appendingPathComponent("plugins/mfa/main.lua"), atomically: true, encoding: .utf8)
        try "on('test.go', function(\n".write(to: op.url.appendingPathComponent("plugins/enf/main.lua"), atomically: true, encoding: .utf8)
        #expect(throws: PluginLoadError.self) { try host.engine.reload(operationFolder: op.url) }
        #expect(host.engine.plugins === old)
        try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(try host.progress("R-3") == "cleared")
        #expect(host.engine.log.last == "plugin mfa, hook test.go: mfa v1")

        try "on('test.go', function(ev, ctx) ctx:log('enf v2') end)".write(to: op.url.appendingPathComponent("plugins/enf/main.lua"), atomically: true, encoding: .utf8)
        try host.engine.reload(operationFolder: op.url)
        #expect(host.engine.plugins !== old)
        try host.engine.submit(.signal(Signal(name: "test.go")), by: .coordinator)
        #expect(host.engine.log.suffix(2) == ["plugin enf, hook test.go: enf v2", "plugin mfa, hook test.go: mfa v2"])
    }

    @Test("timeline problems are listed by line")
    func timelineProblems() throws {
        let op = try TestOperation(timeline: """
            [[events]]
            at = "2026-12-02T09:00:00Z"
            actor = "US-ENF"
            command = "case.fly"
            case = "R-1"

            [[events]]
            at = "soon"
            signal = "x.y"

            [[events]]
            at = "2026-12-02T09:00:00Z"
            actor = "NOBODY"
            signal = "x.y"
            """)
        defer { op.remove() }
        let folder = try OperationFolder.load(op.url)
        let error = try #require(throws: ImportError.self) { try Timeline.load(op.url, operation: folder.operation) }
        let lines = error.problems.map(\.description)
        #expect(lines.contains { $0.hasPrefix("timeline.toml:4: events[0].command: 'case.fly' is not a command") })
        #expect(lines.contains { $0.hasPrefix("timeline.toml:8: events[1].at: 'soon' is not a date") })
        #expect(lines.contains { $0.hasPrefix("timeline.toml:13: events[2].actor: NOBODY is not an agency") })
    }
}
