import FoundationEssentials
import Storage

/// A node's "disk" in the simulation: synchronous, so a seed replays exactly, and it survives a
/// crash of its node. It applies `AssessmentRecord.replicaOutcome(of:)`, the rule every backend
/// shares, and journals results first-write-wins unless the write is refused, as `replicate` does.
struct SimStore {
    private(set) var records: [String: AssessmentRecord] = [:]
    private(set) var journal: [String: [String: AgentResult]] = [:]

    /// `write.keepsStoredRequest`: the record came without its request (`ReplicaWrite.requestOmitted`),
    /// so the stored one stays, and without a stored copy nothing is (`ReplicaOutcome.incomplete`); a
    /// change (`ReplicatedRecord.changesSince`) is applied over the version it was made against, or
    /// is `incomplete` too.
    mutating func replicate(_ write: ReplicatedRecord) -> ReplicaOutcome {
        let (record, results) = (write.record, write.results)
        let stored = records[record.id]
        let outcome = stored?.replicaOutcome(of: record) ?? .stored
        if case .refused = outcome { return outcome }
        if case .stored = outcome {
            guard let updated = write.recordToStore(over: stored) else { return .incomplete }
            records[record.id] = updated
        }
        for result in results where journal[result.assessmentID]?[result.agent] == nil {
            journal[result.assessmentID, default: [:]][result.agent] = result
        }
        return outcome
    }

    /// A whole record with its results.
    mutating func replicate(_ record: AssessmentRecord, results: [AgentResult]) -> ReplicaOutcome {
        replicate(ReplicatedRecord(record: record, results: results))
    }

    func read(_ id: String) -> AssessmentRecord? { records[id] }

    func results(of id: String) -> [AgentResult] {
        (journal[id] ?? [:]).values.sorted { $0.agent < $1.agent }
    }

    /// Returns the ids removed, so the checker can tell retention from loss.
    mutating func deleteExpired(before cutoff: Date) -> [String] {
        let expired = records.values.filter { $0.status.isTerminal && $0.updatedAt < cutoff }.map(\.id)
        for id in expired {
            records[id] = nil
            journal[id] = nil
        }
        return expired
    }

    func versions() -> [RecordSummary] {
        records.values.sorted { $0.id < $1.id }.map {
            RecordSummary(id: $0.id, status: $0.status, version: $0.recordVersion, updatedAt: $0.updatedAt)
        }
    }
}
