import LiaisonModel

/// Reference tables for the docs, generated from the descriptions the code itself runs on
/// (`EventCatalog`, `Rules.authorities`, `Grants.standard`), so that the docs cannot say
/// something the host does not do: a test holds `docs/EVENTS.md`, `docs/TRUST.md` and `docs/API.md` to them.
public enum Reference {
    /// Every event: what causes it, who hears of it, and its fields.
    public static var events: String {
        var out = ["| event | caused by | who hears of it | fields |", "|---|---|---|---|"]
        for e in EventCatalog.specs {
            let fields = e.fields.map { "`\($0.name)` (\($0.type)): \($0.doc)" }.joined(separator: "; ")
            out.append("| `\(e.name)` | \(e.cause) | \(e.audience) | \(fields) |")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Who may give each command by the model's rules, and which roles the standard grants give it.
    public static var commands: String {
        let roles = AgencyRole.allCases
        var out = ["| command | may be given by | " + roles.map(\.rawValue).joined(separator: " | ") + " |",
                   "|---|---|" + roles.map { _ in "---|" }.joined()]
        for a in Rules.authorities {
            let who = a.roles.count == roles.count ? "any agency" : a.roles.map(\.rawValue).joined(separator: ", ")
            let cells = roles.map { role in
                !a.roles.contains(role) ? "" : Grants.standard.roles[role]!.commands.contains(a.command) ? "granted" : "may be granted"
            }
            out.append("| `\(a.command)` | \(who)\(a.condition.map { ": \($0)" } ?? "") | " + cells.joined(separator: " | ") + " |")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The events on which each role may object, by the standard grants.
    public static var vetoes: String {
        var out = ["| role | may refuse the command that caused |", "|---|---|"]
        for role in AgencyRole.allCases {
            let v = Grants.standard.roles[role]!.vetoes.sorted()
            out.append("| \(role.rawValue) | " + (v.isEmpty ? "nothing: it observes" : v == ["*"] ? "any event" : v.map { "`\($0)`" }.joined(separator: ", ")) + " |")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The plugin API: every member, class by class, as the stubs describe it.
    public static var api: String { members(PluginRuntime.apiMembers) }

    /// A table of API members: each class (or table of functions) a section of its own.
    public static func members(_ members: [APIMember]) -> String {
        var owners: [String] = []
        for m in members where !owners.contains(m.owner) { owners.append(m.owner) }
        var out: [String] = []
        for owner in owners {
            let title = owner == "_G" ? "Global functions" : owner == "Model" ? "`model`" : owner == "scenario" ? "`scenario`" : "`\(owner)`"
            out += ["#### \(title)", "", "| member | type | what it is |", "|---|---|---|"]
            for m in members where m.owner == owner {
                let call: String
                switch m.kind {
                case .field: call = m.name
                case .method: call = ":\(m.name)(" + m.params.map { $0.name + ($0.optional ? "?" : "") }.joined(separator: ", ") + ")"
                case .function: call = (owner == "_G" ? "" : owner == "Model" ? "model." : "\(owner).") + "\(m.name)("
                    + m.params.map { $0.name + ($0.optional ? "?" : "") }.joined(separator: ", ") + ")"
                }
                let table = m.passing == .positionalOrTable ? " Its arguments may also be given as one table." : ""
                out.append("| `\(call)` | `\(m.type.replacingOccurrences(of: "|", with: "\\|"))` | \(m.doc.replacingOccurrences(of: "|", with: "\\|"))\(table) |")
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }
}
