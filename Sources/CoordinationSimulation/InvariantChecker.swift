import Coordination
import FoundationEssentials
import Storage

/// A broken invariant: which, what exactly, and when (virtual time), for a failing seed's report.
package struct Violation: Sendable, Hashable, CustomStringConvertible {
    package var invariant: String
    package var detail: String
    package var time: Duration

    package var description: String { "\(invariant) at \(time): \(detail)" }
}

/// The invariants of docs/coordination.md, checked as the simulation runs (at the steps that can break them) and
/// at the end. The first violation stops the run.
final class InvariantChecker {
    let settings: CoordinationSettings
    private(set) var violation: Violation?
    /// Acknowledged ids and their requests.
    private(set) var acknowledged: [String: Data] = [:]
    private var requests: [String: Data] = [:]
    private var firstReport: [String: Data] = [:]
    private var committedFinal: [String: AssessmentRecord] = [:]
    /// Owners of epoch 1 per id. Two mean the id was created twice — an idempotent retry placed under
    /// two membership views (a documented limitation): each lineage runs and ends on its own, reads
    /// prefer the final copy of the newest epoch, and their reports are equal (agents are pure).
    private(set) var creators: [String: Set<String>] = [:]

    /// Ids created by more than one owner, for the report.
    var createdTwice: Int { creators.values.count { $0.count > 1 } }
    private(set) var cancelRequested: Set<String> = []
    private var cancelConfirmed: Set<String> = []
    private var expired: Set<String> = []
    /// Tasks started, by key and owner: two owners of one epoch can exist for an id (an idempotent
    /// retry placed under two membership views, see docs/coordination.md), each running its own lineage.
    private var executed: Set<LineageTask> = []

    struct LineageTask: Hashable {
        var key: TaskKey
        var owner: String
    }
    /// Records that had a majority of their replica set crashed at once: beyond what replication
    /// promises (docs/coordination.md), so their durability is not checked — only that they end correctly.
    private(set) var beyondPromise: Set<String> = []
    private var minority: Set<Int> = []
    private var partitionedAt: Duration = .zero
    /// Acknowledgements a minority side gave before its membership could have seen the split.
    private(set) var minorityAcksInDetectionWindow = 0
    /// Replica writes sent whole and as changes (docs/coordination.md, "Writes as changes"), and the
    /// `incomplete` answers that had a whole record sent after them: the figures that show the
    /// simulation exercises both forms and the fallback.
    private(set) var writeForms = WriteForms()
    /// How long a minority may take to notice it is one: SWIM's detection bound for the cluster.
    let detectionWindow: Duration

    init(nodes: Int, settings: CoordinationSettings, detectionWindow: Duration) {
        self.settings = settings
        self.detectionWindow = detectionWindow
    }

    func fail(_ invariant: String, _ detail: String, in sim: CoordinationSimulator) {
        guard violation == nil else { return }
        violation = Violation(invariant: invariant, detail: detail, time: sim.now)
    }

    func submitted(_ id: String, request: Data) { requests[id] = request }

    func acknowledged(_ id: String, expected: String, request: Data, by node: Int, in sim: CoordinationSimulator) {
        if id != expected {
            fail("idempotency", "submitted as \(expected), acknowledged as \(id)", in: sim)
        }
        acceptedAnswer(id, by: node, in: sim)
        acknowledged[id] = request
        checkReadable(id, in: sim)
    }

    /// An owner answering a forwarded submission counts as acknowledging it.
    func sending(_ message: CoordinationMessage, from node: Int, in sim: CoordinationSimulator) {
        switch message {
        case .submitted(_, .accepted(let id, _)): acceptedAnswer(id, by: node, in: sim)
        case .write(let write) where write.changesSince != nil: writeForms.changes += 1
        case .write: writeForms.whole += 1
        case .written(_, _, .incomplete): writeForms.incomplete += 1
        default: break
        }
    }

    private func acceptedAnswer(_ id: String, by node: Int, in sim: CoordinationSimulator) {
        guard minority.contains(node) else { return }
        if sim.now - partitionedAt <= detectionWindow {
            minorityAcksInDetectionWindow += 1
        } else {
            fail("minority acknowledged", "\(sim.names[node]) accepted \(id) on the minority side", in: sim)
        }
    }

    func partitioned(_ side: Set<Int>, in sim: CoordinationSimulator) {
        minority = side
        partitionedAt = sim.now
    }

    /// A replica stored a record: a final state never changes, a completed report is the expected one.
    func stored(
        _ record: AssessmentRecord, outcome: ReplicaOutcome, before: AssessmentRecord?, at node: Int,
        in sim: CoordinationSimulator
    ) {
        guard case .stored = outcome else { return }
        let id = record.id
        // A final state counts once a majority of its replica set stores it (a deposed owner's local
        // write of one that never got there is not a decision); from then on it must never change.
        if record.epoch == 1, let creator = record.replicaSet.first { creators[id, default: []].insert(creator) }
        let oneLineage = (creators[id]?.count ?? 0) <= 1
        // Final is final where it is stored: a replica holding the committed final state never holds
        // another one. (A deposed owner's own final copy that never reached a majority may be replaced
        // by the committed one: that is the takeover repairing it.)
        if oneLineage, let before, let final = committedFinal[id], before.recordVersion == final.recordVersion,
            before.status != record.status || before.report != record.report
        {
            fail(
                "final state replaced",
                "\(id) was \(before.status.rawValue) at \(before.recordVersion), now "
                    + "\(record.status.rawValue) at \(record.recordVersion) on \(sim.names[node])", in: sim)
        }
        // And no second decision: a final state that differs from the committed one is a split brain —
        // unless it is from an older epoch, which no read prefers over the committed one (a deposed
        // owner's own copy, or the other lineage of an id created twice under two membership views).
        if oneLineage, let final = committedFinal[id], !beyondPromise.contains(id), record.status.isTerminal,
            record.epoch >= final.epoch, final.status != record.status || final.report != record.report
        {
            fail(
                "final state replaced",
                "\(id) was \(final.status.rawValue) at \(final.recordVersion) on a majority, now "
                    + "\(record.status.rawValue) at \(record.recordVersion) on \(sim.names[node])", in: sim)
        }
        if record.status.isTerminal, committedFinal[id] == nil {
            let holders = record.replicaSet.filter { name in
                sim.index[name].map { sim.nodes[$0].store.read(id)?.recordVersion == record.recordVersion } ?? false
            }
            if holders.count * 2 > record.replicaSet.count { committedFinal[id] = record }
        }
        guard record.status == .completed else { return }
        guard let report = record.report else {
            fail("completed without report", "\(id) on \(sim.names[node])", in: sim)
            return
        }
        if let first = firstReport[id], first != report {
            fail("completed report replaced", "\(id) on \(sim.names[node]) differs from the first report", in: sim)
        }
        firstReport[id] = firstReport[id] ?? report
        if report != SimAgents.expectedReport(request: record.request) {
            fail("report differs from fault-free run", "\(id) on \(sim.names[node])", in: sim)
        }
        // (Within one lineage: the other lineage of an id created twice never heard of the cancel.)
        if cancelConfirmed.contains(id), (creators[id]?.count ?? 0) <= 1 {
            fail("cancelled assessment completed", "\(id) on \(sim.names[node])", in: sim)
        }
    }

    func executing(_ key: TaskKey, owner: String, at node: Int, in sim: CoordinationSimulator) {
        if !executed.insert(LineageTask(key: key, owner: owner)).inserted {
            fail("task ran twice", "\(key) of \(owner) again on \(sim.names[node])", in: sim)
        }
    }

    func cancelRequested(_ id: String) { cancelRequested.insert(id) }
    func cancelConfirmed(_ id: String) { cancelConfirmed.insert(id) }

    func expired(_ ids: [String], at node: Int) { expired.formUnion(ids) }

    func crashed(_ node: Int, in sim: CoordinationSimulator) {
        let ids = Set(sim.nodes.flatMap { $0.store.records.keys })
        for id in ids.sorted() {
            guard let record = sim.newestRecord(id) else { continue }
            let down = record.replicaSet.filter { sim.index[$0].map { sim.nodes[$0].core == nil } ?? true }
            if down.count * 2 > record.replicaSet.count { beyondPromise.insert(id) }
        }
        for id in acknowledged.keys.sorted() { checkReadable(id, in: sim) }
    }

    /// No acknowledged assessment is lost while at most a minority of its replica set is down: some
    /// running node still stores it.
    func checkReadable(_ id: String, in sim: CoordinationSimulator) {
        guard !beyondPromise.contains(id) else { return }
        guard !expired.contains(id), let record = sim.newestRecord(id) else {
            if !expired.contains(id) { fail("acknowledged assessment lost", "\(id) is in no store", in: sim) }
            return
        }
        let down = record.replicaSet.filter { sim.index[$0].map { sim.nodes[$0].core == nil } ?? true }
        guard down.count * 2 < record.replicaSet.count else { return }
        let live = sim.nodes.indices.filter { sim.nodes[$0].core != nil && sim.nodes[$0].store.read(id) != nil }
        if live.isEmpty {
            fail(
                "acknowledged assessment lost",
                "\(id): no running node stores it (replica set \(record.replicaSet), down \(down))", in: sim)
        }
    }

    /// After the faults stopped and the cluster went quiet. Only running nodes count: one lost for good
    /// may hold a newer copy, but no client can read it.
    func finalCheck(_ sim: CoordinationSimulator) {
        for (id, request) in acknowledged.sorted(by: { $0.key < $1.key }) where !expired.contains(id) {
            if sim.isStrandedByTheLoss(id) { continue }
            guard let record = sim.newestRecord(id, runningOnly: true) else {
                fail("acknowledged assessment lost", "\(id) is in no running node's store", in: sim)
                return
            }
            // A final state counts as replicated only where it is stored as final.
            let holders = record.replicaSet.filter { name in
                sim.index[name].map {
                    sim.nodes[$0].core != nil
                        && sim.nodes[$0].store.read(id).map { $0.status.isTerminal == record.status.isTerminal } == true
                } ?? false
            }
            if holders.count * 2 <= record.replicaSet.count, !beyondPromise.contains(id) {
                fail("under-replicated", "\(id) is on \(holders) of \(record.replicaSet)", in: sim)
            }
            switch record.status {
            case .pending, .running:
                fail(
                    "not completed",
                    "\(id) is \(record.status.rawValue) at \(record.recordVersion) "
                        + "after \(sim.scenario.recoveryLimit) without faults", in: sim)
            case .completed:
                if record.report != SimAgents.expectedReport(request: request) {
                    fail("report differs from fault-free run", id, in: sim)
                }
            case .failed:
                let injected = sim.profile.injectsAgentErrors && (record.failure ?? "").contains("injected failure")
                if !injected {
                    fail("failed without an agent error", "\(id): \(record.failure ?? "no reason")", in: sim)
                }
            case .cancelled:
                if !cancelRequested.contains(id) { fail("cancelled unasked", id, in: sim) }
            }
            if cancelConfirmed.contains(id), record.status != .cancelled, (creators[id]?.count ?? 0) <= 1 {
                fail("cancellation lost", "\(id) confirmed cancelled, ended \(record.status.rawValue)", in: sim)
            }
        }
        let faults = sim.totalCounters.determinismFaults
        if faults > 0 { fail("determinism fault", "\(faults) results differed from the first", in: sim) }
    }
}
