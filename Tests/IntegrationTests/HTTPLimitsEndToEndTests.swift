import AsyncHTTPClient
import Crypto
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

/// docs/security.md ("HTTPS", "Connection limits", "Unknown ids") on real `inframind node` processes:
/// HTTPS with a certificate reloaded on SIGHUP, slow and idle clients cut off, event streams capped
/// and shared, and reads of unknown ids kept from asking every member each time.
@Suite("Multi-process: HTTPS and the limits on connections, streams and reads")
struct HTTPLimitsEndToEndTests {
    @Test func httpsServesTheCertificateRefusesPlainHTTPAndReloadsOnSIGHUP() async throws {
        let directory = try Scratch.make("tls")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certs = directory + "/certs"
        let issued = try runInframind([
            "certs", "init", "--out", certs, "--nodes", "2", "--http-name", "localhost", "--http-ip", "127.0.0.1",
        ])
        try #require(issued.status == 0, "certs init: \(issued.output)")
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let ports = try (0..<2).map { _ in try freePort() }
        let httpPorts = try (0..<2).map { _ in try freePort() }
        let seed = "node-1@127.0.0.1:\(ports[0])"
        let nodes = try (0..<2).map { index in
            try processes.start {
                try NodeProcess(
                    name: "node-\(index + 1)", port: ports[index], certs: certs, logDirectory: directory,
                    seeds: [seed],
                    arguments: ["--http-port", "\(httpPorts[index])"]
                        + (index == 0
                            ? ["--http-tls-cert", certs + "/http.pem", "--http-tls-key", certs + "/http-key.pem"] : []))
            }
        }
        for node in nodes { try #require(await node.waitUntilReady(), "\(node.name):\n\(node.log.suffix(4000))") }
        let https = "https://127.0.0.1:\(httpPorts[0])"
        let client = try TLSClient(caFile: certs + "/http-ca.pem")
        defer { client.shutdown() }

        // Over HTTPS with the CA certs init wrote, on the address and on the name, once both are members.
        try #require(
            await eventually {
                let view = try await client.get(https + "/v1/cluster").text
                return view.components(separatedBy: "\"status\":\"up\"").count - 1 == 2
            })
        #expect(try await client.get(https + "/healthz").status == 200)
        #expect(try await client.get("https://localhost:\(httpPorts[0])/healthz").status == 200)
        let original = try fingerprint(ofPEMFile: certs + "/http.pem")
        #expect(try await servedFingerprint(port: httpPorts[0], caFile: certs + "/http-ca.pem") == original)

        // Plain HTTP on the HTTPS port: a readable 400, not TLS alert bytes.
        let plain = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(httpPorts[0])/healthz"), timeout: .seconds(30))
        #expect(plain.status.code == 400)
        let refusal = String(buffer: try await plain.body.collect(upTo: 1 << 16))
        #expect(refusal.contains("\"code\":\"https_required\""), "\(refusal)")

        // The CLI over HTTPS: --cacert trusts the HTTP CA; without it the handshake is refused.
        let cluster = try runInframind(["cluster", "--node", https, "--cacert", certs + "/http-ca.pem"])
        #expect(cluster.status == 0, "\(cluster.output)")
        #expect(cluster.output.contains("node-2"), "\(cluster.output)")
        let untrusted = try runInframind(["cluster", "--node", https])
        #expect(untrusted.status != 0)
        #expect(untrusted.output.contains("--cacert"), "\(untrusted.output)")

        // A bad file on reload: the node keeps serving the certificate it had, and says why.
        let key = try String(contentsOfFile: certs + "/http-key.pem", encoding: .utf8)
        try "not a key".write(toFile: certs + "/http-key.pem", atomically: true, encoding: .utf8)
        nodes[0].signal(SIGHUP)
        #expect(await eventually { nodes[0].log.contains("HTTP TLS certificate reload failed") })
        #expect(try await servedFingerprint(port: httpPorts[0], caFile: certs + "/http-ca.pem") == original)
        try key.write(toFile: certs + "/http-key.pem", atomically: true, encoding: .utf8)

        // A new certificate from the same HTTP CA, then SIGHUP: new connections get it.
        let renewed = try runInframind([
            "certs", "init", "--out", certs, "--reuse-ca", "--http-name", "localhost", "--http-ip", "127.0.0.1",
        ])
        try #require(renewed.status == 0, "certs init --reuse-ca: \(renewed.output)")
        let replacement = try fingerprint(ofPEMFile: certs + "/http.pem")
        #expect(replacement != original)
        nodes[0].signal(SIGHUP)
        #expect(
            await eventually {
                try await servedFingerprint(port: httpPorts[0], caFile: certs + "/http-ca.pem") == replacement
            }, "\(nodes[0].log.suffix(3000))")
        #expect(nodes[0].log.contains("HTTP TLS certificate reloaded"))
        #expect(try await client.get(https + "/healthz").status == 200)

        // The node never restarted and the cluster never lost it.
        #expect(nodes[0].isRunning && nodes[1].isRunning)
        let view = try await client.get(https + "/v1/cluster").text
        #expect(view.components(separatedBy: "\"status\":\"up\"").count - 1 == 2, "\(view)")
        #expect(nodes[0].log.components(separatedBy: " ready: ").count - 1 == 1)
    }

    @Test func slowHeadersAreCutOffAndOneClientCannotTakeEveryConnection() async throws {
        let directory = try Scratch.make("slow")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (node, http, processes) = try await singleNode(
            in: directory,
            arguments: ["--http-header-timeout-ms", "1000", "--http-max-connections-per-client", "40"])
        defer { processes.stopAll() }
        let base = "http://127.0.0.1:\(http)"
        let before = openFiles(node.pid)

        // 40 clients from 127.0.0.2 that never finish their request head.
        var slow: [RawConnection] = []
        defer { for connection in slow { connection.close() } }
        for _ in 0..<40 {
            let connection = try RawConnection(port: http, from: "127.0.0.2")
            connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(connection)
        }
        #expect(await eventually { openFiles(node.pid) >= before + 40 }, "\(openFiles(node.pid)) vs \(before)")
        // The 41st from that address is closed as it is accepted, before it sends anything.
        let past = try RawConnection(port: http, from: "127.0.0.2")
        defer { past.close() }
        #expect(await past.waitForClose(), "the 41st connection from one address stayed open")
        // Another address is not held back by that one.
        #expect(try await Web.get(base + "/healthz").status == 200)

        // Each half-sent head is closed once the header timeout has passed.
        for connection in slow {
            #expect(await connection.waitForClose(), "a connection with a half-sent head stayed open")
        }
        #expect(await eventually { openFiles(node.pid) <= before + 2 }, "\(openFiles(node.pid)) vs \(before)")
        let metrics = try await Web.get(base + "/metrics").text
        #expect(Web.sample("inframind_http_connections_refused_total{reason=\"per_client\"}", in: metrics) == 1)
        #expect((Web.sample("inframind_http_header_timeouts_total", in: metrics) ?? 0) >= 40)
        // A client that sends its request in time is served as before, from the same address.
        let timely = try RawConnection(port: http, from: "127.0.0.2")
        defer { timely.close() }
        timely.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(await timely.readAll().hasPrefix("HTTP/1.1 200"))
    }

    @Test func eventStreamsAreCappedPerClientAndShareOneWatcherPerAssessment() async throws {
        let directory = try Scratch.make("sse")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Agents slowed so the assessment is still running while the streams are looked at.
        let (_, http, processes) = try await singleNode(
            in: directory,
            arguments: [
                "--http-max-event-streams-per-client", "3", "--agent-sleep-ms", "3000", "--worker-concurrency", "1",
            ])
        defer { processes.stopAll() }
        let base = "http://127.0.0.1:\(http)"
        let example = try Data(
            contentsOf: Scratch.repoRoot.appendingPathComponent("examples/healthcare-startup-7b.json"))
        let submitted = try await Web.send(.POST, base + "/v1/assessments", body: example)
        try #require(submitted.status == 202, "\(submitted.text)")
        let id = try #require(
            (try JSONSerialization.jsonObject(with: submitted.body) as? [String: Any])?["id"] as? String)
        let events = "GET /v1/assessments/\(id)/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

        var streams: [RawConnection] = []
        defer { for stream in streams { stream.close() } }
        for _ in 0..<3 {
            let stream = try RawConnection(port: http, from: "127.0.0.2")
            stream.send(events)
            streams.append(stream)
            let head = await stream.readHead()
            #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
        }
        let fourth = try RawConnection(port: http, from: "127.0.0.2")
        defer { fourth.close() }
        fourth.send(events)
        let refused = await fourth.readHead()
        #expect(refused.hasPrefix("HTTP/1.1 429"), "\(refused)")
        #expect(refused.lowercased().contains("retry-after: "), "\(refused)")
        // Another client is under its own cap, and its stream joins the same watcher.
        let other = try RawConnection(port: http, from: "127.0.0.3")
        defer { other.close() }
        other.send(events)
        #expect(await other.readHead().hasPrefix("HTTP/1.1 200"))

        let metrics = try await Web.get(base + "/metrics").text
        #expect(Web.sample("inframind_http_event_watchers", in: metrics) == 1, "four streams, one assessment")
        #expect(Web.sample("inframind_event_streams_open", in: metrics) == 4)
        #expect(Web.sample("inframind_event_streams_refused_total{reason=\"per_client\"}", in: metrics) == 1)

        // The watcher ends with the last stream.
        for stream in streams { stream.close() }
        streams.removeAll()
        other.close()
        #expect(
            await eventually {
                Web.sample("inframind_http_event_watchers", in: try await Web.get(base + "/metrics").text) == 0
            })
    }

    @Test func unknownIdsAnswer404WithoutAskingEveryMemberEachTime() async throws {
        let directory = try Scratch.make("reads")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let names = (1...3).map { "node-\($0)" }
        let issued = try runInframind(["certs", "init", "--out", directory + "/certs", "--nodes", "3"])
        try #require(issued.status == 0, "\(issued.output)")
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let ports = try names.map { _ in try freePort() }
        let httpPorts = try names.map { _ in try freePort() }
        // One copy per assessment: an id's replica set is one member, so finding nothing there leaves
        // two members that could hold a record placed before the view changed.
        let nodes = try names.indices.map { index in
            try processes.start {
                try NodeProcess(
                    name: names[index], port: ports[index], certs: directory + "/certs", logDirectory: directory,
                    seeds: ["node-1@127.0.0.1:\(ports[0])"],
                    arguments: [
                        "--http-port", "\(httpPorts[index])", "--replication-factor", "1", "--wide-reads-per-second",
                        "2",
                    ])
            }
        }
        let base = "http://127.0.0.1:\(httpPorts[0])"
        for node in nodes { try #require(await node.waitUntilReady(), "\(node.name):\n\(node.log.suffix(4000))") }
        try #require(
            await eventually {
                guard try await Web.get(base + "/readyz").status == 200 else { return false }
                let view = try await Web.get(base + "/v1/cluster").text
                return view.components(separatedBy: "\"status\":\"up\"").count - 1 == 3
            })

        func wide(_ outcome: String) async throws -> Double {
            Web.sample(
                "inframind_wide_reads_total{outcome=\"\(outcome)\"}", in: try await Web.get(base + "/metrics").text)
                ?? 0
        }
        let asked = try await wide("asked")
        let refused = try await wide("refused")

        // Not a UUID: 404 at once, and no read asked anyone.
        for id in ["not-an-id", "x", String(repeating: "a", count: 36)] {
            let reply = try await Web.get(base + "/v1/assessments/\(id)")
            #expect(reply.status == 404, "\(id): \(reply.status) \(reply.text)")
        }
        #expect(try await wide("asked") == asked)

        // A burst of unknown UUIDs: each may ask every member only within the rate; past it, 503.
        var statuses: [Int: Int] = [:]
        for _ in 0..<20 {
            let reply = try await Web.get(base + "/v1/assessments/\(UUID().uuidString.lowercased())")
            statuses[reply.status, default: 0] += 1
            if reply.status == 503 { #expect(reply.headers.first(name: "Retry-After") != nil) }
        }
        let askedNow = try await wide("asked") - asked
        let refusedNow = try await wide("refused") - refused
        #expect(askedNow + refusedNow == 20, "\(statuses)")
        #expect(askedNow < 20, "every read asked every member: \(statuses)")
        #expect(Double(statuses[404] ?? 0) == askedNow, "\(statuses)")
        #expect(Double(statuses[503] ?? 0) == refusedNow, "\(statuses)")
    }
}

/// One node on 127.0.0.1 with `arguments`; returns it, its HTTP port and the group that stops it.
func singleNode(in directory: String, arguments: [String]) async throws -> (NodeProcess, Int, ProcessGroup) {
    let issued = try runInframind(["certs", "init", "--out", directory + "/certs", "--nodes", "1"])
    try #require(issued.status == 0, "\(issued.output)")
    let processes = ProcessGroup()
    let port = try freePort()
    let http = try freePort()
    let node = try processes.start {
        try NodeProcess(
            name: "node-1", port: port, certs: directory + "/certs", logDirectory: directory,
            seeds: ["node-1@127.0.0.1:\(port)"], arguments: ["--http-port", "\(http)"] + arguments)
    }
    guard await node.waitUntilReady() else {
        processes.stopAll()
        throw Scratch.Failure(description: "never ready:\n\(node.log.suffix(4000))")
    }
    return (node, http, processes)
}

/// The node process's open file descriptors.
func openFiles(_ pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
}

/// Runs `inframind` with `arguments` to its end; its exit status and what it printed.
func runInframind(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = NodeProcess.executable
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

enum Scratch {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func make(_ label: String) throws -> String {
        let directory = NSTemporaryDirectory() + "inframind-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// Polls `condition` (errors count as "not yet") until it holds or 30 s pass.
/// SHA-256 of the first certificate in a PEM file, hex.
private func fingerprint(ofPEMFile path: String) throws -> String {
    let certificate = try #require(try NIOSSLCertificate.fromPEMFile(path).first)
    return hex(try certificate.toDERBytes())
}

private func hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// The SHA-256 of the certificate a TLS handshake with 127.0.0.1:port gets, checked against `caFile`.
private func servedFingerprint(port: Int, caFile: String) async throws -> String {
    var configuration = TLSConfiguration.makeClientConfiguration()
    configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
    let context = try NIOSSLContext(configuration: configuration)
    let handshake = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                try channel.pipeline.syncOperations.addHandler(HandshakeWatch(done: handshake))
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
    defer { channel.close(promise: nil) }
    try await handshake.futureResult.get()
    let certificate = try #require(try await channel.nioSSL_peerCertificate().get())
    return hex(try certificate.toDERBytes())
}

/// Completes `done` at the first bytes the server sends: by then the handshake is over.
private final class HandshakeWatch: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let done: EventLoopPromise<Void>
    private var finished = false

    private func finish(_ error: (any Error)?) {
        guard !finished else { return }
        finished = true
        if let error { done.fail(error) } else { done.succeed() }
    }

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(
            // Kept alive: the certificate is read from the pipeline after the answer, so the server
            // must not have closed the connection by then.
            NIOAny(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")),
            promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        finish(nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}

/// An HTTPS client that trusts one extra CA file.
private struct TLSClient {
    let client: HTTPClient

    init(caFile: String) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.file(caFile)]
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }

    func get(_ url: String) async throws -> Web.Reply {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Web.Reply(
            status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
    }

    func shutdown() { try? client.syncShutdown() }
}

/// Runs blocking socket waits on a Dispatch thread, off the cooperative pool the tests share.
private func offload<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

/// A plain TCP client, for requests no HTTP client would send: half a request head, or one more
/// connection than a node allows. Blocking, with every wait bounded.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// Connects to 127.0.0.1:port from `source` (another loopback address is another client).
    init(port: Int, from source: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, connected == 0 else {
            let code = errno
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the peer closes (true), or 30 s pass with the connection still open (false).
    func waitForClose() async -> Bool { await offload { self.blockingWaitForClose() } }
    func readHead() async -> String { await offload { self.blockingReadHead() } }
    func readAll() async -> String { await offload { self.blockingReadAll() } }

    private func blockingWaitForClose() -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return true }
        }
        return false
    }

    /// The response head (up to the blank line), or what came before the peer closed or 30 s passed.
    private func blockingReadHead() -> String {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(30)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            if let end = String(decoding: received, as: UTF8.self).range(of: "\r\n\r\n") {
                return String(String(decoding: received, as: UTF8.self)[..<end.lowerBound])
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Everything until the peer closes (or 30 s pass).
    private func blockingReadAll() -> String {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(30)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    private var closed = false

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    deinit { close() }
}
