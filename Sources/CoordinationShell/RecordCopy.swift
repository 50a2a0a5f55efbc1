import FoundationEssentials
import Storage

/// What a read across the replica set can fetch: a whole record (the report's reader, a repeated
/// submission) or its summary (status reads, event streams, cancellations), which leaves the request
/// and the report where they are. Both are chosen among replicas by the same rules
/// (`CoordinatorNode.readCopy`).
package protocol RecordCopy: Sendable {
    var id: String { get }
    var status: AssessmentStatus { get }
    var replicaSet: [String] { get }
    var recordVersion: RecordVersion { get }
    var finality: Finality { get }

    /// What `node` stores, its owner's live progress laid over it.
    static func local(_ id: String, on node: CoordinatorNode) async throws -> Self?
    /// What `node` holds as the owner (see `CoordinatorNode.readAsOwner`).
    static func asOwner(_ id: String, on node: CoordinatorNode) async throws -> Self?
    static func stored(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self?
    static func asOwner(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self?
}

extension AssessmentRecord: RecordCopy {
    package static func local(_ id: String, on node: CoordinatorNode) async throws -> Self? {
        try await node.readLocal(id: id)
    }

    package static func asOwner(_ id: String, on node: CoordinatorNode) async throws -> Self? {
        try await node.readAsOwner(id: id)
    }

    package static func stored(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.read(id: id)
    }

    package static func asOwner(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.readAsOwner(id: id)
    }
}

extension AssessmentSummary: RecordCopy {
    package static func local(_ id: String, on node: CoordinatorNode) async throws -> Self? {
        try await node.readLocalSummary(id: id)
    }

    package static func asOwner(_ id: String, on node: CoordinatorNode) async throws -> Self? {
        try await node.readSummaryAsOwner(id: id)
    }

    package static func stored(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.readSummary(id: id)
    }

    package static func asOwner(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.readSummaryAsOwner(id: id)
    }
}
