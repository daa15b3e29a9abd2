import Foundation
import LiaisonModel

// Records written by hand, in exactly the JSON their `Codable` conformances give: the store
// writes them with every command (a person's digest, a notice in the journal) and at every
// checkpoint. `StreamingJSON` hands these types here (`handWritten`); the tests compare each
// with the `Codable` writers.

/// A person's record written by hand, in declaration order (as `StreamingJSON` writes every
/// record) or with sorted keys (as `CanonicalJSON` writes the text a person's digest covers):
/// registering a person encoded the record three times through `Codable` (the ledger's digest,
/// the ledger form and the journal), a sixth of what the store's benchmark cost. The tests
/// compare both forms with the `Codable` writers.
enum PersonJSON {
    static func fields(_ p: Person, sortedKeys: Bool) -> JSONFields {
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
        return f
    }
}

/// A notice written by hand, in declaration order: every notice a plugin sends is written to the
/// ledger (its text as a digest) and journalled whole, and the record goes to the outbox at the
/// next checkpoint. The tests compare it with the `Codable` writer.
enum NoticeJSON {
    static func fields(_ n: Notice) -> JSONFields {
        var f = JSONFields()
        f.text("ref", n.ref.rawValue); f.text("from", n.from.rawValue); f.text("to", n.to); f.text("template", n.template)
        f.texts("cases", n.cases.map(\.rawValue))
        if let due = n.due { f.seconds("due", due) }
        f.seconds("sentAt", n.sentAt); f.text("body", n.body)
        if let at = n.acknowledgedAt { f.seconds("acknowledgedAt", at) }
        if let asks = n.asks {
            f.objects("asks", asks.map { q in
                var x = JSONFields()
                x.text("name", q.name); x.text("kind", q.kind.rawValue); x.flag("optional", q.optional)
                return x
            })
        }
        if let reply = n.reply {
            var x = JSONFields()
            x.seconds("at", reply.at); x.objects("answers", answers(reply.answers))
            f.object("reply", x)
        }
        return f
    }

    static func answers(_ answers: [NoticeReply.Answer]) -> [JSONFields] {
        answers.map { a in
            var x = JSONFields()
            x.text("name", a.name); x.text("value", a.value)
            return x
        }
    }
}

/// A case record written by hand, in declaration order: a checkpoint writes every case changed
/// since the last one, and through `Codable` (nested containers for holds, legal events,
/// consents and documents) that was most of a checkpoint's time. The tests compare it with the
/// `Codable` writer for a case with every optional field present and one with none.
enum ReturnCaseJSON {
    static func fields(_ c: ReturnCase) -> JSONFields {
        var f = JSONFields()
        f.text("ref", c.ref.rawValue); f.text("person", c.person.rawValue); f.text("track", c.track.rawValue)
        f.text("sendingState", c.sendingState); f.text("destinationState", c.destinationState)
        if let basis = c.legalBasis { f.object("legalBasis", PartJSON.legalBasis(basis)) }
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
            x.integer("id", k.id); x.object("scope", PartJSON.consentScope(k.scope)); x.optionalText("interpreter", k.interpreter)
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
        if let fit = c.fitToFly { f.object("fitToFly", PartJSON.fitToFly(fit)) }
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
        return f
    }
}

/// Values that commands and records both carry.
enum PartJSON {
    static func legalBasis(_ basis: LegalBasis) -> JSONFields {
        var f = JSONFields()
        f.text("order", basis.order); f.optionalText("finalOn", basis.finalOn?.description)
        return f
    }

    static func fitToFly(_ fit: FitToFly) -> JSONFields {
        var f = JSONFields()
        f.text("assessor", fit.assessor); f.flag("fit", fit.fit); f.optionalText("conditions", fit.conditions)
        f.flag("medicalEscort", fit.medicalEscort); f.seconds("expiresAt", fit.expiresAt)
        return f
    }

    /// An enum case with associated values: `{"returnItself":{}}`.
    static func consentScope(_ scope: ConsentScope) -> JSONFields {
        var f = JSONFields(), values = JSONFields()
        switch scope {
        case .returnItself: f.object("returnItself", values)
        case let .dataRelease(recipient, purpose):
            values.text("recipient", recipient.rawValue); values.text("purpose", purpose)
            f.object("dataRelease", values)
        }
        return f
    }
}
