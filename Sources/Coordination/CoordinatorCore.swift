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
    /// What this node's owner role counted (`OwnerRole.counters`).
    package var counters: CoordinationCounters { owner.counters }

    /// Request ids for forwarded submissions and cancellations.
    var nextNumber: UInt64 = 1
    var now = Moment(uptime: .zero, wall: Date(timeIntervalSince1970: 0))
    var output: [CoordinatorDirective] = []

    /// Membership, as the last view the shell passed in; handed on to the owner role whenever it
    /// changes, here and nowhere else. (Changes made in a loop are made on a copy and assigned once.)
    var cluster: ClusterView {
        didSet { owner.cluster = cluster }
    }
    /// The four roles (docs/coordination.md, "Roles"), each a value that owns its state; the core
    /// routes events and messages to them and carries out what they return.
    var receiver = ReceiverRole()
    var worker: WorkerRole
    var replica = ReplicaRole()
    var owner: OwnerRole

    var lastReconcile: Duration = .zero
    var lastExpiry: Duration = .zero

    package init(name: String, settings: CoordinationSettings, seed: UInt64) {
        self.name = name
        self.settings = settings
        self.cluster = ClusterView(name: name)
        self.worker = WorkerRole(concurrency: settings.workerConcurrency)
        self.owner = OwnerRole(name: name, settings: settings, seed: seed)
    }

    /// Handles one event at `moment` and returns what the shell must do, in order.
    package mutating func handle(_ event: CoordinatorEvent, at moment: Moment) -> [CoordinatorDirective] {
        if moment.uptime > now.uptime { now = moment } else { now.wall = moment.wall }
        owner.now = now
        switch event {
        case .loaded(let summaries): load(summaries)
        case .membership(let view): updateMembership(view)
        case .heard(let names): cluster.heard = names
        case .settled:
            cluster.settled = true
            reconcile()
        case .peerLost(let peer):
            guard peer != name else { break }
            owner.peerLost(peer)
            runOwner()
            rerouteSubmissions(from: peer)
        case .received(let envelope): dispatch(envelope.message, from: envelope.from)
        case .applied(let write, let replyTo, let result): applied(write, replyTo: replyTo, result: result)
        case .promiseRead(let id, let epoch, let claimant, let record, let results):
            send(.promise(id: id, epoch: epoch, granted: true, record: record, results: results), to: claimant)
        case .relayRead(let id, let target, let record, let results):
            let asked = replica.finalAsked(id, by: target)
            owner.relay(id, to: target, record: record, results: results, asked: asked)
            runOwner()
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
            owner.ownerSubmit(
                .remote(node: sender, requestID: requestID), id: id, request: request, idempotencyKey: key,
                tenant: tenant, title: title, createdAt: createdAt, replica: replica)
            runOwner()
        case .submitted(let requestID, let answer): perform(receiver.submitAnswered(requestID, answer))
        case .write(let write):
            let id = write.record.id
            perform(
                replica.writeReceived(
                    write, from: sender, ownClaimLasts: owner.claims[id] != nil || owner.owned[id] != nil))
        case .written(let writeID, let id, let answer):
            owner.writeAnswered(writeID, id: id, answer, from: sender, replica: replica)
            runOwner()
        case .claim(let id, let epoch, let basis): claimReceived(id, epoch: epoch, basis: basis, from: sender)
        case .promise(let id, let epoch, let granted, let record, let results, let known):
            owner.promiseReceived(
                id, epoch: epoch, granted: granted, record: record, results: results, known: known, from: sender,
                replica: replica)
            runOwner()
        case .assign(let batch):
            for assignment in batch.assignments { perform(worker.assigned(assignment, from: sender)) }
        case .refuse(let key):
            owner.refused(key, by: sender)
            runOwner()
        case .renew(let keys, let load):
            owner.renewReceived(keys, load: load, from: sender)
            runOwner()
        case .renewed(let revoked): perform(worker.revoke(revoked))
        case .finished(let key, let outcome, let load):
            owner.taskFinished(key, outcome, load: load, from: sender)
            runOwner()
        case .cancel(let requestID, let id):
            owner.ownerCancel(.remote(node: sender, requestID: requestID), id: id, replica: replica)
            runOwner()
        case .cancelAnswer(let requestID, let answer): perform(receiver.cancelAnswered(requestID, answer))
        case .check(let ids): perform(replica.checkReceived(ids, from: sender))
        }
    }

    /// Carries out what the owner role gathered, in order. A message to this node itself is handled
    /// on the spot (`send`), as it was before the owner went on, which may gather more: those are
    /// carried out by a nested call first.
    mutating func runOwner() {
        for action in owner.takeActions() {
            switch action {
            case .emit(let directive): emit(directive)
            case .send(let message, let node): send(message, to: node)
            case .learnt(let id, let version, let status): replica.learnt(id, version: version, status: status)
            case .promisedElsewhere(let id, let epoch): replica.promisedElsewhere(id, epoch: epoch)
            }
        }
    }

    /// Request ids: unique on this node, so an owner's answer finds the client waiting for it.
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
    package var ownedIDs: [String] { owner.owned.keys.sorted() }

    /// True when this node sees a majority of the cluster (see `ClusterView.hasQuorum`).
    package var quorate: Bool { cluster.hasQuorum }
    /// Why this node would refuse a submission now, or nil (see `OwnerRole.hasSubmissionQuorum`).
    package var submissionProblem: String? { owner.hasSubmissionQuorum ? nil : owner.submissionQuorumProblem }

    /// What this node stores of an assessment.
    package func replica(_ id: String) -> ReplicaMeta? { replica[id] }
    /// The record as its owner holds it now, progress not yet flushed included; it may be ahead of
    /// what a majority stored.
    package func liveRecord(_ id: String) -> AssessmentRecord? { owner.owned[id]?.record }
    /// The owner's record while it runs: accepted by a majority and not finishing (a final state
    /// counts only once a majority stored it, so until then readers see the stored one).
    package func runningRecord(_ id: String) -> AssessmentRecord? {
        guard let assessment = owner.owned[id], assessment.phase == .running else { return nil }
        return assessment.record
    }

    package var storedIDs: [String] { replica.records.all.keys.sorted() }

    /// What this node knows of one assessment, for a failing simulation seed's report.
    package func describe(_ id: String) -> String {
        var parts: [String] = []
        if let meta = replica[id] {
            parts.append(
                "replica \(meta.status.rawValue) at \(meta.version), promised \(meta.promised) (to others \(meta.othersPromised))"
            )
        }
        parts += owner.describe(id)
        return parts.isEmpty ? "nothing" : parts.joined(separator: "; ")
    }
}
