import FoundationEssentials

/// Where an assessment is in its life. The terminal states are the ones retention may remove.
public enum AssessmentStatus: String, Sendable, Codable, Hashable, CaseIterable {
    case pending
    case running
    case completed
    case failed
    case cancelled

    /// Terminal records never change again, so only they may expire.
    public var isTerminal: Bool {
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
public struct AssessmentRecord: Sendable, Hashable, Codable {
    public var id: String
    public var status: AssessmentStatus
    /// The owner's term: a store refuses writes that carry an older epoch than the one it holds.
    public var epoch: Int
    /// Set by the store: 1 on create, +1 on every accepted update. Ignored on input.
    public var version: Int
    /// Ranked node names; the first is the owner that created this epoch.
    public var replicaSet: [String]
    /// The replica sets a move of the record leaves, until the move is known to be on a majority of
    /// each: a claimant that finds the record moving collects its promises from majorities of these
    /// as well as of `replicaSet`. Empty once the owner knows the move committed.
    public var leaving: [[String]]
    public var request: Data
    public var report: Data?
    public var progress: AssessmentProgress
    /// Why the assessment failed, when it did.
    public var failure: String?
    public var idempotencyKey: String?
    /// The tenant that submitted it (docs/security.md); nil for records from before tenants.
    public var tenant: String?
    /// Passed in by the caller, never read from a clock inside the store, so the simulation's
    /// virtual time and the real one behave the same.
    public var createdAt: Date
    public var updatedAt: Date

    public init(
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
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
