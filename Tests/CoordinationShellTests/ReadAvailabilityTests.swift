@_spi(Testing) import ClusterSystem
import Coordination
import CoordinationShell
import Foundation
import Storage
import Testing

/// A read that cannot reach the replica set says so (the HTTP API answers 503) instead of answering
/// "no such assessment" (404) for one that was acknowledged; see docs/partitions.md.
@Suite(.serialized) struct ReadAvailabilityTests {
    @Test func aReplicaSetOutOfReachIsAnErrorNotAMissingRecord() async throws {
        let cluster = try await InProcessCluster(size: 5, agentDelay: .seconds(30))
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            let answer = await cluster.node("node-1").coordinator.submit(
                id: "cut-off", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "cut-off", existing: false))
            let replicaSet = try #require(await cluster.record("cut-off", via: "node-1")?.replicaSet)
            let names = (1...5).map { "node-\($0)" }
            let outside = names.filter { !replicaSet.contains($0) }
            let reader = try #require(outside.first)
            // Reachable: every node finds it, those outside the replica set too.
            #expect(try await cluster.node(reader).coordinator.read(id: "cut-off")?.id == "cut-off")
            // No such assessment, and every member says so: that is a 404.
            #expect(try await cluster.node(reader).coordinator.read(id: "never-submitted") == nil)

            let cut = Set(replicaSet)
            cluster.node(reader).system.partition(from: cut)
            for name in cut { cluster.node(name).system.partition(from: [reader]) }
            // At once and once membership has had time to react (the other node outside the replica
            // set still reaches it, so the reader may never see it down): the replica set is out of
            // reach either way, and the read must not come back empty.
            for _ in 0..<2 {
                do {
                    let found = try await cluster.node(reader).coordinator.read(id: "cut-off")
                    Issue.record("a read cut off from the replica set answered \(String(describing: found))")
                } catch {
                    // What the HTTP API answers with its 503; it names the assessment.
                    #expect(String(describing: error).contains("cut-off"), "\(error)")
                }
                try await Task.sleep(for: .seconds(3))
            }
            // An id nobody holds cannot be told from one out of reach either.
            await #expect(throws: (any Error).self) {
                _ = try await cluster.node(reader).coordinator.read(id: "never-submitted")
            }
        }
        await cluster.shutdown()
    }

    /// A copy that is not final, from a minority of its replica set: a newer version (a final state
    /// even) may sit on the majority out of reach, so the read is an error, not that copy.
    @Test func aNonFinalCopyFromAMinorityOfTheReplicaSetIsNotAnswered() async throws {
        let cluster = try await InProcessCluster(size: 5, agentDelay: .seconds(30))
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            let answer = await cluster.node("node-1").coordinator.submit(
                id: "half-seen", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "half-seen", existing: false))
            let replicaSet = try #require(await cluster.record("half-seen", via: "node-1")?.replicaSet)
            let reader = try #require((1...5).map { "node-\($0)" }.first { !replicaSet.contains($0) })
            // Every replica has the record before the cut, so the one left in reach holds a copy.
            #expect(
                await eventually {
                    for name in replicaSet
                    where await cluster.node(name).coordinator.storedVersion(of: "half-seen") == nil {
                        return false
                    }
                    return true
                })
            let cut = Set(replicaSet.prefix(2))
            cluster.node(reader).system.partition(from: cut)
            for name in cut { cluster.node(name).system.partition(from: [reader]) }
            do {
                let found = try await cluster.node(reader).coordinator.read(id: "half-seen")
                Issue.record("a read from one replica of three answered \(String(describing: found?.status))")
            } catch {
                #expect(String(describing: error).contains("half-seen"), "\(error)")
            }
        }
        await cluster.shutdown()
    }

    /// An owner cut off from everyone is deposed by the majority, which finishes the assessment; the
    /// old owner, reading its own running copy, must not answer it as the current state.
    @Test func aDeposedOwnerDoesNotAnswerItsRunningCopy() async throws {
        let cluster = try await InProcessCluster(size: 5, agentDelay: .seconds(2))
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            let answer = await cluster.node("node-1").coordinator.submit(
                id: "deposed", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "deposed", existing: false))
            let owner = try #require(await cluster.record("deposed", via: "node-1")?.replicaSet.first)
            let others = Set((1...5).map { "node-\($0)" }).subtracting([owner])
            cluster.node(owner).system.partition(from: others)
            for name in others { cluster.node(name).system.partition(from: [owner]) }
            let survivor = try #require(others.sorted().first)
            #expect(
                await eventually(timeout: .seconds(60)) {
                    await cluster.record("deposed", via: survivor)?.status == .completed
                })
            do {
                let seen = try await cluster.node(owner).coordinator.read(id: "deposed")
                #expect(seen?.status == .completed, "the deposed owner answered \(String(describing: seen?.status))")
            } catch {
                #expect(String(describing: error).contains("deposed"), "\(error)")
            }
        }
        await cluster.shutdown()
    }
}
