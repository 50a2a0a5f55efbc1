@_spi(Testing) import ClusterSystem
import Coordination
import CoordinationShell
import Foundation
import Storage
import Testing

/// Real `ClusterSystem`s, membership and coordinators in one process: the failure paths of docs/coordination.md.
@Suite(.serialized) struct FailoverTests {
    @Test func aWorkersNodeStoppedMidTaskHasItsTasksRequeuedAndTheAssessmentCompletes() async throws {
        // Agents run 4 s so that one is still running on a non-owner when the poll below looks, even
        // on a machine loaded by the rest of the suite, where one poll (a read that asks the replica
        // set) can take seconds: at 600 ms, and once at 2 s, every agent finished first.
        // One task at a time per worker: the owner keeps two of the three analysts (one running, one
        // next: docs/coordination.md, "Leases") and places the third on a free slot elsewhere.
        let cluster = try await InProcessCluster(size: 3, agentDelay: .seconds(4), workerConcurrency: 1)
        do {
            #expect(await cluster.waitUntilReady())
            let answer = await cluster.node("node-1").coordinator.submit(
                id: "worker-loss", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "worker-loss", existing: false))
            let record = await cluster.record("worker-loss", via: "node-1")
            let owner = try #require(record?.replicaSet.first)
            // Wait until some task runs on a node that is not the owner, then stop that node.
            var victim: String?
            _ = await eventually {
                let current = await cluster.record("worker-loss", via: owner)
                victim = current?.progress.agents.first { $0.state == .running && $0.node != owner }?.node
                return victim != nil
            }
            let worker = try #require(victim)
            await cluster.crash(worker)
            let survivor = owner
            #expect(
                await eventually(timeout: .seconds(30)) {
                    await cluster.record("worker-loss", via: survivor)?.status == .completed
                })
            let counters = await cluster.node(owner).coordinator.counters
            #expect(counters.requeues >= 1)
            let done = await cluster.record("worker-loss", via: survivor)
            #expect(done?.report.map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("worker-loss|delta|") == true)
        }
        await cluster.shutdown()
    }

    @Test func anOwnerStoppedMidAssessmentIsTakenOverAndTheAssessmentCompletes() async throws {
        let cluster = try await InProcessCluster(size: 3, agentDelay: .milliseconds(500))
        do {
            #expect(await cluster.waitUntilReady())
            let answer = await cluster.node("node-2").coordinator.submit(
                id: "owner-loss", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "owner-loss", existing: false))
            let owner = try #require(await cluster.record("owner-loss", via: "node-2")?.replicaSet.first)
            _ = await eventually {
                await cluster.record("owner-loss", via: owner)?.status == .running
            }
            await cluster.crash(owner)
            let survivor = ["node-1", "node-2", "node-3"].first { $0 != owner }!
            #expect(
                await eventually(timeout: .seconds(30)) {
                    await cluster.record("owner-loss", via: survivor)?.status == .completed
                })
            let final = await cluster.record("owner-loss", via: survivor)
            #expect((final?.epoch ?? 0) >= 2)
            #expect(final?.replicaSet.first != owner)
            var takeovers = 0
            for name in ["node-1", "node-2", "node-3"] where name != owner {
                takeovers += await cluster.node(name).coordinator.counters.takeovers
            }
            #expect(takeovers >= 1)
        }
        await cluster.shutdown()
    }

    @Test func aTwoNodeMinorityOfFiveRefusesSubmissionsWhileTheMajorityContinues() async throws {
        let cluster = try await InProcessCluster(size: 5, agentDelay: .milliseconds(20))
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            let minority: Set<String> = ["node-4", "node-5"]
            let majority: Set<String> = ["node-1", "node-2", "node-3"]
            for name in minority { cluster.node(name).system.partition(from: majority) }
            for name in majority { cluster.node(name).system.partition(from: minority) }
            // Each side declares the other down; only the majority keeps a quorum.
            #expect(
                await eventually(timeout: .seconds(30)) {
                    await !cluster.node("node-4").coordinator.readiness().isEmpty
                })
            let refused = await cluster.node("node-4").coordinator.submit(
                id: "minority", request: Data("{}".utf8), idempotencyKey: nil)
            guard case .unavailable = refused else {
                Issue.record("the minority acknowledged a submission: \(refused)")
                await cluster.shutdown()
                return
            }
            #expect(
                await eventually(timeout: .seconds(30)) {
                    await cluster.node("node-1").coordinator.readiness().isEmpty
                })
            let accepted = await cluster.node("node-1").coordinator.submit(
                id: "majority", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(accepted == .accepted(id: "majority", existing: false))
            #expect(
                await eventually(timeout: .seconds(30)) {
                    await cluster.record("majority", via: "node-2")?.status == .completed
                })
        }
        await cluster.shutdown()
    }
}
