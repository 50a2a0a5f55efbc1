import FoundationEssentials
import Membership
import Storage

/// One node's coordination as a pure state machine: events and the time in, directives out.
///
/// It owns no sockets, no disk and no clock, so the same code runs under the real shell
/// (`CoordinatorNode`) and under the deterministic simulation, where a seed replays every choice.
/// The shell executes directives in order and feeds their completions back as events.
package struct CoordinatorCore: Sendable {
    package let name: String
    package let settings: CoordinationSettings
    package internal(set) var counters = CoordinationCounters()

    var rng: SeededRandom
    var nextNumber: UInt64 = 1
    var now = Moment(uptime: .zero, wall: Date(timeIntervalSince1970: 0))
    var output: [CoordinatorDirective] = []

    // Membership, as the last view the shell passed in.
    var statuses: [String: SWIM.Status] = [:]
    /// Every member this node has known — in a view, or named by a stored record — and not seen leave:
    /// the cluster its quorum counts against. A view can lose members (a node that rejoins under a new
    /// uid starts from its seeds' view), and a majority of such a view is no majority: the simulation
    /// had two of five nodes, each seeing only the other, acknowledge submissions.
    var knownMembers: Set<String> = []
    /// The nodes a message came from within `settings.contactLease`, this one included, as the shell
    /// last passed them in (`SWIM.Instance.heard(within:at:)`): a write's quorum needs a majority here
    /// too, not only in the view (`hasSubmissionQuorum`).
    var heard: Set<String> = []
    /// Set once membership has converged after start: before that, "not seen" does not mean "down".
    var settled = false
    var draining = false

    // Replica side: every record this node stores.
    var replicas = ReplicaBook()
    // Owner side.
    var owned: [String: OwnedAssessment] = [:]
    var claims: [String: Claim] = [:]
    /// Records whose owner is gone and whose claim falls to another replica: when this node sends its
    /// copy there next, so that a claimant that never got it can claim.
    var orphans: [String: Duration] = [:]
    /// Records this node owns whose last state may be on no majority: a replica fenced its write (it
    /// promised a newer epoch to a claimant that may never finish), or its final state was written
    /// just before a restart, maybe here alone. This node claims them back, final state included.
    var unsettled: Set<String> = []
    /// Claims this node refused only because it still saw the record's owner alive: when membership
    /// then says that owner is down, the claim is reconsidered at once, as if it arrived just then. The
    /// claimant may have learnt of the death a moment earlier (its connection to the owner broke
    /// first), and would otherwise wait out its claim timeout (2.3 s for a SIGKILLed owner's
    /// assessments in `scripts/bench`'s recovery row).
    var deferredClaims: [String: DeferredClaim] = [:]
    /// When this node last stored a write of, or asked about, each unfinished record (`askOwners`);
    /// none for a record loaded at start.
    var heardOf: [String: Duration] = [:]
    /// Finished records whose final state a replica asked for (`check`), by id: the nodes that asked.
    var finalsAsked: [String: Set<String>] = [:]
    var writes: [UInt64: PendingWrite] = [:]
    var creating: [String: [Waiter]] = [:]
    var reportedLoad: [String: Int] = [:]
    var refusedUntil: [String: Duration] = [:]
    /// Peers whose connection broke without a goodbye: no new owner or worker role for them until
    /// membership says they are up again or the quarantine ends (a killed process is usually both).
    var lostUntil: [String: Duration] = [:]
    /// Receiving side: its own value (`ReceiverRole`), the submissions and cancellations forwarded.
    var receiver = ReceiverRole()
    /// Worker side: its own value (`WorkerRole`), which the core routes events to.
    var worker: WorkerRole

    var lastReconcile: Duration = .zero
    var lastExpiry: Duration = .zero

    package init(name: String, settings: CoordinationSettings, seed: UInt64) {
        self.name = name
        self.settings = settings
        self.rng = SeededRandom(seed: seed)
        self.worker = WorkerRole(concurrency: settings.workerConcurrency)
        statuses[name] = .up
        knownMembers = [name]
    }

    /// Handles one event at `moment` and returns what the shell must do, in order.
    package mutating func handle(_ event: CoordinatorEvent, at moment: Moment) -> [CoordinatorDirective] {
        if moment.uptime > now.uptime { now = moment } else { now.wall = moment.wall }
        switch event {
        case .loaded(let summaries): load(summaries)
        case .membership(let view): updateMembership(view)
        case .heard(let names): heard = names
        case .settled:
            settled = true
            reconcile()
        case .peerLost(let peer):
            guard peer != name else { break }
            lostUntil[peer] = now.uptime + settings.lostPeerQuarantine
            holderLost(peer, reason: "connection lost")
            rerouteSubmissions(from: peer)
        case .received(let envelope): dispatch(envelope.message, from: envelope.from)
        case .applied(let write, let replyTo, let result): applied(write, replyTo: replyTo, result: result)
        case .promiseRead(let id, let epoch, let claimant, let record, let results):
            send(.promise(id: id, epoch: epoch, granted: true, record: record, results: results), to: claimant)
        case .relayRead(let id, let target, let record, let results):
            relay(id, to: target, record: record, results: results)
        case .finalRead(let id, let writeID, let replyTo, let record):
            if let record, record.status.isTerminal {
                send(.written(writeID: writeID, id: id, .final(record)), to: replyTo)
            } else {
                // Retention removed it meanwhile: a fresh write would recreate it, so say nothing.
                log(.debug, "final record gone before it could be sent to \(replyTo)", id: id)
            }
        case .executed(let key, let outcome): perform(worker.executed(key, outcome))
        case .clientSubmit(let clientID, let id, let request, let key, let tenant, let title):
            clientSubmit(
                clientID: clientID, id: id, request: request, idempotencyKey: key, tenant: tenant, title: title)
        case .clientCancel(let clientID, let id, let owner): clientCancel(clientID: clientID, id: id, owner: owner)
        case .drain: drain()
        case .tick: tick()
        }
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    mutating func emit(_ directive: CoordinatorDirective) { output.append(directive) }

    mutating func send(_ message: CoordinationMessage, to node: String) {
        if node == name {
            dispatch(message, from: name)
        } else {
            emit(.send(message, to: node))
        }
    }

    mutating func dispatch(_ message: CoordinationMessage, from sender: String) {
        switch message {
        case .submit(let requestID, let id, let request, let key, let createdAt, let tenant, let title):
            ownerSubmit(
                .remote(node: sender, requestID: requestID), id: id, request: request, idempotencyKey: key,
                tenant: tenant, title: title, createdAt: createdAt)
        case .submitted(let requestID, let answer): perform(receiver.submitAnswered(requestID, answer))
        case .write(let write): writeReceived(write, from: sender)
        case .written(let writeID, let id, let answer): writeAnswered(writeID, id: id, answer, from: sender)
        case .claim(let id, let epoch, let basis): claimReceived(id, epoch: epoch, basis: basis, from: sender)
        case .promise(let id, let epoch, let granted, let record, let results, let known):
            promiseReceived(
                id, epoch: epoch, granted: granted, record: record, results: results, known: known, from: sender)
        case .assign(let batch):
            for assignment in batch.assignments { perform(worker.assigned(assignment, from: sender)) }
        case .refuse(let key): refused(key, by: sender)
        case .renew(let keys, let load): renewReceived(keys, load: load, from: sender)
        case .renewed(let revoked): perform(worker.revoke(revoked))
        case .finished(let key, let outcome, let load): taskFinished(key, outcome, load: load, from: sender)
        case .cancel(let requestID, let id): ownerCancel(.remote(node: sender, requestID: requestID), id: id)
        case .cancelAnswer(let requestID, let answer): perform(receiver.cancelAnswered(requestID, answer))
        case .check(let ids): checkReceived(ids, from: sender)
        }
    }

    mutating func number() -> UInt64 {
        defer { nextNumber += 1 }
        return nextNumber
    }

    mutating func log(_ level: CoordinatorLog.Level, _ message: String, id: String? = nil) {
        emit(.log(CoordinatorLog(level: level, message: message, assessmentID: id)))
    }

    // MARK: Queries for the shell and the simulation.

    /// Tasks this node's worker is running or has queued.
    package var workerLoad: Int { worker.load }

    /// Assessments this node currently owns and has not finished.
    package var ownedIDs: [String] { owned.keys.sorted() }

    /// True when this node sees a majority of the cluster (see `hasQuorum`).
    package var quorate: Bool { hasQuorum }
    /// Why this node would refuse a submission now, or nil (see `hasSubmissionQuorum`).
    package var submissionProblem: String? { hasSubmissionQuorum ? nil : submissionQuorumProblem }

    /// What this node stores of an assessment.
    package func replica(_ id: String) -> ReplicaMeta? { replicas[id] }
    /// The record as its owner holds it now, progress not yet flushed included; it may be ahead of
    /// what a majority stored.
    package func liveRecord(_ id: String) -> AssessmentRecord? { owned[id]?.record }
    /// The owner's record while it runs: accepted by a majority and not finishing (a final state
    /// counts only once a majority stored it, so until then readers see the stored one).
    package func runningRecord(_ id: String) -> AssessmentRecord? {
        guard let assessment = owned[id], assessment.phase == .running else { return nil }
        return assessment.record
    }

    package var storedIDs: [String] { replicas.all.keys.sorted() }

    /// What this node knows of one assessment, for a failing simulation seed's report.
    package func describe(_ id: String) -> String {
        var parts: [String] = []
        if let meta = replicas[id] {
            parts.append("replica \(meta.status.rawValue) at \(meta.version), promised \(meta.promised)")
        }
        if let claim = claims[id] { parts.append("claiming epoch \(claim.epoch) from \(claim.sets)") }
        if let assessment = owned[id] {
            let tasks = assessment.tasks.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.state)" }
            parts.append(
                "owner (\(assessment.phase)) at \(assessment.record.recordVersion), last move v\(assessment.lastMove) "
                    + "(committed at v\(assessment.reconfiguredAt)); tasks \(tasks.joined(separator: " "))")
        }
        let pending = writes.values.filter { $0.write.record.id == id }.map {
            "write v\($0.write.record.version) \($0.purpose) acked \($0.acked.sorted()) of \($0.targets)"
        }
        parts += pending.sorted()
        return parts.isEmpty ? "nothing" : parts.joined(separator: "; ")
    }
}
