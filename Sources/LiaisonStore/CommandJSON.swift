import Foundation
import LiaisonModel

/// A command written by hand in exactly the JSON its synthesized `Codable` conformance gives,
/// as `EventJSON` does for events: every command is written to the ledger, and going through
/// `Codable` (a keyed container box, generic metadata and a nested container per enum case)
/// was a sixth of what a command cost the store. The tests compare this with the `Codable` text
/// for every case. A plugin's outcome and a signal go through `StreamingJSON`; the records
/// a command carries are written by hand too (RecordJSON.swift). A case added to `Command`
/// does not compile here until it is written.
enum CommandJSON {
    static func write(_ command: Command, into out: inout [UInt8]) throws {
        var f = JSONFields()
        let name: StaticString
        switch command {
        case .registerPerson(let p):
            name = "registerPerson"; f.object("_0", PersonJSON.fields(p, sortedKeys: false))
        case .openCase(let o):
            name = "openCase"
            var c = JSONFields()
            c.text("ref", o.ref.rawValue); c.text("person", o.person.rawValue); c.text("track", o.track.rawValue)
            c.text("sendingState", o.sendingState); c.text("destinationState", o.destinationState)
            if let basis = o.legalBasis { c.object("legalBasis", PartJSON.legalBasis(basis)) }
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
            name = "recordConsent"; f.text("_0", c.rawValue); f.object("scope", PartJSON.consentScope(scope)); f.optionalText("interpreter", interpreter)
        case let .withdrawConsent(c, consent): name = "withdrawConsent"; f.text("_0", c.rawValue); f.integer("consent", consent)
        case let .requestDocument(c, kind, issuer):
            name = "requestDocument"; f.text("_0", c.rawValue); f.text("kind", kind.rawValue); f.text("issuer", issuer.rawValue)
        case let .issueDocument(c, kind, number, validUntil):
            name = "issueDocument"; f.text("_0", c.rawValue); f.text("kind", kind.rawValue); f.text("number", number)
            f.seconds("validUntil", validUntil)
        case let .refuseDocument(c, reason): name = "refuseDocument"; f.text("_0", c.rawValue); f.text("reason", reason)
        case let .assessFitness(c, fit):
            name = "assessFitness"; f.text("_0", c.rawValue); f.object("_1", PartJSON.fitToFly(fit))
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
            name = "sendNotice"; f.object("_0", NoticeJSON.fields(n))
        case .acknowledgeNotice(let n): name = "acknowledgeNotice"; f.text("_0", n.rawValue)
        case let .replyNotice(n, answers): name = "replyNotice"; f.text("_0", n.rawValue); f.objects("answers", NoticeJSON.answers(answers))
        case .signal(let s): name = "signal"; f.json("_0", try nested(s))
        case .recordPluginOutcome(let o): name = "recordPluginOutcome"; f.json("_0", try nested(o))
        case .setPluginState(let c): name = "setPluginState"; f.json("_0", try nested(c))
        }
        JSONFields.single(name, f, into: &out)
    }

    private static func nested<T: Encodable>(_ value: T) throws -> [UInt8] {
        try StreamingJSON().encode(value)
    }
}
