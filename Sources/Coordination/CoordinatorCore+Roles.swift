import FoundationEssentials
import Storage

/// How the core routes to the roles (docs/coordination.md, "Roles") and carries out what they return.
extension CoordinatorCore {
    // MARK: Start, time and shutdown

    mutating func load(_ summaries: [RecordSummary]) {
        var known = cluster.knownMembers
        for summary in summaries {
            known.formUnion(summary.version.quorumSets.joined())
            replica.load(summary, counted: summary.version.replicaSet.first == name)
        }
        cluster.knownMembers = known
        owner.loaded(summaries)
        runOwner()
        log(.info, "loaded \(summaries.count) stored records")
    }

    /// Shutting down: this node leaves the quorum's count and its worker takes no more work.
    mutating func drain() {
        var leaving = cluster
        leaving.draining = true
        leaving.statuses[name] = .left
        cluster = leaving
        perform(worker.drain())
    }

    mutating func tick() {
        perform(receiver.expire(at: now.uptime, isAlive: cluster.isAlive))
        owner.tick()
        runOwner()
        perform(worker.renewLeases(at: now.uptime, every: settings.leaseTTL / 3))
        if now.uptime - lastReconcile >= settings.reconcileInterval { reconcile() }
        if now.uptime - lastExpiry >= .seconds(60) { expireRecords() }
    }

    /// Looks at every stored record (`OwnerRole.reconcile`), after asking live owners about records
    /// heard nothing of for a while (`ReplicaRole.quietRecords`).
    mutating func reconcile() {
        lastReconcile = now.uptime
        replica.expireDeferredClaims(at: now.uptime)
        guard cluster.settled, cluster.hasQuorum, !cluster.draining else { return }
        let quiet = replica.quietRecords(
            at: now.uptime, quiet: settings.quietCheck, limit: Self.checksPerReconcile, except: name,
            isAlive: cluster.isAlive)
        owner.reconcile(replica, asking: quiet)
        runOwner()
    }

    /// Unfinished records asked about per reconcile, in all: each finished one costs its owner a read
    /// and a whole record sent back, and a restarted node may hold thousands.
    static let checksPerReconcile = 64

    /// Retention: finished records past their time go from memory here and from the store by directive.
    mutating func expireRecords() {
        lastExpiry = now.uptime
        let seconds = Double(settings.retention.components.seconds)
        let cutoff = now.wall.addingTimeInterval(-seconds)
        let owned = owner.owned
        guard replica.expire(before: cutoff, keep: { owned[$0] != nil }) else { return }
        emit(.deleteExpired(before: cutoff))
    }

    // MARK: Worker

    mutating func perform(_ actions: [WorkerRole.Action]) {
        owner.workerLoad = worker.load(besides: name)
        for action in actions {
            switch action {
            case .execute(let assignment): emit(.execute(assignment))
            case .abandon(let key): emit(.abandon(key))
            case .send(let message, let node): send(message, to: node)
            }
        }
    }

    // MARK: Replica

    mutating func applied(_ write: ReplicaWrite, replyTo: String, result: Result<ReplicaOutcome, StoreError>) {
        if case .failure(let error) = result {
            log(.error, "could not store a replica write: \(error)", id: write.record.id)
        }
        perform(replica.applied(write, replyTo: replyTo, result: result, at: now.uptime))
    }

    /// The replica role decides; the core says whether the owner it names is alive, which a live
    /// owner's replica defends. This node's own record counts as alive only while this node still
    /// owns it (it may have restarted and not resumed it yet).
    mutating func claimReceived(_ id: String, epoch: Int, basis: RecordVersion, from claimant: String) {
        let holder = replica[id]?.owner ?? claimant
        let ownerAlive =
            holder != claimant && cluster.isAlive(holder) && (holder != name || owner.owned[id] != nil)
        perform(
            replica.claimReceived(
                id, epoch: epoch, basis: basis, from: claimant, byThisNode: claimant == name, ownerAlive: ownerAlive,
                at: now.uptime, deferFor: settings.claimTimeout))
    }

    /// Claims refused for an owner that is now down are answered again; expired ones are dropped.
    mutating func reconsiderDeferredClaims() {
        for (id, deferred) in replica.claimsToReconsider(at: now.uptime, isAlive: cluster.isAlive) {
            claimReceived(id, epoch: deferred.epoch, basis: deferred.basis, from: deferred.claimant)
        }
    }

    mutating func perform(_ actions: [ReplicaRole.Action]) {
        for action in actions {
            switch action {
            case .send(let message, let node): send(message, to: node)
            case .apply(let write, let replyTo): emit(.apply(write, replyTo: replyTo))
            case .readFinal(let id, let writeID, let replyTo):
                emit(.readFinal(id: id, writeID: writeID, replyTo: replyTo))
            case .readForPromise(let id, let epoch, let claimant):
                emit(.readForPromise(id: id, epoch: epoch, claimant: claimant))
            case .readForRelay(let id, let target): emit(.readForRelay(id: id, to: target))
            case .stored(let id, let version):
                owner.stored(id, version: version, replica: replica)
                runOwner()
            case .promised(let id, let epoch, let claimant):
                owner.promised(id, epoch: epoch, to: claimant, replica: replica)
                runOwner()
            }
        }
    }

    // MARK: Receiving node

    mutating func clientSubmit(
        clientID: UInt64, id: String, request: Data, idempotencyKey: String?, tenant: String? = nil,
        title: String? = nil
    ) {
        guard owner.hasSubmissionQuorum else {
            emit(.answerSubmit(clientID: clientID, .unavailable(owner.submissionQuorumProblem)))
            return
        }
        guard let ranked = Placement.rank(id, over: owner.upMembers).first else {
            emit(.answerSubmit(clientID: clientID, .unavailable("no member is up")))
            return
        }
        if ranked == name {
            owner.ownerSubmit(
                .local(clientID: clientID), id: id, request: request, idempotencyKey: idempotencyKey,
                tenant: tenant, title: title, createdAt: now.wall, replica: replica)
            runOwner()
            return
        }
        let submission = ReceiverRole.Submission(
            clientID: clientID, id: id, request: request, idempotencyKey: idempotencyKey, tenant: tenant, title: title)
        perform(
            receiver.forward(
                submission, as: number(), to: ranked, createdAt: now.wall, deadline: now.uptime + settings.submitTimeout
            )
        )
    }

    mutating func perform(_ actions: [ReceiverRole.Action]) {
        for action in actions {
            switch action {
            case .answerSubmit(let clientID, let answer): emit(.answerSubmit(clientID: clientID, answer))
            case .answerCancel(let clientID, let answer): emit(.answerCancel(clientID: clientID, answer))
            case .send(let message, let node): send(message, to: node)
            }
        }
    }

    mutating func clientCancel(clientID: UInt64, id: String, owner: String) {
        perform(
            receiver.forwardCancel(
                clientID: clientID, id: id, as: number(), to: owner, deadline: now.uptime + settings.submitTimeout))
    }

    /// The owner a submission was forwarded to dropped its connection: ask the next member in rank
    /// instead of letting the client wait for a timeout (the id, hence any idempotency, is kept).
    mutating func rerouteSubmissions(from peer: String) {
        for submission in receiver.ownerLost(peer) {
            clientSubmit(
                clientID: submission.clientID, id: submission.id, request: submission.request,
                idempotencyKey: submission.idempotencyKey, tenant: submission.tenant, title: submission.title)
        }
    }

    /// The id this node gives a submission without an idempotency key (docs/coordination.md, Placement: the choice is
    /// the receiving node's): one that placement ranks this node first for, drawn again until it is, so
    /// the submission is not forwarded. With 16 clients at 40/s, forwarded submissions took 3.0 ms
    /// p50 / 7.4 ms p99 and those the receiving node owned 2.0 / 5.3: one round trip fewer, and the
    /// owner's thread wake-ups. A node that holds more than its share (its clients do not spread over
    /// the cluster) draws until a peer owns the id instead, so that it sheds the excess: owning all a
    /// node receives was tried before and reverted, as one node then owned everything.
    package func keylessID(draw: () -> String) -> String {
        let first = draw()
        let members = owner.upMembers
        guard let keep = keepsKeyless(members: members) else { return first }
        var candidate = first
        // Each draw is this node's with chance 1/N: 8N of them all miss once in 17,000 times with
        // three nodes, and at most once in 3,000 (e^-8) with many.
        for _ in 0..<(8 * members.count) {
            if (Placement.owner(candidate, over: members) == name) == keep { return candidate }
            candidate = draw()
        }
        return first
    }

    /// True when keyless submissions go to peers (`keylessID`): this node holds more than its share.
    package var shedsKeyless: Bool { keepsKeyless(members: owner.upMembers) == false }

    /// Whose keyless ids should be: this node's (true), a peer's (false, it holds more than its
    /// share), or nil when there is no choice (no peer is up, or this node is not).
    func keepsKeyless(members: [String]) -> Bool? {
        guard members.count > 1, members.contains(name) else { return nil }
        return backlog <= ownershipShare(members: members.count)
    }

    /// How many unfinished assessments this node may own before keyless ones go where placement
    /// puts them: the average owner's (this node stores `R/N` of the cluster's records, so its
    /// unfinished ones over `R`), a quarter more, and a few so that an idle cluster is not strict.
    func ownershipShare(members: Int) -> Int {
        let average = replica.records.unfinished / max(1, min(settings.replicationFactor, members))
        return average + average / 4 + 8
    }

    /// Assessments this node owns (`OwnerRole.backlog`). A takeover adds the dead owner's without a
    /// limit, as they are not optional.
    package var backlog: Int { owner.backlog }
}
