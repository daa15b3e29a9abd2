import LiaisonModel
import LiaisonStore

/// What one agency may learn of what the engine did: the same rules that decide which events
/// its plugins are offered decide what its console (`liaison repl --as`), its tests
/// (`op:as(AGENCY)`) and anything else speaking for it are shown of an outcome or the ledger.
/// The coordinator's reader sees everything.
extension Outcome {
    /// The outcome as `reader`'s agency may learn of it: the refusal in words it may be told;
    /// only the events it may hear of, from the commands the ledger took; only its own plugins'
    /// failures; only the notices it sent or receives. The handler calls are not counted for an
    /// agency: their number would tell of handlers run on events it may not hear of.
    public func seen(by reader: CaseReader, in model: ModelReader) -> Outcome {
        guard reader !== CaseReader.coordinator else { return self }
        var o = self
        let me = reader.agency.id
        if let r = refused { o.refused = Refusal(command: r.command, reason: r.reason(for: reader)) }
        o.applied = applied.filter { AgencyView.mayLearn($0.entry.command, events: $0.events, by: $0.entry.actor, reader: reader, in: model) }
        o.events = refused == nil ? o.applied.flatMap { a in AgencyView.visible(a.events, causedBy: a.entry.actor, to: reader, in: model) } : []
        o.failures = failures.filter { $0.agency == me }
        o.notices = notices.filter { $0.from == me || $0.recipient == me }
        o.handlerCalls = 0
        return o
    }
}

enum AgencyView {
    /// The events of `events` (caused by a command of `actor`) that `reader` may hear of, each
    /// without the fields it may not see (a withheld reason reads "(withheld)").
    static func visible(_ events: [Event], causedBy actor: AgencyID, to reader: CaseReader, in model: ModelReader) -> [Event] {
        events.compactMap { event in
            guard case .shown(let withheld) = event.disclosure(to: reader, causedBy: actor, in: model) else { return nil }
            guard withheld.contains("reason") else { return event }
            switch event {
            case let .struck(ref, _): return .struck(ref, reason: "(withheld)")
            case let .handoffRefused(ref, _): return .handoffRefused(ref, reason: "(withheld)")
            default: return event
            }
        }
    }

    /// Whether `reader` may learn that a ledger entry exists: it gave the command, or it may hear
    /// of every event the command caused. A plugin's failure and its state are its own
    /// agency's to know.
    static func mayLearn(_ command: String, events: [Event], by actor: AgencyID, reader: CaseReader, in model: ModelReader) -> Bool {
        if reader === CaseReader.coordinator || actor == reader.agency.id { return true }
        if command == "plugin.outcome" || command == "plugin.state" { return false }
        if command == "operation.create" { return true }
        return events.allSatisfy { if case .shown = $0.disclosure(to: reader, causedBy: actor, in: model) { return true } else { return false } }
    }
}

extension LedgerEntry {
    /// The events of this entry `reader` may hear of, each without the fields it may not see.
    public func visibleEvents(to reader: CaseReader, in model: ModelReader) throws -> [Event] {
        AgencyView.visible(try decodedEvents(), causedBy: actor, to: reader, in: model)
    }

    /// Whether `reader` may learn of this entry (see `Outcome.seen(by:in:)`).
    public func isVisible(to reader: CaseReader, in model: ModelReader) -> Bool {
        guard reader !== CaseReader.coordinator else { return true }
        guard let events = try? decodedEvents() else { return false }
        return AgencyView.mayLearn(command, events: events, by: actor, reader: reader, in: model)
    }
}
