import FoundationEssentials
import Storage

/// What a read across the replica set can fetch: a whole record (the report's reader, a repeated
/// submission) or its summary (status reads, event streams, cancellations), which leaves the request
/// and the report where they are. Both are chosen among replicas by the same rules
/// (`CoordinatorNode.readCopy`).
package protocol RecordCopy: Sendable {
    var id: String { get }
    var status: AssessmentStatus { get set }
    var epoch: Int { get }
    var progress: AssessmentProgress { get set }
    var replicaSet: [String] { get }
    var recordVersion: RecordVersion { get }
    var finality: Finality { get }

    /// This copy of a record the owner holds in memory.
    init(copyOf record: AssessmentRecord)
    /// What `store` holds of `id`.
    static func stored(_ id: String, in store: any AssessmentStore) async throws -> Self?
    /// What the node behind `endpoint` stores (`CoordinatorNode.readLocal`).
    static func stored(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self?
    /// What the node behind `endpoint` holds as the owner (`CoordinatorNode.readAsOwner`).
    static func asOwner(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self?
}

extension AssessmentRecord: RecordCopy {
    package init(copyOf record: AssessmentRecord) { self = record }

    package static func stored(_ id: String, in store: any AssessmentStore) async throws -> Self? {
        try await store.read(id: id)
    }

    package static func stored(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.read(id: id)
    }

    package static func asOwner(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.readAsOwner(id: id)
    }
}

extension AssessmentSummary: RecordCopy {
    package init(copyOf record: AssessmentRecord) { self.init(record) }

    package static func stored(_ id: String, in store: any AssessmentStore) async throws -> Self? {
        try await store.summary(id: id)
    }

    package static func stored(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.readSummary(id: id)
    }

    package static func asOwner(_ id: String, from endpoint: CoordinatorEndpoint) async throws -> Self? {
        try await endpoint.readSummaryAsOwner(id: id)
    }
}
