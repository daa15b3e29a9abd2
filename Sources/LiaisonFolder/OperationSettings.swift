import Foundation
import LiaisonModel

/// `operation.toml`: the operation, when its clock starts, and which agency opens its cases.
struct OperationSettings {
    var operation: ReturnOperation
    var start: Date
    var sendingAgency: AgencyID

    static let keys = ["name", "start", "agencies", "movements", "disclosure", "lift_rights", "grants", "signals",
                       "notice_hours", "charter_notice_working_days"]

    static func parse(_ text: String, _ problems: inout Problems) -> OperationSettings? {
        let document = TOMLDocument(text, file: "operation.toml")
        defer { problems.add(document.problems) }
        guard let root = document.root else { return nil }
        return read(root)
    }

    static func read(_ root: TOMLTableReader) -> OperationSettings? {
        root.refuseUnknownKeys(keys, of: "operation.toml")
        let name = root.string("name") ?? "operation"
        let start = root.date("start")
        let agencies = Self.agencies(root)
        let known = Set(agencies.map(\.id))
        let sending = agencies.filter { $0.role == .sendingEnforcement }
        if agencies.isEmpty { root.fail("agencies", "missing: list the agencies as [[agencies]] tables") }
        else if sending.count != 1 { root.fail("agencies", "exactly one agency must have role 'sending-enforcement' (found \(sending.count))") }

        var policy = DisclosurePolicy.standard
        if let disclosure = root.table("disclosure", shape: "[disclosure.roles] and [disclosure.agencies], each naming field categories") {
            disclosure.refuseUnknownKeys(["roles", "agencies"], of: "[disclosure]")
            if let roles = disclosure.table("roles", shape: "ROLE = [categories...]") {
                for roleText in roles.keys {
                    guard let role = AgencyRole(rawValue: roleText) else { roles.fail(roleText, "'\(roleText)' is not a role"); continue }
                    policy.roles[role] = categories(roles, roleText)
                }
            }
            if let overrides = disclosure.table("agencies", shape: "AGENCY = [categories...]") {
                for id in overrides.keys {
                    if !known.contains(AgencyID(id)) { overrides.fail(id, "\(id) is not one of the agencies") }
                    policy.agencies[AgencyID(id)] = categories(overrides, id)
                }
            }
        }

        var rights: [HoldKind: Set<AgencyID>] = [:]
        if let lift = root.table("lift_rights", shape: "HOLD_KIND = [agencies...]") {
            for kindText in lift.keys {
                guard let kind = HoldKind(rawValue: kindText) else {
                    lift.fail(kindText, "'\(kindText)' is not a hold kind (kinds: \(HoldKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                let ids = lift.strings(kindText).map(AgencyID.init)
                for id in ids where !known.contains(id) { lift.fail(kindText, "\(id) is not one of the agencies") }
                rights[kind] = Set(ids)
            }
        }

        let movements = Self.movements(root, agencies: agencies)
        let signals = root.strings("signals")
        for signal in signals where !signal.contains(".") || EventCatalog.spec(named: signal) != nil {
            root.fail("signals", "'\(signal)' cannot name a signal: use a dotted name that no model event has (for example intake.review)")
        }
        let operation = ReturnOperation(name: name, agencies: agencies, disclosure: policy, movements: movements, liftRights: rights,
                                        noticeHours: root.int("notice_hours", default: 72, maximum: 8_760),  // a year
                                        charterNoticeWorkingDays: root.int("charter_notice_working_days", default: 5, maximum: 260),
                                        grants: grants(root, agencies: agencies), signals: signals)
        guard let start, let sendingAgency = sending.first, sending.count == 1 else { return nil }
        return OperationSettings(operation: operation, start: start, sendingAgency: sendingAgency.id)
    }

    static func agencies(_ root: TOMLTableReader) -> [Agency] {
        var agencies: [Agency] = []
        for a in root.tables("agencies") {
            a.refuseUnknownKeys(["id", "name", "country", "role", "contacts", "plugins"], of: "an agency")
            guard let id = a.string("id"), let agencyName = a.string("name"), let country = a.string("country"),
                  let roleText = a.string("role") else { continue }
            guard let role = AgencyRole(rawValue: roleText) else {
                a.fail("role", "'\(roleText)' is not a role (roles: \(AgencyRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if agencies.contains(where: { $0.id.rawValue == id }) { a.fail("id", "agency \(id) is listed twice") }
            let plugins = a.strings("plugins")
            for p in plugins {
                if p.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
                    a.fail("plugins", "'\(p)' is not a plugin name (lower-case letters, digits and dashes)")
                } else if let other = agencies.first(where: { $0.plugins.contains(p) }) {
                    a.fail("plugins", "plugin '\(p)' is already listed for \(other.id): a plugin acts for one agency")
                }
            }
            agencies.append(Agency(id: AgencyID(id), name: agencyName, country: country, role: role, contacts: a.strings("contacts"),
                                   plugins: plugins))
        }
        return agencies
    }

    static func movements(_ root: TOMLTableReader, agencies: [Agency]) -> [Movement] {
        var movements: [Movement] = []
        for m in root.tables("movements") {
            m.refuseUnknownKeys(["ref", "organiser", "carrier", "charter", "capacity", "legs"], of: "a movement")
            guard let ref = m.string("ref"), let organiser = m.string("organiser"), let carrier = m.string("carrier") else { continue }
            if !agencies.contains(where: { $0.id.rawValue == organiser }) { m.fail("organiser", "\(organiser) is not one of the agencies") }
            var legs: [Leg] = []
            for l in m.tables("legs") {
                l.refuseUnknownKeys(["from", "to", "departs", "arrives", "transit_authority"], of: "a leg")
                guard let from = l.string("from"), let to = l.string("to"), let departs = l.date("departs"),
                      let arrives = l.date("arrives") else { continue }
                if arrives <= departs { l.fail("arrives", "must be after departs") }
                let authority = l.string("transit_authority", required: false).map(AgencyID.init)
                if let authority, agencies.first(where: { $0.id == authority })?.role != .transitAuthority {
                    l.fail("transit_authority", "\(authority) is not an agency with role 'transit-authority'")
                }
                legs.append(Leg(from: from, to: to, scheduledDeparture: departs, scheduledArrival: arrives, transitAuthority: authority))
            }
            if legs.isEmpty { m.fail(nil, "has no legs: add [[movements.legs]] tables") }
            movements.append(Movement(ref: MovementRef(ref), organiser: AgencyID(organiser), carrier: carrier,
                                      charter: m.bool("charter", default: false), capacity: m.int("capacity", default: 0), legs: legs))
        }
        return movements
    }

    /// `[grants.roles.ROLE]` and `[grants.agencies.ID]`, each with `commands` and `veto`: a
    /// role's table replaces the standard one key by key, and an agency's replaces its role's.
    /// A command the role may never give, by the model's rules, is a problem, not a silent no.
    static func grants(_ root: TOMLTableReader, agencies: [Agency]) -> Grants {
        var grants = Grants.standard
        let shape = "[grants.roles.ROLE] and [grants.agencies.AGENCY], each with commands = [...] and veto = [...]"
        guard let table = root.table("grants", shape: shape) else { return grants }
        table.refuseUnknownKeys(["agencies", "roles"], of: "[grants]")
        if let roles = table.table("roles", shape: shape) {
            for roleText in roles.keys {
                guard let role = AgencyRole(rawValue: roleText) else {
                    roles.fail(roleText, "'\(roleText)' is not a role (roles: \(AgencyRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                guard let entry = roles.table(roleText, shape: "commands = [...] and veto = [...]") else { continue }
                grants.roles[role] = grant(entry, role: role, base: grants.roles[role] ?? Grant(commands: []))
            }
        }
        if let overrides = table.table("agencies", shape: shape) {
            for id in overrides.keys {
                guard let agency = agencies.first(where: { $0.id.rawValue == id }) else {
                    overrides.fail(id, "\(id) is not one of the agencies")
                    continue
                }
                guard let entry = overrides.table(id, shape: "commands = [...] and veto = [...]") else { continue }
                grants.agencies[agency.id] = grant(entry, role: agency.role, base: grants.grant(for: agency))
            }
        }
        return grants
    }

    private static func grant(_ t: TOMLTableReader, role: AgencyRole, base: Grant) -> Grant {
        t.refuseUnknownKeys(["commands", "veto"], of: "a grant")
        var grant = base
        if t.has("commands") {
            grant.commands = []
            for command in t.strings("commands") {
                if Rules.authorities.first(where: { $0.command == command }) == nil {
                    t.fail("commands", "'\(command)' is not a command (commands: \(Rules.authorities.map(\.command).joined(separator: ", ")))")
                } else if !Rules.role(role, mayGive: command) {
                    let a = Rules.authority(command)
                    t.fail("commands", "'\(command)' is a command role \(role.rawValue) may never give: only \(a.roles.map(\.rawValue).joined(separator: " or ")) may \(a.what)")
                } else {
                    grant.commands.insert(command)
                }
            }
        }
        if t.has("veto") {
            grant.vetoes = []
            for event in t.strings("veto") {
                if event == "*" || EventCatalog.spec(named: event) != nil {
                    grant.vetoes.insert(event)
                } else {
                    t.fail("veto", "'\(event)' is not an event of the model (events: \(EventCatalog.specs.map(\.name).joined(separator: ", ")); or \"*\" for every event)")
                }
            }
        }
        return grant
    }

    static func categories(_ t: TOMLTableReader, _ key: String) -> Set<FieldCategory> {
        var out = Set<FieldCategory>()
        for n in t.strings(key) {
            if let c = FieldCategory(rawValue: n) { out.insert(c) } else {
                t.fail(key, "'\(n)' is not a field category (categories: \(FieldCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }
        // A protection claim is a legal event: granting the one without the other would let a
        // reader count claims it may not see among the holds.
        if out.contains(.protection) && !out.contains(.legal) {
            t.fail(key, "'protection' is granted without 'legal': protection claims are legal events, so grant both or neither")
        }
        return out
    }
}
