import AsyncHTTPClient
import Foundation
import Glibc
import HTTPAPI
import HTTPTypes
import Logging
import NIOCore
import Testing

/// The server over a real socket: `RunningHTTPServer` binds, serves, and on `stop` ends open event
/// streams cleanly and stops accepting.
@Suite struct LiveServerTests {
    @Test func startServesAndStopDrainsOpenEventStreams() async throws {
        let service = EngineBackedService()
        var logger = Logger(label: "live-test")
        logger.logLevel = .critical
        let server = try await RunningHTTPServer.start(
            service: service, settings: Fixtures.settings { $0.port = 0 }, logger: logger)
        let base = "http://127.0.0.1:\(server.port)"

        let health = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(30))
        #expect(health.status.code == 200)

        var submit = HTTPClientRequest(url: base + "/v1/assessments")
        submit.method = .POST
        submit.headers.add(name: "Content-Type", value: "application/json")
        submit.body = .bytes(ByteBuffer(bytes: try Fixtures.example()))
        let submitted = try await HTTPClient.shared.execute(submit, timeout: .seconds(30))
        #expect(submitted.status.code == 202)
        let id = try JSONDecoder().decode(
            SubmittedBody.self, from: Data(try await submitted.body.collect(upTo: 1 << 20).readableBytesView)
        ).id

        // An event stream on an assessment that never progresses: only the shutdown can end it.
        let events = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: base + "/v1/assessments/\(id)/events"), timeout: .seconds(600))
        #expect(events.status.code == 200)
        var subscriptions = service.subscribed.makeAsyncIterator()
        _ = await subscriptions.next()

        async let stopped: Void = server.stop()
        let text = String(buffer: try await events.body.collect(upTo: 1 << 20))
        try await stopped
        #expect(text.hasPrefix("event: progress\n"))

        // The listening socket is gone. A raw connect, because HTTP clients retry refused connections.
        #expect(Self.connectError(port: server.port) == ECONNREFUSED)
    }

    /// errno of a TCP connect to 127.0.0.1:port, or 0 when it connected.
    static func connectError(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    @Test func startFailsWhenThePortIsTaken() async throws {
        var logger = Logger(label: "live-test")
        logger.logLevel = .critical
        let first = try await RunningHTTPServer.start(
            service: EngineBackedService(), settings: Fixtures.settings { $0.port = 0 }, logger: logger)
        await #expect(throws: (any Error).self) {
            let second = try await RunningHTTPServer.start(
                service: EngineBackedService(), settings: Fixtures.settings { $0.port = first.port }, logger: logger)
            try await second.stop()
        }
        try await first.stop()
    }
}
