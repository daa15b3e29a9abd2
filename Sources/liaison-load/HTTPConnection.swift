import Foundation
import LiaisonServer
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection on SwiftNIO, one request at a time: the load driver's
/// client. Foundation's URLSession (libcurl on Linux) cost the driver more CPU than the server
/// it measured; on a machine where both share two cores, that was the server's throughput lost.
final class HTTPConnection: @unchecked Sendable {
    private let channel: Channel
    private let collector: Collector
    private let host: String
    private let token: String

    init(url: URL, token: String) throws {
        host = url.host ?? "127.0.0.1"
        self.token = token
        let collector = Collector()
        self.collector = collector
        channel = try ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.pipeline.addHTTPClientHandlers().flatMap { channel.pipeline.addHandler(collector) }
            }
            .connect(host: host, port: url.port ?? 80).wait()
    }

    deinit { try? channel.close().wait() }

    /// Sends a request and waits for its answer: the status and the body as JSON.
    func send(_ method: HTTPMethod, _ path: String, _ body: JSONValue?) throws -> ServerClient.Answer {
        var headers = HTTPHeaders([("Host", host), ("Authorization", "Bearer \(token)"), ("Connection", "keep-alive")])
        let bytes = body.map { $0.encoded() }
        if let bytes { headers.add(name: "Content-Type", value: "application/json"); headers.add(name: "Content-Length", value: String(bytes.count)) }
        let promise = channel.eventLoop.makePromise(of: (Int, ByteBuffer).self)
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let channel = self.channel, collector = self.collector
        channel.eventLoop.execute {
            collector.waiting = promise
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let bytes { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        let (status, buffer) = try promise.futureResult.wait()
        return ServerClient.Answer(status: status, json: (try? JSONValue.decode(Data(buffer: buffer))) ?? .null)
    }

    /// Gathers one response on the event loop and fulfils the waiting promise.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        var waiting: EventLoopPromise<(Int, ByteBuffer)>?
        private var status = 0
        private var body = ByteBuffer()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
                body.clear()
            case .body(var part): body.writeBuffer(&part)
            case .end:
                let p = waiting
                waiting = nil
                p?.succeed((status, body))
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            waiting?.fail(error)
            waiting = nil
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            waiting?.fail(ClientError("the server closed the connection"))
            waiting = nil
        }
    }
}
