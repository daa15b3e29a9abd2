import Foundation
import LiaisonFuzzing
import Testing

/// Every input the fuzz targets keep (`Fuzz/Corpus/TARGET/`: the seeds, and what campaigns found
/// worth keeping, findings included once fixed) runs through its target on every test run, so
/// what a campaign once caught stays caught. A target crashes on a finding; here that is the
/// test process dying on that input, which `swift test` reports with the target's message.
@Suite("Fuzz corpora as regression tests")
struct CorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        let dir = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test("each target's corpus runs through it", arguments: FuzzTarget.allCases)
    func corpus(_ target: FuzzTarget) throws {
        let inputs = try Self.inputs(target)
        #expect(inputs.count >= 8, "the \(target) corpus has \(inputs.count) inputs")
        for input in inputs { target.run(Array(try Data(contentsOf: input))) }
    }

}
