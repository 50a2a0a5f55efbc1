import ClusterSystem
import Coordination
import CoordinationShell
import MembershipShell
import ServiceLifecycle

/// The cluster half of a node as a lifecycle service: it runs until graceful shutdown, then hands
/// back queued tasks, lets running ones finish (bounded), leaves the cluster and closes connections.
struct NodeLifecycle: Service {
    let system: ClusterSystem
    let membership: MembershipService
    let coordinator: CoordinatorNode
    var drainTimeout: Duration = .seconds(20)

    func run() async throws {
        try? await gracefulShutdown()
        system.logger.info("shutting down: draining tasks, then leaving the cluster")
        await coordinator.drain(timeout: drainTimeout)
        await membership.leave()
        await system.shutdown()
    }
}

extension NodeConfiguration {
    var coordinationSettings: CoordinationSettings {
        let agents = AgentExecutor.settings
        var settings = CoordinationSettings(analysts: agents.analysts, finalAgent: agents.finalAgent)
        settings.replicationFactor = replicationFactor
        settings.leaseTTL = .milliseconds(leaseTTLMilliseconds)
        settings.maxAttempts = maxAttempts
        settings.workerConcurrency = workerConcurrency
        settings.backlogLimit = backlogLimit
        settings.retention = .seconds(retentionSeconds)
        return settings
    }
}
