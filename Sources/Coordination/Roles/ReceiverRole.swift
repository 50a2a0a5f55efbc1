import FoundationEssentials

/// A node's receiving role (docs/coordination.md, "Roles"): submissions and cancellations its
/// clients made that went to another node, their owner, and the clients still waiting for the answer.
///
/// The core decides where a submission goes (quorum and placement read membership); this role keeps
/// what was sent until the owner answers, the deadline passes or the owner is gone, and answers the
/// client then.
struct ReceiverRole: Sendable {
    enum Action: Sendable {
        case answerSubmit(clientID: UInt64, SubmitAnswer)
        case answerCancel(clientID: UInt64, CancelAnswer)
        case send(CoordinationMessage, to: String)
    }

    /// A submission to place again, as the client made it (see `ownerLost`).
    struct Submission: Sendable {
        var clientID: UInt64
        var id: String
        var request: Data
        var idempotencyKey: String?
        var tenant: String?
        var title: String?
    }

    private(set) var forwarded: [UInt64: Forwarded] = [:]

    mutating func forward(
        _ submission: Submission, as requestID: UInt64, to owner: String, createdAt: Date, deadline: Duration
    ) -> [Action] {
        forwarded[requestID] = Forwarded(
            clientID: submission.clientID, owner: owner,
            kind: .submit(
                id: submission.id, request: submission.request, idempotencyKey: submission.idempotencyKey,
                tenant: submission.tenant, title: submission.title),
            deadline: deadline)
        return [
            .send(
                .submit(
                    requestID: requestID, id: submission.id, request: submission.request,
                    idempotencyKey: submission.idempotencyKey, createdAt: createdAt, tenant: submission.tenant,
                    title: submission.title),
                to: owner)
        ]
    }

    mutating func forwardCancel(
        clientID: UInt64, id: String, as requestID: UInt64, to owner: String, deadline: Duration
    ) -> [Action] {
        forwarded[requestID] = Forwarded(clientID: clientID, owner: owner, kind: .cancel(id: id), deadline: deadline)
        return [.send(.cancel(requestID: requestID, id: id), to: owner)]
    }

    mutating func submitAnswered(_ requestID: UInt64, _ answer: SubmitAnswer) -> [Action] {
        guard let request = forwarded.removeValue(forKey: requestID) else { return [] }
        return [.answerSubmit(clientID: request.clientID, answer)]
    }

    mutating func cancelAnswered(_ requestID: UInt64, _ answer: CancelAnswer) -> [Action] {
        guard let request = forwarded.removeValue(forKey: requestID) else { return [] }
        return [.answerCancel(clientID: request.clientID, answer)]
    }

    /// Requests whose owner did not answer in time, or that `isAlive` says is gone: answered
    /// "unavailable", in the order they were sent.
    mutating func expire(at now: Duration, isAlive: (String) -> Bool) -> [Action] {
        var actions: [Action] = []
        for (requestID, request) in forwarded.sorted(by: { $0.key < $1.key })
        where request.deadline <= now || !isAlive(request.owner) {
            forwarded[requestID] = nil
            let reason = "owner \(request.owner) did not answer"
            switch request.kind {
            case .submit: actions.append(.answerSubmit(clientID: request.clientID, .unavailable(reason)))
            case .cancel: actions.append(.answerCancel(clientID: request.clientID, .unavailable(reason)))
            }
        }
        return actions
    }

    /// The owner these submissions went to dropped its connection: they are forgotten here and
    /// returned, in the order they were sent, for the core to place again (the id, hence any
    /// idempotency, is kept). Cancellations wait for their answer or deadline.
    mutating func ownerLost(_ peer: String) -> [Submission] {
        var again: [Submission] = []
        for (requestID, request) in forwarded.sorted(by: { $0.key < $1.key }) where request.owner == peer {
            guard case .submit(let id, let body, let key, let tenant, let title) = request.kind else { continue }
            forwarded[requestID] = nil
            again.append(
                Submission(
                    clientID: request.clientID, id: id, request: body, idempotencyKey: key, tenant: tenant, title: title
                ))
        }
        return again
    }
}
