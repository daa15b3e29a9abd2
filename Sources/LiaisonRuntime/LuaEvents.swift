import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore
import LuaKit

extension FieldValue {
    /// The value as Lua sees it: times as seconds since 1970, lists as arrays, none as nil.
    public var luaValue: LuaValue {
        switch self {
        case .none: return .nil
        case .text(let s): return .string(LuaString(s))
        case .number(let n): return .integer(Int64(n))
        case .flag(let b): return .boolean(b)
        case .date(let d): return .integer(PluginRuntime.seconds(d))
        case .list(let l): return .array(l.map(\.luaValue))
        }
    }
}

extension PluginRuntime {
    /// A time as Lua sees it. Every time a record holds is one the model keeps; a stranger one
    /// (a store from before the model checked) reads as 0 rather than stopping the host.
    static func seconds(_ d: Date) -> Int64 { Int64(exactly: d.timeIntervalSince1970.rounded(.down)) ?? 0 }

    // MARK: Events as Lua sees them

    /// `ev` for a handler of `hook`: the event's name as the handler subscribed to it
    /// (`notice.received` for a sent notice to its own agency), the objects involved and the
    /// event's details.
    func eventValue(_ event: Event, as hook: String) -> LuaRecord {
        var t = LuaRecord()
        t["name"] = .string(LuaString(hook))
        func s(_ v: String) -> LuaValue { .string(LuaString(v)) }
        func c(_ ref: CaseRef) -> LuaValue { .object(CaseHandle(ref, self)) }
        switch event {
        case .personRegistered(let p): t["person"] = s(p.rawValue)
        case .caseOpened(let ref), .receptionVerified(let ref): t["case"] = c(ref)
        case let .stateChanged(ref, from, to): (t["case"], t["from"], t["to"]) = (c(ref), s(from.rawValue), s(to.rawValue))
        case let .holdRaised(ref, hold, kind): (t["case"], t["hold"], t["kind"]) = (c(ref), .integer(Int64(hold)), s(kind.rawValue))
        case let .holdLifted(ref, hold, kind, by): (t["case"], t["hold"], t["kind"], t["by"]) = (c(ref), .integer(Int64(hold)), s(kind.rawValue), s(by.rawValue))
        case let .legalEventRecorded(ref, id, kind): (t["case"], t["event"], t["kind"]) = (c(ref), .integer(Int64(id)), s(kind.rawValue))
        case let .legalEventDecided(ref, id, outcome): (t["case"], t["event"], t["outcome"]) = (c(ref), .integer(Int64(id)), s(outcome))
        case let .consentRecorded(ref, id), let .consentWithdrawn(ref, id): (t["case"], t["consent"]) = (c(ref), .integer(Int64(id)))
        case let .documentUpdated(ref, status): (t["case"], t["status"]) = (c(ref), s(status.rawValue))
        case let .fitnessAssessed(ref, fit): (t["case"], t["fit"]) = (c(ref), .boolean(fit))
        case let .noticeServed(ref, ends): (t["case"], t["period_ends"]) = (c(ref), .integer(Self.seconds(ends)))
        case let .struck(ref, reason): (t["case"], t["reason"]) = (c(ref), s(reason))
        case let .transitUpdated(m, leg, state): (t["movement"], t["leg"], t["state"]) = (.object(MovementHandle(m, self)), .integer(Int64(leg + 1)), s(state.rawValue))
        case .handoffProposed(let h), .handoffCompleted(let h): t["handoff"] = .object(HandoffHandle(h, self))
        case let .handoffAcknowledged(h, by): (t["handoff"], t["by"]) = (.object(HandoffHandle(h, self)), s(by.rawValue))
        case let .handoffRefused(h, reason): (t["handoff"], t["reason"]) = (.object(HandoffHandle(h, self)), s(reason))
        case let .custodyTransferred(ref, from, to): (t["case"], t["from"], t["to"]) = (c(ref), s(from.rawValue), s(to.rawValue))
        case let .dataReleased(ref, to, categories): (t["case"], t["to"], t["categories"]) = (c(ref), s(to.rawValue), .array(categories.map { s($0.rawValue) }))
        case let .noticeSent(ref, _), let .noticeAcknowledged(ref, _), let .noticeReplied(ref, _):
            switch event {
            case let .noticeSent(_, to): t["to"] = s(to)
            case let .noticeAcknowledged(_, by), let .noticeReplied(_, by): t["by"] = s(by.rawValue)
            default: break
            }
            t["notice"] = .object(NoticeHandle(ref, self))
        case .signalled(let signal):
            for (k, v) in signal.fields {
                switch k {
                case "case": t[k] = c(CaseRef(v))
                case "movement": t[k] = .object(MovementHandle(MovementRef(v), self))
                case "handoff": t[k] = .object(HandoffHandle(HandoffRef(v), self))
                default: t[k] = Int64(v).map(LuaValue.integer) ?? s(v)
                }
            }
        case let .pluginFailed(plugin, hook, kind): (t["plugin"], t["hook"], t["kind"]) = (s(plugin), s(hook), s(kind.rawValue))
        }
        return t
    }
}
