import ClusterSystem
import Foundation
import Logging
import Membership
import MembershipShell
import Testing
import Wire

/// Five real `inframind node` processes forming a cluster through SWIM; one is SIGKILLed and
/// one SIGTERMed, and every survivor's own view is read over the transport.
@Suite("Multi-process: membership", .serialized)
struct MembershipKillTests {
    @Test func survivorsMarkAKilledNodeDownAndAStoppedNodeLeft() async throws {
        let names = (1...5).map { "node-\($0)" }
        let directory = NSTemporaryDirectory() + "inframind-members-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: directory), nodeNames: names + ["observer"])
        let processes = ProcessGroup()
        defer { processes.stopAll() }
        let ports = try names.map { _ in try freePort() }
        let seed = "node-1@127.0.0.1:\(ports[0])"
        var nodes: [NodeProcess] = []
        for (name, port) in zip(names, ports) {
            nodes.append(
                try processes.start {
                    try NodeProcess(name: name, port: port, certs: directory, logDirectory: directory, seeds: [seed])
                })
        }
        for node in nodes { #expect(await node.waitUntilReady(), "\(node.name) log:\n\(node.log)") }

        var logger = Logger(label: "observer")
        logger.logLevel = .critical
        let observer = try await ClusterSystem.start(
            settings: .init(name: "observer", port: 0, tls: .init(directory: directory, nodeName: "observer")),
            logger: logger)
        defer { Task { await observer.shutdown() } }
        func view(of index: Int) async -> [SWIM.Member] {
            let address = MemberAddress(name: names[index], host: "127.0.0.1", port: ports[index])
            guard let endpoint = try? MembershipEndpoint.at(address, using: observer) else { return [] }
            return (try? await endpoint.view()) ?? []
        }
        func status(of member: String, seenBy index: Int) async -> SWIM.Status? {
            await view(of: index).last { $0.id.address.name == member }?.status
        }

        // Everyone sees everyone up.
        var converged = false
        for _ in 0..<600 where !converged {
            var all = true
            for index in 0..<5 where await view(of: index).filter({ $0.status == .up }).count != 5 { all = false }
            converged = all
            if !converged { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(converged, "the five nodes never saw each other up")

        // SIGKILL node-5: every survivor must mark it down.
        let killedAt = ContinuousClock.now
        nodes[4].signal(SIGKILL)
        var detected: [Int: Duration] = [:]
        while detected.count < 4 && ContinuousClock.now - killedAt < .seconds(60) {
            for index in 0..<4 where detected[index] == nil {
                if await status(of: "node-5", seenBy: index) == .down {
                    detected[index] = ContinuousClock.now - killedAt
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(detected.count == 4, "survivors that saw node-5 down: \(detected.keys.sorted())")
        print("SIGKILL → down at each survivor: \(detected.sorted { $0.key < $1.key }.map { "\($0.value)" })")

        // SIGTERM node-4: it leaves, and the others see `left`, not `down`.
        let stoppedAt = ContinuousClock.now
        nodes[3].signal(SIGTERM)
        var left: [Int: Duration] = [:]
        while left.count < 3 && ContinuousClock.now - stoppedAt < .seconds(60) {
            for index in 0..<3 where left[index] == nil {
                let seen = await status(of: "node-4", seenBy: index)
                #expect(seen != .down, "node-\(index + 1) declared the leaving node down")
                if seen == .left { left[index] = ContinuousClock.now - stoppedAt }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(left.count == 3, "survivors that saw node-4 leave: \(left.keys.sorted())")
        print("SIGTERM → left at each survivor: \(left.sorted { $0.key < $1.key }.map { "\($0.value)" })")
    }
}
