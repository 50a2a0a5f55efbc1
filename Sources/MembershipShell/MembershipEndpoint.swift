import ClusterSystem
import Distributed
import Membership
import Wire

/// The well-known `/membership` actor of a node: where peers deliver SWIM messages, and where
/// operators and tests read this node's view.
package distributed actor MembershipEndpoint: ClusterCallable {
    package typealias ActorSystem = ClusterSystem
    package static let path = "/membership"

    private let service: MembershipService

    /// The same thread as the service, so a probe arriving on a busy node is handled without waiting
    /// for the cooperative pool.
    package nonisolated var unownedExecutor: UnownedSerialExecutor {
        MembershipService.thread.executor.asUnownedSerialExecutor()
    }

    init(service: MembershipService, actorSystem: ClusterSystem) {
        self.service = service
        self.actorSystem = actorSystem
    }

    /// Hands a message to the state machine. Returns once it is queued, not processed: the
    /// sender only needs to know it arrived. A message whose sender is not the node the call came
    /// from (by its certificate) is dropped and counted (docs/security.md#peer-identity).
    package distributed func deliver(_ message: SWIM.Message) {
        guard actorSystem.senderMatchesCaller(message.sender.address.name, in: "SWIM message") else {
            service.inbox.refusedSender()
            return
        }
        service.inbox.enqueue(message)
    }

    /// This node's current view, itself included.
    package distributed func view() async -> [SWIM.Member] {
        await service.view
    }

    package static let wireMethods: [WireMethod<MembershipEndpoint>] = [
        WireMethod("deliver") {
            try await $0.deliver(
                SWIM.Message(
                    sender: MemberID(name: "", host: "", port: 0, uid: 0), recipient: nil, payload: .gossip))
        },
        WireMethod("view") { _ = try await $0.view() },
    ]

    /// The endpoint of the node at `address`, whichever incarnation runs there: SWIM checks the
    /// intended uid itself, so a message for a dead incarnation is refused by the protocol.
    package static func at(_ address: MemberAddress, using system: ClusterSystem) throws -> MembershipEndpoint {
        try resolve(
            id: ActorID(node: NodeID(name: address.name, host: address.host, port: address.port, uid: 0), path: path),
            using: system)
    }
}
