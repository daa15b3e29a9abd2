import Foundation
import Hummingbird
import LiaisonFolder
import LiaisonModel
import LiaisonRuntime
import LiaisonStore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// A request's context: who is asking, once the bearer token said so.
public struct AgencyContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token's agency; the authentication middleware sets it before any /v1 handler runs.
    public var agency: AgencyID?
    public init(source: Source) { coreContext = .init(source: source) }
}

/// `liaison serve`: one operation shared over HTTP. Every /v1 request carries an agency's
/// bearer token and is answered as that agency may learn of the operation, through the same
/// readers as its plugins, console and exports; commands go to the one engine (see
/// `OperationCore`), whose rules refuse what the agency's grants do not cover.
public final class LiaisonServer: Sendable {
    public let core: OperationCore
    public let verifier: TokenVerifier
    public let operation: ReturnOperation
    let registry = PrometheusCollectorRegistry()
    let logger: Logger

    public init(core: OperationCore, verifier: TokenVerifier, operation: ReturnOperation, logger: Logger) {
        self.core = core
        self.verifier = verifier
        self.operation = operation
        self.logger = logger
        let batches = registry.makeCounter(descriptor: .init(namespace: "liaison", metricName: "command_batches", unitName: "total",
                                                             helpText: "Batches of commands decided and made durable together"))
        let sizes = registry.makeValueHistogram(descriptor: .init(namespace: "liaison", metricName: "command_batch_size",
                                                                  helpText: "Commands in a batch"), buckets: [1, 2, 4, 8, 16, 32, 64, 128])
        let durations = registry.makeDurationHistogram(descriptor: .init(namespace: "liaison", metricName: "command_batch_duration", unitName: "seconds",
                                                                         helpText: "Time to decide a batch and make it durable"),
                                                       buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                                 .milliseconds(25), .milliseconds(50), .milliseconds(100), .seconds(1)])
        let reopenings = registry.makeCounter(descriptor: .init(namespace: "liaison", metricName: "store_reopenings", unitName: "total",
                                                                helpText: "Times the store was opened again: another process wrote first, or a write failed"))
        core.batchObserver = { commands, took in
            batches.increment()
            sizes.record(Double(commands))
            durations.record(took)
        }
        core.reopenObserver = { reopenings.increment() }
    }

    /// Every path and method the server answers, as `router()` registers them: what a test
    /// holds `OpenAPIDocument` to.
    public static let routes: [(method: String, path: String)] = [
        ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/openapi.json"),
        ("GET", "/v1/me"), ("GET", "/v1/cases"), ("GET", "/v1/cases/{ref}"), ("POST", "/v1/commands"), ("GET", "/v1/notices"),
        ("POST", "/v1/notices/{ref}/acknowledge"), ("POST", "/v1/notices/{ref}/reply"), ("POST", "/v1/signals"),
        ("GET", "/v1/ledger/head"), ("GET", "/v1/ledger"), ("POST", "/v1/ledger/witness"), ("GET", "/v1/events"),
        ("POST", "/v1/plugins"),
    ]

    /// The routes (`routes`, each described in `OpenAPIDocument`).
    public func router() -> Router<AgencyContext> {
        let router = Router(context: AgencyContext.self)
        router.add(middleware: Measure(registry: registry, logger: logger))
        router.get("/healthz") { _, _ in try await self.health() }
        router.group("/metrics").add(middleware: Authenticate(verifier: verifier)).get { _, context in self.metrics(context) }
        router.get("/openapi.json") { _, _ in Self.json(OpenAPIDocument.text) }

        let v1 = router.group("/v1").add(middleware: Authenticate(verifier: verifier))
        v1.get("/me") { _, context in try await self.me(context) }
        v1.get("/cases") { _, context in try await self.cases(context) }
        v1.get("/cases/{ref}") { _, context in try await self.oneCase(context) }
        v1.post("/commands") { request, context in try await self.command(request, context) }
        v1.get("/notices") { request, context in try await self.notices(request, context) }
        v1.post("/notices/{ref}/acknowledge") { _, context in
            try await self.decide(.command(.acknowledgeNotice(NoticeRef(try context.parameters.require("ref")))), named: "notice.acknowledge", context)
        }
        v1.post("/notices/{ref}/reply") { request, context in try await self.reply(request, context) }
        v1.post("/signals") { request, context in try await self.signal(request, context) }
        v1.get("/ledger/head") { _, context in try await self.head(context) }
        v1.get("/ledger") { request, context in try await self.ledger(request, context) }
        v1.post("/ledger/witness") { request, context in try await self.witness(request, context) }
        v1.get("/events") { request, context in try await self.events(request, context) }
        v1.post("/plugins") { request, context in try await self.pushPlugin(request, context) }
        return router
    }

    /// Serves until SIGTERM or SIGINT: then it stops accepting, lets the requests in flight
    /// finish (their commands decided and durable), ends the event streams, and returns.
    public func run(host: String, port: Int, onListening: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "liaison"),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) }, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        core.finishWatchers()
    }

    // MARK: Handlers

    func health() async throws -> Response {
        do {
            // The store is asked (a database that went away fails here), but its answer is not
            // given: /healthz needs no token, and the head's sequence would tell anyone who can
            // reach the server how much the operation does.
            _ = try await core.read { try $0.store.head() }
            return Self.json(.object(["status": .string("ok"), "operation": .string(operation.name)]))
        } catch {
            core.invalidate()
            return Self.problem(.serviceUnavailable, "the store does not answer: \(error)")
        }
    }

    func me(_ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let agency = context.agency!
        var o: [String: JSONValue] = ["agency": .string(agency.rawValue), "operation": .string(operation.name),
                                      "categories": .array(reader.allowed.sorted().map { .string($0.rawValue) })]
        if let a = operation.agency(agency) {
            o["role"] = .string(a.role.rawValue)
            o["commands"] = .array(operation.grants.grant(for: a).commands.sorted().map { .string($0) })
        } else {
            o["role"] = .string("coordinator")
        }
        return Self.json(.object(o))
    }

    func cases(_ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let list = try await core.read { host in
            try host.store.caseRefs().map { APIJSON.caseView(try reader.view($0, at: host.engine.now, in: host.store), reader: reader) }
        }
        return Self.json(.object(["cases": .array(list)]))
    }

    func oneCase(_ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let ref = CaseRef(try context.parameters.require("ref"))
        let view = try await core.read { host -> JSONValue? in
            guard try host.store.returnCase(ref) != nil else { return nil }
            return APIJSON.caseView(try reader.view(ref, at: host.engine.now, in: host.store), reader: reader)
        }
        guard let view else { return Self.problem(.notFound, "there is no case \(ref) in operation \(operation.name)") }
        return Self.json(view)
    }

    /// `{"command": "case.strike", "args": {"case": "R-0001", "reason": "..."}}`.
    func command(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let body = try await Self.body(request)
        guard let name = body["command"]?.string else {
            return Self.problem(.badRequest, "give the command's catalogue name, as {\"command\": \"case.strike\", \"args\": {\"case\": \"R-0001\", \"reason\": \"...\"}}")
        }
        guard let spec = CommandCatalog.spec(named: name) else {
            return Self.problem(.badRequest, "'\(name)' is not a command (commands: \(CommandCatalog.names.joined(separator: ", ")))")
        }
        var args = try APIJSON.args(body["args"]?.object ?? [:])
        var subject = ""
        if let key = spec.subjectKey {
            guard case .text(let s)? = args.removeValue(forKey: key) else {
                return Self.problem(.badRequest, "\(name) needs '\(key)' in its args, the \(key) it acts on")
            }
            subject = s
        }
        return try await decide(.named(name, subject: subject, args: args), named: name, context)
    }

    func reply(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let ref = NoticeRef(try context.parameters.require("ref"))
        let body = try await Self.body(request)
        guard let answers = body["answers"]?.object else {
            return Self.problem(.badRequest, "give the answers, as {\"answers\": {\"NAME\": VALUE, ...}} (the notice's asks name them)")
        }
        let given = try answers.map { name, value -> NoticeReply.Answer in
            switch value {
            case .string(let s): return .init(name: name, value: s)
            case .bool(let b): return .init(name: name, value: b ? "true" : "false")
            case .int(let i): return .init(name: name, value: String(i))
            case .double(let d): return .init(name: name, value: String(d))
            default: throw ServerError.badRequest("answer '\(name)': give text, a number or a boolean")
            }
        }
        return try await decide(.command(.replyNotice(ref, answers: given.sorted { $0.name < $1.name })), named: "notice.reply", context)
    }

    /// Prometheus text, for the operation's coordinator only: the counts say how much every
    /// agency does, which an agency may learn of (the ledger's sequence numbers tell it) but
    /// someone with no token may not.
    func metrics(_ context: AgencyContext) -> Response {
        guard context.agency == .coordinator else {
            return Self.problem(.forbidden, "\(context.agency!) may not read the metrics: only the operation's coordinator (keys/COORDINATOR.pub) may; give the scraper a COORDINATOR token")
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    /// `{"signal": "leg.departing", "fields": {"leg": "L-1"}}`: the coordinator's only.
    func signal(_ request: Request, _ context: AgencyContext) async throws -> Response {
        guard context.agency == .coordinator else {
            return Self.problem(.forbidden, "\(context.agency!) may not give signals: only the operation's coordinator (keys/COORDINATOR.pub) may")
        }
        let body = try await Self.body(request)
        guard let name = body["signal"]?.string, !name.isEmpty else { return Self.problem(.badRequest, "give the signal's name, as {\"signal\": \"leg.departing\", \"fields\": {...}}") }
        guard name != Witness.signal && name != OperationCore.pluginsUpdated else { return Self.problem(.badRequest, "\(name) is given by the server itself (POST /v1/ledger/witness, POST /v1/plugins), which checks it") }
        var fields: [String: String] = [:]
        for (k, v) in body["fields"]?.object ?? [:] {
            switch v {
            case .string(let s): fields[k] = s
            case .int(let i): fields[k] = String(i)
            case .bool(let b): fields[k] = String(b)
            default: return Self.problem(.badRequest, "signal field '\(k)': give text, a whole number or a boolean")
            }
        }
        return try await decide(.command(.signal(Signal(name: name, fields: fields))), named: "signal", context)
    }

    /// Decides a command as the context's agency and answers with what it may learn of the
    /// outcome: 200 accepted; 403 when its grants do not cover the command; 409 when the rules
    /// or another agency's plugin refused it.
    func decide(_ order: OperationCore.Order, named name: String, _ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let agency = context.agency!
        let decided: OperationCore.Decided
        do { decided = try await core.submit(order, by: agency, seenBy: reader) } catch let error as ServerError {
            if case .badRequest(let m) = error { return Self.problem(.badRequest, m) }
            return Self.problem(.serviceUnavailable, error.description)
        }
        let seen = decided.outcome
        let body = APIJSON.outcome(seen, head: decided.head)
        guard let refusal = seen.refusal else { return Self.json(body) }
        let granted = operation.agency(agency).map { a in
            Rules.role(a.role, mayGive: name) && operation.grants.grant(for: a).commands.contains(name)
        } ?? (name == "signal")
        // (A witness is the one signal an agency gives; the rules refusing it is a conflict.)
        let status: HTTPResponse.Status = granted || name == "notice.acknowledge" || name == "notice.reply" ? .conflict : .forbidden
        return Self.json(body, status: status, problem: refusal)
    }

    /// `?box=inbox|outbox` (both when not given).
    func notices(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let me = context.agency!
        let box = request.uri.queryParameters.get("box")
        guard box == nil || box == "inbox" || box == "outbox" else { return Self.problem(.badRequest, "box: give inbox or outbox") }
        let list = try await core.read { host in
            try host.store.notices().filter { n in
                me == .coordinator || (box != "outbox" && n.recipient == me) || (box != "inbox" && n.from == me)
            }.map { APIJSON.notice($0, for: reader) }
        }
        return Self.json(.object(["notices": .array(list)]))
    }

    func head(_ context: AgencyContext) async throws -> Response {
        _ = try reader(context)
        let head = try await core.read { try $0.store.head() }
        return Self.json(.object(["sequence": .int(Int(head.sequence)), "hash": .string(head.hash)]))
    }

    /// `{"sequence": N, "hash": H, "signature": S}`: the agency countersigns head N with its key
    /// (`Witness.statement`); the server checks the signature and that entry N is H, and keeps
    /// the witness in the ledger.
    func witness(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let agency = context.agency!
        let body = try await Self.body(request)
        guard let sequence = body["sequence"]?.int, sequence > 0, let hash = body["hash"]?.string, let signature = body["signature"]?.string else {
            return Self.problem(.badRequest, "give {\"sequence\": N, \"hash\": H, \"signature\": S}, S your Ed25519 signature of the head (liaison witness makes one)")
        }
        let head = LedgerHead(sequence: Int64(sequence), hash: hash)
        guard let key = await verifier.publicKey(for: agency),
              Witness.verify(signature, operation: operation.name, agency: agency, head: head, key: key) else {
            return Self.problem(.forbidden, "the signature is not \(agency)'s signature of \(sequence):\(hash) in operation \(operation.name)")
        }
        let stored = try await core.read { host in try host.store.ledger(after: Int64(sequence) - 1, limit: 1).first?.hash }
        guard let stored else { return Self.problem(.notFound, "the ledger has no entry \(sequence)") }
        guard stored == hash else { return Self.problem(.conflict, "the ledger's entry \(sequence) is \(stored), not \(hash)") }
        return try await decide(.command(.signal(Signal(name: Witness.signal, fields: ["sequence": String(sequence), "hash": hash, "signature": signature]))),
                                named: "signal", context)
    }

    /// `{"files": {PATH: BASE64}}`: replaces one of the agency's plugins (see
    /// `OperationCore.replacePlugin`).
    func pushPlugin(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        var request = request
        let buffer = try await request.collectBody(upTo: PluginBundle.maximumBytes * 2)
        do {
            let bundle = try PluginBundle(json: try JSONValue.decode(Data(buffer: buffer)))
            let replaced = try await core.replacePlugin(bundle, by: context.agency!, seenBy: reader)
            return Self.json(.object(["plugin": .string(replaced.name), "version": .string(replaced.version), "digest": .string(replaced.digest),
                                      "outcome": APIJSON.outcome(replaced.outcome, head: Int64(replaced.outcome.applied.last.map { Int($0.entry.sequence) } ?? 0))]))
        } catch let error as ServerError {
            switch error {
            case .badRequest(let m): return Self.problem(.badRequest, m)
            case .forbidden(let m): return Self.problem(.forbidden, m)
            case .unavailable(let m): return Self.problem(.serviceUnavailable, m)
            }
        }
    }

    /// `?after=N&limit=M`: the entries after N the agency may learn of.
    func ledger(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let after = request.uri.queryParameters.get("after").flatMap { Int64($0) } ?? 0
        let limit = min(request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 500, 5_000)
        let (entries, last) = try await core.read { host in try Self.visibleEntries(after: after, limit: limit, reader: reader, host: host) }
        return Self.json(.object(["entries": .array(entries), "next": .int(Int(last))]))
    }

    /// Up to `limit` ledger entries after `after`, those the reader may learn of, and the last
    /// sequence looked at.
    static func visibleEntries(after: Int64, limit: Int, reader: CaseReader, host: OperationHost) throws -> ([JSONValue], Int64) {
        let entries = try host.store.ledger(after: after, limit: limit)
        let visible = try entries.filter { $0.isVisible(to: reader, in: host.store) }.map { try APIJSON.entry($0, for: reader, in: host.store) }
        return (visible, entries.last?.sequence ?? after)
    }

    /// Server-sent events: each ledger entry the agency may learn of, with its sequence as the
    /// event's id. A client that lost the connection sends `Last-Event-ID` (or `?after=N`) and
    /// gets what it missed; without either the stream starts at the head.
    func events(_ request: Request, _ context: AgencyContext) async throws -> Response {
        let reader = try reader(context)
        let resumeFrom = request.headers.first { $0.name.canonicalName == "last-event-id" }.flatMap { Int64($0.value) }
            ?? request.uri.queryParameters.get("after").flatMap { Int64($0) }
        let start: Int64
        if let resumeFrom { start = resumeFrom } else { start = try await core.read { try $0.store.head().sequence } }
        let core = self.core
        let body = ResponseBody { writer in
            let (id, heads) = core.heads()
            defer { core.stopWatching(id) }
            var after = start
            try await writer.write(ByteBuffer(string: "retry: 1000\n: liaison events after \(after)\n\n"))
            for await head in heads.cancelOnGracefulShutdown() {
                while after < head {
                    let from = after
                    let (entries, last) = try await core.read { host in try Self.visibleEntries(after: from, limit: 500, reader: reader, host: host) }
                    var text = ""
                    for e in entries {
                        text += "id: \(e["sequence"]?.int ?? 0)\nevent: entry\ndata: \(String(decoding: e.encoded(), as: UTF8.self))\n\n"
                    }
                    // An id at the last entry looked at, so a resumed stream skips what this
                    // agency may not see as well.
                    text += "id: \(last)\n: head \(last)\n\n"
                    try await writer.write(ByteBuffer(string: text))
                    if last == after { break }
                    after = last
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: Helpers

    func reader(_ context: AgencyContext) throws -> CaseReader {
        guard let agency = context.agency else { throw HTTPError(.unauthorized) }
        if agency == .coordinator { return CaseReader.coordinator }
        return try CaseReader(agency, in: operation)
    }

    static func body(_ request: Request) async throws -> JSONValue {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        do { return try JSONValue.decode(Data(buffer: buffer)) } catch {
            throw HTTPError(.badRequest, message: "the request body is not JSON")
        }
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, problem: String? = nil) -> Response {
        var value = value
        if let problem, case .object(var o) = value {
            o["title"] = .string(status.reasonPhrase)
            o["status"] = .int(status.code)
            o["detail"] = .string(problem)
            value = .object(o)
        }
        return json(String(decoding: value.encoded(), as: UTF8.self), status: status, type: problem == nil ? "application/json" : "application/problem+json")
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok, type: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// An RFC 9457 problem: what went wrong and what to do, in `detail`.
    static func problem(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        json(.object([:]), status: status, problem: detail)
    }
}

/// Refuses a /v1 request without a valid bearer token (401), and tells the handlers whose it is.
struct Authenticate: RouterMiddleware {
    typealias Context = AgencyContext
    let verifier: TokenVerifier

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            var r = LiaisonServer.problem(.unauthorized, "no bearer token: send Authorization: Bearer TOKEN (make one with liaison token AGENCY --key AGENCY.key)")
            r.headers[.wwwAuthenticate] = "Bearer"
            return r
        }
        switch await verifier.agency(for: String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)) {
        case .success(let agency):
            var context = context
            context.agency = agency
            context.logger[metadataKey: "agency"] = .string(agency.rawValue)
            let response = try await next(request, context)
            context.logger.info("request", metadata: ["method": .string(request.method.rawValue), "path": .string(request.uri.path),
                                                      "status": .stringConvertible(response.status.code)])
            return response
        case .failure(let refusal):
            var r = LiaisonServer.problem(.unauthorized, refusal.description)
            r.headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\""
            return r
        }
    }
}

/// Counts requests and their durations by route and status (no agency, command or case: the
/// metrics are for whoever runs the server, and say nothing an agency may not learn), and logs
/// each request.
struct Measure: RouterMiddleware {
    typealias Context = AgencyContext
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = HTTPResponse.Status.internalServerError
        defer {
            let route = context.endpointPath ?? "unmatched"
            let labels = [("route", route), ("method", request.method.rawValue), ("status", String(status.code))]
            registry.makeCounter(descriptor: .init(namespace: "liaison", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"), labels: labels).increment()
            registry.makeDurationHistogram(descriptor: .init(namespace: "liaison", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer (for an event stream: to begin it)"),
                                           labels: [("route", route), ("method", request.method.rawValue)],
                                           buckets: [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
                .record(ContinuousClock.now - start)
        }
        do {
            let response = try await next(request, context)
            status = response.status
            // What needs a token is logged with its agency, once it is known (see Authenticate);
            // here only what it refused, and the public routes but /healthz (probed constantly).
            let path = request.uri.path, authenticated = path.hasPrefix("/v1/") || path == "/metrics"
            if path != "/healthz" && (!authenticated || status == .unauthorized) {
                logger.info("request", metadata: ["method": .string(request.method.rawValue), "path": .string(request.uri.path), "status": .stringConvertible(status.code)])
            }
            return response
        } catch let error as HTTPError {
            status = error.status
            throw error
        }
    }
}
