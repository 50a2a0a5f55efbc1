import Coordination
import Metrics
import Synchronization

/// The core's running totals as swift-metrics counters (served by `/metrics` through whatever
/// backend the node bootstrapped). The core counts; this forwards the increase since last time.
final class CoordinationMetrics: @unchecked Sendable {
    // Only touched from the node's actor.
    private var last = CoordinationCounters()
    private let counters: [(KeyPath<CoordinationCounters, Int>, Counter)] = [
        (\.submissionsAccepted, Counter(label: "inframind_submissions_accepted_total")),
        (\.tasksAssigned, Counter(label: "inframind_tasks_assigned_total")),
        (\.requeues, Counter(label: "inframind_requeues_total")),
        (\.leaseExpiries, Counter(label: "inframind_lease_expiries_total")),
        (\.taskFailures, Counter(label: "inframind_task_failures_total")),
        (\.determinismFaults, Counter(label: "inframind_determinism_faults_total")),
        (\.takeovers, Counter(label: "inframind_takeovers_total")),
        (\.depositions, Counter(label: "inframind_depositions_total")),
        (\.completed, Counter(label: "inframind_assessments_completed_total")),
        (\.failed, Counter(label: "inframind_assessments_failed_total")),
        (\.cancelled, Counter(label: "inframind_assessments_cancelled_total")),
    ]

    /// Unfinished assessments this node owns, readable from any thread: the HTTP API refuses a
    /// submission at once when it is at the limit, before reading its body.
    let backlog = Atomic<Int>(0)
    /// Whether keyless submissions go to peers (`CoordinatorCore.shedsKeyless`); kept only while the
    /// backlog is at its limit, where it decides whether this node refuses them.
    let shedsKeyless = Atomic<Bool>(false)
    private let backlogGauge = Gauge(label: "inframind_backlog")
    private var lastBacklog = -1

    func record(backlog now: Int) {
        guard now != lastBacklog else { return }
        lastBacklog = now
        backlog.store(now, ordering: .relaxed)
        backlogGauge.record(now)
    }

    /// Coordination messages this node sent, and their approximate bytes (`Envelope.approximateSize`),
    /// by kind: what an assessment's transport calls carry (docs/performance.md). Created on first
    /// use of each kind, from the node's actor only.
    private var sentByKind: [String: (messages: Counter, bytes: Counter)] = [:]

    func sent(_ envelope: Envelope) {
        let kind = envelope.message.kind
        let counters =
            sentByKind[kind]
            ?? (
                Counter(label: "inframind_coordination_messages_sent_total", dimensions: [("kind", kind)]),
                Counter(label: "inframind_coordination_message_bytes_sent_total", dimensions: [("kind", kind)])
            )
        sentByKind[kind] = counters
        counters.messages.increment()
        counters.bytes.increment(by: envelope.approximateSize)
    }

    func record(_ now: CoordinationCounters) {
        guard now != last else { return }
        for (path, counter) in counters where now[keyPath: path] > last[keyPath: path] {
            counter.increment(by: now[keyPath: path] - last[keyPath: path])
        }
        last = now
    }
}
