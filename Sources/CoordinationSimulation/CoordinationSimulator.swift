import Coordination
import FoundationEssentials
import Membership
import Simulation
import Storage

/// The whole coordination layer of a cluster in one process, on a virtual clock.
///
/// Every node runs a real `CoordinatorCore` over a synchronous store that survives its crashes, and
/// a real `SWIM.Instance` driven by the membership `Simulator`, whose views feed the cores as the
/// shell's would. Coordination messages travel on per-pair connections that are FIFO per lane (as TCP
/// is) and lose what is in flight only when a crash or a partition breaks the connection. Every
/// choice derives from the seed, and events at one instant run in the order they were scheduled, so
/// a seed replays exactly.
package final class CoordinationSimulator {
    package let seed: UInt64
    package let scenario: CoordinationScenario
    let settings: CoordinationSettings
    /// See `staleCopies()`; nil when the run ended in a violation before they were counted.
    var staleCopiesAtEnd: Int?
    /// When every acknowledged assessment was final (or the recovery limit passed).
    var quietAt: Duration?
    let membership: Simulator
    let profile: SeedProfile
    var random: SeededRandom
    var queue = EventQueue<Item>()
    package internal(set) var now: Duration = .zero
    var nodes: [SimNode] = []
    var names: [String] = []
    var index: [String: Int] = [:]
    /// Partition side of each node; absent nodes share side 0.
    var sides: [Int: Int] = [:]
    var partitionStarted: Duration?
    /// The node that stayed down when the faults stopped, on seeds that lose one for good.
    var lostForGood: Int?
    /// Per unordered pair: bumped when the connection breaks, which drops what is in flight on it.
    var connections: [Pair: UInt64] = [:]
    /// Per directed lane: when its last message arrives, so later ones never overtake it.
    var laneTail: [Lane: Duration] = [:]
    var checker: InvariantChecker
    let clients = ClientBook()
    let faults = FaultBook()
    /// Counters of cores that crashed, so the totals survive them.
    var retiredCounters: [CoordinationCounters] = []
    package internal(set) var trace: [String] = []
    /// Keeps the last lines of every node's log for a failure report.
    package var keepsTrace = false

    struct SimNode {
        var core: CoordinatorCore?
        var store = SimStore()
        /// Bumped at every crash and restart: events of an old process are dropped.
        var process: UInt64 = 0
        var pausedUntil: Duration?
        /// What a paused node's sockets and threads hold until it resumes, in order.
        var buffered: [CoordinatorEvent] = []
        var tickGeneration: UInt64 = 0
        var settled = false
        var lastView: [String: SWIM.Status] = [:]
        var lastHeard: Set<String>? = nil
        /// Tasks this node's worker runs, and the ones abandoned (their completion is dropped).
        var running: Set<TaskKey> = []
        var storeTail: Duration = .zero
    }

    struct Pair: Hashable {
        var low: Int
        var high: Int
        init(_ a: Int, _ b: Int) { (low, high) = a < b ? (a, b) : (b, a) }
    }

    struct Lane: Hashable {
        var from: Int
        var to: Int
        var control: Bool
    }

    enum Item {
        case tick(Int, generation: UInt64)
        case deliver(Envelope, from: Int, to: Int, connection: UInt64, process: UInt64)
        /// A completion the shell feeds back (store, worker) or a transport notice, for one process.
        case local(Int, process: UInt64, CoordinatorEvent)
        case resume(Int, process: UInt64)
        case fault
        case heal
        case restart(Int)
        case submit(ClientBook.Submission)
        case cancel(String, tries: Int)
    }

    package init(seed: UInt64, scenario: CoordinationScenario = CoordinationScenario()) {
        self.seed = seed
        self.scenario = scenario
        var settings = SimAgents.settings()
        settings.backlogLimit = scenario.backlogLimit
        self.settings = settings
        var random = SeededRandom(seed: seed)
        var profile = SeedProfile(random: &random)
        // From a generator of its own, so that the seeds' other choices stay what they were.
        var lossRandom = SeededRandom(seed: ~seed)
        profile.losesANodeForGood = lossRandom.unit() < 0.25
        self.profile = profile
        membership = Simulator(
            seed: random.next(), network: NetworkConditions(loss: profile.membershipLoss))
        membership.crashClosesConnections = true
        self.random = random
        checker = InvariantChecker(
            nodes: scenario.nodes, settings: settings,
            detectionWindow: membership.settings.detectionBound(members: scenario.nodes))
    }

    // MARK: - Running

    /// Runs the fault phase, heals everything, runs until every acknowledged assessment is final (or
    /// the recovery limit), checks the end invariants and returns what happened.
    package func run() -> SeedOutcome {
        start()
        advance(until: scenario.faultPhase)
        if checker.violation == nil {
            endFaults()
            let deadline = now + scenario.recoveryLimit
            var nextCheck = now
            while checker.violation == nil, now < deadline {
                nextCheck += .seconds(1)
                advance(until: nextCheck)
                if isQuiescent { break }
            }
            quietAt = now
            if checker.violation == nil { checker.finalCheck(self) }
            // Replicas that missed a final write while down or cut off ask its owner once they have
            // heard nothing for `quietCheck`: after that much more quiet time, none may be left.
            if checker.violation == nil {
                let grace = settings.quietCheck + .seconds(3)
                advance(until: now + grace)
                let stale = staleCopies()
                staleCopiesAtEnd = stale.count
                if let first = stale.first {
                    checker.fail(
                        "final state missed",
                        "\(first.id) is finished but unfinished on \(first.node), a running replica, \(grace) after "
                            + "the end (\(stale.count) such copies)", in: self)
                }
            }
        }
        if keepsTrace, let violation = checker.violation {
            for node in nodes.indices {
                let view = nodes[node].lastView.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.rawValue)" }
                log("\(names[node]) sees \(view.joined(separator: ", "))")
                if let instance = membership.instance(node) {
                    let uids = instance.members.map { "\($0.id) \($0.status.rawValue) #\($0.incarnation)" }
                    log(
                        "\(names[node]) as \(instance.myself) (\(instance.status.rawValue)): \(uids.joined(separator: "; "))"
                    )
                }
            }
            // Every node's view of the assessments the violation names.
            for id in checker.acknowledged.keys.sorted() where violation.detail.contains(id) {
                for node in nodes.indices {
                    let core = nodes[node].core.map { $0.describe(id) } ?? "down"
                    let stored = nodes[node].store.read(id).map { "\($0.status.rawValue) at \($0.recordVersion)" }
                    log("\(names[node]) [\(id)] stores \(stored ?? "nothing"); \(core)")
                }
            }
        }
        return outcome()
    }

    func start() {
        // Every node lists every other as a seed, as `cluster-up` starts them (before forming the
        // cluster, or the first nodes would know node-0 alone).
        membership.seedNodes = Array(0..<scenario.nodes)
        membership.formCluster(size: scenario.nodes)
        for node in 0..<scenario.nodes {
            let address = Simulator.address(of: node)
            names.append(address.name)
            index[address.name] = node
            nodes.append(SimNode())
        }
        for node in 0..<scenario.nodes { boot(node) }
        clients.plan(self)
        queue.push(.fault, at: nextFaultGap())
    }

    func advance(until end: Duration) {
        while checker.violation == nil, let next = queue.nextTime, next <= end, let (time, item) = queue.pop() {
            now = time
            membership.run(until: now)
            process(item)
        }
        if checker.violation == nil {
            now = max(now, end)
            membership.run(until: now)
        }
    }

    func process(_ item: Item) {
        switch item {
        case .tick(let node, let generation):
            guard nodes[node].tickGeneration == generation, nodes[node].core != nil else { return }
            guard nodes[node].pausedUntil == nil else { return }
            tick(node)
            queue.push(.tick(node, generation: generation), at: now + scenario.tickInterval)
        case .deliver(let envelope, let from, let to, let connection, let process):
            guard nodes[to].process == process, connections[Pair(from, to), default: 0] == connection else { return }
            feed(to, .received(envelope))
        case .local(let node, let process, let event):
            guard nodes[node].process == process else { return }
            feed(node, event)
        case .resume(let node, let process):
            guard nodes[node].process == process else { return }
            resume(node)
        case .fault: injectFault()
        case .heal: heal()
        case .restart(let node): restart(node)
        case .submit(let submission): clients.submit(submission, in: self)
        case .cancel(let id, let tries): clients.cancel(id, tries: tries, in: self)
        }
    }

    /// Feeds `event` to the node's core, or keeps it for when a paused node resumes.
    func feed(_ node: Int, _ event: CoordinatorEvent) {
        guard nodes[node].core != nil else { return }
        if nodes[node].pausedUntil != nil {
            nodes[node].buffered.append(event)
            return
        }
        if case .executed(let key, _) = event {
            // An abandoned task's completion is not fed (the directive's contract).
            guard nodes[node].running.remove(key) != nil else { return }
        }
        handle(node, event)
    }

    func handle(_ node: Int, _ event: CoordinatorEvent) {
        guard var core = nodes[node].core else { return }
        let directives = core.handle(event, at: moment)
        nodes[node].core = core
        for directive in directives {
            execute(directive, at: node)
            if checker.violation != nil { return }
        }
    }

    var moment: Moment {
        Moment(uptime: now, wall: Date(timeIntervalSince1970: 1_750_000_000 + now / .seconds(1)))
    }

    /// What the shell does every tick: pass on a changed membership view, say when it settled.
    func tick(_ node: Int) {
        if let instance = membership.instance(node) {
            let view = Self.view(of: instance)
            if view != nodes[node].lastView {
                nodes[node].lastView = view
                handle(node, .membership(view))
            }
            let lease = settings.contactLease(
                members: instance.liveMemberCount, probeInterval: instance.settings.probeInterval)
            let heard = instance.heard(within: lease, at: now)
            if heard != nodes[node].lastHeard {
                nodes[node].lastHeard = heard
                handle(node, .heard(heard))
            }
            if !nodes[node].settled, instance.status == .up {
                nodes[node].settled = true
                handle(node, .settled)
            }
        }
        handle(node, .tick)
    }

    /// The view by node name: a restarted node has a new uid beside its old one's tombstone, and the
    /// name is as alive as its most alive uid.
    static func view(of instance: SWIM.Instance) -> [String: SWIM.Status] {
        func rank(_ status: SWIM.Status) -> Int {
            switch status {
            case .up: 4
            case .joining: 3
            case .suspect: 2
            case .down: 1
            case .left: 0
            }
        }
        var view: [String: SWIM.Status] = [:]
        for member in instance.members {
            let name = member.id.address.name
            if let current = view[name], rank(current) >= rank(member.status) { continue }
            view[name] = member.status
        }
        return view
    }

    // MARK: - Node lifecycle

    /// Starts a process on `node` over its store: a new core, fed what the store holds.
    func boot(_ node: Int) {
        nodes[node].process += 1
        nodes[node].core = CoordinatorCore(name: names[node], settings: settings, seed: random.next())
        nodes[node].settled = false
        nodes[node].lastView = [:]
        nodes[node].lastHeard = nil
        nodes[node].pausedUntil = nil
        nodes[node].buffered = []
        nodes[node].running = []
        handle(node, .loaded(nodes[node].store.versions()))
        nodes[node].tickGeneration += 1
        queue.push(.tick(node, generation: nodes[node].tickGeneration), at: now)
    }

    /// Every acknowledged assessment is final on a majority of its replica set, in running nodes' stores
    /// (a node lost for good may hold a final copy nobody else has).
    var isQuiescent: Bool {
        checker.acknowledged.keys.allSatisfy { id in
            if isStrandedByTheLoss(id) { return true }
            guard let record = newestRecord(id, runningOnly: true), record.status.isTerminal else { return false }
            // As the final check: a record whose replica set's majority crashed at once must end, but
            // need not be back on a majority (one seed counted 600 s for such records).
            if checker.beyondPromise.contains(id) { return true }
            let holders = record.replicaSet.filter { name in
                index[name].map { nodes[$0].core != nil && nodes[$0].store.read(id)?.status.isTerminal == true }
                    ?? false
            }
            return holders.count * 2 > record.replicaSet.count
        }
    }

    /// The node lost for good is half of the replica set the running nodes know, or of a set the
    /// record's move leaves (a set placed while only two members were up, in a cluster of three): no
    /// majority can be had again, which replication does not promise. (Stores survive crashes here,
    /// so of a set of three the two survivors always make a majority, even for records a double crash
    /// had made unavailable.)
    func isStrandedByTheLoss(_ id: String) -> Bool {
        guard let lost = lostForGood, let record = newestRecord(id, runningOnly: true) else { return false }
        return record.recordVersion.quorumSets.contains { $0.contains(names[lost]) && $0.count <= 2 }
    }

    /// The newest version of a record in any store, crashed nodes' included (the simulation sees all),
    /// or in running nodes' stores only.
    func newestRecord(_ id: String, runningOnly: Bool = false) -> AssessmentRecord? {
        nodes.filter { !runningOnly || $0.core != nil }.compactMap { $0.store.read(id) }.max {
            $0.recordVersion < $1.recordVersion
        }
    }

    func log(_ line: @autoclosure () -> String) {
        guard keepsTrace else { return }
        trace.append("\(now) \(line())")
    }
}
