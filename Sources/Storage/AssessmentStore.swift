import FoundationEssentials

/// Durable assessment records and the agent-result journal of one node.
///
/// Every backend passes the same conformance suite (Tests/StorageTests). An operation that returns
/// has committed durably: replication counts an acknowledgement only after it.
package protocol AssessmentStore: Sendable {
    func read(id: String) async throws(StoreError) -> AssessmentRecord?

    /// The record without its request and report, read without them.
    func summary(id: String) async throws(StoreError) -> AssessmentSummary?

    /// Records' summaries newest first (createdAt, then id, descending), only those in `statuses`
    /// unless it is empty, at most `limit` of them (none when `limit` is not positive).
    func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: ListCursor?)
        async throws(StoreError) -> ListPage

    /// Removes terminal records last updated before `cutoff`, with their journals; returns how many.
    func deleteExpired(updatedBefore cutoff: Date) async throws(StoreError) -> Int

    /// The winning result of every agent that has one, ordered by agent name.
    func results(of assessmentID: String) async throws(StoreError) -> [AgentResult]

    /// Replica writes, in one transaction (one fsync), outcomes in order. Each stores its record as
    /// given (its version is the owner's, not the store's) when it is absent or newer by (epoch,
    /// version), refuses it when the stored epoch is newer, and journals its results (first write
    /// wins) unless refused.
    ///
    /// `batch` is asked for when the transaction begins, so a busy node's writer takes whatever
    /// queued up while the previous commit was on its way to disk; `completion` runs on whatever
    /// thread finished the commit. A callback, not `async`: the async form cost two thread hops on
    /// every replicated write (`StoreWriter`).
    func replicate(
        batch: @escaping @Sendable () -> [ReplicatedRecord],
        completion: @escaping @Sendable (Result<[ReplicaOutcome], StoreError>) -> Void)

    /// Every stored record's id and version, for a node that restarts and must learn what it holds.
    func versions() async throws(StoreError) -> [RecordSummary]
}

/// What a node keeps in memory of each record it stores.
package struct RecordSummary: Sendable, Hashable {
    package var id: String
    package var status: AssessmentStatus
    package var version: RecordVersion
    package var updatedAt: Date

    package init(id: String, status: AssessmentStatus, version: RecordVersion, updatedAt: Date) {
        self.id = id
        self.status = status
        self.version = version
        self.updatedAt = updatedAt
    }
}

/// One page of a listing; `next` is nil on the last page.
package struct ListPage: Sendable, Hashable {
    package var records: [AssessmentSummary]
    package var next: ListCursor?

    package init(records: [AssessmentSummary], next: ListCursor?) {
        self.records = records
        self.next = next
    }
}
