import FoundationEssentials

/// Where an assessment is in its life. The terminal states are the ones retention may remove.
package enum AssessmentStatus: String, Sendable, Codable, Hashable, CaseIterable {
    case pending
    case running
    case completed
    case failed
    case cancelled

    /// Terminal records never change again, so only they may expire.
    package var isTerminal: Bool {
        switch self {
        case .pending, .running: false
        case .completed, .failed, .cancelled: true
        }
    }
}

/// One assessment as every replica stores it.
///
/// Storage sits below the cluster and the domain, so the request and the report are opaque bytes
/// (their owners choose the encoding) and the replica set is plain node names.
package struct AssessmentRecord: Sendable, Hashable, Codable {
    package var id: String
    package var status: AssessmentStatus
    /// The owner's term: a store refuses writes that carry an older epoch than the one it holds.
    package var epoch: Int
    /// Set by the store: 1 on create, +1 on every accepted update. Ignored on input.
    package var version: Int
    /// Ranked node names; the first is the owner that created this epoch.
    package var replicaSet: [String]
    /// The replica sets a move of the record leaves, until the move is known to be on a majority of
    /// each: a claimant that finds the record moving collects its promises from majorities of these
    /// as well as of `replicaSet`. Empty once the owner knows the move committed.
    package var leaving: [[String]]
    package var request: Data
    package var report: Data?
    package var progress: AssessmentProgress
    /// Why the assessment failed, when it did.
    package var failure: String?
    package var idempotencyKey: String?
    /// The tenant that submitted it (docs/security.md); nil for records from before tenants.
    package var tenant: String?
    /// The request's title, kept beside it so that status reads and listings (`AssessmentSummary`)
    /// need not read the request; nil for records from before it was kept.
    package var title: String?
    /// Passed in by the caller, never read from a clock inside the store, so the simulation's
    /// virtual time and the real one behave the same.
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: String,
        status: AssessmentStatus = .pending,
        epoch: Int,
        version: Int = 0,
        replicaSet: [String],
        leaving: [[String]] = [],
        request: Data,
        report: Data? = nil,
        progress: AssessmentProgress = AssessmentProgress(),
        failure: String? = nil,
        idempotencyKey: String? = nil,
        tenant: String? = nil,
        title: String? = nil,
        createdAt: Date,
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.status = status
        self.epoch = epoch
        self.version = version
        self.replicaSet = replicaSet
        self.leaving = leaving
        self.request = request
        self.report = report
        self.progress = progress
        self.failure = failure
        self.idempotencyKey = idempotencyKey
        self.tenant = tenant
        self.title = title
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
