import Foundation

/// Where the rules read the model from: memory (`InMemoryModel`) or a store.
public protocol ModelReader {
    var operation: ReturnOperation { get }
    func person(_ ref: PersonRef) throws -> Person?
    func returnCase(_ ref: CaseRef) throws -> ReturnCase?
    func handoff(_ ref: HandoffRef) throws -> Handoff?
    func movement(_ ref: MovementRef) throws -> Movement?
    func notice(_ ref: NoticeRef) throws -> Notice?
}

/// What a command changes: its events and the records it touched, whole. Applying it is
/// replacing those records; refusing a command is never producing one.
public struct Decision: Sendable {
    public init() {}
    public var events: [Event] = []
    public var people: [PersonRef: Person] = [:]
    public var cases: [CaseRef: ReturnCase] = [:]
    public var handoffs: [HandoffRef: Handoff] = [:]
    public var movements: [MovementRef: Movement] = [:]
    public var notices: [NoticeRef: Notice] = [:]
}

/// The rules of docs/DOMAIN.md: the case state machine, holds, consent, documents, handoffs,
/// permissions by role. Pure: the same command on the same model at the same time always
/// reaches the same decision.
public enum Rules {
    /// Who may give a command, by the model's own rules (an operation's grants may narrow it,
    /// never widen it): the roles that may ever give it, and, where the parties of a record
    /// decide, which of them.
    public struct Authority: Sendable {
        public var command: String
        public var roles: [AgencyRole]
        /// What giving it does, for refusals: "clear cases".
        public var what: String
        /// Besides the role: who exactly, when the record decides ("the handoff's two parties").
        public var condition: String?
    }

    /// Every command an agency may give, and who may give it; the rules check each command
    /// against its row, and the docs print the table.
    public static let authorities: [Authority] = {
        let all = AgencyRole.allCases
        func a(_ command: String, _ roles: [AgencyRole], _ what: String, _ condition: String? = nil) -> Authority {
            Authority(command: command, roles: roles, what: what, condition: condition)
        }
        return [
            a("person.register", [.sendingEnforcement], "register people"),
            a("case.open", [.sendingEnforcement, .receptionOrganisation], "open cases",
              "a reception organisation only an onward case, for a person it has received"),
            a("case.clear", [.sendingEnforcement], "clear cases"),
            a("legal.record", [.sendingEnforcement], "record legal events"),
            a("legal.decide", [.sendingEnforcement], "record legal decisions"),
            a("hold.raise", [.sendingEnforcement, .transitAuthority, .destinationMinistry, .receptionOrganisation], "raise holds",
              "appeal-pending and protection-claim holds only the sending agency, as legal events raise them"),
            a("hold.lift", all, "lift holds", "the agency that raised the hold, or one given the right in [lift_rights]"),
            a("consent.record", [.sendingEnforcement, .receptionOrganisation], "record consent"),
            a("consent.withdraw", [.sendingEnforcement, .receptionOrganisation], "withdraw consent"),
            a("document.request", [.sendingEnforcement], "request travel documents"),
            a("document.issue", [.destinationMinistry], "issue travel documents"),
            a("document.refuse", [.destinationMinistry], "refuse travel documents"),
            a("fitness.assess", [.sendingEnforcement], "record fit-to-fly assessments"),
            a("notice.serve", [.sendingEnforcement], "serve removal notices"),
            a("reception.verify", [.receptionOrganisation, .destinationMinistry, .sendingEnforcement], "verify reception"),
            a("case.schedule", [.sendingEnforcement], "schedule cases"),
            a("case.strike", [.sendingEnforcement], "strike cases from a manifest"),
            a("transit.authorise", [.transitAuthority], "authorise transit", "the transit authority the leg names"),
            a("transit.refuse", [.transitAuthority], "refuse transit", "the transit authority the leg names"),
            a("case.depart", [.sendingEnforcement], "board people"),
            a("case.arrive-transit", [.sendingEnforcement, .transitAuthority], "record arrivals in transit"),
            a("handoff.propose", all, "propose handoffs", "one of the two parties it names"),
            a("handoff.acknowledge", all, "acknowledge handoffs", "one of the handoff's two parties"),
            a("handoff.refuse", all, "refuse handoffs", "one of the handoff's two parties"),
            a("case.receive", [.receptionOrganisation, .destinationMinistry], "record reception"),
            a("case.close", [.sendingEnforcement, .receptionOrganisation], "close cases", "the case's owner, or a reception organisation"),
            a("case.abort", [.sendingEnforcement], "abort returns"),
            a("data.release", [.sendingEnforcement], "release data"),
            a("notice.send", all, "send notices", "in its own name"),
            a("notice.acknowledge", all, "acknowledge notices", "the notice's recipient"),
            a("notice.reply", all, "reply to notices", "the notice's recipient, answering what it asks"),
        ]
    }()

    /// The reason of the hold a third-country case opens with: the notice naming that country is
    /// yet to be served and run (a protection-claim hold by kind, since the person may claim
    /// protection against that country meanwhile). Serving the notice ends it, and only it.
    static let thirdCountryNoticeNotServed = "notice naming the third country not yet served and run"

    /// Each command's row in `authorities`, by name.
    static let authorityIndex = Dictionary(uniqueKeysWithValues: authorities.enumerated().map { ($1.command, $0) })

    /// The row of `command` (a command no agency gives, such as `signal`, has an empty one).
    public static func authority(_ command: String) -> Authority {
        authorityIndex[command].map { authorities[$0] } ?? Authority(command: command, roles: [], what: "give \(command)", condition: nil)
    }

    /// Whether an agency of `role` may ever give `command` (its grant may still withhold it).
    public static func role(_ role: AgencyRole, mayGive command: String) -> Bool {
        authorityIndex[command].map { authorities[$0].roles.contains(role) } ?? false
    }

    public static func decide(_ command: Command, by actor: AgencyID, at now: Date, reading model: ModelReader) throws -> Decision {
        var d = Decider(model: model, actorID: actor, now: now, command: command)
        try d.run()
        return d.decision
    }

    /// `n` working days (Monday to Friday, in UTC) after `start`, at the same time of day.
    /// Day arithmetic on the seconds since 1970 (a Thursday): UTC has no daylight saving, so a
    /// day is always 86,400 seconds. Through `Calendar` it took about 48,000 instructions a
    /// call; a test holds the two to the same answers.
    static func workingDays(_ n: Int, after start: Date) -> Date {
        let startDay = Int((start.timeIntervalSince1970 / 86_400).rounded(.down))
        var day = startDay
        var left = n
        while left > 0 {
            day += 1
            let weekday = ((day + 4) % 7 + 7) % 7  // 0 is Sunday, 6 Saturday
            if weekday != 0 && weekday != 6 { left -= 1 }
        }
        return start.addingTimeInterval(Double(day - startDay) * 86_400)
    }
}

private struct Decider {
    let model: ModelReader
    let actorID: AgencyID
    let now: Date
    let command: Command
    var decision = Decision()
    /// Read once: the operation is a value, and each read through the model copied it.
    let operation: ReturnOperation
    /// The actor's place among the operation's agencies, nil when it is not one of them.
    let actorIndex: Int?

    init(model: ModelReader, actorID: AgencyID, now: Date, command: Command) {
        (self.model, self.actorID, self.now, self.command) = (model, actorID, now, command)
        operation = model.operation
        actorIndex = operation.agencyIndex(actorID)
    }

    // MARK: Reading through the decision

    func person(_ ref: PersonRef) throws -> Person? {
        if let p = decision.people[ref] { return p }
        return try model.person(ref)
    }

    func existingCase(_ ref: CaseRef) throws -> ReturnCase {
        if let c = decision.cases[ref] { return c }
        guard let c = try model.returnCase(ref) else { throw refuse("no case \(ref) in this operation") }
        return c
    }

    func existingHandoff(_ ref: HandoffRef) throws -> Handoff {
        if let h = decision.handoffs[ref] { return h }
        guard let h = try model.handoff(ref) else { throw refuse("no handoff \(ref) in this operation") }
        return h
    }

    func existingMovement(_ ref: MovementRef) throws -> Movement {
        if let m = decision.movements[ref] { return m }
        guard let m = try model.movement(ref) else {
            throw refuse("no movement \(ref) in this operation (movements: \(operation.movements.map(\.ref.rawValue).joined(separator: ", ")))")
        }
        return m
    }

    mutating func put(_ c: ReturnCase) { decision.cases[c.ref] = c }
    mutating func emit(_ e: Event) { decision.events.append(e) }

    func refuse(_ reason: String) -> Refusal { Refusal(command: command.name, reason: reason) }

    /// A refusal whose reason names something (a hold's kind) that only a reader granted
    /// `needs` may learn; any other reader is told `redacted`.
    func refuse(_ reason: String, needs: Set<FieldCategory>, redacted: String) -> Refusal {
        Refusal(command: command.name, reason: reason, needs: needs, redacted: redacted)
    }

    /// "case R-0013 cannot be boarded: active hold 'protection-claim' raised by ...", or, to a
    /// reader who may not learn of that hold, "...: it has an active hold you may not see".
    func refuse(_ c: ReturnCase, _ verb: String, hold: Hold) -> Refusal {
        refuse("case \(c.ref) cannot be \(verb): \(hold.summary)", needs: hold.kind.categories,
               redacted: "case \(c.ref) cannot be \(verb): it has an active hold you may not see")
    }

    // MARK: Permissions

    var actor: Agency {
        get throws {
            guard let i = actorIndex else {
                throw refuse("\(actorID) is not an agency of this operation (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
            }
            return operation.agencies[i]
        }
    }

    /// The actor, if its role may give this command: by `roles`, or by the command's row of
    /// `Rules.authorities` (an array, not a set: a command names one to three roles, and a set
    /// was built and hashed for every command).
    @discardableResult
    func require(_ roles: [AgencyRole]? = nil) throws -> Agency {
        guard let i = actorIndex else { return try actor }
        let a = operation.agencies[i]
        let allowed = roles ?? command.authorityRow.map { Rules.authorities[$0].roles } ?? []
        guard allowed.contains(a.role) else {
            let who = allowed.map(\.rawValue).sorted().joined(separator: " or ")
            throw refuse("\(a.id) (\(a.role.rawValue)) may not \(Rules.authority(command.name).what): only \(who) may")
        }
        return a
    }

    /// The operation's grant: an agency gives only the commands the operation grants it,
    /// whatever it asks for, through every channel.
    func checkGranted() throws {
        guard let row = command.authorityRow else { return }  // a signal, a plugin's failure
        guard let i = actorIndex else { _ = try actor; return }
        // A command the role may never give is refused by its own rule below, in words that say
        // who may; the grant narrows what the role may give.
        guard Rules.authorities[row].roles.contains(operation.agencies[i].role), !operation.resolvedGrants[i].allows(row) else { return }
        let a = operation.agencies[i]
        let granted = operation.resolvedGrants[i].commands.sorted()
        throw refuse("\(a.id) is not granted '\(command.name)' in operation \(operation.name): \(operation.grants.source(for: a)) gives \(granted.isEmpty ? "no commands" : granted.joined(separator: ", "))")
    }

    /// Every time a command carries is one the model keeps (1900 to 2200): no record may hold
    /// one that cannot be written back.
    func checkTimes() throws {
        let times: [(String, Date?)]
        switch command {
        case let .raiseHold(_, _, _, _, until): times = [("until", until)]
        case let .issueDocument(_, _, _, validUntil): times = [("valid_until", validUntil)]
        case let .assessFitness(_, f): times = [("expires", f.expiresAt)]
        case let .sendNotice(n): times = [("due", n.due), ("sent_at", n.sentAt)]
        default: return
        }
        for case let (name, date?) in times where !Timestamp.isKept(date) {
            throw refuse("\(command.name): '\(name)' is \(date.timeIntervalSince1970) seconds since 1970, not a time between 1900 and 2200")
        }
    }

    // MARK: Changing cases

    mutating func move(_ c: inout ReturnCase, to state: CaseState) {
        guard c.progress != state else { return }
        emit(.stateChanged(c.ref, from: c.progress, to: state))
        c.progress = state
    }

    mutating func raise(_ kind: HoldKind, on c: inout ReturnCase, reason: String, evidence: String? = nil, until: Date? = nil) -> Int {
        let id = c.nextID
        c.nextID += 1
        c.holds.append(Hold(id: id, kind: kind, raisedBy: actorID, raisedAt: now, reason: reason, evidence: evidence,
                            blocks: kind.blocks, until: until))
        emit(.holdRaised(c.ref, hold: id, kind: kind))
        return id
    }

    /// Lifts the active holds of `kind` as a consequence of the command (a document issued lifts
    /// travel-document holds); recorded as lifted by the actor, with `reason`.
    ///
    /// A hold a legal event raised (an appeal's, a protection claim's) is never lifted so: only
    /// the decision on that event lifts it.
    mutating func liftAll(_ kind: HoldKind, on c: inout ReturnCase, reason: String) {
        let fromLegalEvents = Set(c.legalEvents.compactMap(\.hold))
        for i in c.holds.indices where c.holds[i].kind == kind && c.holds[i].isActive(at: now) && !fromLegalEvents.contains(c.holds[i].id) {
            c.holds[i].lifted = Hold.Lifting(by: actorID, at: now, reason: reason)
            emit(.holdLifted(c.ref, hold: c.holds[i].id, kind: kind, by: actorID))
        }
    }

    func blocking(_ c: ReturnCase, _ step: Step) -> Hold? {
        c.activeHolds(at: now, blocking: step).first
    }

    // MARK: The rules

    mutating func run() throws {
        try checkGranted()
        try checkTimes()
        switch command {
        case .registerPerson(let p):
            try require()
            guard try person(p.ref) == nil else { throw refuse("person \(p.ref) is already registered") }
            decision.people[p.ref] = p
            emit(.personRegistered(p.ref))

        case .openCase(let o):
            // A reception organisation opens onward cases for people it has received in a third
            // country; everyone else's cases are opened by the sending state.
            let owner: Agency
            if let parentRef = o.parent, try actor.role == .receptionOrganisation {
                owner = try actor
                let parent = try existingCase(parentRef)
                guard [.received, .closed].contains(parent.progress) else {
                    throw refuse("onward case \(o.ref) cannot be opened: case \(parentRef) is \(parent.progress.rawValue), not yet received")
                }
            } else {
                owner = try require([.sendingEnforcement])
            }
            let existing = try model.returnCase(o.ref)
            if decision.cases[o.ref] != nil || existing != nil {
                throw refuse("case \(o.ref) is already open")
            }
            guard let p = try person(o.person) else { throw refuse("case \(o.ref) names person \(o.person), who is not registered") }
            var c = ReturnCase(ref: o.ref, person: o.person, track: o.track, sendingState: o.sendingState,
                               destinationState: o.destinationState, legalBasis: o.legalBasis, owner: owner.id)
            c.parent = o.parent
            emit(.caseOpened(o.ref))
            if p.isUnaccompaniedMinor {
                _ = raise(.unaccompaniedMinor, on: &c, reason: "unaccompanied minor: family, guardian or reception not yet verified")
            }
            if o.track == .voluntary {
                _ = raise(.consentMissing, on: &c, reason: "voluntary return without signed consent")
            } else {
                _ = raise(.noticePeriod, on: &c, reason: "removal notice not yet served")
            }
            if o.track == .thirdCountry {
                _ = raise(.protectionClaim, on: &c, reason: Rules.thirdCountryNoticeNotServed)
            }
            put(c)

        case .clear(let ref):
            try require()
            var c = try existingCase(ref)
            guard c.progress == .identified else { throw refuse("case \(ref) cannot be cleared: it is \(c.progress.rawValue), not identified") }
            if c.track == .voluntary {
                guard c.returnConsent != nil else { throw refuse("case \(ref) cannot be cleared: voluntary return without signed consent") }
            } else {
                guard let basis = c.legalBasis else { throw refuse("case \(ref) cannot be cleared: no removal order on record") }
                guard let final = basis.finalOn, final.start <= now else {
                    throw refuse("case \(ref) cannot be cleared: order \(basis.order) is not yet final")
                }
            }
            move(&c, to: .cleared)
            catchUp(&c)
            put(c)

        case let .recordLegalEvent(ref, kind, suspensive):
            try require()
            var c = try existingCase(ref)
            guard c.progress.isBeforeDeparture else { throw refuse("case \(ref) has already departed: record the event with the receiving state") }
            let id = c.nextID
            c.nextID += 1
            var event = LegalEvent(id: id, kind: kind, suspensive: suspensive || kind == .protectionClaim, filedOn: now)
            emit(.legalEventRecorded(ref, event: id, kind: kind))
            if event.suspensive {
                let holdKind: HoldKind = kind == .protectionClaim ? .protectionClaim : .appealPending
                event.hold = raise(holdKind, on: &c, reason: "\(kind.rawValue) filed, suspends removal")
            }
            c.legalEvents.append(event)
            put(c)

        case let .decideLegalEvent(ref, eventID, outcome, proceed):
            try require()
            var c = try existingCase(ref)
            guard let i = c.legalEvents.firstIndex(where: { $0.id == eventID }) else {
                throw refuse("case \(ref) has no legal event \(eventID)")
            }
            guard c.legalEvents[i].decidedOn == nil else { throw refuse("legal event \(eventID) of case \(ref) is already decided") }
            c.legalEvents[i].decidedOn = now
            c.legalEvents[i].outcome = outcome
            emit(.legalEventDecided(ref, event: eventID, outcome: outcome))
            if let holdID = c.legalEvents[i].hold, let h = c.holds.firstIndex(where: { $0.id == holdID }), c.holds[h].isActive(at: now) {
                c.holds[h].lifted = Hold.Lifting(by: actorID, at: now, reason: "decided: \(outcome)")
                emit(.holdLifted(ref, hold: holdID, kind: c.holds[h].kind, by: actorID))
            }
            if !proceed { move(&c, to: .released) }
            put(c)

        case let .raiseHold(ref, kind, reason, evidence, until):
            let a = try actor
            if [.appealPending, .protectionClaim].contains(kind) && a.role != .sendingEnforcement {
                throw refuse("\(a.id) (\(a.role.rawValue)) may not raise '\(kind.rawValue)' holds: they follow legal events the sending state records")
            }
            guard a.role != .monitor && a.role != .carrier else {
                throw refuse("\(a.id) (\(a.role.rawValue)) may not raise holds: it observes or carries, it does not decide")
            }
            var c = try existingCase(ref)
            guard !reason.isEmpty else { throw refuse("a hold needs a reason") }
            _ = raise(kind, on: &c, reason: reason, evidence: evidence, until: until)
            put(c)

        case let .liftHold(ref, holdID, reason):
            var c = try existingCase(ref)
            // To an agency that may not learn of the hold, each refusal reads alike.
            let hidden = "case \(ref) has no active hold \(holdID) that \(actorID) may lift"
            guard let i = c.holds.firstIndex(where: { $0.id == holdID }) else { throw refuse("case \(ref) has no hold \(holdID)", needs: [.legal], redacted: hidden) }
            let h = c.holds[i]
            guard h.isActive(at: now) else {
                throw refuse("hold \(holdID) '\(h.kind.rawValue)' on case \(ref) is no longer active", needs: h.kind.categories, redacted: hidden)
            }
            let rights = operation.liftRights[h.kind] ?? []
            guard actorID == h.raisedBy || rights.contains(actorID) else {
                let others = rights.isEmpty ? "no other party has the right in this operation" : "or \(rights.map(\.rawValue).sorted().joined(separator: ", "))"
                throw refuse("hold \(holdID) '\(h.kind.rawValue)' on case \(ref) can be lifted only by \(h.raisedBy), who raised it; \(others)",
                             needs: h.kind.categories, redacted: hidden)
            }
            guard !reason.isEmpty else { throw refuse("lifting a hold needs a reason") }
            c.holds[i].lifted = Hold.Lifting(by: actorID, at: now, reason: reason)
            emit(.holdLifted(ref, hold: holdID, kind: h.kind, by: actorID))
            put(c)

        case let .recordConsent(ref, scope, interpreter):
            try require()
            var c = try existingCase(ref)
            let id = c.nextID
            c.nextID += 1
            c.consents.append(Consent(id: id, scope: scope, interpreter: interpreter, signedAt: now))
            emit(.consentRecorded(ref, consent: id))
            if scope == .returnItself {
                liftAll(.consentMissing, on: &c, reason: "consent to return signed")
                if c.progress == .consentWithdrawn { move(&c, to: .identified) }
            }
            put(c)

        case let .withdrawConsent(ref, consentID):
            try require()
            var c = try existingCase(ref)
            guard let i = c.consents.firstIndex(where: { $0.id == consentID }) else { throw refuse("case \(ref) has no consent \(consentID)") }
            guard c.consents[i].isValid else { throw refuse("consent \(consentID) of case \(ref) is already withdrawn") }
            c.consents[i].withdrawnAt = now
            emit(.consentWithdrawn(ref, consent: consentID))
            if c.consents[i].scope == .returnItself && c.track == .voluntary {
                guard c.progress.isBeforeDeparture else { throw refuse("case \(ref) has already departed: consent to return can no longer be withdrawn") }
                _ = raise(.consentMissing, on: &c, reason: "consent to return withdrawn")
                if c.progress == .scheduled { try releaseSeat(of: &c, reason: "consent withdrawn") }
                move(&c, to: .consentWithdrawn)
            }
            put(c)

        case let .requestDocument(ref, kind, issuer):
            try require()
            var c = try existingCase(ref)
            guard operation.agency(issuer)?.role == .destinationMinistry else {
                throw refuse("\(issuer) cannot issue travel documents: it is not the destination's ministry")
            }
            c.documents.append(TravelDocument(kind: kind, issuer: issuer, number: nil, validUntil: nil, status: .requested))
            emit(.documentUpdated(ref, status: .requested))
            put(c)

        case let .issueDocument(ref, kind, number, validUntil):
            let a = try require()
            var c = try existingCase(ref)
            guard validUntil > now else { throw refuse("a travel document for case \(ref) must be valid after \(Timestamp.day(now))") }
            c.documents.append(TravelDocument(kind: kind, issuer: a.id, number: number, validUntil: validUntil, status: .issued))
            emit(.documentUpdated(ref, status: .issued))
            liftAll(.travelDocument, on: &c, reason: "\(kind.rawValue) \(number) issued")
            catchUp(&c)
            put(c)

        case let .refuseDocument(ref, reason):
            try require()
            var c = try existingCase(ref)
            c.documents.append(TravelDocument(kind: c.documents.last?.kind ?? .laissezPasser, issuer: actorID, number: nil,
                                              validUntil: nil, status: .refused))
            emit(.documentUpdated(ref, status: .refused))
            _ = raise(.travelDocument, on: &c, reason: "travel document refused: \(reason)")
            put(c)

        case let .assessFitness(ref, assessment):
            try require()
            var c = try existingCase(ref)
            c.fitToFly = assessment
            emit(.fitnessAssessed(ref, fit: assessment.fit))
            if assessment.isValid(at: now) {
                liftAll(.fitToFly, on: &c, reason: "assessed fit to fly by \(assessment.assessor)")
                catchUp(&c)
            } else {
                _ = raise(.fitToFly, on: &c, reason: assessment.fit ? "fit-to-fly assessment already expired" : "assessed not fit to fly")
            }
            put(c)

        case let .serveNotice(ref, charter):
            try require()
            var c = try existingCase(ref)
            guard c.track != .voluntary else { throw refuse("case \(ref) is a voluntary return: no removal notice is served") }
            let ends = charter ? Rules.workingDays(operation.charterNoticeWorkingDays, after: now)
                               : now.addingTimeInterval(Double(operation.noticeHours) * 3600)
            c.noticeServedAt = now
            liftAll(.noticePeriod, on: &c, reason: "notice served")
            _ = raise(.noticePeriod, on: &c, reason: "notice period running", until: ends)
            if c.track == .thirdCountry {
                // Only the notice's own hold ends here: a protection claim the person made (by a
                // legal event, or raised by hand) stays until it is decided or lifted.
                for i in c.holds.indices where c.holds[i].kind == .protectionClaim && c.holds[i].isActive(at: now)
                    && c.holds[i].reason == Rules.thirdCountryNoticeNotServed {
                    c.holds[i].lifted = Hold.Lifting(by: actorID, at: now, reason: "notice naming the third country served")
                    emit(.holdLifted(c.ref, hold: c.holds[i].id, kind: .protectionClaim, by: actorID))
                }
                _ = raise(.protectionClaim, on: &c, reason: "third-country notice period running", until: ends)
            }
            emit(.noticeServed(ref, periodEnds: ends))
            put(c)

        case .verifyReception(let ref):
            try require()
            var c = try existingCase(ref)
            c.receptionVerified = true
            emit(.receptionVerified(ref))
            liftAll(.unaccompaniedMinor, on: &c, reason: "reception verified by \(actorID)")
            put(c)

        case let .schedule(ref, movementRef, escorted):
            try require()
            var c = try existingCase(ref)
            var m = try existingMovement(movementRef)
            guard c.progress == .fit else {
                throw refuse("case \(ref) cannot be scheduled: it is \(c.state(at: now).rawValue), not fit")
            }
            try checkReady(c, for: .schedule, verb: "scheduled")
            guard m.booked < m.capacity else { throw refuse("case \(ref) cannot be scheduled: movement \(m.ref) is full (\(m.capacity) seats)") }
            m.booked += 1
            c.manifest = ManifestEntry(movement: movementRef, escorted: escorted, seat: nil, struck: nil)
            move(&c, to: .scheduled)
            put(c)
            decision.movements[m.ref] = m

        case let .strike(ref, reason):
            try require()
            var c = try existingCase(ref)
            guard c.progress == .scheduled, let entry = c.manifest else { throw refuse("case \(ref) is not on a manifest: it is \(c.progress.rawValue)") }
            var m = try existingMovement(entry.movement)
            m.booked -= 1
            decision.movements[m.ref] = m
            c.manifest = nil
            emit(.struck(ref, reason: reason))
            move(&c, to: .documented)
            put(c)

        case let .authoriseTransit(ref, leg), let .refuseTransit(ref, leg, _):
            var m = try existingMovement(ref)
            guard m.legs.indices.contains(leg) else { throw refuse("movement \(ref) has no leg \(leg + 1) (it has \(m.legs.count))") }
            guard let authority = m.legs[leg].transitAuthority else { throw refuse("leg \(leg + 1) of movement \(ref) needs no transit authorisation") }
            guard actorID == authority else { throw refuse("only \(authority) may answer the transit request for leg \(leg + 1) of movement \(ref)") }
            let state: TransitState
            if case .refuseTransit = command { state = .refused } else { state = .authorised }
            m.legs[leg].transit = state
            decision.movements[ref] = m
            emit(.transitUpdated(ref, leg: leg, state: state))

        case .depart(let ref):
            try require()
            var c = try existingCase(ref)
            guard c.progress == .scheduled, let entry = c.manifest else {
                throw refuse("case \(ref) cannot depart: it is \(c.state(at: now).rawValue), not scheduled")
            }
            try checkReady(c, for: .departure, verb: "boarded")
            let m = try existingMovement(entry.movement)
            if !m.transitAuthorised {
                let leg = m.legs.firstIndex { $0.transit != .notNeeded && $0.transit != .authorised }!
                throw refuse("case \(ref) cannot be boarded: transit for leg \(leg + 1) of movement \(m.ref) is \(m.legs[leg].transit.rawValue), not authorised (hold kind 'transit-not-authorised')")
            }
            move(&c, to: .departed)
            put(c)

        case .arriveInTransit(let ref):
            try require()
            var c = try existingCase(ref)
            guard c.progress == .departed else { throw refuse("case \(ref) cannot arrive in transit: it is \(c.progress.rawValue), not departed") }
            move(&c, to: .inTransit)
            put(c)

        case .proposeHandoff(let p):
            guard actorID == p.from || actorID == p.to else { throw refuse("only \(p.from) or \(p.to) may propose handoff \(p.ref)") }
            guard operation.agency(p.from) != nil, operation.agency(p.to) != nil, p.from != p.to else {
                throw refuse("handoff \(p.ref) must pass custody between two different agencies of this operation")
            }
            let existing = try model.handoff(p.ref)
            if decision.handoffs[p.ref] != nil || existing != nil { throw refuse("handoff \(p.ref) already exists") }
            guard !p.cases.isEmpty else { throw refuse("handoff \(p.ref) names no cases") }
            for ref in p.cases {
                var c = try existingCase(ref)
                guard c.custody == p.from else { throw refuse("handoff \(p.ref): case \(ref) is in the custody of \(c.custody), not \(p.from)") }
                guard [.departed, .inTransit].contains(c.progress) else {
                    throw refuse("handoff \(p.ref): case \(ref) is \(c.progress.rawValue); custody passes only once the person has departed")
                }
                if let other = c.pendingHandoff { throw refuse("handoff \(p.ref): case \(ref) is already in handoff \(other)") }
                c.pendingHandoff = p.ref
                put(c)
            }
            decision.handoffs[p.ref] = Handoff(ref: p.ref, from: p.from, to: p.to, place: p.place, cases: p.cases, documents: p.documents,
                                               property: p.property, monitorPresent: p.monitorPresent, proposedAt: now,
                                               acknowledgedBy: [actorID])
            emit(.handoffProposed(p.ref))
            emit(.handoffAcknowledged(p.ref, by: actorID))

        case .acknowledgeHandoff(let ref):
            var h = try existingHandoff(ref)
            guard actorID == h.from || actorID == h.to else { throw refuse("only \(h.from) or \(h.to) may acknowledge handoff \(ref)") }
            guard h.state == .proposed else { throw refuse("handoff \(ref) is \(h.state.rawValue)") }
            guard !h.acknowledgedBy.contains(actorID) else { throw refuse("\(actorID) has already acknowledged handoff \(ref)") }
            h.acknowledgedBy.insert(actorID)
            emit(.handoffAcknowledged(ref, by: actorID))
            if h.acknowledgedBy == [h.from, h.to] {
                h.state = .completed
                let receiving = operation.agency(h.to)?.role
                for caseRef in h.cases {
                    var c = try existingCase(caseRef)
                    c.custody = h.to
                    c.pendingHandoff = nil
                    emit(.custodyTransferred(caseRef, from: h.from, to: h.to))
                    if receiving == .destinationMinistry || receiving == .receptionOrganisation { move(&c, to: .handedOver) }
                    put(c)
                }
                emit(.handoffCompleted(ref))
            }
            decision.handoffs[ref] = h

        case let .refuseHandoff(ref, reason):
            var h = try existingHandoff(ref)
            guard actorID == h.from || actorID == h.to else { throw refuse("only \(h.from) or \(h.to) may refuse handoff \(ref)") }
            guard h.state == .proposed else { throw refuse("handoff \(ref) is \(h.state.rawValue)") }
            h.state = .refused
            h.refusal = reason
            for caseRef in h.cases {
                var c = try existingCase(caseRef)
                c.pendingHandoff = nil
                put(c)
            }
            decision.handoffs[ref] = h
            emit(.handoffRefused(ref, reason: reason))

        case .receive(let ref):
            try require()
            var c = try existingCase(ref)
            guard c.progress == .handedOver else { throw refuse("case \(ref) cannot be received: it is \(c.progress.rawValue), not handed over") }
            move(&c, to: .received)
            put(c)

        case .close(let ref):
            var c = try existingCase(ref)
            let role = try actor.role
            guard actorID == c.owner || role == .receptionOrganisation else {
                throw refuse("case \(ref) can be closed only by \(c.owner) or the reception organisation")
            }
            guard [.received, .released, .aborted].contains(c.progress) else {
                throw refuse("case \(ref) cannot be closed: it is \(c.progress.rawValue) (received, released or aborted first)")
            }
            move(&c, to: .closed)
            put(c)

        case let .abort(ref, reason):
            try require()
            var c = try existingCase(ref)
            guard ![.received, .closed, .aborted].contains(c.progress) else { throw refuse("case \(ref) cannot be aborted: it is \(c.progress.rawValue)") }
            guard c.pendingHandoff == nil else { throw refuse("case \(ref) cannot be aborted while handoff \(c.pendingHandoff!) is open: refuse it first") }
            if c.custody != c.owner {
                emit(.custodyTransferred(ref, from: c.custody, to: c.owner))
                c.custody = c.owner
            }
            if c.progress == .scheduled { try releaseSeat(of: &c, reason: reason) }
            move(&c, to: .aborted)
            put(c)

        case let .releaseData(ref, recipient, categories, purpose):
            try require()
            let c = try existingCase(ref)
            guard let to = operation.agency(recipient) else { throw refuse("\(recipient) is not an agency of this operation") }
            let byPolicy = operation.disclosure.categories(for: to)
            let categories = Set(categories)
            let consented = c.consents.contains { consent in
                if case .dataRelease(let r, _) = consent.scope { return r == recipient && consent.isValid }
                return false
            }
            if let hold = blocking(c, .dataRelease) {
                throw refuse("data of case \(ref) cannot be released: \(hold.summary)", needs: hold.kind.categories,
                             redacted: "data of case \(ref) cannot be released: it has an active hold you may not see")
            }
            guard categories.isSubset(of: byPolicy) || consented else {
                let extra = categories.subtracting(byPolicy).map(\.rawValue).sorted().joined(separator: ", ")
                throw refuse("data of case \(ref) cannot be released to \(recipient) for \(purpose): no consent, and the disclosure policy does not grant \(extra) (hold kind 'data-release')")
            }
            emit(.dataReleased(ref, to: recipient, categories: categories.sorted()))

        case .sendNotice(let n):
            guard n.from == actorID else { throw refuse("notice \(n.ref) is from \(n.from), but \(actorID) sent it") }
            _ = try actor
            guard operation.agency(n.recipient) != nil else {
                throw refuse("notice \(n.ref) is addressed to \(n.to), but \(n.recipient) is not an agency of this operation (agencies: \(operation.agencies.map(\.id.rawValue).joined(separator: ", ")))")
            }
            let existing = try model.notice(n.ref)
            if decision.notices[n.ref] != nil || existing != nil { throw refuse("notice \(n.ref) was already sent") }
            for ref in n.cases { _ = try existingCase(ref) }
            // A notice is a letter, not a file: a body this large is a mistake or an attempt to
            // fill the store (and the ledger keeps every notice for good).
            guard n.body.utf8.count <= Notice.maximumBodyBytes else {
                throw refuse("notice \(n.ref) is \(n.body.utf8.count) bytes long: a notice's text is at most \(Notice.maximumBodyBytes) bytes")
            }
            guard n.cases.count <= Notice.maximumCases else {
                throw refuse("notice \(n.ref) is about \(n.cases.count) cases: a notice is about at most \(Notice.maximumCases)")
            }
            decision.notices[n.ref] = n
            emit(.noticeSent(n.ref, to: n.to))

        case .acknowledgeNotice(let ref):
            // An agency that neither sent nor receives a notice learns nothing of it, not even
            // that it exists: the refusal reads as for a reference never used.
            guard var n = try (decision.notices[ref] ?? model.notice(ref)), n.recipient == actorID || n.from == actorID else {
                throw refuse("no notice \(ref) addressed to \(actorID)")
            }
            guard n.recipient == actorID else { throw refuse("notice \(ref) is addressed to \(n.to): only \(n.recipient) may acknowledge it") }
            guard n.acknowledgedAt == nil else { throw refuse("notice \(ref) is already acknowledged") }
            n.acknowledgedAt = now
            decision.notices[ref] = n
            emit(.noticeAcknowledged(ref, by: actorID))

        case let .replyNotice(ref, answers):
            guard var n = try (decision.notices[ref] ?? model.notice(ref)), n.recipient == actorID || n.from == actorID else {
                throw refuse("no notice \(ref) addressed to \(actorID)")
            }
            guard n.recipient == actorID else { throw refuse("notice \(ref) is addressed to \(n.to): only \(n.recipient) may reply to it") }
            guard n.reply == nil else { throw refuse("notice \(ref) already has a reply") }
            if let problem = n.problem(with: answers) { throw refuse(problem) }
            n.reply = NoticeReply(at: now, answers: answers.sorted { $0.name < $1.name })
            // A reply acknowledges too: the deadline stops at whichever comes first.
            let acknowledges = n.acknowledgedAt == nil
            if acknowledges { n.acknowledgedAt = now }
            decision.notices[ref] = n
            if acknowledges { emit(.noticeAcknowledged(ref, by: actorID)) }
            emit(.noticeReplied(ref, by: actorID))

        case .signal(let s):
            guard actorID == .coordinator || operation.agency(actorID) != nil else {
                throw refuse("\(actorID) is neither an agency of this operation nor the coordinator")
            }
            guard s.name.contains("."), !s.name.hasPrefix("case."), !s.name.hasPrefix("hold."), !s.name.hasPrefix("handoff."),
                  EventCatalog.spec(named: s.name) == nil || EventCatalog.engineSignals.contains(s.name) else {
                throw refuse("'\(s.name)' cannot name a signal: use a dotted name outside case., hold. and handoff. that no model event has (for example leg.departing)")
            }
            // The engine's own signals (a notice past its deadline) come from the coordinator
            // only: an agency cannot make another's plugins believe one.
            guard !s.name.hasPrefix("notice.") || actorID == .coordinator else {
                throw refuse("'\(s.name)' cannot name a signal given by \(actorID): signals under notice. are the engine's own")
            }
            emit(.signalled(s))

        case .recordPluginOutcome(let o):
            _ = try actor
            guard o.agency == actorID else { throw refuse("an outcome of plugin \(o.plugin) is recorded by its agency \(o.agency), not \(actorID)") }
            emit(.pluginFailed(plugin: o.plugin, hook: o.hook, kind: o.kind))

        case .setPluginState(let change):
            _ = try actor
            guard change.agency == actorID else { throw refuse("the state of plugin \(change.plugin) is kept by its agency \(change.agency), not \(actorID)") }
            if let problem = change.problem { throw refuse(problem) }
            // No event: a plugin's state is its own, and no other plugin hears of it.
        }
    }

    /// Moves a case along cleared → documented → fit as far as what is on record allows, so
    /// that the order documents and assessments arrive in does not matter.
    mutating func catchUp(_ c: inout ReturnCase) {
        if c.progress == .cleared, c.validDocument(at: now) != nil { move(&c, to: .documented) }
        if c.progress == .documented, c.fitToFly?.isValid(at: now) == true { move(&c, to: .fit) }
    }

    /// Gives a scheduled case's seat back: its manifest entry is marked struck and the movement
    /// has one seat more. A seat stays taken by a case that has boarded, whatever follows.
    mutating func releaseSeat(of c: inout ReturnCase, reason: String) throws {
        guard let entry = c.manifest, entry.struck == nil else { return }
        var m = try existingMovement(entry.movement)
        m.booked -= 1
        decision.movements[m.ref] = m
        c.manifest?.struck = reason
    }

    /// Holds, documents and fitness, checked when scheduling and again at boarding.
    func checkReady(_ c: ReturnCase, for step: Step, verb: String) throws {
        if let hold = blocking(c, step) { throw refuse(c, verb, hold: hold) }
        guard c.validDocument(at: now) != nil else {
            throw refuse("case \(c.ref) cannot be \(verb): no valid travel document (hold kind 'travel-document')")
        }
        guard let fit = c.fitToFly, fit.isValid(at: now) else {
            let why = c.fitToFly.map { $0.fit ? "fit-to-fly expired on \(Timestamp.day($0.expiresAt))" : "assessed not fit to fly" } ?? "no fit-to-fly assessment"
            throw refuse("case \(c.ref) cannot be \(verb): \(why) (hold kind 'fit-to-fly')")
        }
    }
}
