import Assessment
import Foundation
import HTTPAPI
import Synchronization

/// A single-process `AssessmentService` for the API tests: requests are kept in memory and assessed by
/// the real `Assessment` engine, one agent per `step(_:)`, so a test decides exactly when progress happens.
/// Switches let a test make the node unavailable, not ready, or hold submissions in flight.
actor EngineBackedService: AssessmentService {
    private struct Record {
        var request: AssessmentRequest
        var snapshot: AssessmentSnapshot
        var results: [AgentResult] = []
        var report: Data?
        var sequence: Int
    }

    private var records: [String: Record] = [:]
    private var keys: [String: String] = [:]
    private var watchers: [String: [UUID: AsyncThrowingStream<AssessmentSnapshot, any Error>.Continuation]] = [:]
    private var nextSequence = 0
    private var clock = Date(timeIntervalSince1970: 1_800_000_000)

    var unavailable: String?
    var notReady: [String] = []
    /// The owner's refusal (`submit` throws it) and this node's own (asked before the body is read).
    var ownerBusy: String?
    nonisolated let nodeBusy = Mutex<String?>(nil)
    /// When set, `submit` waits here until the test releases it; `entered` tells the test it arrived.
    private var holding = false
    private var held: [CheckedContinuation<Void, Never>] = []
    nonisolated let entered: AsyncStream<Void>
    private nonisolated let enteredQueue: AsyncStream<Void>.Continuation
    /// Yields an id each time a watcher subscribes, so a test can drive progress only once it listens.
    nonisolated let subscribed: AsyncStream<String>
    private nonisolated let subscribedQueue: AsyncStream<String>.Continuation

    init() {
        (entered, enteredQueue) = AsyncStream<Void>.makeStream()
        (subscribed, subscribedQueue) = AsyncStream<String>.makeStream()
    }

    func setUnavailable(_ reason: String?) { unavailable = reason }
    /// What `list` throws, when set: a failure inside the node, whose text must not reach the client.
    var listFailure: ServiceError?
    func setListFailure(_ failure: ServiceError?) { listFailure = failure }
    func setOwnerBusy(_ reason: String?) { ownerBusy = reason }
    func setNotReady(_ reasons: [String]) { notReady = reasons }
    func holdSubmissions() { holding = true }

    func releaseSubmissions() {
        holding = false
        for continuation in held { continuation.resume() }
        held.removeAll()
    }

    // MARK: AssessmentService

    nonisolated func submissionRefusal() -> String? { nodeBusy.withLock { $0 } }

    func submit(request parsed: AssessmentRequest, idempotencyKey: String?, tenant: String) async throws(ServiceError)
        -> SubmitReceipt
    {
        if let unavailable { throw .unavailable(unavailable) }
        if let ownerBusy { throw .overloaded(retryAfterSeconds: 99, reason: ownerBusy) }
        if holding {
            enteredQueue.yield()
            await withCheckedContinuation { held.append($0) }
        }
        // Keys are the tenant's own, and a repeat must carry the same request, as on a cluster.
        let scopedKey = idempotencyKey.map { "\(tenant)/\($0)" }
        if let scopedKey, let id = keys[scopedKey], let record = records[id] {
            guard record.request == parsed else { throw .keyReused(key: idempotencyKey ?? "") }
            return SubmitReceipt(id: id, state: record.snapshot.state, existing: true)
        }
        nextSequence += 1
        let id = "a-\(nextSequence)"
        let now = tick()
        let agents = AgentName.allCases.map {
            AgentSnapshot(name: $0.rawValue, state: "waiting", attempts: 0, node: nil)
        }
        var snapshot = AssessmentSnapshot(
            id: id, state: .queued, percent: 0, step: nil, agents: agents, failure: nil, createdAt: now,
            updatedAt: now, version: 1, epoch: 1)
        snapshot.tenant = tenant
        snapshot.title = parsed.title
        records[id] = Record(request: parsed, snapshot: snapshot, sequence: nextSequence)
        if let scopedKey { keys[scopedKey] = id }
        return SubmitReceipt(id: id, state: .queued, existing: false)
    }

    func assessment(id: String) async throws(ServiceError) -> AssessmentSnapshot {
        guard let record = records[id] else { throw .notFound(id: id) }
        return record.snapshot
    }

    func report(id: String) async throws(ServiceError) -> Data {
        guard let record = records[id] else { throw .notFound(id: id) }
        guard let report = record.report else { throw .notFinished(id: id, state: record.snapshot.state) }
        return report
    }

    func cancel(id: String) async throws(ServiceError) -> AssessmentSnapshot {
        guard let record = records[id] else { throw .notFound(id: id) }
        guard !record.snapshot.state.isFinal else { return record.snapshot }
        update(id) { $0.state = .cancelled }
        return records[id]!.snapshot
    }

    func list(
        statuses: Set<AssessmentState>, limit: Int, cursor: String?, tenant: String? = nil, title: String? = nil
    ) async throws(ServiceError) -> AssessmentPage {
        if let listFailure { throw listFailure }
        // The cursor is the sequence number of the last item of the previous page.
        var below = Int.max
        if let cursor {
            guard let value = Int(cursor) else { throw .badRequest("unknown cursor") }
            below = value
        }
        let matching = records.values
            .filter { $0.sequence < below && (statuses.isEmpty || statuses.contains($0.snapshot.state)) }
            .filter { record in tenant.map { $0 == record.snapshot.tenant } ?? true }
            .filter { record in title.map { record.snapshot.titleContains($0) } ?? true }
            .sorted { $0.sequence > $1.sequence }
        let page = matching.prefix(limit)
        let next = matching.count > limit ? page.last.map { String($0.sequence) } : nil
        return AssessmentPage(items: page.map(\.snapshot), next: next)
    }

    nonisolated func watch(id: String) -> AsyncThrowingStream<AssessmentSnapshot, any Error> {
        let (stream, continuation) = AsyncThrowingStream<AssessmentSnapshot, any Error>.makeStream()
        Task { await self.subscribe(id: id, continuation) }
        return stream
    }

    func cluster() async -> ClusterSnapshot {
        ClusterSnapshot(
            selfID: "node-1",
            members: [
                MemberSnapshot(
                    id: "node-1", clusterAddress: "127.0.0.1:7101", httpAddress: "127.0.0.1:8101", status: "up",
                    incarnation: 3),
                MemberSnapshot(
                    id: "node-2", clusterAddress: "127.0.0.1:7102", httpAddress: nil, status: "suspect", incarnation: 1),
            ])
    }

    /// What the other members answer when stats are gathered (this service is a single node).
    var memberAnswers: [MemberStats] = []

    func setMemberAnswers(_ answers: [MemberStats]) { memberAnswers = answers }

    func memberStats() async -> [MemberStats] { memberAnswers }

    func readiness() async -> Readiness {
        Readiness(ready: notReady.isEmpty, reasons: notReady)
    }

    // MARK: Driving progress

    /// Runs the next agent with the real engine (the report generator last, which also writes the
    /// report); returns false once the assessment has ended.
    @discardableResult
    func step(_ id: String) throws -> Bool {
        guard let record = records[id], !record.snapshot.state.isFinal else { return false }
        let catalog = try Catalog.shipped()
        let done = record.results.count
        let agent = done < AgentName.analysts.count ? AgentName.analysts[done] : AgentName.reportGenerator
        let result = AssessmentEngine.compute(agent, request: record.request, catalog: catalog, results: record.results)
        records[id]!.results.append(result)
        if agent == .reportGenerator {
            let report = AssessmentEngine.assessSequentially(record.request, catalog: catalog, assessmentID: id)
            records[id]!.report = try StoredReport.pack(report)
        }
        let total = AgentName.allCases.count
        update(id) { snapshot in
            snapshot.state = agent == .reportGenerator ? .completed : .running
            snapshot.percent = (done + 1) * 100 / total
            snapshot.step = agent.rawValue
            if let index = snapshot.agents.firstIndex(where: { $0.name == agent.rawValue }) {
                snapshot.agents[index] = AgentSnapshot(
                    name: agent.rawValue, state: "succeeded", attempts: 1, node: "node-1")
            }
        }
        return true
    }

    func fail(_ id: String, reason: String) {
        update(id) {
            $0.state = .failed
            $0.failure = reason
        }
    }

    private func subscribe(id: String, _ continuation: AsyncThrowingStream<AssessmentSnapshot, any Error>.Continuation)
    {
        guard let record = records[id] else {
            continuation.finish(throwing: ServiceError.notFound(id: id))
            return
        }
        continuation.yield(record.snapshot)
        if record.snapshot.state.isFinal {
            continuation.finish()
        } else {
            watchers[id, default: [:]][UUID()] = continuation
        }
        subscribedQueue.yield(id)
    }

    private func update(_ id: String, _ change: (inout AssessmentSnapshot) -> Void) {
        guard var snapshot = records[id]?.snapshot else { return }
        change(&snapshot)
        snapshot.version += 1
        snapshot.updatedAt = tick()
        records[id]!.snapshot = snapshot
        for continuation in watchers[id, default: [:]].values {
            continuation.yield(snapshot)
            if snapshot.state.isFinal { continuation.finish() }
        }
        if snapshot.state.isFinal { watchers[id] = nil }
    }

    /// A clock that only moves when something changes, so timestamps are reproducible.
    private func tick() -> Date {
        clock = clock.addingTimeInterval(1)
        return clock
    }
}
