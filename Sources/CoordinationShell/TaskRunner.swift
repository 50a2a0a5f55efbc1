import Coordination
import FoundationEssentials

/// Runs one agent task on this node. The domain lives above this layer, so the node command hands
/// the coordinator an executor built on the assessment engine; tests hand it their own.
package protocol TaskRunner: Sendable {
    /// The agent's result as bytes, identical for identical inputs (the owner compares digests).
    /// Throws on the agent's own failure; must stop soon after its task is cancelled.
    func run(_ assignment: TaskAssignment) async throws -> Data
}
