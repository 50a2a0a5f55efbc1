import Coordination
import FoundationEssentials
import Membership

/// The clients: submissions to random nodes (some with an idempotency key, some repeated on another
/// node), retries after "unavailable", and cancellations of some acknowledged assessments.
final class ClientBook {
    struct Submission {
        var number: Int
        var request: Data
        var key: String?
        /// Unkeyed submissions get a fresh id per try from the receiving node's `keylessID`.
        var id: String
        var tries = 0
        var cancels: Bool
    }

    private var pending: [UInt64: (submission: Submission, node: Int)] = [:]
    private var cancelling: [UInt64: (id: String, tries: Int)] = [:]
    private var nextClient: UInt64 = 1
    private(set) var answered = 0
    private(set) var unavailable = 0
    /// Submissions an owner at its backlog limit refused (retried like the unavailable ones).
    private(set) var busy = 0

    /// Schedules the seed's submissions over the fault phase.
    func plan(_ sim: CoordinationSimulator) {
        for number in 0..<sim.scenario.submissions {
            let request = Data("request \(sim.seed)/\(number) \(sim.random.next())".utf8)
            let keyed = sim.random.unit() < sim.profile.keyedChance
            let key = keyed ? "key-\(number)" : nil
            let submission = Submission(
                number: number, request: request, key: key, id: Self.id(for: key, sim: sim),
                cancels: sim.random.unit() < sim.profile.cancelChance)
            let at = .milliseconds(200) + sim.scenario.faultPhase * (0.9 * sim.random.unit())
            sim.queue.push(.submit(submission), at: at)
            // Some clients send the same keyed request twice, to another node, before the answer.
            if keyed, sim.random.unit() < 0.15 {
                sim.queue.push(.submit(submission), at: at + .milliseconds(300) * sim.random.unit())
            }
        }
    }

    /// The id a receiving node assigns: derived from the idempotency key, so every node picks the same.
    static func id(for key: String?, sim: CoordinationSimulator) -> String {
        guard let key else { return "a-" + String(sim.random.next(), radix: 16) }
        var hash = Hash64()
        hash.add(Data(key.utf8))
        return "k-" + String(hash.value, radix: 16)
    }

    func submit(_ submission: Submission, in sim: CoordinationSimulator) {
        let node = Int(sim.random.next() % UInt64(sim.nodes.count))
        guard let core = sim.nodes[node].core else {
            // Connection refused: try again shortly, as a client library would.
            retry(submission, after: .milliseconds(500), in: sim)
            return
        }
        var submission = submission
        if submission.key == nil {
            submission.id = core.keylessID { Self.id(for: nil, sim: sim) }
        }
        let client = nextClient
        nextClient += 1
        pending[client] = (submission, node)
        sim.checker.submitted(submission.id, request: submission.request)
        sim.feed(
            node,
            .clientSubmit(
                clientID: client, id: submission.id, request: submission.request, idempotencyKey: submission.key))
    }

    /// The receiving node died: its clients see the connection reset and try again elsewhere.
    func nodeCrashed(_ node: Int, in sim: CoordinationSimulator) {
        for client in pending.keys.sorted() where pending[client]?.node == node {
            if let (submission, _) = pending.removeValue(forKey: client) {
                retry(submission, after: .milliseconds(500), in: sim)
            }
        }
    }

    private func retry(_ submission: Submission, after delay: Duration, in sim: CoordinationSimulator) {
        guard submission.tries < 40 else { return }
        var next = submission
        next.tries += 1
        sim.queue.push(.submit(next), at: sim.now + delay)
    }

    func answered(_ client: UInt64, _ answer: SubmitAnswer, at node: Int, in sim: CoordinationSimulator) {
        guard let (submission, _) = pending.removeValue(forKey: client) else { return }
        answered += 1
        switch answer {
        case .accepted(let id, _):
            sim.checker.acknowledged(id, expected: submission.id, request: submission.request, by: node, in: sim)
            if submission.cancels {
                sim.queue.push(.cancel(id, tries: 0), at: sim.now + .seconds(3) * sim.random.unit())
            }
        case .unavailable:
            unavailable += 1
            retry(submission, after: .seconds(1), in: sim)
        case .busy:
            busy += 1
            retry(submission, after: .seconds(1), in: sim)
        }
    }

    /// The shell finds the record's owner by reading the replica set; here, the newest live copy.
    func cancel(_ id: String, tries: Int, in sim: CoordinationSimulator) {
        let live = sim.nodes.indices.filter { sim.nodes[$0].core != nil && sim.nodes[$0].pausedUntil == nil }
        guard !live.isEmpty, tries < 20 else { return }
        let node = live[Int(sim.random.next() % UInt64(live.count))]
        let reachable = live.filter { sim.connected($0, node) }
        let newest = reachable.compactMap { sim.nodes[$0].store.read(id) }.max { $0.recordVersion < $1.recordVersion }
        guard let owner = newest?.replicaSet.first else {
            sim.queue.push(.cancel(id, tries: tries + 1), at: sim.now + .seconds(1))
            return
        }
        let client = nextClient
        nextClient += 1
        cancelling[client] = (id, tries)
        sim.checker.cancelRequested(id)
        sim.feed(node, .clientCancel(clientID: client, id: id, owner: owner))
    }

    func cancelAnswered(_ client: UInt64, _ answer: CancelAnswer, in sim: CoordinationSimulator) {
        guard let (id, tries) = cancelling.removeValue(forKey: client) else { return }
        switch answer {
        case .cancelled: sim.checker.cancelConfirmed(id)
        case .alreadyFinal, .notFound: break
        case .unavailable: sim.queue.push(.cancel(id, tries: tries + 1), at: sim.now + .seconds(1))
        }
    }
}
