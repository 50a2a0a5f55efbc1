import Distributed
import Wire

/// What a node says about itself when asked.
package struct NodeStatus: Codable, Sendable, Equatable {
    package var node: NodeID
    package var openConnections: Int
    package var framesRead: Int
}

/// Every node runs one at `/diagnostics`: operators and multi-process tests use it to check
/// that a node answers, and to hold a call open on it (to watch what a peer's death does to
/// calls in flight).
package distributed actor Diagnostics: ClusterCallable {
    package typealias ActorSystem = ClusterSystem
    package static let path = "/diagnostics"

    package static func start(on system: ClusterSystem) -> Diagnostics {
        system.makeWellKnown(path) { Diagnostics(actorSystem: system) }
    }

    package distributed func status() -> NodeStatus {
        NodeStatus(
            node: actorSystem.node, openConnections: actorSystem.openConnectionCount,
            framesRead: actorSystem.framesReadCount)
    }

    /// Answers after `milliseconds`, or fails when the caller gives up first.
    package distributed func hold(milliseconds: Int) async throws -> Int {
        try await Task.sleep(for: .milliseconds(max(0, min(milliseconds, 600_000))))
        return milliseconds
    }

    package static let wireMethods: [WireMethod<Diagnostics>] = [
        WireMethod("status") { _ = try await $0.status() },
        WireMethod("hold") { _ = try await $0.hold(milliseconds: 0) },
    ]
}
