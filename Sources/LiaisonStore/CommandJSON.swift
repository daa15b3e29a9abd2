import Foundation
import LiaisonModel

/// A command written by hand in exactly the JSON its synthesized `Codable` conformance gives,
/// as `EventJSON` does for events: every command is written to the ledger, and going through
/// `Codable` (a keyed container box, generic metadata and a nested container per enum case)
/// was a sixth of what a command cost the store. The tests compare this with the `Codable` text
/// for every case. A plugin's outcome and a signal go through `StreamingJSON`; a person and a
/// notice are written by hand too (`PersonJSON`, `NoticeJSON`); a case added to `Command` does not compile
/// here until it is written.
enum CommandJSON {
    static func write(_ command: Command, into out: inout [UInt8]) throws {
        var f = JSONFields()
        let name: StaticString
        switch command {
        case .registerPerson(let p):
            name = "registerPerson"
            var person: [UInt8] = []
            PersonJSON.write(p, sortedKeys: false, into: &person)
            f.json("_0", person)
        case .openCase(let o):
            name = "openCase"
            var c = JSONFields()
            c.text("ref", o.ref.rawValue); c.text("person", o.person.rawValue); c.text("track", o.track.rawValue)
            c.text("sendingState", o.sendingState); c.text("destinationState", o.destinationState)
            if let basis = o.legalBasis { c.json("legalBasis", try nested(basis)) }
            c.optionalText("parent", o.parent?.rawValue)
            f.object("_0", c)
        case .clear(let c): name = "clear"; f.text("_0", c.rawValue)
        case let .recordLegalEvent(c, kind, suspensive):
            name = "recordLegalEvent"; f.text("_0", c.rawValue); f.text("kind", kind.rawValue); f.flag("suspensive", suspensive)
        case let .decideLegalEvent(c, event, outcome, proceed):
            name = "decideLegalEvent"; f.text("_0", c.rawValue); f.integer("event", event); f.text("outcome", outcome)
            f.flag("removalMayProceed", proceed)
        case let .raiseHold(c, kind, reason, evidence, until):
            name = "raiseHold"; f.text("_0", c.rawValue); f.text("kind", kind.rawValue); f.text("reason", reason)
            f.optionalText("evidence", evidence)
            if let until { f.seconds("until", until) }
        case let .liftHold(c, hold, reason): name = "liftHold"; f.text("_0", c.rawValue); f.integer("hold", hold); f.text("reason", reason)
        case let .recordConsent(c, scope, interpreter):
            name = "recordConsent"; f.text("_0", c.rawValue); f.json("scope", consentScope(scope)); f.optionalText("interpreter", interpreter)
        case let .withdrawConsent(c, consent): name = "withdrawConsent"; f.text("_0", c.rawValue); f.integer("consent", consent)
        case let .requestDocument(c, kind, issuer):
            name = "requestDocument"; f.text("_0", c.rawValue); f.text("kind", kind.rawValue); f.text("issuer", issuer.rawValue)
        case let .issueDocument(c, kind, number, validUntil):
            name = "issueDocument"; f.text("_0", c.rawValue); f.text("kind", kind.rawValue); f.text("number", number)
            f.seconds("validUntil", validUntil)
        case let .refuseDocument(c, reason): name = "refuseDocument"; f.text("_0", c.rawValue); f.text("reason", reason)
        case let .assessFitness(c, fit):
            name = "assessFitness"; f.text("_0", c.rawValue); f.object("_1", fitToFly(fit))
        case let .serveNotice(c, charter): name = "serveNotice"; f.text("_0", c.rawValue); f.flag("charter", charter)
        case .verifyReception(let c): name = "verifyReception"; f.text("_0", c.rawValue)
        case let .schedule(c, movement, escorted):
            name = "schedule"; f.text("_0", c.rawValue); f.text("movement", movement.rawValue); f.flag("escorted", escorted)
        case let .strike(c, reason): name = "strike"; f.text("_0", c.rawValue); f.text("reason", reason)
        case let .authoriseTransit(m, leg): name = "authoriseTransit"; f.text("_0", m.rawValue); f.integer("leg", leg)
        case let .refuseTransit(m, leg, reason):
            name = "refuseTransit"; f.text("_0", m.rawValue); f.integer("leg", leg); f.text("reason", reason)
        case .depart(let c): name = "depart"; f.text("_0", c.rawValue)
        case .arriveInTransit(let c): name = "arriveInTransit"; f.text("_0", c.rawValue)
        case .proposeHandoff(let p):
            name = "proposeHandoff"
            var x = JSONFields()
            x.text("ref", p.ref.rawValue); x.texts("cases", p.cases.map(\.rawValue)); x.text("from", p.from.rawValue)
            x.text("to", p.to.rawValue); x.text("place", p.place); x.texts("documents", p.documents); x.texts("property", p.property)
            x.flag("monitorPresent", p.monitorPresent)
            f.object("_0", x)
        case .acknowledgeHandoff(let h): name = "acknowledgeHandoff"; f.text("_0", h.rawValue)
        case let .refuseHandoff(h, reason): name = "refuseHandoff"; f.text("_0", h.rawValue); f.text("reason", reason)
        case .receive(let c): name = "receive"; f.text("_0", c.rawValue)
        case .close(let c): name = "close"; f.text("_0", c.rawValue)
        case let .abort(c, reason): name = "abort"; f.text("_0", c.rawValue); f.text("reason", reason)
        case let .releaseData(c, to, categories, purpose):
            name = "releaseData"; f.text("_0", c.rawValue); f.text("to", to.rawValue); f.texts("categories", categories.map(\.rawValue))
            f.text("purpose", purpose)
        case .sendNotice(let n):
            name = "sendNotice"
            var x = JSONFields()
            NoticeJSON.write(n, into: &x)
            f.object("_0", x)
        case .acknowledgeNotice(let n): name = "acknowledgeNotice"; f.text("_0", n.rawValue)
        case .signal(let s): name = "signal"; f.json("_0", try nested(s))
        case .recordPluginOutcome(let o): name = "recordPluginOutcome"; f.json("_0", try nested(o))
        }
        JSONFields.single(name, f, into: &out)
    }

    static func fitToFly(_ fit: FitToFly) -> JSONFields {
        var x = JSONFields()
        x.text("assessor", fit.assessor); x.flag("fit", fit.fit); x.optionalText("conditions", fit.conditions)
        x.flag("medicalEscort", fit.medicalEscort); x.seconds("expiresAt", fit.expiresAt)
        return x
    }

    static func consentScope(_ scope: ConsentScope) -> [UInt8] {
        var f = JSONFields()
        let name: StaticString
        switch scope {
        case .returnItself: name = "returnItself"
        case let .dataRelease(recipient, purpose): name = "dataRelease"; f.text("recipient", recipient.rawValue); f.text("purpose", purpose)
        }
        var out: [UInt8] = []
        JSONFields.single(name, f, into: &out)
        return out
    }

    private static func nested<T: Encodable>(_ value: T) throws -> [UInt8] {
        try StreamingJSON().encode(value)
    }
}

/// A person's record written by hand, in declaration order (as `StreamingJSON` writes every
/// record) or with sorted keys (as `CanonicalJSON` writes the text a person's digest covers):
/// registering a person encoded the record three times through `Codable` (the ledger's digest,
/// the ledger form and the journal), a sixth of what the store's benchmark cost. The tests
/// compare both forms with the `Codable` writers.
enum PersonJSON {
    static func write(_ p: Person, sortedKeys: Bool, into out: inout [UInt8]) {
        var f = JSONFields()
        let vulnerabilities = p.vulnerabilities.sorted().map(\.rawValue)
        if sortedKeys {
            f.texts("aliases", p.aliases); f.text("dateOfBirth", p.dateOfBirth.description); f.optionalText("group", p.group?.rawValue)
            f.texts("languages", p.languages); f.texts("names", p.names); f.texts("nationalities", p.nationalities)
            f.text("ref", p.ref.rawValue); f.text("sex", p.sex.rawValue); f.texts("vulnerabilities", vulnerabilities)
        } else {
            f.text("ref", p.ref.rawValue); f.texts("names", p.names); f.texts("aliases", p.aliases)
            f.text("dateOfBirth", p.dateOfBirth.description); f.text("sex", p.sex.rawValue); f.texts("nationalities", p.nationalities)
            f.texts("languages", p.languages); f.texts("vulnerabilities", vulnerabilities); f.optionalText("group", p.group?.rawValue)
        }
        f.write(into: &out)
    }
}

/// A notice written by hand, in declaration order: every notice a plugin sends is written to the
/// ledger (its text as a digest) and journalled whole, and the record goes to the outbox at the
/// next checkpoint. The tests compare it with the `Codable` writer.
enum NoticeJSON {
    static func write(_ n: Notice, into f: inout JSONFields) {
        f.text("ref", n.ref.rawValue); f.text("from", n.from.rawValue); f.text("to", n.to); f.text("template", n.template)
        f.texts("cases", n.cases.map(\.rawValue))
        if let due = n.due { f.seconds("due", due) }
        f.seconds("sentAt", n.sentAt); f.text("body", n.body)
        if let at = n.acknowledgedAt { f.seconds("acknowledgedAt", at) }
    }
}

/// A case record written by hand, in declaration order: a checkpoint writes every case changed
/// since the last one, and through `Codable` (nested containers for holds, legal events,
/// consents and documents) that was most of a checkpoint's time. The tests compare it with the
/// `Codable` writer for a case with every optional field present and one with none.
enum ReturnCaseJSON {
    static func write(_ c: ReturnCase, into f: inout JSONFields) {
        f.text("ref", c.ref.rawValue); f.text("person", c.person.rawValue); f.text("track", c.track.rawValue)
        f.text("sendingState", c.sendingState); f.text("destinationState", c.destinationState)
        if let basis = c.legalBasis {
            var b = JSONFields()
            b.text("order", basis.order); b.optionalText("finalOn", basis.finalOn?.description)
            f.object("legalBasis", b)
        }
        f.text("progress", c.progress.rawValue); f.text("owner", c.owner.rawValue); f.text("custody", c.custody.rawValue)
        f.optionalText("parent", c.parent?.rawValue)
        f.objects("legalEvents", c.legalEvents.map { e in
            var x = JSONFields()
            x.integer("id", e.id); x.text("kind", e.kind.rawValue); x.flag("suspensive", e.suspensive); x.seconds("filedOn", e.filedOn)
            if let d = e.decidedOn { x.seconds("decidedOn", d) }
            x.optionalText("outcome", e.outcome)
            if let hold = e.hold { x.integer("hold", hold) }
            return x
        })
        f.objects("holds", c.holds.map { h in
            var x = JSONFields()
            x.integer("id", h.id); x.text("kind", h.kind.rawValue); x.text("raisedBy", h.raisedBy.rawValue)
            x.seconds("raisedAt", h.raisedAt); x.text("reason", h.reason); x.optionalText("evidence", h.evidence)
            x.texts("blocks", h.blocks.sorted().map(\.rawValue))
            if let until = h.until { x.seconds("until", until) }
            if let l = h.lifted {
                var y = JSONFields()
                y.text("by", l.by.rawValue); y.seconds("at", l.at); y.text("reason", l.reason)
                x.object("lifted", y)
            }
            return x
        })
        f.objects("consents", c.consents.map { k in
            var x = JSONFields()
            x.integer("id", k.id); x.json("scope", CommandJSON.consentScope(k.scope)); x.optionalText("interpreter", k.interpreter)
            x.seconds("signedAt", k.signedAt)
            if let w = k.withdrawnAt { x.seconds("withdrawnAt", w) }
            return x
        })
        f.objects("documents", c.documents.map { d in
            var x = JSONFields()
            x.text("kind", d.kind.rawValue); x.text("issuer", d.issuer.rawValue); x.optionalText("number", d.number)
            if let v = d.validUntil { x.seconds("validUntil", v) }
            x.text("status", d.status.rawValue)
            return x
        })
        if let fit = c.fitToFly { f.object("fitToFly", CommandJSON.fitToFly(fit)) }
        if let served = c.noticeServedAt { f.seconds("noticeServedAt", served) }
        f.flag("receptionVerified", c.receptionVerified)
        if let m = c.manifest {
            var x = JSONFields()
            x.text("movement", m.movement.rawValue); x.flag("escorted", m.escorted); x.optionalText("seat", m.seat)
            x.optionalText("struck", m.struck)
            f.object("manifest", x)
        }
        f.optionalText("pendingHandoff", c.pendingHandoff?.rawValue)
        f.integer("nextID", c.nextID)
    }
}
