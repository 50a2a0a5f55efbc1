import Storage

/// Test convenience over `AssessmentStore.replicate(batch:completion:)` (the store has only that one).
extension AssessmentStore {
    /// The store's one `replicate`, awaited: `writes` in one transaction, outcomes in order.
    func replicate(batch writes: [ReplicatedRecord]) async throws(StoreError) -> [ReplicaOutcome] {
        let result = await withCheckedContinuation { continuation in
            replicate(batch: { writes }, completion: { continuation.resume(returning: $0) })
        }
        return try result.get()
    }

    /// One replica write in a transaction of its own.
    func replicate(_ record: AssessmentRecord, results: [AgentResult]) async throws(StoreError) -> ReplicaOutcome {
        try await replicate(batch: [ReplicatedRecord(record: record, results: results)])[0]
    }
}
