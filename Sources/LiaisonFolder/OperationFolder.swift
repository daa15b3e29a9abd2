import Foundation
import LiaisonModel

/// An operation on disk: `operation.toml` (agencies and roles, disclosure, movements and legs,
/// lift rights, the clock's start) and `manifest.csv` (people and their cases).
///
/// Loading checks everything before anything is imported, and reports every problem with its
/// file and line: `manifest.csv:17: column 'date_of_birth': '1990-13-01' is not a date`.
public struct OperationFolder: Sendable {
    public let url: URL
    public let operation: ReturnOperation
    /// When the operation's clock starts; imports are recorded at this time.
    public let start: Date
    public let people: [Person]
    public let cases: [CaseOpening]
    /// The agency that opens the cases: the operation's sending enforcement agency.
    public let sendingAgency: AgencyID

    /// The commands that import the folder: each person registered, each case opened.
    public var importCommands: [(Command, AgencyID)] {
        people.map { (.registerPerson($0), sendingAgency) } + cases.map { (.openCase($0), sendingAgency) }
    }

    public static func load(_ url: URL) throws -> OperationFolder {
        var problems = Problems()
        let tomlURL = url.appendingPathComponent("operation.toml")
        let csvURL = url.appendingPathComponent("manifest.csv")
        let missing = "missing: an operation folder holds operation.toml and manifest.csv"
        let tomlText = InputFile.text(of: tomlURL, file: "operation.toml", missing: missing, into: &problems)
        let csvText = InputFile.text(of: csvURL, file: "manifest.csv", missing: missing, into: &problems)
        guard let tomlText, let csvText else { throw ImportError(folder: url.path, problems: problems.list) }
        let settings = OperationSettings.parse(tomlText, &problems)
        // The manifest is checked even when operation.toml is not readable, so that one run
        // lists the problems of both files.
        let manifest = Manifest.parse(csvText, operation: settings?.operation ?? ReturnOperation(name: "", agencies: []), start: settings?.start,
                                      &problems)
        guard problems.list.isEmpty, let settings, let manifest else { throw ImportError(folder: url.path, problems: problems.list) }
        return OperationFolder(url: url, operation: settings.operation, start: settings.start, people: manifest.people,
                               cases: manifest.cases, sendingAgency: settings.sendingAgency)
    }
}
