// liaison-bench: what the Lua bridge costs, against the same work done with the raw C API on
// the same liblua, in the same process.
//
//   swift run -c release liaison-bench            a table
//   swift run -c release liaison-bench --json     [{name, value, unit, baseline, ratio, target}]
//   liaison-bench --quick                         a smoke run with 1% of the iterations
//   liaison-bench --only method                   only the cases whose name contains "method"
//
// Each case runs five times, interleaved with its baseline; the best run of each counts, which
// filters out the other core's noise on a shared machine. Ratios are LuaKit / baseline for
// the whole loop a script would run (the loop's own cost is in both).
import Foundation
import LiaisonAllocator
import LiaisonBenchBaseline
import LiaisonModel
import LiaisonSynthetic
import LiaisonPostgres
import LiaisonStore
import LiaisonRuntime
import LuaKit

struct Measurement: Encodable {
    var name: String
    var value: Double
    var unit: String
    var baseline: Double?
    var ratio: Double?
    var target: Double?
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
        usage: liaison-bench [--json] [--quick] [--only TEXT]
          --json       print an array of {name, value, unit, baseline, ratio, target}
          --quick      1% of the iterations: checks the benchmark runs, measures nothing useful
          --only TEXT  run only the cases whose name contains TEXT (to profile one)
        Sizes: LIAISON_BENCH_CASES (store, default 100000), LIAISON_BENCH_PLUGIN_CASES (plugins, default 100000)
        PostgreSQL: LIAISON_BENCH_DATABASE=postgres://... adds the PostgreSQL store against the SQLite
          store on the same commands (LIAISON_BENCH_PG_CASES, default 2000); scripts/postgres starts a server
        Build it in release mode for real numbers: swift run -c release liaison-bench
        """)
    exit(0)
}
let json = arguments.contains("--json")
let quick = arguments.contains("--quick")
let only = arguments.firstIndex(of: "--only").flatMap { arguments.index(after: $0) < arguments.endIndex ? arguments[arguments.index(after: $0)] : nil }
let unknown = arguments.enumerated().filter { i, a in
    !["--json", "--quick", "--only"].contains(a) && !(i > 0 && Array(arguments)[i - 1] == "--only")
}.map(\.element)
if !unknown.isEmpty || (arguments.contains("--only") && only == nil) {
    FileHandle.standardError.write(Data("liaison-bench: unknown option \(unknown.joined(separator: " ")) (see --help)\n".utf8))
    exit(64)
}

let n = quick ? 20_000 : 2_000_000
let repetitions = quick ? 1 : 5
let limits = LuaLimits(memory: 64 << 20, time: .seconds(60))
let quiet = LuaSandbox(output: { _ in })

func progress(_ text: String) {
    if !json { FileHandle.standardError.write(Data("  measuring \(text)...\n".utf8)) }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Best of `repetitions` runs of each, interleaved. Returns nanoseconds per operation.
func wanted(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }

func compare(_ name: String, target: Double, baseline: () -> Double, luakit: () throws -> Double) throws -> Measurement? {
    guard wanted(name) else { return nil }
    progress(name)
    var best = (base: Double.infinity, kit: Double.infinity)
    for _ in 0..<repetitions {
        let b = baseline()
        guard b > 0 else { throw LuaError.runtime(message: "baseline for '\(name)' failed", traceback: "") }
        best.base = min(best.base, b)
        best.kit = min(best.kit, try luakit())
    }
    let perOp = { $0 * 1e9 / Double(n) }
    return Measurement(name: name, value: perOp(best.kit), unit: "ns/op", baseline: perOp(best.base),
                       ratio: best.kit / best.base, target: target)
}

final class Point {
    var x = 1.0
}

var results: [Measurement] = []

// 1. Lua calls a Swift function: 2 numbers in, 1 out.
do {
    let lua = try LuaState(limits: limits, sandbox: quiet)
    try lua.register("add") { args in try args.double(1) + args.double(2) }
    let loop = try lua.load("local add, s = add, 0 for i = 1, ... do s = add(s, i) end", name: "bench.lua")
    results.append(contentsOf: [try compare("Lua calls a Swift function (2 numbers in, 1 out)", target: 1.3,
                               baseline: { baseline_lua_calls_c(n) },
                               luakit: { try seconds { try loop.call(n) } })].compactMap { $0 })
}

// 2. Swift calls a Lua function.
do {
    let lua = try LuaState(limits: limits, sandbox: quiet)
    let add = try lua.evaluate("return function(a, b) return a + b end", name: "bench.lua", as: LuaFunction.self)
    results.append(contentsOf: [try compare("Swift calls a Lua function", target: 1.3,
                               baseline: { baseline_c_calls_lua(n) },
                               luakit: {
                                   var sum = 0.0
                                   let t = try seconds { for _ in 0..<n { sum = try add.call(sum, 1.0, returning: Double.self) } }
                                   precondition(sum == Double(n))
                                   return t
                               })].compactMap { $0 })
}

// 3 and 4. A field and a method of a bridged object.
do {
    let lua = try LuaState(limits: limits, sandbox: quiet)
    try lua.register(LuaType<Point>("Point")
        .field("x") { $0.x }
        .field("y", get: { $0.x }, set: { $0.x = $1 })
        .method("get") { p, _ in p.x })
    try lua.setGlobal("obj", .object(Point()))
    let field = try lua.load("local o, s = obj, 0 for i = 1, ... do s = s + o.x end", name: "bench.lua")
    let method = try lua.load("local o, s = obj, 0 for i = 1, ... do s = s + o:get() end", name: "bench.lua")
    results.append(contentsOf: [try compare("read a field of a bridged object", target: 2.0,
                               baseline: { baseline_field(n) },
                               luakit: { try seconds { try field.call(n) } })].compactMap { $0 })
    results.append(contentsOf: [try compare("call a method of a bridged object", target: 1.5,
                               baseline: { baseline_method(n) },
                               luakit: { try seconds { try method.call(n) } })].compactMap { $0 })
}

// 5. A loop with a time budget armed but not reached, against the same loop with none.
do {
    let source = "local s = 0 for i = 1, ... do s = s + i % 7 end return s"
    let armed = try LuaState(limits: limits, sandbox: quiet)
    let free = try LuaState(limits: LuaLimits(memory: limits.memory, time: nil), sandbox: quiet)
    let armedLoop = try armed.load(source, name: "bench.lua")
    let freeLoop = try free.load(source, name: "bench.lua")
    let loops = n * 10
    if var m = try compare("a loop with a time budget armed but not reached vs. none", target: 1.05,
                        baseline: { (try? seconds { try freeLoop.call(loops) }) ?? -1 },
                        luakit: { try seconds { try armedLoop.call(loops) } }) {
        m.value = m.value / 10
        m.baseline = m.baseline.map { $0 / 10 }
        results.append(m)
    }
}

// 6. Pattern matching: the sandbox's stoppable matcher against the standard library's.
do {
    let script = """
        local n = 0
        for i = 1, ... do
          local k, v = ("  key_" .. (i % 100) .. " = value  "):match("^%s*([%w_]+)%s*=%s*(%w+)%s*$")
          n = n + select(2, ("a,b,,c"):gsub(",", ";"))
          for w in ("the quick brown fox"):gmatch("%a+") do n = n + 1 end
        end
        """
    let lua = try LuaState(limits: limits, sandbox: quiet)
    let loop = try lua.load(script, name: "bench.lua")
    let loops = n / 20
    if var m = try compare("string patterns: find, match, gmatch, gsub (no target)", target: .infinity,
                           baseline: { baseline_script(script, loops) },
                           luakit: { try seconds { try loop.call(loops) } }) {
        m.value *= 20
        m.baseline = m.baseline.map { $0 * 20 }
        m.target = nil
        results.append(m)
    }
}

// 7. The absolute cost of one sandboxed state with a small script loaded.
if wanted("create a sandboxed state") {
    progress("creating a sandboxed state and loading a small script")
    let script = """
        local notice = {}
        function notice.new(to, template, hours) return { to = to, template = template, due = hours } end
        local queue = {}
        function on_case_opened(case)
          if case.destination == "IR" and not case.documented then
            queue[#queue + 1] = notice.new("IR-MFA/consular", "identity-request", 120)
          end
        end
        return queue
        """
    let count = quick ? 20 : 500
    var states: [LuaState] = []
    states.reserveCapacity(count)
    var times: [Double] = []
    var bytes = 0
    // The whole heap, not only what Lua's allocator holds: the Swift objects and the C guard
    // that come with each state count too.
    let heapBefore = baseline_heap_in_use()
    for _ in 0..<count {
        var state: LuaState?
        times.append(try seconds {
            state = try LuaState(sandbox: quiet)
            _ = try state!.load(script, name: "plugin.lua")
        })
        bytes = state!.memoryUsed
        states.append(state!)
    }
    // Under a sanitizer glibc's counters do not see the heap: fall back to Lua's own count.
    let heapGrowth = Double(baseline_heap_in_use()) - Double(heapBefore)
    let heapPerState = heapGrowth > 0 ? heapGrowth / Double(count) : Double(bytes)
    states.removeAll()
    times.sort()
    results.append(Measurement(name: "create a sandboxed state and load a small script (time)", value: times[times.count / 2] * 1e3,
                               unit: "ms", target: 0.5))
    results.append(Measurement(name: "create a sandboxed state and load a small script (memory)", value: heapPerState / 1024,
                               unit: "KiB", target: 150))
    results.append(Measurement(name: "  of which Lua's own allocations", value: Double(bytes) / 1024, unit: "KiB"))
}

/// The full lifecycle of `cases` synthetic cases through `store`, one command at a time, then
/// `finish` (what makes the last of them durable), timed; `everyTenth` is told (cases, commands)
/// each tenth of the way. Returns the commands given and the seconds they took.
func lifecycle(_ store: any Store, cases: Int, finish: () throws -> Void, everyTenth: (Int, Int) -> Void = { _, _ in }) throws -> (commands: Int, elapsed: Double) {
    var t = Synthetic.start
    for (command, actor) in Synthetic.opening { try store.apply(command, by: actor, at: t) }
    var commands = 0
    let elapsed = try seconds {
        for i in 1...cases {
            for (command, actor) in Synthetic.lifecycle(i) {
                try store.apply(command, by: actor, at: t)
                t += 1
                commands += 1
            }
            if i % max(cases / 10, 1) == 0 { everyTenth(i, commands) }
        }
        try finish()
    }
    return (commands, elapsed)
}

// 8. The store: the full lifecycle of many cases, made durable in groups as an import is, then
// each command durable before the next.
do {
    let cases = quick ? 200 : (ProcessInfo.processInfo.environment["LIAISON_BENCH_CASES"].flatMap(Int.init) ?? 100_000)
    for group in [1_000, 1] {  // the audit, which holds every case in memory, comes last
        let how = group == 1 ? "each command durable before the next" : "durable in groups of \(group)"
        guard wanted("store: lifecycle of \(cases) cases, \(how)") else { continue }
        progress("the full lifecycle of \(cases) cases through the SQLite store, \(how)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteStore.create(at: dir.appendingPathComponent("bench.sqlite").path, operation: Synthetic.operation(cases: cases))
        store.groupCommit = group
        resetPeakResident()
        var rss: [(Int, Double)] = []
        // The last commands and records are on disk (a checkpoint) before the clock stops.
        let (commands, elapsed) = try lifecycle(store, cases: cases, finish: store.checkpoint) { i, commands in
            rss.append((i, residentMiB()))
            if !json { FileHandle.standardError.write(Data("    \(i) cases, \(commands) commands, \(Int(residentMiB())) MiB resident\n".utf8)) }
        }
        var rate = Measurement(name: "store: lifecycle of \(cases) cases, \(how)", value: Double(commands) / elapsed,
                               unit: "commands/s", target: 50_000)
        if group == 1 {
            // The floor: SQLite alone, one ledger row a transaction, on the same file system.
            let floor = baseline_sqlite_ledger(dir.appendingPathComponent("floor.sqlite").path, commands)
            if floor > 0 { rate.baseline = Double(commands) / floor }
        }
        results.append(rate)
        results.append(Measurement(name: "  same, cases per second", value: Double(cases) / elapsed, unit: "cases/s"))
        results.append(Measurement(name: "  resident memory after the first tenth of the cases", value: rss.first?.1 ?? 0, unit: "MiB"))
        results.append(Measurement(name: "  resident memory after all of them", value: rss.last?.1 ?? 0, unit: "MiB"))
        results.append(Measurement(name: "  peak resident memory", value: peakResidentMiB(), unit: "MiB"))
        // Its name matches --only lifecycle or --only audit, not --only "each command".
        guard group == 1, wanted("store: lifecycle of \(cases) cases, then audit verify") else { continue }
        progress("audit verify of that store")
        var verdict = Verification.intact(entries: 0)
        let audit = try seconds { verdict = try store.verify() }
        guard case .intact(let entries) = verdict else { throw LuaError.runtime(message: "the benchmark store did not verify: \(verdict)", traceback: "") }
        results.append(Measurement(name: "  audit verify: chain, replay and records", value: Double(entries) / audit, unit: "entries/s"))
    }
}

// 8b. The PostgreSQL store against the SQLite store: the same lifecycle, each command durable
// before the next (one PostgreSQL transaction, one fsync, per command), interleaved pairs; the
// ratio is PostgreSQL's time per command over SQLite's. Only with a server to run against.
if wanted("postgres"), let text = ProcessInfo.processInfo.environment["LIAISON_BENCH_DATABASE"] {
    guard let url = PostgresURL(text) else { throw LuaError.runtime(message: "LIAISON_BENCH_DATABASE=\(text) is not a postgres:// URL", traceback: "") }
    let cases = quick ? 50 : (ProcessInfo.processInfo.environment["LIAISON_BENCH_PG_CASES"].flatMap(Int.init) ?? 2_000)
    progress("the lifecycle of \(cases) cases, each command durable before the next: PostgreSQL against SQLite, 3 interleaved pairs")
    func perCommand(_ store: any Store) throws -> Double {
        let (commands, elapsed) = try lifecycle(store, cases: cases, finish: store.flush)
        return elapsed / Double(commands)
    }
    var pg: [Double] = [], sqlite: [Double] = []
    for _ in 0..<3 {
        let schema = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        pg.append(try perCommand(PostgresStore.create(url.with(schema: String(schema)), operation: Synthetic.operation(cases: cases))))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liaison-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        sqlite.append(try perCommand(SQLiteStore.create(at: dir.appendingPathComponent("bench.sqlite").path, operation: Synthetic.operation(cases: cases))))
    }
    let (p, s) = (pg.min()!, sqlite.min()!)
    results.append(Measurement(name: "store on PostgreSQL: lifecycle of \(cases) cases, each command durable (vs SQLite)", value: p * 1e6, unit: "µs/command",
                               baseline: s * 1e6, ratio: p / s))
    results.append(Measurement(name: "  same, commands per second on PostgreSQL", value: 1 / p, unit: "commands/s"))
}

// 9. The runtime: the gulf-charter plugins over a generated operation of many cases.
if wanted("plugins") {
    let cases = quick ? 300 : (ProcessInfo.processInfo.environment["LIAISON_BENCH_PLUGIN_CASES"].flatMap(Int.init) ?? 100_000)
    progress("the gulf-charter plugins over \(cases) generated cases, full lifecycle")
    let folder = try GeneratedOperation.gulfCharter(cases: cases)
    defer { try? FileManager.default.removeItem(at: folder) }
    let storePath = folder.appendingPathComponent("bench.sqlite").path
    let host = try ProcessInfo.processInfo.environment["LIAISON_BENCH_CACHE"].flatMap(Int.init).map {
        try OperationHost.open(folder, store: storePath, cacheLimit: $0)
    } ?? OperationHost.open(folder, store: storePath)
    host.keepsOutcomes = false
    host.engine.maxCascade = 20 * cases  // a signal's handlers act on every case in one transaction
    resetPeakResident()
    let rssBefore = residentMiB()
    let elapsed = try seconds {
        try host.importManifest { done, total in
            if !json && done % max(total / 10, 1) == 0 { FileHandle.standardError.write(Data("    import \(done)/\(total), \(Int(residentMiB())) MiB resident\n".utf8)) }
        }
        try host.play { done, total, entry in
            if !json { FileHandle.standardError.write(Data("    timeline \(done)/\(total) \(entry.title), \(Int(residentMiB())) MiB resident\n".utf8)) }
        }
        try host.store.flush()  // the time includes whatever the store's queue still has to do
    }
    let summary = try host.summary()
    guard summary.failures.isEmpty, summary.casesByState.contains(where: { $0.state == "received" && $0.count >= cases - 10 }) else {
        FileHandle.standardError.write(Data("liaison-bench: the plugin benchmark did not run the operation through:\n\(summary.text)\n".utf8))
        exit(1)
    }
    results.append(Measurement(name: "plugins: gulf-charter over \(cases) cases, end to end", value: Double(cases) / elapsed, unit: "cases/s", target: 5_000))
    results.append(Measurement(name: "  handler calls", value: Double(host.handlerCalls) / elapsed, unit: "calls/s"))
    results.append(Measurement(name: "  ledger entries written", value: Double(host.entriesWritten) / elapsed, unit: "entries/s"))
    results.append(Measurement(name: "  resident memory before the run", value: rssBefore, unit: "MiB"))
    results.append(Measurement(name: "  peak resident memory", value: peakResidentMiB(), unit: "MiB"))
}

/// This process's resident memory now (VmRSS) and at its peak (VmHWM), from /proc.
func residentMiB(_ field: String = "VmRSS:") -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kib / 1024
}

func peakResidentMiB() -> Double { residentMiB("VmHWM:") }

/// Starts the peak (VmHWM) afresh from the memory resident now, so each case reports its own.
func resetPeakResident() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

if json {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(results), as: UTF8.self))
} else {
    func f(_ v: Double) -> String { String(format: v < 10 ? "%.2f" : v < 1000 ? "%.1f" : "%.0f", v) }
    print("liaison-bench\(quick ? " (quick: not a measurement)" : ""): \(n) iterations, best of \(repetitions); memory allocator: \(Allocator.description)")
    let nameWidth = max(60, results.map(\.name.count).max() ?? 0) + 2
    let valueWidth = max(14, results.map { (f($0.value) + " " + $0.unit).count }.max() ?? 0) + 2
    print("case".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "Liaison".padding(toLength: valueWidth, withPad: " ", startingAt: 0)
          + "C baseline".padding(toLength: valueWidth, withPad: " ", startingAt: 0) + "ratio   target")
    for r in results {
        let value = (f(r.value) + " " + r.unit).padding(toLength: valueWidth, withPad: " ", startingAt: 0)
        let base = (r.baseline.map { f($0) + " " + r.unit } ?? "").padding(toLength: valueWidth, withPad: " ", startingAt: 0)
        let ratio = (r.ratio.map { String(format: "%.2f", $0) } ?? "").padding(toLength: 8, withPad: " ", startingAt: 0)
        let higherIsBetter = r.ratio == nil && r.unit.hasSuffix("/s")
        let met = r.target.map { t in (higherIsBetter ? r.value >= t : (r.ratio ?? r.value) <= t) ? "ok" : "MISSED" } ?? ""
        let target = r.target.map { (higherIsBetter ? "≥ " : "≤ ") + f($0) + (r.ratio == nil ? " " + r.unit : "") + "  " + met } ?? ""
        print(r.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + value + base + ratio + target)
    }
}
