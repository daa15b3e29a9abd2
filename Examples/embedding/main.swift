// A Swift application embedding the Liaison host: it opens an operation, loads its agencies'
// plugins, watches what they do, gives a command of its own, and plays the operation's
// timeline. Built and run by the package's tests (`swift run liaison-embedding`).
import Foundation
import LiaisonModel
import LiaisonRuntime

let folder = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "Examples/gulf-charter")

do {
    // The operation folder, its plugins and a store in memory (give a path to keep it).
    let host = try OperationHost.open(folder, store: nil)
    print("opened \(host.folder.operation.name): \(host.engine.plugins.plugins.map(\.name).joined(separator: ", "))")

    // Observe every command: here, count notices by template and print refusals.
    var notices: [String: Int] = [:]
    host.observer = { outcome in
        for notice in outcome.notices { notices[notice.template, default: 0] += 1 }
        if let refusal = outcome.refusal { print("refused \(outcome.command): \(refusal)") }
    }

    try host.importManifest()

    // A command of the application's own, checked by the model like any other: a suspensive
    // appeal for R-0002, which the sending agency's plugin answers with a notice to its lawyers.
    let appeal = try host.engine.submit(.recordLegalEvent("R-0002", kind: .appeal, suspensive: true), by: "US-ENF")
    print("appeal for R-0002: \(appeal.events.map(\.name).joined(separator: ", ")); \(appeal.handlerCalls) handler calls")

    // A command the rules refuse changes nothing and says why.
    let early = try host.engine.submit(.depart("R-0001"), by: "US-ENF")
    print("boarding R-0001 now: \(early.refusal ?? "accepted")")

    try host.play()
    let summary = try host.summary()
    print(summary.casesByState.map { "\($0.count) \($0.state)" }.joined(separator: ", "))
    print("notices: " + notices.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    print(try host.store.verify())
} catch {
    FileHandle.standardError.write(Data("liaison-embedding: \(error)\n".utf8))
    exit(1)
}
