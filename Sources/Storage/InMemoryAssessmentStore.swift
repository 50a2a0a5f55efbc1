import FoundationEssentials

/// A store that keeps everything in memory: for the deterministic simulation and for tests of the
/// layers above, where a node's "disk" must vanish or survive exactly as the simulation decides.
/// Same semantics as the SQLite backend (the conformance suite runs against both), no durability.
public actor InMemoryAssessmentStore: AssessmentStore {
    private var records: [String: AssessmentRecord] = [:]
    private var idsByKey: [String: String] = [:]
    private var journal: [String: [String: AgentResult]] = [:]

    public init() {}

    public func create(_ record: AssessmentRecord) throws(StoreError) -> AssessmentRecord {
        if records[record.id] != nil { throw StoreError.duplicateID(record.id) }
        if let key = record.idempotencyKey, let existing = idsByKey[key] {
            throw StoreError.duplicateIdempotencyKey(key: key, existingID: existing)
        }
        var created = record
        created.version = 1
        records[created.id] = created
        if let key = created.idempotencyKey { idsByKey[key] = created.id }
        return created
    }

    public func read(id: String) -> AssessmentRecord? {
        records[id]
    }

    public func read(idempotencyKey: String) -> AssessmentRecord? {
        idsByKey[idempotencyKey].flatMap { records[$0] }
    }

    public func update(_ record: AssessmentRecord, expectedVersion: Int?) throws(StoreError) -> AssessmentRecord {
        guard let current = records[record.id] else { throw StoreError.notFound(id: record.id) }
        let stored = try current.applying(record, expectedVersion: expectedVersion)
        records[stored.id] = stored
        return stored
    }

    public func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: ListCursor?) -> ListPage {
        guard limit > 0 else { return ListPage(records: [], next: nil) }
        let matching = records.values
            .filter { statuses.isEmpty || statuses.contains($0.status) }
            .filter { cursor?.precedes($0) ?? true }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        let page = Array(matching.prefix(limit))
        let next = matching.count > limit ? page.last.map(ListCursor.init(after:)) : nil
        return ListPage(records: page, next: next)
    }

    public func deleteExpired(updatedBefore cutoff: Date) -> Int {
        let expired = records.values.filter { $0.status.isTerminal && $0.updatedAt < cutoff }
        for record in expired {
            records[record.id] = nil
            journal[record.id] = nil
            if let key = record.idempotencyKey { idsByKey[key] = nil }
        }
        return expired.count
    }

    public func appendResult(_ result: AgentResult) throws(StoreError) -> JournalOutcome {
        if let stored = journal[result.assessmentID]?[result.agent] {
            return stored.digest == result.digest ? .duplicate(stored: stored) : .determinismFault(stored: stored)
        }
        guard records[result.assessmentID] != nil else { throw StoreError.notFound(id: result.assessmentID) }
        journal[result.assessmentID, default: [:]][result.agent] = result
        return .recorded
    }

    public func results(of assessmentID: String) -> [AgentResult] {
        (journal[assessmentID] ?? [:]).values.sorted { $0.agent < $1.agent }
    }

    public func replicate(_ record: AssessmentRecord, results: [AgentResult]) -> ReplicaOutcome {
        let outcome = records[record.id]?.replicaOutcome(of: record) ?? .stored
        if case .refused = outcome { return outcome }
        if case .stored = outcome {
            records[record.id] = record
            if let key = record.idempotencyKey { idsByKey[key] = record.id }
        }
        for result in results where journal[result.assessmentID]?[result.agent] == nil {
            journal[result.assessmentID, default: [:]][result.agent] = result
        }
        return outcome
    }

    public func replicate(batch: [ReplicatedRecord]) -> [ReplicaOutcome] {
        batch.map { replicate($0.record, results: $0.results) }
    }

    public func versions() -> [RecordSummary] {
        records.values.map {
            RecordSummary(id: $0.id, status: $0.status, version: $0.recordVersion, updatedAt: $0.updatedAt)
        }
    }
}
