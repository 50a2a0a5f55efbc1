import AsyncHTTPClient
import Foundation
import Glibc
import HTTPAPI
import Logging
import NIOCore
import Testing

/// docs/security.md, "Connection limits", in process over real sockets: the request-head deadline,
/// the per-client connection cap (closed at accept) and the per-client cap on event streams (429).
/// One test at a time: each holds threads blocked on its sockets, and the servers' handlers need the
/// few the process has (two cores).
@Suite(.serialized) struct ConnectionGuardTests {
    static func start(
        heartbeat: Duration = .seconds(15), _ change: (inout ConnectionLimits) -> Void
    ) async throws -> (RunningHTTPServer, EngineBackedService) {
        let service = EngineBackedService()
        var logger = Logger(label: "guard-test")
        logger.logLevel = .critical
        let server = try await RunningHTTPServer.start(
            service: service,
            settings: Fixtures.settings {
                change(&$0.limits)
                $0.heartbeat = heartbeat
            }, logger: logger)
        return (server, service)
    }

    @Test func aHalfSentHeadIsClosedAndACompleteOneIsServed() async throws {
        let (server, _) = try await Self.start { $0.headerTimeout = .milliseconds(200) }
        let slow = try Socket(port: server.port)
        slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        #expect(await slow.readToClose().isEmpty, "a half-sent head got an answer")
        let silent = try Socket(port: server.port)
        #expect(await silent.readToClose().isEmpty, "a connection that sent nothing got an answer")
        let timely = try Socket(port: server.port)
        timely.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(await timely.readToClose().hasPrefix("HTTP/1.1 200"))
        try await server.stop()
    }

    /// A body sent a byte at a time: every byte comes long before the idle timeout (60 s here), yet
    /// the request must be over by the body deadline, so it gets 408 and the connection is closed.
    /// (Without the deadline the body, 50 ms a byte, would take over a minute.)
    @Test func aTricklingBodyGets408AndTheConnectionIsClosed() async throws {
        let (server, _) = try await Self.start { $0.bodyTimeout = .milliseconds(300) }
        let body = try Fixtures.example()
        let slow = try Socket(port: server.port)
        slow.send(
            "POST /v1/assessments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.count)\r\n\r\n")
        let answer = await slow.trickleAndReadToClose(body, every: .milliseconds(50))
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(answer.contains("\"code\":\"request_timeout\""), "\(answer)")
        #expect(answer.lowercased().contains("connection: close"), "\(answer)")
        #expect(slow.peerClosed, "the connection stayed open")
        #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "more than one answer: \(answer)")

        // The same body sent at once is served: the deadline is for slow bodies, not for bodies.
        let timely = try Socket(port: server.port)
        timely.send(
            "POST /v1/assessments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                + String(decoding: body, as: UTF8.self))
        let served = await timely.readToClose()
        #expect(served.hasPrefix("HTTP/1.1 202"), "\(served)")
        try await server.stop()
    }

    /// A request refused before its body is read (415: not JSON) has its answer already; a body
    /// still trickling after it closes the connection at the deadline, with no second answer (the
    /// 408 must not follow the 415). Should the route not get a thread before the deadline, as when
    /// the CPU-bound suites hold them all, the 408 comes first and is the only answer: either way,
    /// one answer and a closed connection.
    @Test func aTricklingBodyAfterTheAnswerOnlyClosesTheConnection() async throws {
        let (server, _) = try await Self.start { $0.bodyTimeout = .seconds(1) }
        let body = Array(repeating: UInt8(ascii: "x"), count: 4096)
        let slow = try Socket(port: server.port)
        slow.send(
            "POST /v1/assessments HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                + "Content-Length: \(body.count)\r\n\r\n")
        let answer = await slow.trickleAndReadToClose(body, every: .milliseconds(20))
        #expect(answer.hasPrefix("HTTP/1.1 415") || answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(slow.peerClosed, "the connection stayed open")
        #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "more than one answer: \(answer)")
        try await server.stop()
    }

    @Test func connectionsPastThePerClientCapAreClosedAtAccept() async throws {
        let (server, _) = try await Self.start { $0.perClient = 2 }
        let held = try (0..<2).map { _ in try Socket(port: server.port) }
        // Both held connections are served, so both were accepted and counted.
        for socket in held {
            socket.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await socket.readHead().hasPrefix("HTTP/1.1 200"))
        }
        let third = try Socket(port: server.port)
        third.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(await third.readToClose().isEmpty, "the third connection was answered")
        held[0].close()
        // A freed place is taken again.
        var served = false
        for _ in 0..<100 where !served {
            let again = try Socket(port: server.port)
            again.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            served = await again.readToClose().hasPrefix("HTTP/1.1 200")
            if !served { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(served)
        try await server.stop()
    }

    @Test func eventStreamsPastThePerClientCapGet429WithRetryAfter() async throws {
        // Heartbeats as rarely as by default: a stream whose client left ends when its connection
        // closes, not at its next write.
        let (server, service) = try await Self.start { $0.streamsPerClient = 2 }
        let base = "http://127.0.0.1:\(server.port)"
        var submit = HTTPClientRequest(url: base + "/v1/assessments")
        submit.method = .POST
        submit.headers.add(name: "Content-Type", value: "application/json")
        submit.body = .bytes(ByteBuffer(bytes: try Fixtures.example()))
        let submitted = try await HTTPClient.shared.execute(submit, timeout: .seconds(30))
        let id = try JSONDecoder().decode(
            SubmittedBody.self, from: Data(try await submitted.body.collect(upTo: 1 << 20).readableBytesView)
        ).id
        let request = "GET /v1/assessments/\(id)/events HTTP/1.1\r\nHost: x\r\n\r\n"
        var subscriptions = service.subscribed.makeAsyncIterator()
        let open = try (0..<2).map { _ in try Socket(port: server.port) }
        for socket in open {
            socket.send(request)
            #expect(await socket.readHead().hasPrefix("HTTP/1.1 200"))
            _ = await subscriptions.next()
        }
        let refused = try Socket(port: server.port)
        refused.send(request)
        let answer = await refused.read(untilContains: "too_many_streams")
        #expect(answer.hasPrefix("HTTP/1.1 429"), "\(answer)")
        #expect(answer.lowercased().contains("retry-after: 1"), "\(answer)")
        #expect(answer.contains("\"code\":\"too_many_streams\""), "\(answer)")
        // A closed stream gives its place back. Closed with a reset, as a client that leaves with the
        // stream unread does: a plain close after the client happened to read every byte sent is a
        // FIN, which the server takes for a half-close and notices only at its next write (the
        // heartbeat), and whether the first event was read with the head was down to timing.
        open[0].abort()
        var reopened = false
        for _ in 0..<100 where !reopened {
            let again = try Socket(port: server.port)
            again.send(request)
            reopened = await again.readHead().hasPrefix("HTTP/1.1 200")
            if !reopened { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(reopened)
        try await server.stop()
    }
}

/// Runs blocking socket waits on a Dispatch thread: on the cooperative pool (two threads on a
/// two-core machine) they would starve the in-process server's own handlers.
private func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

/// A blocking TCP client to 127.0.0.1 with every wait bounded (30 s).
private final class Socket: @unchecked Sendable {
    let fd: Int32
    private var closed = false
    /// Set by a read that found the connection closed by the server.
    private(set) var peerClosed = false

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends `bytes` one at a time, `every` apart, until they are sent or the server closes the
    /// connection, and reads what the server answers until it closes. Both on threads of their own:
    /// they block for as long as the server keeps the connection, and a Dispatch thread held that long
    /// (as `offload` would) kept the in-process server from answering a 415 for over a second.
    func trickleAndReadToClose(_ bytes: some Collection<UInt8>, every interval: Duration) async -> String {
        trickle(bytes, every: interval)
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.read { _ in false }) }
        }
    }

    private func trickle(_ bytes: some Collection<UInt8>, every interval: Duration) {
        let bytes = Array(bytes)
        let (seconds, attoseconds) = interval.components
        let micros = useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        Thread.detachNewThread {
            for var byte in bytes {
                guard !self.closed, Glibc.send(self.fd, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                usleep(micros)
            }
        }
    }

    /// Reads until `done` says the bytes so far are enough, the peer closes, or 30 s pass.
    func read(until done: ([UInt8]) -> Bool) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !done(received) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            // A reset counts as a close: bytes still trickling in after it make the server's end send one.
            if count == 0 || (count < 0 && errno == ECONNRESET) { peerClosed = true }
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    func readToClose() async -> String { await offload { self.read { _ in false } } }

    func readHead() async -> String {
        let text = await offload { self.read { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") } }
        return text.components(separatedBy: "\r\n\r\n").first ?? text
    }

    func read(untilContains text: String) async -> String {
        await offload { self.read { String(decoding: $0, as: UTF8.self).contains(text) } }
    }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Closes with a reset (SO_LINGER of 0) rather than a FIN.
    func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    deinit { close() }
}
