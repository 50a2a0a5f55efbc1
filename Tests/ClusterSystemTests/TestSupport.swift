import ClusterSystem
import Distributed
import Foundation
import Logging
import Testing
import Wire

struct EchoFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { "echo failed: \(reason)" }
}

struct Payload: Codable, Equatable, Sendable {
    struct Line: Codable, Equatable, Sendable {
        var sku: String
        var quantity: Int
        var price: Double
        var note: String?
    }
    var id: String
    var lines: [Line]
    var tags: [String: String]
    var kind: Kind

    enum Kind: Codable, Equatable, Sendable {
        case plain
        case weighted(factor: Double, label: String)
    }

    static func sample(lines: Int) -> Payload {
        Payload(
            id: "assessment-42",
            lines: (0..<lines).map {
                Line(sku: "gpu-h100-\($0)", quantity: $0, price: Double($0) * 1.25, note: $0 % 2 == 0 ? nil : "odd")
            },
            tags: ["region": "eu-west-1", "tier": "gold"],
            kind: .weighted(factor: 0.5, label: "half"))
    }
}

distributed actor Echo: ClusterCallable {
    typealias ActorSystem = ClusterSystem

    distributed func echo(_ value: Int) -> Int { value }
    distributed func nothing() {}
    distributed func fail(_ reason: String) throws { throw EchoFailure(reason: reason) }
    distributed func identity<Value: Codable & Sendable>(_ value: Value) -> Value { value }
    distributed func count(_ payload: Payload) -> Int { payload.lines.count }
    distributed func pause(milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(milliseconds))
        return milliseconds
    }
    distributed func whoAmI() -> String { actorSystem.node.name }
    distributed func sample(lines: Int) -> Payload { Payload.sample(lines: lines) }
    distributed func caller() -> String? { ClusterSystem.callerName }
    /// Acts on a message only if `sender` is the node that called (as a coordination endpoint does).
    distributed func claim(_ sender: String) throws -> String {
        guard actorSystem.senderMatchesCaller(sender, in: "test claim") else {
            throw SenderMismatch(certified: ClusterSystem.callerName ?? "", claimed: sender)
        }
        return sender
    }
    /// Keeps `payload` for `milliseconds`, counting how many such calls ever held at once.
    distributed func keep(_ payload: Payload, milliseconds: Int) async throws -> Int {
        holding += 1
        mostHeld = max(mostHeld, holding)
        defer { holding -= 1 }
        try await Task.sleep(for: .milliseconds(milliseconds))
        return payload.lines.count
    }
    distributed func mostHeldAtOnce() -> Int { mostHeld }
    private var holding = 0
    private var mostHeld = 0

    static let wireMethods: [WireMethod<Echo>] = [
        WireMethod("echo") { _ = try await $0.echo(0) },
        WireMethod("nothing") { try await $0.nothing() },
        WireMethod("fail") { try await $0.fail("") },
        WireMethod("identity") { _ = try await $0.identity(0) },
        WireMethod("count") { _ = try await $0.count(Payload.sample(lines: 0)) },
        WireMethod("pause") { _ = try await $0.pause(milliseconds: 0) },
        WireMethod("whoAmI") { _ = try await $0.whoAmI() },
        WireMethod("sample") { _ = try await $0.sample(lines: 0) },
        WireMethod("caller") { _ = try await $0.caller() },
        WireMethod("claim") { _ = try await $0.claim("") },
        WireMethod("keep") { _ = try await $0.keep(Payload.sample(lines: 0), milliseconds: 0) },
        WireMethod("mostHeldAtOnce") { _ = try await $0.mostHeldAtOnce() },
    ]
}

/// A throwaway PKI and a way to start nodes on loopback with it.
final class TestPKI: Sendable {
    let directory: String
    /// Where the CA key goes: apart from what nodes read, as `certs init` writes it.
    let caDirectory: String

    init(nodes: [String]) throws {
        directory = NSTemporaryDirectory() + "inframind-test-\(UUID().uuidString)"
        caDirectory = directory + "-ca"
        try CertificateAuthority.writeClusterPKI(
            to: URL(fileURLWithPath: directory), nodeNames: nodes, caKeyDirectory: URL(fileURLWithPath: caDirectory))
    }

    /// The CA, to issue more certificates with.
    func authority() throws -> CertificateAuthority.Issued {
        CertificateAuthority.Issued(
            certificatePEM: try String(contentsOfFile: directory + "/ca.pem", encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: caDirectory + "/ca-key.pem", encoding: .utf8))
    }

    func settings(for name: String) -> ClusterSystem.Settings {
        var settings = ClusterSystem.Settings(
            name: name, host: "127.0.0.1", port: 0, tls: .init(directory: directory, nodeName: name))
        settings.eventLoopThreads = 1
        // A first call dials and shakes hands; with the whole suite on two cores that took over the
        // 5 s default twice (CallTests, FailureTests). No test here waits for the default to expire:
        // those about deadlines set their own.
        settings.defaultCallTimeout = .seconds(20)
        return settings
    }

    func start(_ name: String, configure: (inout ClusterSystem.Settings) -> Void = { _ in }) async throws
        -> ClusterSystem
    {
        var settings = settings(for: name)
        configure(&settings)
        var logger = Logger(label: "test.\(name)")
        logger.logLevel = .critical
        return try await ClusterSystem.start(settings: settings, logger: logger)
    }

    /// Gives `node` the certificate `issued` in place of its own, starts `peer` and `node`, and
    /// checks that a call from `node` fails and `peer` read no frame from it: the handshake refused it.
    func expectRefusedBeforeAnyFrame(
        _ node: String, certifiedBy issued: CertificateAuthority.Issued, by peer: String
    ) async throws {
        try issued.certificatePEM.write(toFile: directory + "/\(node).pem", atomically: true, encoding: .utf8)
        try issued.privateKeyPEM.write(toFile: directory + "/\(node)-key.pem", atomically: true, encoding: .utf8)
        let a = try await start(peer)
        let b = try await start(node)
        let echo = a.makeWellKnown("/echo") { Echo(actorSystem: a) }
        let remote = try Echo.resolve(id: echo.id, using: b)
        await #expect(throws: ClusterError.self) { _ = try await remote.echo(1) }
        #expect(a.framesReadCount == 0)
        _ = echo
        await a.shutdown()
        await b.shutdown()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: caDirectory)
    }
}

func withNodes<T>(
    _ names: [String], _ body: ([ClusterSystem]) async throws -> T
) async throws -> T {
    let pki = try TestPKI(nodes: names)
    var systems: [ClusterSystem] = []
    do {
        for name in names { systems.append(try await pki.start(name)) }
        let result = try await body(systems)
        for system in systems { await system.shutdown() }
        return result
    } catch {
        for system in systems { await system.shutdown() }
        throw error
    }
}

func openFileDescriptorCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

/// Polls `condition` (virtual-time free: it only bounds how long a test may hang).
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
