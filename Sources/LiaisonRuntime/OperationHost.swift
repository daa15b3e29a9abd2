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

    /// Continues an operation whose store exists, from where its ledger says the run stopped:
    /// the import's commands already in the ledger are not given again (`importManifest`
    /// gives the rest), nor the timeline's entries already played, and the clock resumes at
    /// the last entry. Plugins keep their state (`ctx:remember`) from the ledger; what they
    /// held only in Lua variables is gone. The failures the ledger records count as this run's.
    ///
    /// Refused when the store holds another operation, or when its ledger does not follow the
    /// folder's manifest (the folder changed since the run began).
    public static func attach(_ url: URL, store path: String, cacheLimit: Int = 250_000) throws -> OperationHost {
        try attach(url) { try SQLiteStore.open(at: path, cacheLimit: cacheLimit) }
    }

    /// `attach(_:store:)` with any store: `openStore` opens the one the run wrote.
    public static func attach(_ url: URL, openingStore openStore: () throws -> any Store) throws -> OperationHost {
        let folder = try OperationFolder.load(url)
        let timeline = try Timeline.load(url, operation: folder.operation)
        let plugins = try PluginSet.load(operationFolder: url, operation: folder.operation)
        let store = try openStore()
        guard store.operation == folder.operation else {
            throw HostError.otherOperation(store.location, stored: store.operation.name, folder: folder.operation.name)
        }
        let progress = try RunProgress(store, folder: folder, timeline: timeline)
        let host = try OperationHost(folder: folder, timeline: timeline,
                                     engine: Engine(store: store, start: max(folder.start, progress.clock), plugins: plugins))
        host.imported = progress.imported
        host.played = progress.played
        host.failures = progress.failures
        host.entriesWritten = progress.entries
        host.overdueToFire = progress.overdueAtClock
        return host
    }

    /// How many of the folder's import commands are in the ledger.
    public private(set) var imported = 0
    /// Notices due at the very time a stopped run resumes whose overdue signal it had not given.
    private var overdueToFire: [NoticeRef] = []

    /// Whether the import had begun but not finished when the run this host continues stopped.
    public var importInterrupted: Bool { imported > 0 && imported < folder.importCommands.count }

    init(folder: OperationFolder, timeline: Timeline, engine: Engine) {
        self.folder = folder
        self.timeline = timeline
        self.engine = engine
        engine.observer = { [weak self] outcome in
            guard let self else { return }
            if keepsOutcomes { outcomes.append(outcome) }
            failures += outcome.failures
            if let refusal = outcome.refusal {
                refusals.append(RefusedCommand(command: outcome.label, actor: outcome.actor, reason: refusal,
                                               entry: playing.map(\.title), line: playing?.line))
            }
            entriesWritten += outcome.applied.count
            handlerCalls += outcome.handlerCalls
            observer?(outcome)
        }
    }

    /// Registers the manifest's people and opens their cases through the engine, so plugins
    /// see every `case.opened`.
    /// Continues an interrupted import where it stopped, and does nothing once it is complete.
    public func importManifest(progress: ((Int, Int) throws -> Void)? = nil) throws {
        let commands = folder.importCommands
        guard imported < commands.count else { return }
        // An import is bulk work: its commands (each still with its own cascade) are made
        // durable a thousand at a time, and all of them before this returns.
        try store.inGroups(of: 1_000) {
            for (i, (command, actor)) in commands.enumerated().dropFirst(imported) {
                let outcome = try engine.submit(command, by: actor)
                if let refusal = outcome.refusal { throw HostError.importRefused(command.name, refusal) }
                imported = i + 1
                try progress?(i + 1, commands.count)
            }
        }
    }

    /// Plays the timeline's entries up to and including `until` (all of them when nil), moving
    /// the clock to each entry's time first.
    public func play(until: Date? = nil, progress: ((Int, Int, Timeline.Entry) throws -> Void)? = nil) throws {
        if !overdueToFire.isEmpty {
            for ref in overdueToFire { if let notice = try store.notice(ref) { try engine.signalOverdue(notice) } }
            overdueToFire = []
        }
        while played < timeline.entries.count {
            let entry = timeline.entries[played]
            if let until, entry.at > until { break }
            try engine.advance(to: entry.at)
            playing = entry
            defer { playing = nil }
            switch entry.action {
            case let .command(name, subject, args):
                do {
                    try engine.submit(named: name, subject: subject, args: args, by: entry.actor, origin: entry.origin)
                } catch let error as CommandArgumentError {
                    throw HostError.badEntry(entry.line, error.message)
                }
            case let .signal(signal):
                try engine.submit(.signal(signal), by: entry.actor, origin: entry.origin)
            }
            played += 1
            try progress?(played, timeline.entries.count, entry)
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
    case otherOperation(String, stored: String, folder: String)
    case manifestChanged(String, entry: Int64, expected: String)

    public var description: String {
        switch self {
        case let .otherOperation(path, stored, folder):
            return "\(path) holds the operation '\(stored)', and the folder describes '\(folder)' (or the same name with other agencies, movements or grants): give the store this folder's run created"
        case let .manifestChanged(path, entry, expected):
            return "\(path): ledger entry \(entry) is not the import's next command (\(expected)): manifest.csv changed since this store's run began; run the folder anew with another --store"
        case let .importRefused(command, reason): return "import refused at \(command): \(reason)"
        case let .badEntry(line, message): return "timeline.toml\(line.map { ":\($0)" } ?? ""): \(message)"
        }
    }
}

/// How far a run of an operation folder got, as its store's ledger tells: read once, entry by
/// entry, when a run is continued.
struct RunProgress {
    /// Import commands in the ledger, in the folder's order.
    var imported = 0
    /// Timeline entries given (accepted, or refused by a plugin, which leaves its record) or
    /// passed (the clock went beyond them).
    var played = 0
    /// The time of the last entry.
    var clock: Date
    var failures: [PluginOutcome] = []
    /// Entries after the operation's first.
    var entries = 0
    /// Unacknowledged notices due exactly at `clock` whose overdue signal is not in the ledger
    /// (the run stopped between two signals of the same moment).
    var overdueAtClock: [NoticeRef] = []

    init(_ store: any Store, folder: OperationFolder, timeline: Timeline) throws {
        clock = folder.start
        let commands = folder.importCommands
        let lines = Dictionary(timeline.entries.enumerated().map { ($0.element.origin, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var lastGiven = -1
        var overdue: Set<String> = []
        // After the operation's own first entry, which is not a command of the run.
        try store.forEachEntry(after: 1) { entry in
            entries += 1
            clock = max(clock, entry.at)
            if entry.origin.isEmpty {
                if entry.command == "signal", case .signal(let s) = try entry.decodedCommand(), s.name == "notice.overdue" {
                    if let n = s.fields["notice"] { overdue.insert(n) }
                    return
                }
                guard imported < commands.count, entry.command == commands[imported].0.name else { return }
                guard try entry.records(commands[imported].0) else {
                    throw HostError.manifestChanged(store.location, entry: entry.sequence, expected: commands[imported].0.name)
                }
                imported += 1
            } else if let index = Self.timelineIndex(entry.origin, lines) {
                lastGiven = max(lastGiven, index)
            }
            if entry.command == "plugin.outcome", case .recordPluginOutcome(let o) = try entry.decodedCommand() { failures.append(o) }
        }
        // The clock never goes back: an entry due before the last time in the ledger was given
        // before it stopped (a refusal by the rules leaves no entry).
        let passed = timeline.entries.prefix { $0.at < clock }.count
        played = max(lastGiven + 1, passed)
        overdueAtClock = try store.unacknowledgedNotices(dueIn: clock.addingTimeInterval(-1)...clock)
            .filter { $0.due == clock && !overdue.contains($0.ref.rawValue) }
            .sorted { $0.ref < $1.ref }.map(\.ref)
    }

    /// The timeline entry an origin names: `timeline.toml:57`, or a plugin's record of refusing
    /// it (`plugin us-enf, hook case.scheduled, refusing timeline.toml:57`).
    static func timelineIndex(_ origin: String, _ lines: [String: Int]) -> Int? {
        if let index = lines[origin] { return index }
        guard let range = origin.range(of: ", refusing ") else { return nil }
        return lines[String(origin[range.upperBound...])]
    }
}
