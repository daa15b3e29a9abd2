import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of `liaison serve`, speaking for the agency whose token it holds: what the remote
/// console, the load driver and the tests use. Requests are synchronous, each answered with its
/// status and JSON.
public final class ServerClient: Sendable {
    public let base: URL
    public let token: String?
    let session: URLSession

    public struct Answer: Sendable {
        public var status: Int
        public var json: JSONValue
        public init(status: Int, json: JSONValue) { (self.status, self.json) = (status, json) }
        /// A problem's detail, or the body as text when it is not JSON.
        public var detail: String {
            json["detail"]?.string ?? json.string ?? String(decoding: json.encoded(), as: UTF8.self)
        }
    }

    public init(base: URL, token: String?, timeout: TimeInterval = 30) {
        self.base = base
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    public func get(_ path: String, headers: [String: String] = [:]) throws -> Answer {
        try send("GET", path, body: nil, headers: headers)
    }

    public func post(_ path: String, _ body: JSONValue = .object([:])) throws -> Answer {
        try send("POST", path, body: body.encoded())
    }

    /// `POST /v1/commands`.
    public func command(_ name: String, _ args: [String: JSONValue]) throws -> Answer {
        try post("/v1/commands", .object(["command": .string(name), "args": .object(args)]))
    }

    public func send(_ method: String, _ path: String, body: Data?, headers: [String: String] = [:]) throws -> Answer {
        var request = URLRequest(url: url(path))
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<Answer, Error> = .failure(ClientError("no answer"))
        session.dataTask(with: request) { data, response, error in
            defer { done.signal() }
            if let error { result = .failure(ClientError("\(method) \(path): \(error.localizedDescription)")); return }
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            let data = data ?? Data()
            result = .success(Answer(status: status, json: (try? JSONValue.decode(data)) ?? .string(String(decoding: data, as: UTF8.self))))
        }.resume()
        done.wait()
        return try result.get()
    }

    func url(_ path: String) -> URL {
        URL(string: base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)!
    }

    /// Reads the event stream (`GET /v1/events`) into `received`, from `after` (or with
    /// `Last-Event-ID`), until `stop` is called.
    public func events(after: Int64? = nil, lastEventID: Int64? = nil) -> EventStream {
        var request = URLRequest(url: url("/v1/events" + (after.map { "?after=\($0)" } ?? "")))
        request.timeoutInterval = 3_600
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let lastEventID { request.setValue(String(lastEventID), forHTTPHeaderField: "Last-Event-ID") }
        let stream = EventStream()
        let session = URLSession(configuration: .ephemeral, delegate: stream, delegateQueue: nil)
        stream.task = session.dataTask(with: request)
        stream.task?.resume()
        return stream
    }
}

/// An event stream being read: its text so far, and the entries in it.
public final class EventStream: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private var statusCode = 0
    var task: URLSessionDataTask?

    public var text: String { lock.withLock { String(decoding: buffer, as: UTF8.self) } }
    public var status: Int { lock.withLock { statusCode } }

    /// The entries received (`event: entry`), as JSON.
    public var entries: [JSONValue] {
        text.components(separatedBy: "\n\n").compactMap { block in
            guard block.contains("event: entry"), let line = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
            return try? JSONValue.decode(Data(line.dropFirst(6).utf8))
        }
    }

    /// The last `id:` received.
    public var lastID: Int64? {
        text.split(separator: "\n").last { $0.hasPrefix("id: ") }.flatMap { Int64($0.dropFirst(4)) }
    }

    /// Waits up to `seconds` for `condition` to hold of the stream.
    @discardableResult
    public func wait(seconds: Double = 10, until condition: (EventStream) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition(self) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition(self)
    }

    public func stop() { task?.cancel() }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                           completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { statusCode = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        completionHandler(.allow)
    }

    public func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.withLock { buffer.append(data) }
    }
}

public struct ClientError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ServerClient {
    /// Where a `liaison serve` just started listens: read from the first line it writes to
    /// standard output (`liaison serve: ... listening on http://127.0.0.1:PORT ...`), for whoever
    /// started it with `--listen 127.0.0.1:0`. Nil when the output ends first (it did not start).
    public static func servedAddress(from output: FileHandle) -> (URL?, firstLine: String) {
        var line = Data()
        while true {
            let byte = output.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression)
        return (range.flatMap { URL(string: String(text[$0])) }, text)
    }
}
