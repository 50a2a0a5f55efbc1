import HTTPTypes
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import NIOSSL
import Synchronization

/// What one node lets clients hold open (docs/security.md, "Connection limits"): the defaults are what
/// a browser, a CLI and a load balancer need many times over, and low enough that a slow or idle
/// client cannot take the process's file descriptors.
package struct ConnectionLimits: Sendable, Hashable {
    /// From the connection's start, or the first byte of a later request on it, to the end of the
    /// request head (request line and headers); past it the connection is closed.
    package var headerTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request in flight is closed after this.
    package var idleTimeout: Duration = .seconds(60)
    /// From the end of a request's head to the end of its body; past it the request is answered
    /// `408 request_timeout` (or, if it was answered already, not answered again) and the connection
    /// is closed (`BodyWatch`).
    package var bodyTimeout: Duration = .seconds(30)
    /// Open connections from one client address; one more is closed as it is accepted.
    package var perClient = 128
    /// Open connections in all; one more is closed as it is accepted.
    package var total = 2048
    /// Open event streams from one client address; one more gets 429.
    package var streamsPerClient = 32
    /// Open event streams in all; one more gets 429.
    package var streams = 1024

    package init() {}
}

/// Open connections by client address, and the refusal of one past `ConnectionLimits`.
final class ConnectionCounter: Sendable {
    private let limits: (perClient: Int, total: Int)
    private let state = Mutex<(total: Int, byClient: [String: Int])>((0, [:]))

    init(perClient: Int, total: Int) {
        limits = (perClient, total)
    }

    enum Refusal: String {
        case perClient = "per_client"
        case total
    }

    /// Counts the connection in, or says which cap it is past (and then it is not counted).
    func open(_ client: String) -> Refusal? {
        state.withLock { state in
            if state.total >= limits.total { return .total }
            let mine = state.byClient[client, default: 0]
            if mine >= limits.perClient { return .perClient }
            state.total += 1
            state.byClient[client] = mine + 1
            return nil
        }
    }

    func close(_ client: String) {
        state.withLock { state in
            state.total -= 1
            let left = state.byClient[client, default: 1] - 1
            state.byClient[client] = left > 0 ? left : nil
        }
    }

    var open: Int { state.withLock { $0.total } }
}

/// Why an accepted connection was not set up; the channel is closed already.
struct ConnectionRefused: Error {
    let reason: ConnectionCounter.Refusal
}

/// Hummingbird's HTTP/1 channel with the node's guards in front: the connection caps (checked as the
/// connection is accepted, before a byte is read), TLS when configured (with the plain-HTTP answer),
/// the request-head deadline, the request-body deadline, and the keep-alive idle timeout.
struct GuardedHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let counter: ConnectionCounter
    let tls: HTTPTLS?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let client = channel.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = counter.open(client) {
            // Closed at accept rather than answered 429: answering means reading a request, which
            // is what a client holding connections open may never finish sending.
            HTTPConnectionMetrics.refused(refusal)
            logger.debug(
                "HTTP connection refused at accept", metadata: ["client": "\(client)", "cap": "\(refusal.rawValue)"])
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionRefused(reason: refusal))
        }
        HTTPConnectionMetrics.opened(counter.open)
        channel.closeFuture.whenComplete { [counter] _ in
            counter.close(client)
            HTTPConnectionMetrics.closed(counter.open)
        }
        let deadline = NIOLoopBound(
            HeadDeadline(timeout: TimeAmount(limits.headerTimeout), channel: channel), eventLoop: channel.eventLoop)
        let http = HTTP1Channel(
            responder: responder,
            configuration: .init(
                additionalChannelHandlers: [
                    HeadWatch(deadline: deadline.value), BodyWatch(timeout: TimeAmount(limits.bodyTimeout)),
                ],
                idleTimeout: TimeAmount(limits.idleTimeout)))
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls {
                try pipeline.addHandler(PlainHTTPDetector(onRefusal: { HTTPConnectionMetrics.plainHTTPRefused() }))
                try pipeline.addHandler(NIOSSLServerHandler(context: tls.context))
            }
            try pipeline.addHandler(ByteWatch(deadline: deadline.value))
        }.flatMap {
            http.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// The request-head deadline of one connection, shared by the handler that sees its bytes and the one
/// that sees its parsed requests; both run on the connection's event loop.
final class HeadDeadline {
    let timeout: TimeAmount
    let channel: any Channel
    /// Between a response's end and the next request's first byte, no deadline runs (the idle
    /// timeout does).
    var betweenRequests = false
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, channel: any Channel) {
        self.timeout = timeout
        self.channel = channel
    }

    func arm() {
        timer?.cancel()
        let channel = channel
        timer = channel.eventLoop.scheduleTask(in: timeout) {
            HTTPConnectionMetrics.headerTimeout()
            channel.close(promise: nil)
        }
    }

    func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// Below the HTTP decoder (above TLS): starts the deadline when the connection starts (a TLS
/// handshake counts against it too) and at the first byte of each later request.
final class ByteWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let deadline: HeadDeadline

    init(deadline: HeadDeadline) {
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        deadline.arm()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline.disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline.betweenRequests {
            deadline.betweenRequests = false
            deadline.arm()
        }
        context.fireChannelRead(data)
    }
}

/// Above the HTTP decoder: a complete request head stops the deadline; the end of its response
/// opens the wait for the next request.
final class HeadWatch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let deadline: HeadDeadline

    init(deadline: HeadDeadline) {
        self.deadline = deadline
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            deadline.disarm()
            deadline.betweenRequests = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { deadline.betweenRequests = true }
        context.write(data, promise: promise)
    }
}

/// Above the HTTP decoder: the request-body deadline, from the end of a request's head to the end of
/// its body (docs/security.md, "Connection limits"). Neither of the other timeouts covers a body sent
/// a byte at a time: the head deadline stopped at the head, and every byte restarts the idle timeout.
/// Past the deadline a request that has no answer yet gets `408 request_timeout` with
/// `Connection: close`, written here; one already answered (a route that refused it before reading
/// the body, whose rest the server then drains) or queued behind another's answer gets no second
/// answer. Either way the connection is closed, and what the route writes after that goes nowhere.
final class BodyWatch: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Request heads read and final (not 1xx) response heads written on this connection; answers go
    /// in order, so the request read last is unanswered, with none before it waiting, when
    /// `answers == requests - 1` and no answer is being written.
    private var requests = 0
    private var answers = 0
    private var answering = false
    /// The 408 is written: nothing more goes up or down this connection.
    private var expired = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !expired else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            requests += 1
            timer?.cancel()
            timer = nil
            // A request without a body (most are GETs) has its end right behind its head: no timer.
            guard head.headerFields[.contentLength].map({ $0 != "0" }) ?? head.headerFields.contains(.transferEncoding)
            else { break }
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                expire(context: context)
            }
        case .body: break
        case .end:
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !expired else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            answers += 1
            answering = true
        case .end: answering = false
        default: break
        }
        context.write(data, promise: promise)
    }

    static let answer: (head: HTTPResponse, body: ByteBuffer) = {
        let body = JSONResponse.encode(
            ErrorBody(code: "request_timeout", message: "the request body did not arrive in time"))
        var fields = HTTPFields()
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = "\(body.count)"
        fields[.connection] = "close"
        return (HTTPResponse(status: .requestTimeout, headerFields: fields), ByteBuffer(bytes: body))
    }()

    private func expire(context: ChannelHandlerContext) {
        timer = nil
        HTTPConnectionMetrics.bodyTimeout()
        guard answers == requests - 1, !answering else {
            context.close(promise: nil)
            return
        }
        expired = true
        context.write(wrapOutboundOut(.head(Self.answer.head)), promise: nil)
        context.write(wrapOutboundOut(.body(Self.answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

/// The connection guards' figures in /metrics (docs/operations.md, "Metrics worth alerting on").
enum HTTPConnectionMetrics {
    static func opened(_ open: Int) { Gauge(label: "inframind_http_connections_open").record(open) }
    static func closed(_ open: Int) { Gauge(label: "inframind_http_connections_open").record(open) }
    static func refused(_ reason: ConnectionCounter.Refusal) {
        Counter(label: "inframind_http_connections_refused_total", dimensions: [("reason", reason.rawValue)])
            .increment()
    }
    static func headerTimeout() { Counter(label: "inframind_http_header_timeouts_total").increment() }
    static func bodyTimeout() { Counter(label: "inframind_http_body_timeouts_total").increment() }
    static func plainHTTPRefused() { Counter(label: "inframind_http_plain_on_https_total").increment() }
}
