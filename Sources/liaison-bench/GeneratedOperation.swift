import Foundation

/// The gulf-charter operation grown to any size, for the plugin benchmark: the example's
/// operation.toml (with a movement big enough), plugins and timeline, and a manifest that
/// repeats the example's 100 fictional people with new references.
enum GeneratedOperation {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/gulf-charter")

    static func gulfCharter(cases: Int) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-bench-op-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for item in ["plugins", "timeline.toml"] {
            try FileManager.default.copyItem(at: example.appendingPathComponent(item), to: folder.appendingPathComponent(item))
        }
        // The example's handlers of a signal walk every case in one call: at this size they
        // need more than the default half second and 32 MiB, as their plugin.toml may say.
        for plugin in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("plugins").path) {
            let manifest = folder.appendingPathComponent("plugins/\(plugin)/plugin.toml")
            let text = try String(contentsOf: manifest, encoding: .utf8)
            try (text + "\n[limits]\ntime_ms = 600000\nmemory_mib = 2048\n").write(to: manifest, atomically: true, encoding: .utf8)
        }
        let toml = try String(contentsOf: example.appendingPathComponent("operation.toml"), encoding: .utf8)
            .replacingOccurrences(of: "capacity = 110", with: "capacity = \(cases + 10)")
        try toml.write(to: folder.appendingPathComponent("operation.toml"), atomically: true, encoding: .utf8)
        let lines = try String(contentsOf: example.appendingPathComponent("manifest.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        var out = [lines[0]]
        out.reserveCapacity(cases + 1)
        let people = Array(lines.dropFirst())
        for i in 1...cases {
            var fields = people[(i - 1) % people.count].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[0] = String(format: "R-%04d", i)
            fields[1] = String(format: "P-%04d", i)
            if i > people.count {
                fields[8] = fields[8] == "minor;unaccompanied" ? "minor" : fields[8]  // the timeline traces one family only
                fields[9] = ""  // groups stay with the originals
            }
            out.append(fields.joined(separator: ","))
        }
        try (out.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("manifest.csv"), atomically: true, encoding: .utf8)
        return folder
    }
}
