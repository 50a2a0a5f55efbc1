import FoundationEssentials
import Storage

/// Submissions and cancellations: taken by any node, decided by the owner.
extension CoordinatorCore {
    mutating func clientSubmit(
        clientID: UInt64, id: String, request: Data, idempotencyKey: String?, tenant: String? = nil,
        title: String? = nil
    ) {
        guard hasSubmissionQuorum else {
            emit(.answerSubmit(clientID: clientID, .unavailable(submissionQuorumProblem)))
            return
        }
        guard let owner = Placement.rank(id, over: upMembers).first else {
            emit(.answerSubmit(clientID: clientID, .unavailable("no member is up")))
            return
        }
        if owner == name {
            ownerSubmit(
                .local(clientID: clientID), id: id, request: request, idempotencyKey: idempotencyKey,
                tenant: tenant, title: title, createdAt: now.wall)
            return
        }
        let submission = ReceiverRole.Submission(
            clientID: clientID, id: id, request: request, idempotencyKey: idempotencyKey, tenant: tenant, title: title)
        perform(
            receiver.forward(
                submission, as: number(), to: owner, createdAt: now.wall, deadline: now.uptime + settings.submitTimeout)
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

    /// The id this node gives a submission without an idempotency key (docs/coordination.md, Placement: the choice is
    /// the receiving node's): one that placement ranks this node first for, drawn again until it is, so
    /// the submission is not forwarded. With 16 clients at 40/s, forwarded submissions took 3.0 ms
    /// p50 / 7.4 ms p99 and those the receiving node owned 2.0 / 5.3: one round trip fewer, and the
    /// owner's thread wake-ups. A node that holds more than its share (its clients do not spread over
    /// the cluster) draws until a peer owns the id instead, so that it sheds the excess: owning all a
    /// node receives was tried before and reverted, as one node then owned everything.
    package func keylessID(draw: () -> String) -> String {
        let first = draw()
        let members = upMembers
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
    package var shedsKeyless: Bool { keepsKeyless(members: upMembers) == false }

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
        let average = replicas.unfinished / max(1, min(settings.replicationFactor, members))
        return average + average / 4 + 8
    }

    /// Assessments this node owns: being created, queued, running or writing their final state, and
    /// finished ones it claimed only to move their replicas (until the move commits). A takeover
    /// adds the dead owner's without a limit, as they are not optional.
    package var backlog: Int { owned.count }

    var quorumProblem: String {
        let (reachable, members) = quorumCounts
        return "no quorum: this node reaches \(reachable) of \(members) members"
    }

    /// Why a submission is refused. It needs a majority `up` (`hasSubmissionQuorum`), which a node
    /// reaching a majority can lack while some are suspected: saying "reaches 5 of 5" then sent the
    /// long partition run's reader looking in the wrong place (docs/partitions.md).
    var submissionQuorumProblem: String {
        let (reachable, members) = quorumCounts
        guard reachable * 2 > members else { return quorumProblem }
        guard upMembers.count * 2 > members else {
            return "no quorum for submissions: \(upMembers.count) of \(members) members are up here "
                + "(\(reachable) reachable, the others suspected)"
        }
        let (heard, _) = contactCounts
        return "no quorum for submissions: this node heard from \(heard) of \(members) members within "
            + "its contact lease"
    }

    /// The owner's half: create the record and acknowledge once a majority of its replica set has it.
    mutating func ownerSubmit(
        _ waiter: Waiter, id: String, request: Data, idempotencyKey: String?, tenant: String? = nil,
        title: String? = nil, createdAt: Date
    ) {
        if creating[id] != nil {
            creating[id]?.append(waiter)
            return
        }
        if replicas[id] != nil {
            answerSubmit(waiter, .accepted(id: id, existing: true))
            return
        }
        guard hasSubmissionQuorum else {
            answerSubmit(waiter, .unavailable(submissionQuorumProblem))
            return
        }
        // A cluster that accepts faster than it completes only grows a queue whose every entry waits
        // longer, and admitting takes the CPU that would complete them: 16 clients submitting
        // without pause had 208 accepted and 9 completed a second. A retry of an accepted id was
        // answered above, so a refusal never hides an acknowledged assessment.
        if settings.backlogLimit > 0, backlog >= settings.backlogLimit {
            answerSubmit(waiter, .busy("the assessment's owner has \(backlog) unfinished assessments; retry later"))
            return
        }
        let others = Placement.rank(id, over: upMembers.filter { $0 != name })
        let replicaSet = [name] + others.prefix(max(0, settings.replicationFactor - 1))
        let record = AssessmentRecord(
            id: id, status: .pending, epoch: 1, version: 0, replicaSet: replicaSet, request: request,
            progress: initialProgress(), idempotencyKey: idempotencyKey, tenant: tenant, title: title,
            createdAt: createdAt,
            updatedAt: now.wall)
        var tasks: [String: TaskSlot] = [:]
        for agent in settings.allAgents { tasks[agent] = TaskSlot() }
        owned[id] = OwnedAssessment(record: record, results: [:], tasks: tasks)
        creating[id] = [waiter]
        startWrite(id, purpose: .create, results: [])
    }

    func initialProgress() -> AssessmentProgress {
        AssessmentProgress(
            percent: 0, currentStep: "queued",
            agents: settings.allAgents.map { AgentProgress(agent: $0, state: .waiting, attempt: 0) })
    }

    mutating func answerSubmit(_ waiter: Waiter, _ answer: SubmitAnswer) {
        switch waiter {
        case .local(let clientID): emit(.answerSubmit(clientID: clientID, answer))
        case .remote(let node, let requestID): send(.submitted(requestID: requestID, answer), to: node)
        }
    }

    mutating func clientCancel(clientID: UInt64, id: String, owner: String) {
        perform(
            receiver.forwardCancel(
                clientID: clientID, id: id, as: number(), to: owner, deadline: now.uptime + settings.submitTimeout))
    }

    mutating func ownerCancel(_ waiter: Waiter, id: String) {
        if var assessment = owned[id] {
            // A finished record this node took over only to move it (found by the simulation, seed
            // 2151: a cancel turned a failed assessment into a cancelled one).
            if assessment.record.status.isTerminal, assessment.phase != .finishing {
                answerCancel(waiter, .alreadyFinal(id: id))
                return
            }
            if assessment.phase == .finishing {
                if assessment.record.status == .cancelled {
                    assessment.cancelWaiters.append(waiter)
                    owned[id] = assessment
                } else {
                    answerCancel(waiter, .alreadyFinal(id: id))
                }
                return
            }
            owned[id]?.cancelWaiters.append(waiter)
            finish(id, status: .cancelled, failure: nil, report: nil)
            return
        }
        switch replicas[id] {
        case nil: answerCancel(waiter, .notFound(id: id))
        case let meta? where meta.status.isTerminal: answerCancel(waiter, .alreadyFinal(id: id))
        case _?: answerCancel(waiter, .unavailable("this node does not own \(id) now; try again"))
        }
    }

    mutating func answerCancel(_ waiter: Waiter, _ answer: CancelAnswer) {
        switch waiter {
        case .local(let clientID): emit(.answerCancel(clientID: clientID, answer))
        case .remote(let node, let requestID): send(.cancelAnswer(requestID: requestID, answer), to: node)
        }
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
}
