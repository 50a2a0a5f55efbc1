import ClusterSystem
import Coordination
import CoordinationShell
import Membership
import MembershipShell
import Testing
import Wire

/// docs/security.md#peer-identity on the two endpoints peers deliver to: a coordination envelope or a
/// SWIM message that names a sender other than the node whose certificate delivered it is refused.
@Suite("Peer identity: coordination and membership deliveries")
struct PeerIdentityTests {
    @Test func anEnvelopeFromAnotherNodeThanTheCertifiedPeerIsRefused() async throws {
        let cluster = try await InProcessCluster(size: 2, agentDelay: .milliseconds(1))
        #expect(await cluster.waitUntilReady(timeout: .seconds(90)))
        let target = cluster.node("node-1").system
        let endpoint = try CoordinatorEndpoint.resolve(
            id: ActorID(node: target.node, path: CoordinatorEndpoint.path), using: cluster.node("node-2").system)
        // Its own name passes.
        try await endpoint.deliver([Envelope(from: "node-2", message: .check(ids: []))])
        #expect(target.senderMismatchCount == 0)
        do {
            try await endpoint.deliver([
                Envelope(from: "node-2", message: .check(ids: [])),
                Envelope(from: "node-1", message: .check(ids: [])),
            ])
            Issue.record("node-2 delivered an envelope claiming to be from node-1")
        } catch ClusterError.remoteError(let type, let message) {
            #expect(type.hasSuffix("SenderMismatch"))
            #expect(message.contains("'node-1'") && message.contains("'node-2'"), "\(message)")
        }
        #expect(target.senderMismatchCount == 1)
        await cluster.shutdown()
    }

    @Test func aSWIMMessageWithASpoofedSenderIsDroppedAndCounted() async throws {
        let cluster = try await InProcessCluster(size: 2, agentDelay: .milliseconds(1))
        #expect(await cluster.waitUntilReady(timeout: .seconds(90)))
        let node1 = cluster.node("node-1")
        let endpoint = try MembershipEndpoint.resolve(
            id: ActorID(node: node1.system.node, path: MembershipEndpoint.path), using: cluster.node("node-2").system)
        // node-2 announces a node-3 that does not exist, under node-3's name.
        let ghost = MemberID(name: "node-3", host: "127.0.0.1", port: 1, uid: 42)
        try await endpoint.deliver(
            SWIM.Message(
                sender: ghost, recipient: nil, payload: .join,
                gossip: [SWIM.Update(member: SWIM.Member(id: ghost, status: .up, incarnation: 0))]))
        #expect(node1.membership.inbox.droppedBecauseOfSender == 1)
        #expect(node1.system.senderMismatchCount == 1)
        #expect(await node1.membership.view.allSatisfy { $0.id.address.name != "node-3" })
        await cluster.shutdown()
    }

    @Test func aFullMembershipInboxDropsTheOldestAndCountsThem() async {
        let inbox = MembershipInbox(capacity: 2)
        let sender = MemberID(name: "node-2", host: "127.0.0.1", port: 1, uid: 1)
        for sequence in 0..<5 {
            inbox.enqueue(SWIM.Message(sender: sender, recipient: nil, payload: .ping(sequence: UInt64(sequence))))
        }
        #expect(inbox.droppedBecauseFull == 3)
        #expect(inbox.droppedBecauseOfSender == 0)
    }
}
