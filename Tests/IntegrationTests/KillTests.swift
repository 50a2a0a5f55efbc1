import ClusterSystem
import Foundation
import Logging
import Testing
import Wire

/// Real `inframind node` processes on loopback, killed with real signals.
@Suite("Multi-process: killed nodes", .serialized)
struct KillTests {
    @Test func aSIGKILLedNodeFailsCallsInFlightAtOnceAndItsSuccessorIsANewIncarnation() async throws {
        let directory = NSTemporaryDirectory() + "inframind-kill-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CertificateAuthority.writeClusterPKI(
            to: URL(fileURLWithPath: directory), nodeNames: ["node-0", "node-1", "node-2"])
        let processes = ProcessGroup()
        defer { processes.stopAll() }

        let port1 = try freePort()
        let port2 = try freePort()
        let node1 = try processes.start {
            try NodeProcess(name: "node-1", port: port1, certs: directory, logDirectory: directory)
        }
        let node2 = try processes.start {
            try NodeProcess(name: "node-2", port: port2, certs: directory, logDirectory: directory)
        }
        #expect(await node1.waitUntilReady(), "node-1 log:\n\(node1.log)")
        #expect(await node2.waitUntilReady(), "node-2 log:\n\(node2.log)")

        var logger = Logger(label: "kill-test")
        logger.logLevel = .critical
        let system = try await ClusterSystem.start(
            settings: .init(name: "node-0", port: 0, tls: .init(directory: directory, nodeName: "node-0")),
            logger: logger)
        defer { Task { await system.shutdown() } }
        // uid 0: whichever incarnation answers at that address.
        func diagnostics(_ name: String, _ port: Int) throws -> Diagnostics {
            try Diagnostics.resolve(
                id: ActorID(node: NodeID(name: name, host: "127.0.0.1", port: port, uid: 0), path: Diagnostics.path),
                using: system)
        }
        let one = try diagnostics("node-1", port1)
        let two = try diagnostics("node-2", port2)
        let firstIncarnation = try await two.status().node.uid
        #expect(try await one.status().node.name == "node-1")

        // Calls that would wait a minute, in flight on node-2 when it dies.
        let held = (0..<4).map { _ in
            Task {
                try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(120))) {
                    try await two.hold(milliseconds: 60_000)
                }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
        let killedAt = ContinuousClock.now
        node2.signal(SIGKILL)
        for call in held {
            let result = await call.result
            guard case .failure(let error as ClusterError) = result, case .peerUnreachable = error else {
                Issue.record("expected peerUnreachable, got \(result)")
                continue
            }
        }
        let failedAfter = ContinuousClock.now - killedAt
        #expect(failedAfter < .seconds(10), "in-flight calls failed \(failedAfter) after SIGKILL")

        // The survivor is unaffected.
        #expect(try await one.status().node.name == "node-1")

        // Restarted on the same port: a new incarnation answers.
        try FileManager.default.createDirectory(atPath: directory + "/restart", withIntermediateDirectories: true)
        let restarted = try processes.start {
            try NodeProcess(name: "node-2", port: port2, certs: directory, logDirectory: directory + "/restart")
        }
        #expect(await restarted.waitUntilReady(), "restarted node-2 log:\n\(restarted.log)")
        var secondIncarnation: UInt64?
        for _ in 0..<200 where secondIncarnation == nil {
            secondIncarnation = try? await two.status().node.uid
            if secondIncarnation == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(secondIncarnation != nil)
        #expect(secondIncarnation != firstIncarnation)
        print("in-flight calls failed \(failedAfter) after SIGKILL")
    }
}
