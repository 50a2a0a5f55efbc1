import FoundationEssentials
import Storage

/// A node's "disk" in the simulation: synchronous, so a seed replays exactly, and it survives a
/// crash of its node. It applies `AssessmentRecord.replicaOutcome(of:)`, the rule every backend
/// shares, and journals results first-write-wins unless the write is refused, as `replicate` does.
struct SimStore {
    private(set) var records: [String: AssessmentRecord] = [:]
    private(set) var journal: [String: [String: AgentResult]] = [:]

    /// `keepingRequest`: the record came without its request (`ReplicaWrite.requestOmitted`), so the
    /// stored one stays, and without a stored copy nothing is (`ReplicaOutcome.incomplete`).
    mutating func replicate(
        _ record: AssessmentRecord, results: [AgentResult], keepingRequest: Bool = false
    ) -> ReplicaOutcome {
        let stored = records[record.id]
        if keepingRequest, stored == nil { return .incomplete }
        let outcome = stored?.replicaOutcome(of: record) ?? .stored
        if case .refused = outcome { return outcome }
        if case .stored = outcome {
            var record = record
            if keepingRequest, let stored { record.request = stored.request }
            records[record.id] = record
        }
        for result in results where journal[result.assessmentID]?[result.agent] == nil {
            journal[result.assessmentID, default: [:]][result.agent] = result
        }
        return outcome
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
