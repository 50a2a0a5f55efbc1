import Foundation
import Membership
import Storage

@testable import Coordination
@testable import CoordinationSimulation

/// A few cores wired by hand: messages wait in `inflight` until delivered, so a test decides what
/// arrives, what is lost and when time passes. Stores apply the same rule as every backend.
struct Harness {
    var cores: [String: CoordinatorCore] = [:]
    var stores: [String: SimStore] = [:]
    var now: Duration = .zero
    var inflight: [(from: String, to: String, message: CoordinationMessage)] = []
    var completions: [(node: String, event: CoordinatorEvent)] = []
    /// Nodes cut off: whatever they send or are sent is lost.
    var cut: Set<String> = []
    var submitAnswers: [UInt64: SubmitAnswer] = [:]
    var cancelAnswers: [UInt64: CancelAnswer] = [:]
    /// Tasks each node's worker was told to run, in order.
    var executed: [String: [TaskAssignment]] = [:]
    /// Replica writes each node stored or checked, in order.
    var applied: [String: [ReplicaWrite]] = [:]
    var abandoned: [String: [TaskKey]] = [:]
    var deletions: [String: [Date]] = [:]
    let settings: CoordinationSettings

    init(nodes: [String], settings: CoordinationSettings = SimAgents.settings()) {
        self.settings = settings
        for (offset, node) in nodes.enumerated() {
            cores[node] = CoordinatorCore(name: node, settings: settings, seed: UInt64(offset + 1))
            stores[node] = SimStore()
        }
        let view = Dictionary(uniqueKeysWithValues: nodes.map { ($0, SWIM.Status.up) })
        for node in nodes {
            feed(node, .loaded([]))
            feed(node, .membership(view))
            feed(node, .heard(Set(nodes)))
            feed(node, .settled)
        }
    }

    var moment: Moment { Moment(uptime: now, wall: Date(timeIntervalSince1970: 1_000_000 + now / .seconds(1))) }

    mutating func feed(_ node: String, _ event: CoordinatorEvent) {
        guard var core = cores[node] else { return }
        let directives = core.handle(event, at: moment)
        cores[node] = core
        for directive in directives { run(directive, at: node) }
    }

    mutating func run(_ directive: CoordinatorDirective, at node: String) {
        switch directive {
        case .send(let message, let target): inflight.append((node, target, message))
        case .apply(let write, let replyTo):
            applied[node, default: []].append(write)
            let outcome = stores[node]!.replicate(write.replicated)
            completions.append((node, .applied(write, replyTo: replyTo, .success(outcome))))
        case .readForPromise(let id, let epoch, let claimant):
            let store = stores[node]!
            completions.append(
                (
                    node,
                    .promiseRead(
                        id: id, epoch: epoch, claimant: claimant, record: store.read(id),
                        results: store.results(of: id))
                ))
        case .readForRelay(let id, let target):
            let store = stores[node]!
            completions.append(
                (node, .relayRead(id: id, to: target, record: store.read(id), results: store.results(of: id))))
        case .readFinal(let id, let writeID, let replyTo):
            completions.append(
                (node, .finalRead(id: id, writeID: writeID, replyTo: replyTo, record: stores[node]!.read(id))))
        case .execute(let assignment): executed[node, default: []].append(assignment)
        case .abandon(let key): abandoned[node, default: []].append(key)
        case .answerSubmit(let client, let answer): submitAnswers[client] = answer
        case .answerCancel(let client, let answer): cancelAnswers[client] = answer
        case .deleteExpired(let cutoff):
            _ = stores[node]!.deleteExpired(before: cutoff)
            deletions[node, default: []].append(cutoff)
        case .log: break
        }
    }

    /// Delivers messages and store completions until nothing is left, dropping what a cut touches and
    /// what `drop` picks.
    mutating func settle(
        limit: Int = 100_000,
        dropping drop: (_ from: String, _ message: CoordinationMessage) -> Bool = { _, _ in false }
    ) {
        var steps = 0
        while steps < limit, !inflight.isEmpty || !completions.isEmpty {
            steps += 1
            if !completions.isEmpty {
                let (node, event) = completions.removeFirst()
                feed(node, event)
                continue
            }
            let (from, to, message) = inflight.removeFirst()
            guard !cut.contains(from), !cut.contains(to), !drop(from, message) else { continue }
            feed(to, .received(Envelope(from: from, message: message)))
        }
    }

    /// Time passes: every node not cut off ticks, then everything settles.
    mutating func advance(by duration: Duration, step: Duration = .milliseconds(50)) {
        let end = now + duration
        while now < end {
            now = min(end, now + step)
            for node in cores.keys.sorted() where !cut.contains(node) { feed(node, .tick) }
            settle()
        }
    }

    mutating func setView(_ view: [String: SWIM.Status], at nodes: [String]) {
        for node in nodes { feed(node, .membership(view)) }
    }

    /// The worker finishes a task it was given, successfully with the simulation's agent, or throwing.
    mutating func complete(_ assignment: TaskAssignment, on node: String, throwing: Bool = false) {
        let outcome: TaskOutcome
        if throwing {
            outcome = .threw("boom")
        } else {
            let output = SimAgents.output(
                request: assignment.request, agent: assignment.key.agent, inputs: assignment.inputs.map(\.payload))
            outcome = .succeeded(digest: output.digest, payload: output.payload)
        }
        feed(node, .executed(assignment.key, outcome))
        settle()
    }

    /// How a task handed out ends in `runTasks`.
    enum TaskFate {
        case succeed
        case fail
        /// Not run: it stays with its worker.
        case hold
    }

    /// Runs the tasks handed out, round after round (each round then lets `pause` pass); `decide` sees
    /// each task and its worker first and says how it ends.
    mutating func runTasks(
        rounds: Int = 20, pause: Duration = .zero, _ decide: (TaskAssignment, String) -> TaskFate
    ) {
        for _ in 0..<rounds {
            for node in executed.keys.sorted() {
                let tasks = executed[node] ?? []
                executed[node] = []
                for task in tasks {
                    switch decide(task, node) {
                    case .succeed: complete(task, on: node)
                    case .fail: complete(task, on: node, throwing: true)
                    case .hold: break
                    }
                }
            }
            if pause > .zero { advance(by: pause) }
        }
    }

    /// Runs every task handed out until none is left (tasks of cut nodes stay unfinished).
    mutating func runAllTasks(rounds: Int = 20) {
        for _ in 0..<rounds {
            var ran = false
            for node in executed.keys.sorted() where !cut.contains(node) {
                let tasks = executed[node] ?? []
                executed[node] = []
                for task in tasks {
                    ran = true
                    complete(task, on: node)
                }
            }
            if !ran { return }
        }
    }

    /// An id whose rendezvous ranking over `members` starts with `owner`, then `second` when given.
    static func id(ownedBy owner: String, then second: String? = nil, over members: [String]) -> String {
        for n in 0..<100_000 {
            let id = "test-\(n)"
            let rank = Placement.rank(id, over: members)
            if rank.first == owner, second.map({ rank[1] == $0 }) ?? true { return id }
        }
        fatalError("no id found")
    }

    func record(_ id: String, on node: String) -> AssessmentRecord? { stores[node]?.read(id) }

    /// `node` is cut off, and seen by the others as `status`, while every task handed out runs to
    /// its end: the assessments finish without it, which keeps what it had.
    mutating func finishWithout(_ node: String, seenAs status: SWIM.Status) {
        cut.insert(node)
        var view = Dictionary(uniqueKeysWithValues: cores.keys.map { ($0, SWIM.Status.up) })
        view[node] = status
        setView(view, at: cores.keys.filter { $0 != node }.sorted())
        runTasks(rounds: 400, pause: .milliseconds(20)) { _, _ in .succeed }
    }

    /// Submits `count` assessments owned by `owner` through `via`, each with an id from `prefix`.
    mutating func submitOwned(by owner: String, count: Int, via: String, prefix: String) -> [String] {
        let members = cores.keys.sorted()
        let ids = Array(
            (0..<10_000).map { "\(prefix)-\($0)" }.filter { Placement.rank($0, over: members).first == owner }
                .prefix(count))
        for (client, id) in ids.enumerated() {
            feed(
                via,
                .clientSubmit(clientID: UInt64(client), id: id, request: Data("r\(client)".utf8), idempotencyKey: nil))
        }
        settle()
        return ids
    }

    /// `node` crashed and starts again on its store, seeing `view`: what was in flight to it is lost.
    mutating func restart(_ node: String, seeing view: [String: SWIM.Status]) {
        inflight.removeAll { $0.to == node || $0.from == node }
        completions.removeAll { $0.node == node }
        executed[node] = []
        cores[node] = CoordinatorCore(name: node, settings: settings, seed: UInt64(now / .milliseconds(1)))
        feed(node, .loaded(stores[node]!.versions()))
        feed(node, .membership(view))
        feed(node, .heard(Set(view.keys)))
        feed(node, .settled)
    }
}
