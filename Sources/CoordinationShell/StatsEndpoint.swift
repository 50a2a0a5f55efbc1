import ClusterSystem
import Distributed
import FoundationEssentials
import Wire

/// Every node runs one at `/stats`: its own load for the console's cluster page, as the JSON the
/// HTTP layer renders (opaque here), so that whichever node serves `GET /v1/cluster/stats` can gather
/// every member's over the cluster instead of the browser asking each member (docs/console.md).
package distributed actor StatsEndpoint: ClusterCallable {
    package typealias ActorSystem = ClusterSystem
    package static let path = "/stats"

    private let provider: @Sendable () async -> Data

    init(provider: @escaping @Sendable () async -> Data, actorSystem: ClusterSystem) {
        self.provider = provider
        self.actorSystem = actorSystem
    }

    /// Serves `provider`'s answer to every member that asks.
    package static func start(on system: ClusterSystem, provider: @escaping @Sendable () async -> Data)
        -> StatsEndpoint
    {
        system.makeWellKnown(path) { StatsEndpoint(provider: provider, actorSystem: system) }
    }

    /// This node's load, as its provider renders it.
    package distributed func stats() async -> Data {
        await provider()
    }

    package static let wireMethods: [WireMethod<StatsEndpoint>] = [
        WireMethod("stats") { _ = try await $0.stats() }
    ]

    /// One member's answer: its stats, or why there are none.
    package struct Gathered: Sendable {
        package var node: String
        package var stats: Data?
        package var error: String?
    }

    /// Asks every member in `members` at once, each bounded by `timeout`, so one slow or dead member
    /// costs the page one timeout, not one per member. Answers come back in the order asked.
    package static func gather(
        from members: [(name: String, host: String, port: Int)], using system: ClusterSystem, timeout: Duration
    ) async -> [Gathered] {
        await withTaskGroup(of: (Int, Gathered).self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    let id = ActorID(
                        node: NodeID(name: member.name, host: member.host, port: member.port, uid: 0), path: path)
                    do {
                        let endpoint = try StatsEndpoint.resolve(id: id, using: system)
                        let data = try await ClusterSystem.$callOptions.withValue(.init(timeout: timeout)) {
                            try await endpoint.stats()
                        }
                        return (index, Gathered(node: member.name, stats: data, error: nil))
                    } catch {
                        return (index, Gathered(node: member.name, stats: nil, error: "\(error)"))
                    }
                }
            }
            var answers: [(Int, Gathered)] = []
            for await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
