import FoundationEssentials

/// Durable assessment records and the agent-result journal of one node.
///
/// Every backend passes the same conformance suite (Tests/StorageTests). An operation that returns
/// has committed durably: replication counts an acknowledgement only after it.
public protocol AssessmentStore: Sendable {
    /// Stores a new record with version 1 and returns it.
    /// Throws `duplicateID` or `duplicateIdempotencyKey`.
    func create(_ record: AssessmentRecord) async throws(StoreError) -> AssessmentRecord

    func read(id: String) async throws(StoreError) -> AssessmentRecord?

    func read(idempotencyKey: String) async throws(StoreError) -> AssessmentRecord?

    /// Replaces the mutable fields (status, epoch, replica set, report, progress, failure, updatedAt)
    /// of the stored record and returns it with its new version; id, request, idempotency key and
    /// createdAt are fixed at create.
    ///
    /// Refused with `staleEpoch` when `record.epoch` is older than the stored epoch (fencing a deposed
    /// owner), and with `versionConflict` when `expectedVersion` is given and differs.
    func update(_ record: AssessmentRecord, expectedVersion: Int?) async throws(StoreError) -> AssessmentRecord

    /// Records newest first (createdAt, then id, descending), only those in `statuses` unless it is
    /// empty, at most `limit` of them (none when `limit` is not positive).
    func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: ListCursor?)
        async throws(StoreError) -> ListPage

    /// Removes terminal records last updated before `cutoff`, with their journals; returns how many.
    func deleteExpired(updatedBefore cutoff: Date) async throws(StoreError) -> Int

    /// Journals a result; the first for its (assessment, agent) wins. Throws `notFound` when the
    /// assessment does not exist, so a result cannot outlive, or precede, its record.
    func appendResult(_ result: AgentResult) async throws(StoreError) -> JournalOutcome

    /// The winning result of every agent that has one, ordered by agent name.
    func results(of assessmentID: String) async throws(StoreError) -> [AgentResult]

    /// A replica's write, in one transaction: stores `record` as given (its version is the owner's,
    /// not the store's) when it is absent or newer by (epoch, version), refuses it when the stored
    /// epoch is newer, and journals `results` (first write wins) unless refused.
    func replicate(_ record: AssessmentRecord, results: [AgentResult]) async throws(StoreError) -> ReplicaOutcome

    /// Several replica writes in one transaction (one fsync), outcomes in order: what a busy node
    /// does with the writes that queued up while the previous commit was on its way to disk.
    func replicate(batch: [ReplicatedRecord]) async throws(StoreError) -> [ReplicaOutcome]

    /// `replicate(batch:)` for a writer that keeps the store busy: `batch` is asked for when the
    /// transaction begins (so it takes what queued up until then) and `completion` runs on whatever
    /// thread finished the commit. No task is started on the way, where the async form costs two
    /// thread hops on every replicated write.
    func replicate(
        batch: @escaping @Sendable () -> [ReplicatedRecord],
        completion: @escaping @Sendable (Result<[ReplicaOutcome], StoreError>) -> Void)

    /// Every stored record's id and version, for a node that restarts and must learn what it holds.
    func versions() async throws(StoreError) -> [RecordSummary]
}

/// What a node keeps in memory of each record it stores.
public struct RecordSummary: Sendable, Hashable {
    public var id: String
    public var status: AssessmentStatus
    public var version: RecordVersion
    public var updatedAt: Date

    public init(id: String, status: AssessmentStatus, version: RecordVersion, updatedAt: Date) {
        self.id = id
        self.status = status
        self.version = version
        self.updatedAt = updatedAt
    }
}

extension AssessmentStore {
    public func replicate(
        batch: @escaping @Sendable () -> [ReplicatedRecord],
        completion: @escaping @Sendable (Result<[ReplicaOutcome], StoreError>) -> Void
    ) {
        Task {
            do throws(StoreError) {
                completion(.success(try await replicate(batch: batch())))
            } catch {
                completion(.failure(error))
            }
        }
    }

    public func update(_ record: AssessmentRecord) async throws(StoreError) -> AssessmentRecord {
        try await update(record, expectedVersion: nil)
    }

    public func list(statuses: Set<AssessmentStatus> = [], limit: Int) async throws(StoreError) -> ListPage {
        try await list(statuses: statuses, limit: limit, after: nil)
    }
}

/// One page of a listing; `next` is nil on the last page.
public struct ListPage: Sendable, Hashable {
    public var records: [AssessmentRecord]
    public var next: ListCursor?

    public init(records: [AssessmentRecord], next: ListCursor?) {
        self.records = records
        self.next = next
    }
}
