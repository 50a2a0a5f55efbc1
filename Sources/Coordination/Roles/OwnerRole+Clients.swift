import FoundationEssentials
import Storage

/// Submissions and cancellations, as their owner decides them (the receiving node's part is the
/// core's and `ReceiverRole`'s).
extension OwnerRole {
    /// Assessments this node owns: being created, queued, running or writing their final state, and
    /// finished ones it claimed only to move their replicas (until the move commits).
    var backlog: Int { owned.count }

    /// The owner's half: create the record and acknowledge once a majority of its replica set has it.
    mutating func ownerSubmit(
        _ waiter: Waiter, id: String, request: Data, idempotencyKey: String?, tenant: String? = nil,
        title: String? = nil, createdAt: Date, replica: ReplicaRole
    ) {
        if creating[id] != nil {
            creating[id]?.append(waiter)
            return
        }
        if replica[id] != nil {
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

    mutating func ownerCancel(_ waiter: Waiter, id: String, replica: ReplicaRole) {
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
        switch replica[id] {
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
}
