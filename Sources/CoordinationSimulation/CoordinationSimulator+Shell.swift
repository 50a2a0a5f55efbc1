import Coordination
import FoundationEssentials
import Membership
import Storage

/// What each node's shell does with its core's directives, and the network between the nodes.
extension CoordinationSimulator {
    func execute(_ directive: CoordinatorDirective, at node: Int) {
        switch directive {
        case .send(let message, let target):
            checker.sending(message, from: node, in: self)
            send(message, from: node, to: target)
        case .apply(let write, let replyTo):
            let before = nodes[node].store.read(write.record.id)
            let outcome = nodes[node].store.replicate(write.replicated)
            // What the store holds now (a write without its request kept the stored one).
            let record = nodes[node].store.read(write.record.id) ?? write.record
            checker.stored(record, outcome: outcome, before: before, at: node, in: self)
            complete(node, .applied(write, replyTo: replyTo, .success(outcome)))
        case .readForPromise(let id, let epoch, let claimant):
            let store = nodes[node].store
            complete(
                node,
                .promiseRead(
                    id: id, epoch: epoch, claimant: claimant, record: store.read(id), results: store.results(of: id)))
        case .readForRelay(let id, let target):
            let store = nodes[node].store
            complete(node, .relayRead(id: id, to: target, record: store.read(id), results: store.results(of: id)))
        case .readFinal(let id, let writeID, let replyTo):
            complete(node, .finalRead(id: id, writeID: writeID, replyTo: replyTo, record: nodes[node].store.read(id)))
        case .execute(let assignment):
            startTask(assignment, at: node)
        case .abandon(let key):
            nodes[node].running.remove(key)
        case .answerSubmit(let clientID, let answer):
            clients.answered(clientID, answer, at: node, in: self)
        case .answerCancel(let clientID, let answer):
            clients.cancelAnswered(clientID, answer, in: self)
        case .deleteExpired(let cutoff):
            let removed = nodes[node].store.deleteExpired(before: cutoff)
            checker.expired(removed, at: node)
        case .log(let entry):
            log("\(names[node]) \(entry)")
        }
    }

    /// A store operation completes after a seeded fsync; the store is serial, so completions of one
    /// node come back in the order they were asked for.
    func complete(_ node: Int, _ event: CoordinatorEvent) {
        let at = max(now + .microseconds(100) + .microseconds(900) * random.unit(), nodes[node].storeTail)
        nodes[node].storeTail = at
        queue.push(.local(node, process: nodes[node].process, event), at: at)
    }

    /// The worker runs a deterministic agent for a seeded time; on some seeds the agent throws.
    func startTask(_ assignment: TaskAssignment, at node: Int) {
        let key = assignment.key
        checker.executing(key, owner: assignment.owner, at: node, in: self)
        faults.taskStarted(key, at: now)
        nodes[node].running.insert(key)
        var duration = .milliseconds(100) + .milliseconds(1400) * random.unit()
        if random.unit() < 0.05 { duration += .seconds(2) + .seconds(4) * random.unit() }
        let outcome: TaskOutcome
        let throwing =
            profile.injectsAgentErrors
            ? SimAgents.throwingAttempts(id: key.assessmentID, agent: key.agent, seed: seed) : 0
        if key.attempt <= throwing {
            faults.count(.agentError)
            outcome = .threw("injected failure of \(key.agent) attempt \(key.attempt)")
        } else {
            let output = SimAgents.output(
                request: assignment.request, agent: key.agent, inputs: assignment.inputs.map(\.payload))
            outcome = .succeeded(digest: output.digest, payload: output.payload)
        }
        queue.push(.local(node, process: nodes[node].process, .executed(key, outcome)), at: now + duration)
    }

    // MARK: - Network

    func connected(_ a: Int, _ b: Int) -> Bool { sides[a, default: 0] == sides[b, default: 0] }

    /// Sends on the pair's connection: lost only if the peer is not running or the link is cut;
    /// otherwise delivered after its lane's previous message, as TCP would.
    func send(_ message: CoordinationMessage, from: Int, to target: String) {
        guard let to = index[target], nodes[to].core != nil, connected(from, to) else { return }
        let lane = Lane(from: from, to: to, control: message.travelsOnControlLane)
        var delay = .microseconds(200) + .microseconds(1800) * random.unit()
        if random.unit() < profile.slowMessageChance { delay += .milliseconds(500) * random.unit() }
        let at = max(now + delay, laneTail[lane] ?? .zero)
        laneTail[lane] = at
        let envelope = Envelope(from: names[from], message: message)
        queue.push(
            .deliver(
                envelope, from: from, to: to, connection: connections[Pair(from, to), default: 0],
                process: nodes[to].process),
            at: at)
    }

    /// The connection between `a` and `b` broke: what is in flight is lost, and each live end's
    /// transport tells its core after `detection` (a reset arrives at once, a cut link times out).
    func breakConnection(_ a: Int, _ b: Int, detection: Duration) {
        connections[Pair(a, b), default: 0] += 1
        for (observer, lost) in [(a, b), (b, a)] where nodes[observer].core != nil {
            queue.push(
                .local(observer, process: nodes[observer].process, .peerLost(names[lost])), at: now + detection)
        }
    }
}
