import Foundation
import LiaisonModel
import Testing

@Suite("Trust boundaries in the model: grants, who may give what, and what a refusal or an event tells")
struct TrustRulesTests {
    @Test("consent is withdrawn only by the roles that record it")
    func withdrawConsentRoles() throws {
        var s = Scenario()
        try s.open("R-0501", track: .voluntary)
        try s.run(.recordConsent("R-0501", scope: .returnItself, interpreter: nil))
        let consent = s.model.cases["R-0501"]!.returnConsent!.id
        #expect(s.refusal(.withdrawConsent("R-0501", consent: consent), by: monitor)
            == "MONITOR (monitor) may not withdraw consent: only reception-organisation or sending-enforcement may")
        #expect(s.refusal(.withdrawConsent("R-0501", consent: consent), by: mfa)
            == "IR-MFA (destination-ministry) may not withdraw consent: only reception-organisation or sending-enforcement may")
        try s.run(.withdrawConsent("R-0501", consent: consent), by: reception)
        #expect(s.model.cases["R-0501"]!.progress == .consentWithdrawn)
    }

    @Test("an agency that neither sent nor receives a notice learns nothing of it, not even that it exists")
    func noticeNonParties() throws {
        var s = Scenario()
        try s.open("R-0502")
        let notice = Notice(ref: "N-000001", from: enf, to: "IR-MFA/consular", template: "identity-request", cases: ["R-0502"], due: nil, sentAt: s.now, body: "text")
        try s.run(.sendNotice(notice))
        #expect(s.refusal(.acknowledgeNotice("N-000001"), by: transit) == "no notice N-000001 addressed to QA-TRANSIT")
        #expect(s.refusal(.acknowledgeNotice("N-000099"), by: transit) == "no notice N-000099 addressed to QA-TRANSIT")
        #expect(s.refusal(.acknowledgeNotice("N-000001"), by: enf) == "notice N-000001 is addressed to IR-MFA/consular: only IR-MFA may acknowledge it")
        try s.run(.acknowledgeNotice("N-000001"), by: mfa)
    }

    @Test("a reply answers exactly what the notice asks, only from its recipient, once; it acknowledges and stops the deadline")
    func noticeReplies() throws {
        var s = Scenario()
        try s.open("R-0504")
        let asks = [NoticeQuestion(name: "traced", kind: .boolean), NoticeQuestion(name: "on", kind: .date),
                    NoticeQuestion(name: "people", kind: .number), NoticeQuestion(name: "note", kind: .text, optional: true)]
        let due = s.now.addingTimeInterval(3600)
        try s.run(.sendNotice(Notice(ref: "N-000001", from: enf, to: "IR-RECEPTION/child-protection", template: "minor", cases: ["R-0504"],
                                     due: due, sentAt: s.now, body: "Please answer.", asks: asks)))
        try s.run(.sendNotice(Notice(ref: "N-000002", from: enf, to: "IR-RECEPTION", template: "fyi", cases: [], due: nil, sentAt: s.now, body: "")))
        func a(_ pairs: KeyValuePairs<String, String>) -> [NoticeReply.Answer] { pairs.map { NoticeReply.Answer(name: $0.key, value: $0.value) } }
        let good = a(["on": "2026-11-21", "people": "2", "traced": "true"])
        #expect(s.refusal(.replyNotice("N-000001", answers: good), by: transit) == "no notice N-000001 addressed to QA-TRANSIT")
        #expect(s.refusal(.replyNotice("N-000001", answers: good), by: enf)
            == "notice N-000001 is addressed to IR-RECEPTION/child-protection: only IR-RECEPTION may reply to it")
        #expect(s.refusal(.replyNotice("N-000002", answers: good), by: reception)
            == "notice N-000002 (template fyi) asks for no reply: acknowledge it instead, or declare the answers under [replies.fyi] in the sending plugin's plugin.toml")
        #expect(s.refusal(.replyNotice("N-000001", answers: good + a(["lawyer": "yes"])), by: reception)
            == "notice N-000001 (template minor) does not ask 'lawyer' (it asks: note: text?, on: date, people: number, traced: boolean)")
        #expect(s.refusal(.replyNotice("N-000001", answers: a(["on": "2026-11-21", "people": "2", "traced": "yes"])), by: reception)
            == "notice N-000001: 'traced' must be true or false, not 'yes'")
        #expect(s.refusal(.replyNotice("N-000001", answers: a(["on": "2026-13-01", "people": "2", "traced": "true"])), by: reception)
            == "notice N-000001: 'on' must be a date (YYYY-MM-DD), not '2026-13-01'")
        #expect(s.refusal(.replyNotice("N-000001", answers: a(["on": "2026-11-21", "people": "two", "traced": "true"])), by: reception)
            == "notice N-000001: 'people' must be a number, not 'two'")
        #expect(s.refusal(.replyNotice("N-000001", answers: a(["on": "2026-11-21", "traced": "true"])), by: reception)
            == "notice N-000001: the reply leaves out people, which the notice asks for")
        #expect(s.refusal(.replyNotice("N-000001", answers: good + a(["traced": "false"])), by: reception)
            == "notice N-000001: 'traced' is answered twice")
        #expect(s.model.notices["N-000001"]?.reply == nil && s.model.notices["N-000001"]?.acknowledgedAt == nil)

        s.now = s.now.addingTimeInterval(600)
        #expect(try s.run(.replyNotice("N-000001", answers: good), by: reception)
            == [.noticeAcknowledged("N-000001", by: reception), .noticeReplied("N-000001", by: reception)])
        let n = try #require(s.model.notices["N-000001"])
        #expect(n.reply == NoticeReply(at: s.now, answers: a(["on": "2026-11-21", "people": "2", "traced": "true"])))
        #expect(n.acknowledgedAt == s.now)
        #expect(!n.isLate(at: due.addingTimeInterval(86_400)))
        #expect(s.refusal(.replyNotice("N-000001", answers: good), by: reception) == "notice N-000001 already has a reply")
        // A notice acknowledged first still takes its reply, without a second acknowledgement.
        try s.run(.sendNotice(Notice(ref: "N-000003", from: enf, to: "IR-RECEPTION", template: "minor", cases: [], due: nil, sentAt: s.now,
                                     body: "", asks: asks)))
        try s.run(.acknowledgeNotice("N-000003"), by: reception)
        #expect(try s.run(.replyNotice("N-000003", answers: good + a(["note": "seen"])), by: reception) == [.noticeReplied("N-000003", by: reception)])
        #expect(s.model.notices["N-000003"]?.reply?.value("note") == "seen")
    }

    @Test("a notice is a letter, not a file: its text and its cases are bounded")
    func noticeBounds() throws {
        var s = Scenario()
        try s.open("R-0503")
        func notice(_ ref: NoticeRef, body: String, cases: [CaseRef] = ["R-0503"]) -> Notice {
            Notice(ref: ref, from: enf, to: "IR-MFA", template: "t", cases: cases, due: nil, sentAt: s.now, body: body)
        }
        let big = String(repeating: "x", count: Notice.maximumBodyBytes + 1)
        #expect(s.refusal(.sendNotice(notice("N-000001", body: big))) == "notice N-000001 is 8388609 bytes long: a notice's text is at most 8388608 bytes")
        #expect(s.refusal(.sendNotice(notice("N-000002", body: "x", cases: Array(repeating: "R-0503", count: 200_001))))
            == "notice N-000002 is about 200001 cases: a notice is about at most 200000")
        try s.run(.sendNotice(notice("N-000003", body: String(repeating: "x", count: Notice.maximumBodyBytes))))
    }

    @Test("signals cannot pass for the model's events, and the engine's own come from the coordinator only")
    func signalNames() throws {
        var s = Scenario()
        #expect(s.refusal(.signal(Signal(name: "legal.recorded")), by: enf)?.hasPrefix("'legal.recorded' cannot name a signal") == true)
        #expect(s.refusal(.signal(Signal(name: "notice.overdue", fields: ["notice": "N-000001"])), by: transit)
            == "'notice.overdue' cannot name a signal given by QA-TRANSIT: signals under notice. are the engine's own")
        try s.run(.signal(Signal(name: "notice.overdue")), by: .coordinator)
        try s.run(.signal(Signal(name: "leg.departing")), by: transit)
    }

    @Test("an operation's grant narrows what a role may do, and the model refuses what it leaves out")
    func grantsNarrow() throws {
        var operation = testOperation
        operation.grants.agencies[mfa] = Grant(commands: ["notice.send", "notice.acknowledge", "document.issue"])
        var model = InMemoryModel(operation: operation)
        let person = Person(ref: "P-1", names: ["Test Person"], dateOfBirth: LocalDate("1990-01-01")!, sex: .female, nationalities: ["IR"])
        try model.apply(.registerPerson(person), by: enf, at: day0)
        try model.apply(.openCase(CaseOpening(ref: "R-1", person: "P-1", track: .removal, sendingState: "US", destinationState: "IR")), by: enf, at: day0)
        #expect(throws: Refusal.self) { try model.apply(.refuseDocument("R-1", reason: "unknown identity"), by: mfa, at: day0) }
        do { try model.apply(.refuseDocument("R-1", reason: "unknown identity"), by: mfa, at: day0) } catch let r as Refusal {
            #expect(r.reason == "IR-MFA is not granted 'document.refuse' in operation test-charter: the grant for agency IR-MFA gives document.issue, notice.acknowledge, notice.send")
        }
        try model.apply(.issueDocument("R-1", kind: .laissezPasser, number: "LP-1", validUntil: hours(1000)), by: mfa, at: day0)
    }

    @Test("every command an agency gives has its row among the authorities, found by its case as by its name")
    func authorityRows() {
        let samples: [Command] = [
            .registerPerson(Person(ref: "P", names: ["N"], dateOfBirth: LocalDate("1990-01-01")!, sex: .female, nationalities: ["IR"])),
            .openCase(CaseOpening(ref: "R", person: "P", track: .removal, sendingState: "US", destinationState: "IR")),
            .clear("R"), .recordLegalEvent("R", kind: .appeal, suspensive: true), .decideLegalEvent("R", event: 1, outcome: "o", removalMayProceed: true),
            .raiseHold("R", kind: .fitToFly, reason: "r", evidence: nil, until: nil), .liftHold("R", hold: 1, reason: "r"),
            .recordConsent("R", scope: .returnItself, interpreter: nil), .withdrawConsent("R", consent: 1),
            .requestDocument("R", kind: .passport, issuer: mfa), .issueDocument("R", kind: .passport, number: "1", validUntil: day0),
            .refuseDocument("R", reason: "r"), .assessFitness("R", FitToFly(assessor: "a", fit: true, conditions: nil, medicalEscort: false, expiresAt: day0)),
            .serveNotice("R", charter: true), .verifyReception("R"), .schedule("R", movement: "M-1", escorted: true), .strike("R", reason: "r"),
            .authoriseTransit("M-1", leg: 0), .refuseTransit("M-1", leg: 0, reason: "r"), .depart("R"), .arriveInTransit("R"),
            .proposeHandoff(HandoffProposal(ref: "H", cases: ["R"], from: enf, to: mfa, place: "IKA")), .acknowledgeHandoff("H"),
            .refuseHandoff("H", reason: "r"), .receive("R"), .close("R"), .abort("R", reason: "r"),
            .releaseData("R", to: mfa, categories: [.identity], purpose: "p"),
            .sendNotice(Notice(ref: "N", from: enf, to: "IR-MFA", template: "t", cases: [], due: nil, sentAt: day0, body: "")),
            .acknowledgeNotice("N"), .replyNotice("N", answers: []), .signal(Signal(name: "a.b")),
            .recordPluginOutcome(PluginOutcome(plugin: "p", agency: enf, hook: "h", kind: .error, failClosed: false, message: "m", location: nil,
                                               trigger: "t", refusedTrigger: false)),
            .setPluginState(PluginStateChange(plugin: "p", agency: enf, key: "k", value: "1")),
        ]
        for c in samples {
            let expected = Rules.authorities.firstIndex { $0.command == c.name }
            #expect(c.authorityRow == expected, "\(c.name)")
        }
        #expect(Set(samples.map(\.name)).count == 34)
        #expect(Rules.authorities.count == 31)
    }

    @Test("the standard grants give each role only what its rules let it give, and the monitor nothing but notices")
    func standardGrants() {
        for role in AgencyRole.allCases {
            for command in Grants.standard.roles[role]!.commands {
                #expect(Rules.role(role, mayGive: command), "\(role.rawValue) is granted \(command), which its role may never give")
            }
        }
        #expect(Grants.standard.roles[.monitor] == Grant(commands: ["notice.send", "notice.acknowledge", "notice.reply"]))
        #expect(!Grants.standard.roles[.monitor]!.mayVeto("case.state-changed"))
        #expect(Grants.standard.roles[.destinationMinistry]!.mayVeto("handoff.proposed"))
        #expect(Grants.standard.roles[.sendingEnforcement]!.mayVeto("anything.at-all"))
    }

    @Test("a refusal naming a hold tells an agency that may not learn of it only that there is one it may not see")
    func refusalWording() throws {
        var s = Scenario()
        try s.open("R-0503")
        try s.makeFit("R-0503")
        try s.run(.recordLegalEvent("R-0503", kind: .protectionClaim, suspensive: true))
        let refusal = try #require(throws: Refusal.self) { try s.model.apply(.schedule("R-0503", movement: "M-1", escorted: true), by: enf, at: s.now) }
        #expect(refusal.reason.hasPrefix("case R-0503 cannot be scheduled: active hold 'protection-claim' raised by US-ENF"))
        var policy = testOperation.disclosure
        policy.agencies[enf] = [.identity, .legal]
        var restricted = testOperation
        restricted.disclosure = policy
        #expect(refusal.reason(for: try CaseReader(enf, in: restricted)) == "case R-0503 cannot be scheduled: it has an active hold you may not see")
        #expect(refusal.reason(for: try CaseReader(enf, in: testOperation)) == refusal.reason)
        // Lifting a hold one may not see reads as for a hold that is not there.
        let hold = s.model.cases["R-0503"]!.legalEvents[0].hold!
        #expect(throws: Refusal.self) { try s.model.apply(.liftHold("R-0503", hold: hold, reason: "x"), by: mfa, at: s.now) }
        do { try s.model.apply(.liftHold("R-0503", hold: hold, reason: "x"), by: mfa, at: s.now) } catch let r as Refusal {
            #expect(r.reason(for: try CaseReader(mfa, in: testOperation)) == "case R-0503 has no active hold \(hold) that IR-MFA may lift")
        }
    }

    @Test("which holds an agency may see: none without 'legal'; a protection claim only with 'protection'; a minor's only with 'vulnerability'")
    func visibleHolds() throws {
        var s = Scenario()
        try s.open("R-0504", vulnerabilities: [.minor, .unaccompanied], born: "2014-01-01")
        try s.run(.recordLegalEvent("R-0504", kind: .protectionClaim, suspensive: true))
        let c = s.model.cases["R-0504"]!
        func kinds(_ categories: Set<FieldCategory>) throws -> [String] {
            var op = testOperation
            op.disclosure.agencies[transit] = categories
            return try CaseReader(transit, in: op).visibleHolds(of: c, at: s.now).map(\.kind.rawValue)
        }
        #expect(try kinds([.identity]) == [])
        #expect(try kinds([.legal]) == ["notice-period"])
        #expect(try kinds([.legal, .vulnerability]) == ["unaccompanied-minor", "notice-period"])
        #expect(try kinds([.legal, .protection, .vulnerability]) == ["unaccompanied-minor", "notice-period", "protection-claim"])
    }
}
