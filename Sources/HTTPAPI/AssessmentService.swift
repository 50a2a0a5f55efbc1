import Assessment
import FoundationEssentials

/// What the HTTP API needs from the cluster. The routes know nothing of placement, leases or
/// replication: the node command hands them the coordinator through this protocol, which keeps the
/// API testable on its own and keeps the layers one-way (HTTPAPI never imports Coordination).
package protocol AssessmentService: Sendable {
    /// Stores a request the API has validated (the typed value: it is parsed once, here) and returns
    /// once the record is durable on a majority of its replica set, as `tenant`'s. The same
    /// `idempotencyKey` in the same tenant gives the same id; repeated with another request it throws
    /// `keyReused`.
    func submit(request: AssessmentRequest, idempotencyKey: String?, tenant: String) async throws(ServiceError)
        -> SubmitReceipt

    /// Why a submission would be refused whatever it holds (the cluster is at its backlog limit), or
    /// nil: asked before the body is read, so that a refusal costs little.
    func submissionRefusal() -> String?

    /// The newest version the replica set holds.
    func assessment(id: String) async throws(ServiceError) -> AssessmentSnapshot

    /// The report as its record keeps it (`StoredReport`: the typed report in gzip, or the JSON, in
    /// gzip or not, in records from before that and from the archive); `notFinished` until the
    /// assessment has completed.
    func report(id: String) async throws(ServiceError) -> Data

    /// Marks the assessment cancelled (a no-op on one that has already ended) and returns it.
    func cancel(id: String) async throws(ServiceError) -> AssessmentSnapshot

    /// Newest first across the cluster; `cursor` is the opaque `next` of the previous page. Only
    /// `tenant`'s assessments when it is set.
    /// `title`, when set, keeps those whose title contains it, ignoring case.
    func list(
        statuses: Set<AssessmentState>, limit: Int, cursor: String?, tenant: String?, title: String?
    ) async throws(ServiceError)
        -> AssessmentPage

    /// The current state first, then every change, finishing after a final state. Works on any node.
    func watch(id: String) -> AsyncThrowingStream<AssessmentSnapshot, any Error>

    func cluster() async -> ClusterSnapshot

    /// Every other live member's own stats (the JSON of `NodeStatsSampler.encoded`), asked over the
    /// cluster at once for the console's cluster page; a member that does not answer in time comes
    /// back with why.
    func memberStats() async -> [MemberStats]

    /// Ready means: joined the cluster, store open, and able to reach a quorum.
    func readiness() async -> Readiness
}

package enum AssessmentState: String, Sendable, Codable, Hashable, CaseIterable {
    case queued, running, completed, failed, cancelled

    package var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }
}

package struct SubmitReceipt: Sendable, Hashable {
    package var id: String
    package var state: AssessmentState
    /// True when the idempotency key named an assessment submitted before.
    package var existing: Bool

    package init(id: String, state: AssessmentState, existing: Bool) {
        self.id = id
        self.state = state
        self.existing = existing
    }
}

package struct AgentSnapshot: Sendable, Hashable, Codable {
    package var name: String
    /// `waiting`, `running`, `succeeded` or `failed`.
    package var state: String
    package var attempts: Int
    package var node: String?
    /// When the latest attempt started and finished, as the owner recorded it.
    package var startedAt: Date?
    package var finishedAt: Date?

    package init(
        name: String, state: String, attempts: Int, node: String?, startedAt: Date? = nil, finishedAt: Date? = nil
    ) {
        self.name = name
        self.state = state
        self.attempts = attempts
        self.node = node
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

package struct AssessmentSnapshot: Sendable, Hashable {
    package var id: String
    package var state: AssessmentState
    package var percent: Int
    package var step: String?
    package var agents: [AgentSnapshot]
    /// Why it failed, when it did.
    package var failure: String?
    package var createdAt: Date
    package var updatedAt: Date
    /// Bumped on every stored change, so a watcher can tell a change from a repeat.
    package var version: Int
    package var epoch: Int
    /// "archive" when the cluster no longer holds the assessment and the archive answered; nil otherwise.
    package var source: String? = nil
    /// The tenant that submitted it (nil: stored before tenants existed, counted as `Caller.defaultTenant`).
    package var tenant: String? = nil
    /// The request's `title`, for listings and the console's pages.
    package var title: String? = nil

    /// Whether `title` contains `words`, ignoring case (the listing's `q`).
    package func titleContains(_ words: String) -> Bool {
        (title ?? "").lowercased().contains(words.lowercased())
    }

    package init(
        id: String, state: AssessmentState, percent: Int, step: String?, agents: [AgentSnapshot], failure: String?,
        createdAt: Date, updatedAt: Date, version: Int, epoch: Int
    ) {
        self.id = id
        self.state = state
        self.percent = percent
        self.step = step
        self.agents = agents
        self.failure = failure
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
        self.epoch = epoch
    }
}

package struct AssessmentPage: Sendable, Hashable {
    package var items: [AssessmentSnapshot]
    package var next: String?

    package init(items: [AssessmentSnapshot], next: String?) {
        self.items = items
        self.next = next
    }
}

package struct MemberSnapshot: Sendable, Hashable, Codable {
    package var id: String
    package var clusterAddress: String
    package var httpAddress: String?
    /// `joining`, `up`, `suspect`, `down` or `left`.
    package var status: String
    package var incarnation: UInt64

    package init(id: String, clusterAddress: String, httpAddress: String?, status: String, incarnation: UInt64) {
        self.id = id
        self.clusterAddress = clusterAddress
        self.httpAddress = httpAddress
        self.status = status
        self.incarnation = incarnation
    }
}

package struct ClusterSnapshot: Sendable, Hashable {
    package var selfID: String
    package var members: [MemberSnapshot]

    package init(selfID: String, members: [MemberSnapshot]) {
        self.selfID = selfID
        self.members = members
    }
}

/// One member's answer to a stats gathering: its stats' JSON, or why there is none.
package struct MemberStats: Sendable, Hashable {
    package var node: String
    package var stats: Data?
    package var error: String?

    package init(node: String, stats: Data?, error: String?) {
        self.node = node
        self.stats = stats
        self.error = error
    }
}

package struct Readiness: Sendable, Hashable {
    package var ready: Bool
    /// What is missing when not ready, for the 503 body and the logs.
    package var reasons: [String]

    package init(ready: Bool, reasons: [String]) {
        self.ready = ready
        self.reasons = reasons
    }
}

extension AssessmentService {
    package func submissionRefusal() -> String? { nil }
}

/// Every way the service refuses; the routes map each to one status code.
package enum ServiceError: Error, Sendable, Hashable {
    /// 404.
    case notFound(id: String)
    /// 409: the report exists only once the assessment has completed.
    case notFinished(id: String, state: AssessmentState)
    /// 503: no quorum, not joined yet, or the replica set could not be reached in time.
    case unavailable(String)
    /// 429: this node's admission queue is full, or the assessments' owners are at their backlog
    /// limit (`reason` says which when it is not the admission queue).
    case overloaded(retryAfterSeconds: Int, reason: String? = nil)
    /// 400 for a bad cursor or filter that the routes could not catch themselves.
    case badRequest(String)
    /// 500, with a message safe to show.
    case failed(String)
    /// 422: the idempotency key names an assessment submitted with another request.
    case keyReused(key: String)
}
