import FoundationEssentials

/// One record with the results that travel with it, as a replica receives them.
package struct ReplicatedRecord: Sendable, Hashable, Codable {
    package var record: AssessmentRecord
    package var results: [AgentResult]
    /// `record.request` is empty: the request stored with the record stays. A store that holds no
    /// copy of the record stores nothing and says so (`ReplicaOutcome.incomplete`).
    package var keepsStoredRequest: Bool
    /// `record` is a change of version `changesSince` of its epoch, not a whole record
    /// (docs/coordination.md, "Writes as changes"): its progress lists only the agents whose entry
    /// changed since that version, its report is nil unless it gained one, and it keeps the stored
    /// request. A store that holds any other version stores nothing and says so
    /// (`ReplicaOutcome.incomplete`), and is sent the whole record.
    package var changesSince: Int?

    package init(
        record: AssessmentRecord, results: [AgentResult], keepsStoredRequest: Bool = false, changesSince: Int? = nil
    ) {
        self.record = record
        self.results = results
        self.keepsStoredRequest = keepsStoredRequest || changesSince != nil
        self.changesSince = changesSince
    }

    /// What a backend stores for this write over `stored` (its copy of the record, nil if none) when
    /// `replicaOutcome(of:)` said `stored`; nil when it must store nothing and answer `incomplete`.
    /// Fields a store never updates (tenant, title, request, key, creation time) are its to keep.
    package func recordToStore(over stored: AssessmentRecord?) -> AssessmentRecord? {
        guard let stored else { return keepsStoredRequest ? nil : record }
        guard let base = changesSince else {
            var whole = record
            if keepsStoredRequest { whole.request = stored.request }
            return whole
        }
        return stored.applying(change: record, since: base)
    }
}

extension AssessmentRecord {
    /// The record `change` (see `ReplicatedRecord.changesSince`) makes of this one: nil when this one
    /// is not version `base` of the change's epoch, or has no entry for an agent the change names.
    package func applying(change: AssessmentRecord, since base: Int) -> AssessmentRecord? {
        guard epoch == change.epoch, version == base, let progress = progress.applying(change.progress) else {
            return nil
        }
        var record = change
        record.request = request
        record.report = change.report ?? report
        record.progress = progress
        return record
    }

    /// This record as a change of `earlier`, an older version of the same epoch (see
    /// `ReplicatedRecord.changesSince`), or nil when it cannot be one: another epoch, not newer, agents
    /// added, removed, reordered or named twice (a change names its agents), or a report dropped or
    /// replaced.
    package func change(since earlier: AssessmentRecord) -> AssessmentRecord? {
        let names = progress.agents.map(\.agent)
        guard earlier.epoch == epoch, earlier.version < version, earlier.progress.agents.map(\.agent) == names,
            Set(names).count == names.count, earlier.report == nil || earlier.report == report
        else { return nil }
        var change = self
        change.request = Data()
        if earlier.report != nil { change.report = nil }
        change.progress.agents = zip(earlier.progress.agents, progress.agents).compactMap { $0 == $1 ? nil : $1 }
        return change
    }
}

/// What a replica did with a record sent by an owner (see `AssessmentStore.replicate`).
package enum ReplicaOutcome: Sendable, Hashable {
    /// The record was new here, or newer than the stored one, and is now stored.
    case stored
    /// The store already held this version or a newer one of the same epoch; nothing changed.
    case current(RecordVersion)
    /// The store holds a newer epoch: the writer has been deposed. Nothing changed.
    case refused(RecordVersion)
    /// The write came without its request (`ReplicatedRecord.keepsStoredRequest`) and the store holds
    /// no copy of the record to keep it from. Nothing changed.
    case incomplete
}

/// Where a stored record stands in the order replicas agree on: epoch first, then version.
package struct RecordVersion: Sendable, Hashable, Codable, Comparable {
    package var epoch: Int
    package var version: Int
    package var replicaSet: [String]
    /// See `AssessmentRecord.leaving`.
    package var leaving: [[String]]

    package init(epoch: Int, version: Int, replicaSet: [String], leaving: [[String]] = []) {
        self.epoch = epoch
        self.version = version
        self.replicaSet = replicaSet
        self.leaving = leaving
    }

    /// Every replica set a claim must collect a majority of: the current one and those it leaves.
    package var quorumSets: [[String]] { [replicaSet] + leaving }

    package static func < (a: Self, b: Self) -> Bool { (a.epoch, a.version) < (b.epoch, b.version) }
}

extension AssessmentRecord {
    /// The order in which copies of one record supersede each other: a final state first, then the
    /// newer (epoch, version).
    package var finality: Finality { Finality(final: status.isTerminal, version: recordVersion) }

    package var recordVersion: RecordVersion {
        RecordVersion(epoch: epoch, version: version, replicaSet: replicaSet, leaving: leaving)
    }

    /// The rule every backend applies to a replicated write, kept here so backends cannot differ.
    /// Results are journaled unless the writer is deposed: a late write may still carry the first
    /// result of some agent, and the journal's first-write-wins makes a repeat harmless.
    /// Public so that the coordination simulation's synchronous store applies this very rule.
    package func replicaOutcome(of incoming: AssessmentRecord) -> ReplicaOutcome {
        Self.replicaOutcome(of: incoming, over: status, recordVersion)
    }

    static func replicaOutcome(
        of incoming: AssessmentRecord, over status: AssessmentStatus, _ current: RecordVersion
    ) -> ReplicaOutcome {
        if incoming.epoch < current.epoch { return .refused(current) }
        // Final is final: a record that has completed, failed or been cancelled is never turned back
        // into a running one, not even by a newer epoch.
        if status.isTerminal && !incoming.status.isTerminal { return .current(current) }
        if (incoming.epoch, incoming.version) > (current.epoch, current.version) { return .stored }
        return .current(current)
    }
}

extension RecordSummary {
    /// The same rule from the stored version alone, which is all a backend needs to read for it.
    package func replicaOutcome(of incoming: AssessmentRecord) -> ReplicaOutcome {
        AssessmentRecord.replicaOutcome(of: incoming, over: status, version)
    }
}

/// See `AssessmentRecord.finality`.
package struct Finality: Comparable, Sendable {
    package var final: Bool
    package var version: RecordVersion

    package static func < (a: Self, b: Self) -> Bool {
        a.final != b.final ? !a.final : a.version < b.version
    }
}
