import FoundationEssentials

/// A store that keeps everything in memory: for the deterministic simulation and for tests of the
/// layers above, where a node's "disk" must vanish or survive exactly as the simulation decides.
/// Same semantics as the SQLite backend (the conformance suite runs against both), no durability.
package actor InMemoryAssessmentStore: AssessmentStore {
    private var records: [String: AssessmentRecord] = [:]
    private var journal: [String: [String: AgentResult]] = [:]

    package init() {}

    package func read(id: String) -> AssessmentRecord? {
        records[id]
    }

    package func summary(id: String) -> AssessmentSummary? {
        records[id].map(AssessmentSummary.init)
    }

    package func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: ListCursor?) -> ListPage {
        guard limit > 0 else { return ListPage(records: [], next: nil) }
        let matching = records.values
            .filter { statuses.isEmpty || statuses.contains($0.status) }
            .map(AssessmentSummary.init)
            .filter { cursor?.precedes($0) ?? true }
            .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        let page = Array(matching.prefix(limit))
        let next = matching.count > limit ? page.last.map(ListCursor.init(after:)) : nil
        return ListPage(records: page, next: next)
    }

    package func deleteExpired(updatedBefore cutoff: Date) -> Int {
        let expired = records.values.filter { $0.status.isTerminal && $0.updatedAt < cutoff }
        for record in expired {
            records[record.id] = nil
            journal[record.id] = nil
        }
        return expired.count
    }

    package func results(of assessmentID: String) -> [AgentResult] {
        (journal[assessmentID] ?? [:]).values.sorted { $0.agent < $1.agent }
    }

    package nonisolated func replicate(
        batch: @escaping @Sendable () -> [ReplicatedRecord],
        completion: @escaping @Sendable (Result<[ReplicaOutcome], StoreError>) -> Void
    ) {
        Task { completion(.success(await self.apply(batch()))) }
    }

    private func apply(_ batch: [ReplicatedRecord]) -> [ReplicaOutcome] {
        batch.map(apply)
    }

    private func apply(_ write: ReplicatedRecord) -> ReplicaOutcome {
        let (record, results) = (write.record, write.results)
        let existing = records[record.id]
        let outcome = existing?.replicaOutcome(of: record) ?? .stored
        if case .refused = outcome { return outcome }
        if case .stored = outcome {
            guard var stored = write.recordToStore(over: existing) else { return .incomplete }
            // Like SQLite's, which has no UPDATE of the columns: the first copy's tenant, title and
            // request stay.
            if let existing {
                stored.tenant = existing.tenant
                stored.title = existing.title
                stored.request = existing.request
            }
            records[record.id] = stored
        }
        for result in results where journal[result.assessmentID]?[result.agent] == nil {
            journal[result.assessmentID, default: [:]][result.agent] = result
        }
        return outcome
    }

    package func versions() -> [RecordSummary] {
        records.values.map {
            RecordSummary(id: $0.id, status: $0.status, version: $0.recordVersion, updatedAt: $0.updatedAt)
        }
    }
}
