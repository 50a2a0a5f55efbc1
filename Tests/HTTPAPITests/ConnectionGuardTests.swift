import AsyncHTTPClient
import Foundation
import Glibc
import HTTPAPI
import Logging
import NIOCore
import Testing

/// docs/security.md, "Connection limits", in process over real sockets: the request-head deadline,
/// the per-client connection cap (closed at accept) and the per-client cap on event streams (429).
@Suite struct ConnectionGuardTests {
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
        // A closed stream gives its place back.
        open[0].close()
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

    /// Reads until `done` says the bytes so far are enough, the peer closes, or 30 s pass.
    private func read(until done: ([UInt8]) -> Bool) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !done(received) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
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

    deinit { close() }
}
