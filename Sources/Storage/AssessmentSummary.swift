import FoundationEssentials

/// What status reads, event streams and listings show of a record: everything but the request and
/// the report, which are most of its bytes (a report is about 111 KB). Stores read it without
/// touching those columns, and it is what crosses the cluster for such reads
/// (docs/performance.md, "The data path").
package struct AssessmentSummary: Sendable, Hashable, Codable {
    package var id: String
    package var status: AssessmentStatus
    package var epoch: Int
    package var version: Int
    package var replicaSet: [String]
    package var leaving: [[String]]
    package var progress: AssessmentProgress
    package var failure: String?
    package var tenant: String?
    package var title: String?
    package var createdAt: Date
    package var updatedAt: Date

    package init(_ record: AssessmentRecord) {
        id = record.id
        status = record.status
        epoch = record.epoch
        version = record.version
        replicaSet = record.replicaSet
        leaving = record.leaving
        progress = record.progress
        failure = record.failure
        tenant = record.tenant
        title = record.title
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }

    package var recordVersion: RecordVersion {
        RecordVersion(epoch: epoch, version: version, replicaSet: replicaSet, leaving: leaving)
    }

    /// See `AssessmentRecord.finality`.
    package var finality: Finality { Finality(final: status.isTerminal, version: recordVersion) }
}
