import Coordination
import Foundation
import Storage
import Testing

@testable import CoordinationShell

/// The store's answers to replica writes reach the core in the order the store gave them: the core
/// keeps the version of the newest write it stored, so an answer overtaken by an older one would
/// leave it believing it holds an older version than its store does.
@Suite(.serialized) struct CompletionOrderTests {
    /// Rounds of many writes of many versions each. With a task per answer (the shell before
    /// `CoordinatorNode.completions`), about one round in three left some id at an older version.
    @Test func everyReplicaKnowsTheNewestVersionItStored() async throws {
        let cluster = try await InProcessCluster(size: 1, agentDelay: .milliseconds(10))
        let node = cluster.node("node-1")
        let versions = 20
        var writeID: UInt64 = 0
        for round in 0..<20 {
            let ids = (0..<100).map { "order-\(round)-\($0)" }
            // Owned by a node that does not exist: the answers to it are dropped like lost messages.
            var batch: [Envelope] = []
            for version in 1...versions {
                for id in ids {
                    writeID += 1
                    let record = AssessmentRecord(
                        id: id, epoch: 1, version: version, replicaSet: ["node-9", "node-1", "node-8"],
                        request: Data("{}".utf8), createdAt: Date(timeIntervalSince1970: 1_800_000_000))
                    let write = ReplicaWrite(writeID: writeID, record: record, results: [])
                    batch.append(Envelope(from: "node-9", message: .write(write)))
                }
            }
            // All at once, as a busy peer's batch arrives: the store answers them in batches of many.
            await node.coordinator.receive(batch)
            let stored = await eventually(timeout: .seconds(20)) {
                for id in ids where await node.store.read(id: id)?.version != versions { return false }
                return true
            }
            #expect(stored)
            // Every answer has been handed over once the store holds the last version; the last of
            // them may still be on its way to the core, behind thousands of others on a loaded
            // machine (as long as the store's own wait: 5 s ran out while two builds shared the cores).
            let known = await eventually(timeout: .seconds(20)) {
                for id in ids where await node.coordinator.storedVersion(of: id)?.version != versions { return false }
                return true
            }
            if !known {
                var stale: [String] = []
                for id in ids {
                    let version = await node.coordinator.storedVersion(of: id)?.version
                    if version != versions { stale.append("\(id) at \(version.map(String.init) ?? "none")") }
                }
                Issue.record("round \(round): the core believes older versions than it stored: \(stale)")
                break
            }
        }
        await cluster.shutdown()
    }
}
