import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import PropertyBased
import Synchronization
import Testing

/// Every agency runs a spy plugin that subscribes to every event and writes down everything it
/// can reach from it: every field, every case field its policy discloses, the holds it may list,
/// the notices, handoffs and movements the event hands it, each as text. Generated operations
/// (each agency's grants drawn at random, then a random sequence of commands touching every hold
/// kind and legal event kind) are run, and what each spy wrote is checked against what its
/// agency may know.
/// Shrinking is off: each world runs six plugins through a whole operation, and shrinking a
/// failure takes many of them. A failure prints its seed; to shrink it, run the test alone with
/// that seed (`.fixedSeed`) and `.shrinking`.
@Suite("Disclosure on every channel: spies of every role over generated operations", .shrinking(false))
struct DisclosureMatrixTests {
    @Test("no agency's plugin reaches a fact of a category its grants do not cover, on any event")
    func sentinels() async throws {
        let reached = Mutex([String: Int]())
        await propertyCheck(count: SpyWorld.count(12), input: Gen.int(in: 0...1_000_000).array(of: 40...100)) { numbers in
            do {
                let world = try SpyWorld(numbers)
                defer { world.remove() }
                let seen = try world.run(twin: false)
                for (agency, tokens) in seen { world.checkSentinels(agency, tokens) }
                SpyWorld.checkFieldsDescribed(seen["US-ENF", default: []])
                // What the sending agency, which may see everything, saw: the worlds must reach
                // the facts the others may not see, or the checks above mean nothing.
                for marker in Self.markers {
                    let n = seen["US-ENF", default: []].filter { $0.contains(marker) }.count
                    reached.withLock { $0[marker, default: 0] += n }
                }
            } catch {
                Issue.record("the world could not run: \(error)")
            }
        }
        let counts = reached.withLock { $0 }
        for marker in Self.markers { #expect(counts[marker, default: 0] > 0, "no generated world reached \(marker): \(counts)") }
    }

    static let markers = ["event legal.recorded", "event legal.decided", "protection-claim", "appeal-pending", "event hold.lifted", "event case.struck",
                          "SECRET-STRIKE", "SECRET-OUTCOME", "event data.released", "event notice.sent", "event notice.acknowledged",
                          "event notice.replied", "SECRET-REPLY",
                          "event document.updated", "event handoff.refused", "SECRET-REFUSAL", "event notice.served", "SECRET-CLINICAL",
                          "unaccompanied-minor", "event custody.transferred"]

    @Test("an agency without 'legal' cannot tell a protection claim from an appeal or a stay: its spy sees the same either way")
    func nonInterference() async throws {
        let compared = Mutex(0)
        await propertyCheck(count: SpyWorld.count(8), input: Gen.int(in: 0...1_000_000).array(of: 40...100)) { numbers in
            do {
                let world = try SpyWorld(numbers)
                defer { world.remove() }
                let seen = try world.run(twin: false)
                let twin = try world.run(twin: true)
                // The comparison means something only where the sending agency (which sees
                // everything) told the worlds apart, and some agency lacks 'legal'.
                if seen["US-ENF"] != twin["US-ENF"] && world.granted.values.contains(where: { !$0.contains(.legal) }) {
                    compared.withLock { $0 += 1 }
                }
                for (agency, categories) in world.granted where !categories.contains(.legal) {
                    #expect(seen[agency] == twin[agency], "\(agency) (\(categories.map(\.rawValue).sorted())) told the worlds apart: \(Self.firstDifference(seen[agency] ?? [], twin[agency] ?? []))")
                }
            } catch {
                Issue.record("the world could not run: \(error)")
            }
        }
        #expect(compared.withLock { $0 } >= 3, "too few generated worlds differed where it matters")
    }

    static func firstDifference(_ a: [String], _ b: [String]) -> String {
        for (i, (x, y)) in zip(a, b).enumerated() where x != y { return "token \(i): \(x) / \(y)" }
        return "lengths \(a.count) / \(b.count)"
    }
}

/// One generated operation: six agencies, one of each role, with random disclosure grants; a
/// spy plugin for each; a sequence of external commands.
struct SpyWorld {
    /// How many worlds a property runs: `default` in the suite, more for a long campaign
    /// (`LIAISON_MATRIX_WORLDS=500 swift test --filter DisclosureMatrix`).
    static func count(_ default: Int) -> Int {
        ProcessInfo.processInfo.environment["LIAISON_MATRIX_WORLDS"].flatMap(Int.init) ?? `default`
    }

    static let agencies: [(id: AgencyID, role: AgencyRole)] = [
        ("US-ENF", .sendingEnforcement), ("QA-TRANSIT", .transitAuthority), ("IR-MFA", .destinationMinistry),
        ("IR-RECEPTION", .receptionOrganisation), ("AIR-CARRIER", .carrier), ("MONITOR", .monitor),
    ]
    let url: URL
    let numbers: [Int]
    /// What each agency's policy grants it.
    let granted: [AgencyID: Set<FieldCategory>]

    init(_ numbers: [Int]) throws {
        self.numbers = numbers
        url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-spy-\(UUID().uuidString)")
        // The sending agency sees everything; every other agency a random set of categories.
        var granted: [AgencyID: Set<FieldCategory>] = ["US-ENF": Set(FieldCategory.allCases)]
        for (i, a) in Self.agencies.enumerated().dropFirst() {
            let bits = (numbers.first ?? 0) >> (i * 6)
            var g = Set(FieldCategory.allCases.enumerated().filter { bits & (1 << $0.offset) != 0 }.map(\.element))
            if !g.contains(.legal) { g.remove(.protection) }  // protection is granted only with legal
            granted[a.id] = g
        }
        self.granted = granted
        try write()
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    private func write() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: url, withIntermediateDirectories: true)
        var toml = "name = \"spy-op\"\nstart = \"2026-12-01T08:00:00Z\"\n"
        for a in Self.agencies {
            toml += "[[agencies]]\nid = \"\(a.id)\"\nname = \"\(a.id)\"\ncountry = \"XX\"\nrole = \"\(a.role.rawValue)\"\nplugins = [\"spy-\(a.id.rawValue.lowercased())\"]\n"
        }
        toml += """
            [[movements]]
            ref = "M-1"
            organiser = "US-ENF"
            carrier = "Example Air"
            capacity = 10
            [[movements.legs]]
            from = "AEX"
            to = "DOH"
            departs = "2026-12-20T06:00:00Z"
            arrives = "2026-12-20T20:00:00Z"
            transit_authority = "QA-TRANSIT"
            [lift_rights]
            protection-claim = ["US-ENF"]
            appeal-pending = ["US-ENF"]
            [disclosure.agencies]

            """
        for a in Self.agencies {
            toml += "\(a.id) = [" + granted[a.id]!.map { "\"\($0.rawValue)\"" }.sorted().joined(separator: ", ") + "]\n"
        }
        try toml.write(to: url.appendingPathComponent("operation.toml"), atomically: true, encoding: .utf8)
        try """
            case_ref,person_ref,names,date_of_birth,sex,nationalities,vulnerabilities,track,destination_state,order,order_final_on
            R-1,P-1,Ana Example,1990-01-01,F,IR,medical,removal,IR,A1,2026-10-01
            R-2,P-2,Bijan Sample,1985-05-05,M,IR,,voluntary,IR,,
            R-3,P-3,Cyrus Minor,2014-03-03,M,IR,minor;unaccompanied,removal,IR,A3,2026-10-01
            R-4,P-4,Dara Fictive,1979-03-03,X,AF,,third-country,PA,A4,2026-10-01
            """.write(to: url.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
        let events = EventCatalog.specs.map { "\"\($0.name)\"" }.joined(separator: ", ")
        let fields = CaseView.fields.map { "\"\($0.name)\"" }.joined(separator: ", ")
        for a in Self.agencies {
            let name = "spy-\(a.id.rawValue.lowercased())"
            let folder = url.appendingPathComponent("plugins/\(name)")
            try fm.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
            let permissions = a.id == "US-ENF" ? "[\"notice.send\"]" : a.id == "IR-MFA" ? "[\"notice.acknowledge\", \"notice.reply\"]" : "[]"
            let replies = a.id == "US-ENF" ? "[replies.secret-ministry-template]\nnoted = \"boolean\"\nremark = \"text?\"\n" : ""
            try "name = \"\(name)\"\nversion = \"1.0.0\"\nagency = \"\(a.id)\"\napi = 1\npermissions = \(permissions)\n\(replies)"
                .write(to: folder.appendingPathComponent("plugin.toml"), atomically: true, encoding: .utf8)
            // The sending agency tells the ministry of each strike, in a notice no one else may
            // learn of; the ministry answers it (which acknowledges it too), with a remark no one
            // else may learn of either.
            var acts = ""
            if a.id == "US-ENF" {
                acts = "on('case.struck', function(ev, ctx) ctx:send_notice{ to = 'IR-MFA', template = 'secret-ministry-template', case = ev.case } end)\n"
                try "{{case.ref}} is off the manifest".write(to: folder.appendingPathComponent("templates/secret-ministry-template.mustache"), atomically: true, encoding: .utf8)
            }
            if a.id == "IR-MFA" {
                acts = "on('notice.received', function(ev, ctx) ctx:reply(ev.notice, { noted = true, remark = 'SECRET-REPLY ' .. ev.notice.ref }) end)\n"
            }
            try (Self.spy(events: events, fields: fields) + acts).write(to: folder.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
        }
    }

    static func spy(events: String, fields: String) -> String {
        """
        local fields = { \(fields) }
        local out = {}
        local function rec(ctx, s) out[#out + 1] = tostring(s) end
        local function case_tokens(ctx, c)
          rec(ctx, tostring(c))
          for _, f in ipairs(fields) do
            if c:discloses(f) then
              local v = c[f]
              if type(v) == "table" then for _, x in ipairs(v) do rec(ctx, x) end else rec(ctx, v) end
            else
              rec(ctx, "withheld " .. f)
            end
          end
          local ok, holds = pcall(c.active_holds, c)
          if ok then for _, h in ipairs(holds) do rec(ctx, h.kind); rec(ctx, h.reason); rec(ctx, h.raised_by); rec(ctx, h.id) end else rec(ctx, "holds refused") end
          rec(ctx, "has_document " .. tostring(pcall(c.has_document, c)))
        end
        local function value_tokens(ctx, v)
          if type(v) == "userdata" then
            local s = tostring(v)
            if s:match("^<case") then case_tokens(ctx, v)
            elseif s:match("^<notice") then
              for _, k in ipairs{ "ref", "from", "to", "template", "body", "due", "acknowledged", "replied_at" } do rec(ctx, v[k]) end
              local answers = {}
              for k in pairs(v.reply or {}) do answers[#answers + 1] = k end
              table.sort(answers)  -- pairs() has no order, and the twins must compare equal
              for _, k in ipairs(answers) do rec(ctx, k); rec(ctx, v.reply[k]) end
              for _, c in ipairs(v.cases) do case_tokens(ctx, c) end
            elseif s:match("^<handoff") then
              rec(ctx, s)
              for _, k in ipairs{ "from", "to", "place", "state", "monitor_present" } do rec(ctx, v[k]) end
              for _, d in ipairs(v.documents) do rec(ctx, d) end
              for _, c in ipairs(v:cases()) do case_tokens(ctx, c) end
            elseif s:match("^<movement") then
              rec(ctx, s); rec(ctx, v.booked)
            else rec(ctx, s) end
          elseif type(v) == "table" then for _, x in ipairs(v) do value_tokens(ctx, x) end
          else rec(ctx, v) end
        end
        for _, name in ipairs{ \(events) } do
          on(name, function(ev, ctx)
            out = {}
            rec(ctx, "event " .. ev.name)
            local keys = {}
            for k in pairs(ev) do keys[#keys + 1] = k end
            table.sort(keys)
            for _, k in ipairs(keys) do rec(ctx, "key " .. k); value_tokens(ctx, ev[k]) end
            ctx:log("T " .. table.concat(out, "\\31"))
          end)
        end

        """
    }

    /// Runs the operation and returns what each agency's spy wrote down, in order. In the twin,
    /// every suspensive legal event is of another kind (a protection claim becomes an appeal,
    /// an appeal, stay or injunction a protection claim), and so is every appeal or protection
    /// hold raised by hand: what only `legal` may tell apart.
    func run(twin: Bool) throws -> [AgencyID: [String]] {
        let host = try OperationHost.open(url, store: nil)
        try host.importManifest()
        let engine = host.engine
        var clock = engine.now
        for (i, n) in numbers.dropFirst().enumerated() {
            clock = clock.addingTimeInterval(Double(n % 7) * 3600)
            try engine.advance(to: clock)
            guard let (command, actor) = try Self.command(n, i, host, twin: twin) else { continue }
            try engine.submit(command, by: actor)
        }
        var seen: [AgencyID: [String]] = [:]
        for line in engine.logLines {
            guard let agency = line.agency, let r = line.text.range(of: ": T ") else { continue }
            seen[agency, default: []] += line.text[r.upperBound...].split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        }
        return seen
    }

    static func swap(_ kind: LegalEventKind, suspensive: Bool, twin: Bool) -> LegalEventKind {
        guard twin, suspensive || kind == .protectionClaim else { return kind }
        return kind == .protectionClaim ? .appeal : .protectionClaim
    }

    static func command(_ n: Int, _ i: Int, _ host: OperationHost, twin: Bool) throws -> (Command, AgencyID)? {
        let refs: [CaseRef] = ["R-1", "R-2", "R-3", "R-4"]
        let ref = refs[(n / 32) % 4], p = n / 128
        let store = host.store, now = host.engine.now
        guard let c = try store.returnCase(ref) else { return nil }
        let others: [AgencyID] = ["US-ENF", "QA-TRANSIT", "IR-MFA", "IR-RECEPTION"]
        switch n % 32 {
        case 0:
            let kind = LegalEventKind.allCases[p % 4]
            let suspensive = p % 3 != 0 || kind == .protectionClaim
            return (.recordLegalEvent(ref, kind: swap(kind, suspensive: suspensive, twin: twin), suspensive: suspensive), "US-ENF")
        case 1:
            guard let e = c.legalEvents.first(where: { $0.decidedOn == nil }) else { return nil }
            return (.decideLegalEvent(ref, event: e.id, outcome: "SECRET-OUTCOME-\(i)", removalMayProceed: p % 4 != 0), "US-ENF")
        case 2:
            var kind = HoldKind.allCases[p % 9]
            if twin && kind == .protectionClaim { kind = .appealPending } else if twin && kind == .appealPending { kind = .protectionClaim }
            let raiser = kind == .protectionClaim || kind == .appealPending ? "US-ENF" : others[p % 4]
            return (.raiseHold(ref, kind: kind, reason: "SECRET-HOLD-\(i)", evidence: nil, until: nil), raiser)
        case 3:
            guard let h = c.activeHolds(at: now).first else { return nil }
            return (.liftHold(ref, hold: h.id, reason: "SECRET-LIFT-\(i)"), h.raisedBy)
        case 4: return (.strike(ref, reason: "SECRET-STRIKE-\(i)"), "US-ENF")
        case 5: return (.refuseDocument(ref, reason: "SECRET-DOCUMENT-\(i)"), "IR-MFA")
        case 6:
            let to = agencies[p % 6].id
            return (.releaseData(ref, to: to, categories: [FieldCategory.allCases[p % 6]], purpose: "SECRET-PURPOSE-\(i)"), "US-ENF")
        case 7:
            guard let consent = c.returnConsent else { return nil }
            return (.withdrawConsent(ref, consent: consent.id), "US-ENF")
        case 8:
            guard let h = c.pendingHandoff, let handoff = try store.handoff(h) else { return nil }
            return (.refuseHandoff(h, reason: "SECRET-REFUSAL-\(handoff.to)-\(i)"), handoff.to)
        default: return try nextStep(c, host, i)
        }
    }

    /// The command that moves `c` on from where it is.
    static func nextStep(_ c: ReturnCase, _ host: OperationHost, _ i: Int) throws -> (Command, AgencyID)? {
        let now = host.engine.now
        switch c.progress {
        case .identified where c.track != .voluntary && c.noticeServedAt == nil: return (.serveNotice(c.ref, charter: false), "US-ENF")
        case .identified where c.track == .voluntary && c.returnConsent == nil: return (.recordConsent(c.ref, scope: .returnItself, interpreter: nil), "US-ENF")
        case .identified, .consentWithdrawn:
            return c.documents.isEmpty ? (.requestDocument(c.ref, kind: .laissezPasser, issuer: "IR-MFA"), "US-ENF") : (.clear(c.ref), "US-ENF")
        case .cleared: return (.issueDocument(c.ref, kind: .laissezPasser, number: "LP-\(i)", validUntil: now.addingTimeInterval(60 * 86_400)), "IR-MFA")
        case .documented:
            return (.assessFitness(c.ref, FitToFly(assessor: "Dr. Example", fit: true, conditions: "SECRET-CLINICAL-\(i)", medicalEscort: i % 2 == 0,
                                                   expiresAt: now.addingTimeInterval(40 * 86_400))), "US-ENF")
        case .fit:
            if !c.receptionVerified { return (.verifyReception(c.ref), "IR-RECEPTION") }
            if let h = c.activeHolds(at: now).first { return (.liftHold(c.ref, hold: h.id, reason: "resolved"), h.raisedBy) }
            return (.schedule(c.ref, movement: "M-1", escorted: true), "US-ENF")
        case .scheduled:
            // Some are struck from the manifest, with the sending agency's reasons.
            if i % 4 == 0 { return (.strike(c.ref, reason: "SECRET-STRIKE-\(i)"), "US-ENF") }
            if try host.store.movement("M-1")!.legs[0].transit != .authorised { return (.authoriseTransit("M-1", leg: 0), "QA-TRANSIT") }
            return (.depart(c.ref), "US-ENF")
        case .departed, .inTransit:
            if let h = c.pendingHandoff, let handoff = try host.store.handoff(h) {
                // Some handoffs are refused, with the refusing party's reasons.
                if i % 2 == 0 { return (.refuseHandoff(h, reason: "SECRET-REFUSAL-\(handoff.to)-\(i)"), handoff.to) }
                return (.acknowledgeHandoff(h), handoff.acknowledgedBy.contains(handoff.from) ? handoff.to : handoff.from)
            }
            return (.proposeHandoff(HandoffProposal(ref: HandoffRef("H-\(c.ref)-\(i)"), cases: [c.ref], from: c.custody, to: "IR-MFA",
                                                    place: "IKA", documents: ["medical-handover"])), c.custody)
        case .handedOver: return (.receive(c.ref), "IR-RECEPTION")
        default: return nil
        }
    }

    /// Each event carries exactly the fields its description names (the sending agency's spy,
    /// which may see every field, is shown them all).
    static func checkFieldsDescribed(_ tokens: [String]) {
        var event: String?
        var keys: Set<String> = []
        func check() {
            guard let event, let spec = EventCatalog.spec(named: event) else { return }
            #expect(keys == Set(spec.fields.map(\.name)).union(["name"]), "\(event) carries \(keys.sorted()), its description names \(spec.fields.map(\.name))")
        }
        for t in tokens {
            if t.hasPrefix("event ") {
                check()
                (event, keys) = (String(t.dropFirst(6)), [])
            } else if t.hasPrefix("key ") {
                keys.insert(String(t.dropFirst(4)))
            }
        }
        check()
    }

    /// What an agency's spy must never have seen, given what its agency is granted.
    func checkSentinels(_ agency: AgencyID, _ tokens: [String]) {
        let g = granted[agency] ?? []
        let all = Set(FieldCategory.allCases)
        func never(_ why: String, _ found: (String) -> Bool) {
            if let t = tokens.first(where: found) { Issue.record("\(agency) (\(g.map(\.rawValue).sorted())) saw \(why): '\(t)'") }
        }
        if !g.contains(.legal) {
            // (travel-document is a category's name too: a release of data names it to its recipient)
            let kinds = Set(HoldKind.allCases.map(\.rawValue)).union(LegalEventKind.allCases.map(\.rawValue)).subtracting(["travel-document"])
            never("a hold or legal event kind without 'legal'") { kinds.contains($0) }
            never("a legal event without 'legal'") { $0 == "event legal.recorded" || $0 == "event legal.decided" || $0 == "event hold.raised" || $0 == "event hold.lifted" }
            never("a hold's or decision's text without 'legal'") { $0.contains("SECRET-OUTCOME") || $0.contains("SECRET-HOLD") || $0.contains("SECRET-LIFT") }
            never("a removal notice served without 'legal'") { $0 == "event notice.served" }
            never("a hold counted on a case without 'legal'") { $0.hasPrefix("<case") && $0.range(of: ", [0-9]+ holds?>", options: .regularExpression) != nil }
        }
        if !g.contains(.protection) {
            never("a protection claim without 'protection'") { $0.contains("protection-claim") }
        }
        if !g.contains(.travelDocument) {
            never("a travel document's status without 'travel-document'") { $0 == "event document.updated" || $0.contains("SECRET-DOCUMENT") }
        }
        if !g.contains(.medical) {
            never("clinical detail without 'medical'") { $0.contains("SECRET-CLINICAL") }
        }
        if g != all {
            never("the sending agency's free text without all its grants") { $0.contains("SECRET-STRIKE") }
        }
        for writer in ["IR-MFA", "IR-RECEPTION", "QA-TRANSIT", "US-ENF", "AIR-CARRIER", "MONITOR"] as [AgencyID] where !g.isSuperset(of: granted[writer] ?? all) {
            never("\(writer)'s free text without its grants") { $0.contains("SECRET-REFUSAL-\(writer)-") }
        }
        if agency != "US-ENF" && agency != "IR-MFA" {
            never("another agency's notice") {
                $0.contains("secret-ministry-template") || $0.contains("SECRET-REPLY") || ["event notice.sent", "event notice.acknowledged", "event notice.replied"].contains($0)
            }
        }
        if !g.contains(.legal) {
            // A release of data is heard of by its recipient, and otherwise only with 'legal'.
            for (i, t) in tokens.enumerated() where t == "event data.released" {
                let to = tokens[(i + 1)...].firstIndex(of: "key to").map { tokens[$0 + 1] }
                if to != agency.rawValue { Issue.record("\(agency) (\(g.map(\.rawValue).sorted())) heard of a release of data to \(to ?? "?") without 'legal'") }
            }
        }
        never("a withheld purpose") { $0.contains("SECRET-PURPOSE") }
    }
}
