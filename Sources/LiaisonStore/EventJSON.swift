import Foundation
import LiaisonModel

/// A command's events, written by hand in exactly the JSON their synthesized `Codable`
/// conformance gives: events are written for every command, and going through `Codable` for
/// an enum case of two or three fields was a tenth of what a command cost in the store's
/// benchmark. The tests compare this with the `Codable` text for every case; a case added to
/// `Event` does not compile here until it is written.
enum EventJSON {
    static func write(_ events: [Event], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(event, into: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    static func write(_ event: Event, into out: inout [UInt8]) {
        var f = JSONFields()
        let name: StaticString
        switch event {
        case .personRegistered(let p): name = "personRegistered"; f.text("_0", p.rawValue)
        case .caseOpened(let c): name = "caseOpened"; f.text("_0", c.rawValue)
        case let .stateChanged(c, from, to):
            name = "stateChanged"; f.text("_0", c.rawValue); f.text("from", from.rawValue); f.text("to", to.rawValue)
        case let .holdRaised(c, hold, kind):
            name = "holdRaised"; f.text("_0", c.rawValue); f.integer("hold", hold); f.text("kind", kind.rawValue)
        case let .holdLifted(c, hold, kind, by):
            name = "holdLifted"; f.text("_0", c.rawValue); f.integer("hold", hold); f.text("kind", kind.rawValue); f.text("by", by.rawValue)
        case let .legalEventRecorded(c, id, kind):
            name = "legalEventRecorded"; f.text("_0", c.rawValue); f.integer("event", id); f.text("kind", kind.rawValue)
        case let .legalEventDecided(c, id, outcome):
            name = "legalEventDecided"; f.text("_0", c.rawValue); f.integer("event", id); f.text("outcome", outcome)
        case let .consentRecorded(c, id): name = "consentRecorded"; f.text("_0", c.rawValue); f.integer("consent", id)
        case let .consentWithdrawn(c, id): name = "consentWithdrawn"; f.text("_0", c.rawValue); f.integer("consent", id)
        case let .documentUpdated(c, status): name = "documentUpdated"; f.text("_0", c.rawValue); f.text("status", status.rawValue)
        case let .fitnessAssessed(c, fit): name = "fitnessAssessed"; f.text("_0", c.rawValue); f.flag("fit", fit)
        case let .noticeServed(c, ends): name = "noticeServed"; f.text("_0", c.rawValue); f.seconds("periodEnds", ends)
        case .receptionVerified(let c): name = "receptionVerified"; f.text("_0", c.rawValue)
        case let .struck(c, reason): name = "struck"; f.text("_0", c.rawValue); f.text("reason", reason)
        case let .transitUpdated(m, leg, state):
            name = "transitUpdated"; f.text("_0", m.rawValue); f.integer("leg", leg); f.text("state", state.rawValue)
        case .handoffProposed(let h): name = "handoffProposed"; f.text("_0", h.rawValue)
        case let .handoffAcknowledged(h, by): name = "handoffAcknowledged"; f.text("_0", h.rawValue); f.text("by", by.rawValue)
        case .handoffCompleted(let h): name = "handoffCompleted"; f.text("_0", h.rawValue)
        case let .handoffRefused(h, reason): name = "handoffRefused"; f.text("_0", h.rawValue); f.text("reason", reason)
        case let .custodyTransferred(c, from, to):
            name = "custodyTransferred"; f.text("_0", c.rawValue); f.text("from", from.rawValue); f.text("to", to.rawValue)
        case let .dataReleased(c, to, categories):
            name = "dataReleased"; f.text("_0", c.rawValue); f.text("to", to.rawValue); f.texts("categories", categories.map(\.rawValue))
        case let .noticeSent(n, to): name = "noticeSent"; f.text("_0", n.rawValue); f.text("to", to)
        case let .noticeAcknowledged(n, by): name = "noticeAcknowledged"; f.text("_0", n.rawValue); f.text("by", by.rawValue)
        case let .noticeReplied(n, by): name = "noticeReplied"; f.text("_0", n.rawValue); f.text("by", by.rawValue)
        case .signalled(let signal):
            name = "signalled"
            var s = JSONFields()
            s.text("name", signal.name)
            var fields = JSONFields()
            for k in signal.fields.keys.sorted() { fields.text(dynamicKey: k, signal.fields[k]!) }
            s.object("fields", fields)
            f.object("_0", s)
        case let .pluginFailed(plugin, hook, kind):
            name = "pluginFailed"; f.text("plugin", plugin); f.text("hook", hook); f.text("kind", kind.rawValue)
        }
        JSONFields.single(name, f, into: &out)
    }
}
