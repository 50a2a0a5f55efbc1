@_spi(Testing) import ClusterSystem
import Coordination
import CoordinationShell
import Foundation
import Logging
import Membership
import MembershipShell
import Storage
import Wire

/// An agent for tests: waits `delay` (cancellably), then returns bytes that depend only on the task's
/// inputs, as the real agents do.
struct SleepingExecutor: TaskRunner {
    let delay: Duration

    func run(_ assignment: TaskAssignment) async throws -> Data {
        try await Task.sleep(for: delay)
        let inputs = assignment.inputs.map { "\($0.agent)=\($0.digest.base64EncodedString())" }.joined(separator: ",")
        return Data("\(assignment.key.assessmentID)|\(assignment.key.agent)|\(inputs)".utf8)
    }
}

/// Several nodes in this process on loopback: real TLS, real membership, real coordinators.
final class InProcessCluster: @unchecked Sendable {
    struct Node {
        let system: ClusterSystem
        let membership: MembershipService
        let coordinator: CoordinatorNode
        let store: InMemoryAssessmentStore
    }

    static let agents = ["alpha", "beta", "gamma", "delta"]
    let directory: String
    private(set) var nodes: [String: Node] = [:]
    private(set) var stopped: Set<String> = []

    init(size: Int, agentDelay: Duration, workerConcurrency: Int = 2) async throws {
        let names = (1...size).map { "node-\($0)" }
        directory = NSTemporaryDirectory() + "inframind-coordination-\(UUID().uuidString)"
        try CertificateAuthority.writeClusterPKI(to: URL(fileURLWithPath: directory), nodeNames: names)
        var seed: NodeAddress?
        for name in names {
            var settings = ClusterSystem.Settings(
                name: name, host: "127.0.0.1", port: 0, tls: .init(directory: directory, nodeName: name))
            settings.eventLoopThreads = 1
            var logger = Logger(label: "test.\(name)")
            logger.logLevel = ProcessInfo.processInfo.environment["INPROCESS_LOG"] != nil ? .info : .critical
            let system = try await ClusterSystem.start(settings: settings, logger: logger)
            let address = seed ?? NodeAddress(name: name, host: "127.0.0.1", port: system.node.port)
            seed = address
            let membership = MembershipService(system: system, seeds: [address])
            await membership.start()
            var coordination = CoordinationSettings(analysts: Array(Self.agents.dropLast()), finalAgent: "delta")
            coordination.workerConcurrency = workerConcurrency
            let store = InMemoryAssessmentStore()
            let coordinator = CoordinatorNode(
                system: system, membership: membership, store: store,
                executor: SleepingExecutor(delay: agentDelay), settings: coordination)
            try await coordinator.start()
            nodes[name] = Node(system: system, membership: membership, coordinator: coordinator, store: store)
        }
    }

    func node(_ name: String) -> Node { nodes[name]! }

    /// Waits until every live node is ready (joined, settled, quorate) and sees every live member up.
    func waitUntilReady(timeout: Duration = .seconds(20)) async -> Bool {
        await eventually(timeout: timeout) {
            for (name, node) in self.nodes where !self.stopped.contains(name) {
                guard await node.coordinator.readiness().isEmpty else { return false }
                let up = await node.membership.view.filter { $0.status == .up }.count
                if up < self.nodes.count - self.stopped.count { return false }
            }
            return true
        }
    }

    /// What SIGKILL looks like to the others: connections drop without goodbye, nothing leaves.
    func crash(_ name: String) async {
        let node = node(name)
        stopped.insert(name)
        await node.coordinator.stop()
        await node.system.crash()
    }

    func shutdown() async {
        for (name, node) in nodes where !stopped.contains(name) {
            stopped.insert(name)
            await node.coordinator.stop()
            await node.membership.leave()
            await node.system.shutdown()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The newest record any node can find.
    func record(_ id: String, via name: String) async -> AssessmentRecord? {
        try? await node(name).coordinator.read(id: id)
    }
}

/// Polls `condition` until it holds; the timeout only bounds how long a failing test hangs. The
/// condition is asked once more after the deadline: under the full suite's load one sleep can end
/// long after it, and a test must not fail on a deadline it slept through.
func eventually(timeout: Duration = .seconds(20), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}
