import Coordination
import CoordinationShell
import Foundation
import Storage
import Testing

/// An event stream on a node outside an assessment's replica set waits on a replica for each newer
/// version (`CoordinatorNode.awaitNewer`) instead of reading the replica set every poll interval
/// (docs/performance.md, "The data path").
@Suite(.serialized) struct AwaitNewerTests {
    @Test func aNodeOutsideTheReplicaSetIsHandedEachNewerVersionByAReplica() async throws {
        let cluster = try await InProcessCluster(size: 5, agentDelay: .milliseconds(600))
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            let answer = await cluster.node("node-1").coordinator.submit(
                id: "awaited", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "awaited", existing: false))
            let first = try #require(await cluster.record("awaited", via: "node-1"))
            let owner = try #require(first.replicaSet.first)
            let outside = try #require((1...5).map { "node-\($0)" }.first { !first.replicaSet.contains($0) })
            let reader = cluster.node(outside).coordinator
            #expect(await reader.storedVersion(of: "awaited") == nil)

            // Each call comes back with a newer version than the one it names, until the final one.
            var last = (epoch: first.epoch, version: first.version)
            var seen: [AssessmentStatus] = []
            while !(seen.last?.isTerminal ?? false) {
                let newer = try #require(
                    try await reader.awaitNewer(of: "awaited", than: last, on: owner, wait: .seconds(10)),
                    "nothing newer than \(last) within 10 s")
                #expect((newer.epoch, newer.version) > last)
                last = (newer.epoch, newer.version)
                seen.append(newer.status)
            }
            #expect(seen.last == .completed)

            // Nothing newer than the final version: nil once the wait is over, not before.
            let start = ContinuousClock.now
            #expect(try await reader.awaitNewer(of: "awaited", than: last, on: owner, wait: .milliseconds(300)) == nil)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            // A member that stores no copy answers nil at once; so does one asked for an unknown id.
            #expect(
                try await cluster.node(owner).coordinator.awaitNewer(
                    of: "awaited", than: last, on: outside, wait: .seconds(10)) == nil)
            #expect(
                try await reader.awaitNewer(of: "never-submitted", than: (1, 0), on: owner, wait: .seconds(10)) == nil)
        }
        await cluster.shutdown()
    }

    /// A replica that stores a write sent as a change (docs/coordination.md, "Writes as changes")
    /// wakes the streams following the assessment with the whole summary it stored, every agent in
    /// it, not with the few agents the change carried.
    @Test func aReplicaWokenByAChangeHandsOverTheWholeSummaryItStored() async throws {
        let cluster = try await InProcessCluster(size: 3, agentDelay: .milliseconds(300), workerConcurrency: 1)
        do {
            #expect(await cluster.waitUntilReady(timeout: .seconds(30)))
            let answer = await cluster.node("node-1").coordinator.submit(
                id: "woken", request: Data("{}".utf8), idempotencyKey: nil)
            #expect(answer == .accepted(id: "woken", existing: false))
            let first = try #require(await cluster.record("woken", via: "node-1"))
            let replica = try #require(first.replicaSet.dropFirst().first)
            let follower = cluster.node(replica).coordinator
            var wakes = 0
            var status = first.status
            while !status.isTerminal {
                guard let woken = await follower.nextChange(of: "woken", timeout: .seconds(10)) else {
                    let held = await follower.storedVersion(of: "woken")
                    Issue.record("no change within 10 s; \(replica) holds \(String(describing: held))")
                    break
                }
                wakes += 1
                #expect(woken.progress.agents.count == first.progress.agents.count, "version \(woken.version)")
                status = woken.status
            }
            #expect(wakes >= 2 && status == .completed)
        }
        await cluster.shutdown()
    }
}
