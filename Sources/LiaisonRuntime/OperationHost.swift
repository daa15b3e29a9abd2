import Foundation
import LiaisonFolder
import LiaisonModel
import LiaisonStore

/// An operation folder brought to life: its store, its plugins loaded into an engine, and its
/// timeline ready to play. What `liaison run` does, for an application that embeds the host.
///
/// ```swift
/// let host = try OperationHost.open(URL(fileURLWithPath: "Examples/gulf-charter"), store: nil)
/// try host.importManifest()
/// try host.play { done, total, entry in print("\(done)/\(total) \(entry.title)") }
/// print(try host.summary().text)
/// ```
public final class OperationHost {
    public let folder: OperationFolder
    public let timeline: Timeline
    public let engine: Engine
    public var store: any Store { engine.store }
    /// Every outcome so far, in order, while `keepsOutcomes` (the default). A long run that
    /// needs only the totals turns it off: `failures`, `refusals` and the counts are kept anyway.
    public private(set) var outcomes: [Outcome] = []
    public var keepsOutcomes = true
    /// Every handler failure and refused command so far, and how many ledger entries and handler
    /// calls the run made.
    public private(set) var failures: [PluginOutcome] = []
    public private(set) var refusals: [RefusedCommand] = []
    /// The timeline entry being played, for the refusals it meets.
    private var playing: Timeline.Entry?
    public private(set) var entriesWritten = 0
    public private(set) var handlerCalls = 0
    /// Entries of the timeline already played.
    public private(set) var played = 0
    /// Called with each outcome as it happens.
    public var observer: ((Outcome) -> Void)?

    /// Loads the folder (operation.toml, manifest.csv, timeline.toml, plugins/) and creates its
    /// store: at `store`, or in memory when nil. Nothing is imported yet.
    ///
    /// `cacheLimit` bounds the decoded records the store keeps between commands (see
    /// `SQLiteStore`). Plugins read the same people and cases again and again, and a signal's
    /// handlers may walk every case, so a host keeps 25 times the store's default: every person
    /// and case of an operation of up to 125,000 cases. (A record read again after eviction is
    /// decoded from JSON again: at 100,000 cases, a limit of 100,000 made the run 1.6 times
    /// slower.)
    public static func open(_ url: URL, store path: String?, cacheLimit: Int = 250_000) throws -> OperationHost {
        try open(url) { operation in
            try path.map { try SQLiteStore.create(at: $0, operation: operation, cacheLimit: cacheLimit) }
                ?? SQLiteStore.inMemory(operation: operation, cacheLimit: cacheLimit)
        }
    }

    /// Loads the folder as `open(_:store:)` does, with the store `makeStore` creates for its
    /// operation (an `InMemoryStore`, say, or another backend).
    public static func open(_ url: URL, makingStore makeStore: (ReturnOperation) throws -> any Store) throws -> OperationHost {
        let folder = try OperationFolder.load(url)
        let timeline = try Timeline.load(url, operation: folder.operation)
        let plugins = try PluginSet.load(operationFolder: url, operation: folder.operation)
        let store = try makeStore(folder.operation)
        return try OperationHost(folder: folder, timeline: timeline, engine: Engine(store: store, start: folder.start, plugins: plugins))
    }

    /// Continues an operation whose store exists: the clock resumes at its last ledger entry,
    /// and the timeline's entries up to then count as played.
    public static func attach(_ url: URL, store path: String, cacheLimit: Int = 250_000) throws -> OperationHost {
        let folder = try OperationFolder.load(url)
        let timeline = try Timeline.load(url, operation: folder.operation)
        let plugins = try PluginSet.load(operationFolder: url, operation: folder.operation)
        let store = try SQLiteStore.open(at: path, cacheLimit: cacheLimit)
        let total = try store.count(.ledger)
        let last = try store.ledger(after: Int64(max(0, total - 1)), limit: 1).last?.at ?? folder.start
        let now = max(folder.start, last)
        let host = try OperationHost(folder: folder, timeline: timeline, engine: Engine(store: store, start: now, plugins: plugins))
        host.played = timeline.entries.filter { $0.at <= now }.count
        return host
    }

    init(folder: OperationFolder, timeline: Timeline, engine: Engine) {
        self.folder = folder
        self.timeline = timeline
        self.engine = engine
        engine.observer = { [weak self] outcome in
            guard let self else { return }
            if keepsOutcomes { outcomes.append(outcome) }
            failures += outcome.failures
            if let refusal = outcome.refusal {
                refusals.append(RefusedCommand(command: outcome.command, actor: outcome.actor, reason: refusal,
                                               entry: playing.map(\.title), line: playing?.line))
            }
            entriesWritten += outcome.applied.count
            handlerCalls += outcome.handlerCalls
            observer?(outcome)
        }
    }

    /// Registers the manifest's people and opens their cases through the engine, so plugins
    /// see every `case.opened`.
    public func importManifest(progress: ((Int, Int) -> Void)? = nil) throws {
        let commands = folder.importCommands
        // An import is bulk work: its commands (each still with its own cascade) are made
        // durable a thousand at a time, and all of them before this returns.
        try store.inGroups(of: 1_000) {
            for (i, (command, actor)) in commands.enumerated() {
                let outcome = try engine.submit(command, by: actor)
                if let refusal = outcome.refusal { throw HostError.importRefused(command.name, refusal) }
                progress?(i + 1, commands.count)
            }
        }
    }

    /// Plays the timeline's entries up to and including `until` (all of them when nil), moving
    /// the clock to each entry's time first.
    public func play(until: Date? = nil, progress: ((Int, Int, Timeline.Entry) -> Void)? = nil) throws {
        while played < timeline.entries.count {
            let entry = timeline.entries[played]
            if let until, entry.at > until { break }
            try engine.advance(to: entry.at)
            playing = entry
            defer { playing = nil }
            switch entry.action {
            case let .command(name, subject, args):
                do {
                    try engine.submit(named: name, subject: subject, args: args, by: entry.actor)
                } catch let error as CommandArgumentError {
                    throw HostError.badEntry(entry.line, error.message)
                }
            case let .signal(signal):
                try engine.submit(.signal(signal), by: entry.actor)
            }
            played += 1
            progress?(played, timeline.entries.count, entry)
        }
        if let until { try engine.advance(to: until) }
    }

    /// What the operation looks like now, for a coordinator.
    public func summary() throws -> RunSummary {
        try RunSummary(host: self)
    }
}

/// A command the rules or a plugin refused, and the timeline entry that gave it, if one did.
public struct RefusedCommand: Sendable {
    public var command: String
    public var actor: AgencyID
    public var reason: String
    /// The entry's title (`case.schedule R-0007`), and its line in timeline.toml.
    public var entry: String?
    public var line: Int?

    /// "timeline.toml:57 case.schedule R-0007 (US-ENF): case R-0007 cannot be scheduled: ..."
    public var summary: String {
        let place = entry.map { e in (line.map { "timeline.toml:\($0) " } ?? "timeline ") + e } ?? command
        return "\(place) (\(actor)): \(reason)"
    }
}

public enum HostError: Error, CustomStringConvertible {
    case importRefused(String, String)
    case badEntry(Int?, String)

    public var description: String {
        switch self {
        case let .importRefused(command, reason): return "import refused at \(command): \(reason)"
        case let .badEntry(line, message): return "timeline.toml\(line.map { ":\($0)" } ?? ""): \(message)"
        }
    }
}
