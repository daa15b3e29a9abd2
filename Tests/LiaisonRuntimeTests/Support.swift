import Foundation
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Testing

/// A small operation folder written for one test: the gulf-charter's agencies, three cases, and
/// the plugins the test gives.
struct TestOperation {
    let url: URL

    /// `plugins`: folder name → (agency, permissions, main.lua, extra plugin.toml lines).
    /// `signals`: the signals the tests give besides the timeline's, which handlers may subscribe to.
    init(plugins: [String: (agency: String, permissions: [String], lua: String, extra: String)] = [:], timeline: String? = nil,
         templates: [String: [String: String]] = [:], operationTail: String = "", signals: [String] = ["test.go", "a.b"]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Each agency runs the plugins given for it (the operation lists them).
        func runs(_ agency: String) -> String {
            "plugins = [" + plugins.filter { $0.value.agency == agency }.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        }
        try """
            name = "test-op"
            start = "2026-12-01T08:00:00Z"
            signals = [\(signals.map { "\"\($0)\"" }.joined(separator: ", "))]
            [[agencies]]
            id = "US-ENF"
            name = "Sending"
            country = "US"
            role = "sending-enforcement"
            \(runs("US-ENF"))
            [[agencies]]
            id = "QA-TRANSIT"
            name = "Transit"
            country = "QA"
            role = "transit-authority"
            \(runs("QA-TRANSIT"))
            [[agencies]]
            id = "IR-MFA"
            name = "Ministry"
            country = "IR"
            role = "destination-ministry"
            \(runs("IR-MFA"))
            [[agencies]]
            id = "IR-RECEPTION"
            name = "Reception"
            country = "IR"
            role = "reception-organisation"
            \(runs("IR-RECEPTION"))
            [[movements]]
            ref = "M-1"
            organiser = "US-ENF"
            carrier = "Example Air"
            charter = true
            capacity = 10
            [[movements.legs]]
            from = "AEX"
            to = "DOH"
            departs = "2026-12-15T06:00:00Z"
            arrives = "2026-12-15T20:00:00Z"
            transit_authority = "QA-TRANSIT"
            \(operationTail)
            """.write(to: url.appendingPathComponent("operation.toml"), atomically: true, encoding: .utf8)
        try """
            case_ref,person_ref,names,aliases,date_of_birth,sex,nationalities,languages,vulnerabilities,group,track,destination_state,order,order_final_on
            R-1,P-1,Ana Example,,1990-01-01,F,IR,fa,medical,,removal,IR,A1,2026-10-01
            R-2,P-2,Bijan Sample,,1985-05-05,M,IR,fa,,,voluntary,IR,,
            R-3,P-3,Dara Fictive,,1979-03-03,M,IR,fa,,,removal,IR,A3,2026-10-01
            """.write(to: url.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
        if let timeline { try timeline.write(to: url.appendingPathComponent("timeline.toml"), atomically: true, encoding: .utf8) }
        for (name, p) in plugins {
            let folder = url.appendingPathComponent("plugins/\(name)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("templates"), withIntermediateDirectories: true)
            try """
                name = "\(name)"
                version = "1.0.0"
                agency = "\(p.agency)"
                api = 1
                permissions = [\(p.permissions.map { "\"\($0)\"" }.joined(separator: ", "))]
                \(p.extra)
                """.write(to: folder.appendingPathComponent("plugin.toml"), atomically: true, encoding: .utf8)
            try p.lua.write(to: folder.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
            for (template, text) in templates[name] ?? [:] {
                try text.write(to: folder.appendingPathComponent("templates/\(template).mustache"), atomically: true, encoding: .utf8)
            }
        }
    }

    /// Opens the operation on an in-memory store and imports its cases. (The runtime's tests
    /// run on `InMemoryStore`; the examples, the CLI's tests and scenarios run on SQLite, and
    /// the store conformance suite holds the two to the same behaviour.)
    /// `onSQLite`: on SQLite in memory instead, for a test of what only that store does.
    func host(onSQLite: Bool = false) throws -> OperationHost {
        let host = try onSQLite ? OperationHost.open(url, store: nil) : OperationHost.open(url, makingStore: InMemoryStore.init)
        try host.importManifest()
        return host
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The whole model as the store holds it: every case record (holds, legal events, consents,
/// documents, manifest entries, custody), every person, handoff, movement and notice.
struct ModelSnapshot: Equatable {
    var cases: [ReturnCase]
    var people: [Person]
    var handoffs: [Handoff]
    var movements: [Movement]
    var notices: [Notice]
}

/// What the store holds, as a value to compare before and after.
func snapshot(_ host: OperationHost) throws -> ModelSnapshot {
    let store = host.store
    let cases = try store.caseRefs().map { try store.returnCase($0)! }
    return ModelSnapshot(cases: cases, people: try Set(cases.map(\.person)).sorted().map { try store.person($0)! },
                         handoffs: try store.handoffs(), movements: try store.operation.movements.map { try store.movement($0.ref)! },
                         notices: try store.notices())
}

func examples(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/\(name)")
}

extension OperationHost {
    /// What the case shows (`on-hold` while a hold blocks it).
    func state(_ ref: String) throws -> String {
        try store.returnCase(CaseRef(ref))!.state(at: engine.now).rawValue
    }

    /// The state the case has reached, holds aside.
    func progress(_ ref: String) throws -> String {
        try store.returnCase(CaseRef(ref))!.progress.rawValue
    }

    /// Why each case was struck from a manifest, from the events of every command so far.
    var struck: [CaseRef: String] {
        var out: [CaseRef: String] = [:]
        for o in outcomes { for case let .struck(ref, reason) in o.events { out[ref] = reason } }
        return out
    }
}
