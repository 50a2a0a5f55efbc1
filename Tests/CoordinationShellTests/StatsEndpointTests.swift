@_spi(Testing) import ClusterSystem
import CoordinationShell
import Foundation
import Testing

/// The console's cluster page asks one node, which gathers every member's load over the cluster
/// (docs/console.md, Cluster): each member answers from its own `/stats` actor, and one that cannot
/// be reached is named with why instead of holding the page.
@Suite(.serialized) struct StatsEndpointTests {
    @Test func everyMemberAnswersForItselfAndOneOutOfReachIsNamed() async throws {
        let cluster = try await InProcessCluster(size: 3, agentDelay: .milliseconds(1))
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            var endpoints: [StatsEndpoint] = []
            for name in ["node-1", "node-2", "node-3"] {
                endpoints.append(StatsEndpoint.start(on: cluster.node(name).system) { Data("stats of \(name)".utf8) })
            }
            let members = ["node-2", "node-3"].map { name in
                (name: name, host: "127.0.0.1", port: cluster.node(name).system.node.port)
            }
            let gatherer = cluster.node("node-1").system
            let answers = await StatsEndpoint.gather(from: members, using: gatherer, timeout: .seconds(2))
            #expect(answers.map(\.node) == ["node-2", "node-3"])
            #expect(
                answers.map { $0.stats.map { String(decoding: $0, as: UTF8.self) } } == [
                    "stats of node-2", "stats of node-3",
                ])
            #expect(answers.allSatisfy { $0.error == nil })

            // node-3 cut off from node-1: its answer is an error naming why, in its place; node-2 still answers.
            gatherer.partition(from: ["node-3"])
            cluster.node("node-3").system.partition(from: ["node-1"])
            let cut = await StatsEndpoint.gather(from: members, using: gatherer, timeout: .milliseconds(500))
            #expect(cut.map(\.node) == ["node-2", "node-3"])
            #expect(cut[0].stats != nil)
            #expect(cut[1].stats == nil && cut[1].error?.isEmpty == false)
            _ = endpoints
        }
        await cluster.shutdown()
    }
}
