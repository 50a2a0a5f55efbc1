import Membership

/// Many `SWIM.Instance`s in one process on a virtual clock, over a seeded lossy network.
///
/// Everything random — uids, each instance's generator, every loss and delay — derives from
/// `seed`, and events at the same instant run in the order they were scheduled, so a seed
/// replays exactly. Node `i` always lives at the same address; a restart gives it a new uid.
package final class Simulator {
    package let seed: UInt64
    package let settings: SWIM.Settings
    package private(set) var now: Duration = .zero
    /// Every membership change every node observed, in order.
    package private(set) var trace: [TraceEntry] = []
    /// Addresses new and restarted nodes join through.
    package var seedNodes: [Int] = [0]
    /// Whether a crash makes every survivor's transport report the connection as lost, as a
    /// SIGKILLed process does; false models a node that silently stops answering.
    package var crashClosesConnections = false

    var network: Network
    var random: SeededRandom
    var nodes: [Node] = []
    private var queue = EventQueue<Scheduled>()
    private var nodeByAddress: [MemberAddress: Int] = [:]

    struct Node {
        var address: MemberAddress
        var instance: SWIM.Instance?
        var pausedUntil: Duration?
        var buffered: [SWIM.Message] = []
        var wakeGeneration: UInt64 = 0
        var scheduledWake: Duration?
        var messagesSent = 0
        var bytesSent = 0
    }

    enum Scheduled {
        case deliver(SWIM.Message, to: Int)
        case wake(Int, generation: UInt64)
        case action(Action)
    }

    enum Action {
        case crash(Int)
        case pause(Int, Duration)
        case resume(Int)
        case restart(Int, contact: MemberAddress?)
        case leave(Int)
        case partition([[Int]])
        case heal
        case unreachable(observer: Int, member: MemberID)
        case refused(observer: Int, member: MemberID)
    }

    package struct TraceEntry: Hashable, Sendable, CustomStringConvertible {
        package var time: Duration
        package var observer: MemberID
        package var change: SWIM.MembershipChange

        package var description: String { "\(time) \(observer) sees \(change)" }
    }

    package init(
        seed: UInt64, settings: SWIM.Settings = SWIM.Settings(),
        network: NetworkConditions = NetworkConditions()
    ) {
        self.seed = seed
        self.settings = settings
        var random = SeededRandom(seed: seed)
        self.network = Network(conditions: network, random: random.split())
        self.random = random
    }

    // MARK: - Building a cluster

    /// Adds `count` nodes that are already `up` and know each other (as after joining and one
    /// full sync), so that large clusters need not replay thousands of joins.
    package func formCluster(size count: Int) {
        let first = nodes.count
        let ids = (first..<first + count).map {
            MemberID(address: Self.address(of: $0), uid: random.next())
        }
        for (offset, id) in ids.enumerated() {
            let instance = SWIM.Instance(
                settings: settings, myself: id, seeds: seedNodes.map(Self.address(of:)),
                randomSeed: random.next(),
                formedWith: ids)
            addNode(index: first + offset, instance: instance)
        }
    }

    /// Adds one node that joins through `seedNodes` now; returns its index.
    @discardableResult
    package func addJoiningNode() -> Int {
        let index = nodes.count
        addNode(index: index, instance: makeJoiner(index: index, contact: nil))
        return index
    }

    private func addNode(index: Int, instance: SWIM.Instance) {
        let address = Self.address(of: index)
        nodes.append(Node(address: address, instance: instance))
        nodeByAddress[address] = index
        drive(index, .start)
    }

    private func makeJoiner(index: Int, contact: MemberAddress?) -> SWIM.Instance {
        // A rejoin goes through the contact alone: a seed on the losing side of a split would
        // hand the new uid the losing view, and it would carry that view's verdicts across.
        let seeds = contact.map { [$0] } ?? seedNodes.map(Self.address(of:))
        let id = MemberID(address: Self.address(of: index), uid: random.next())
        var instance = SWIM.Instance(settings: settings, myself: id, seeds: seeds, randomSeed: random.next())
        instance.healingSeeds = seedNodes.map(Self.address(of:))
        return instance
    }

    /// Simulated hosts have distinct addresses of realistic length, so byte estimates are too.
    package static func address(of index: Int) -> MemberAddress {
        MemberAddress(name: "node-\(index)", host: "10.0.\(index / 250).\(index % 250 + 1)", port: 7100)
    }

    // MARK: - Scheduling faults

    package func crash(_ node: Int, at time: Duration) { queue.push(.action(.crash(node)), at: time) }
    /// The node stops processing (timers and messages) for `duration`, then catches up.
    package func pause(_ node: Int, at time: Duration, for duration: Duration) {
        queue.push(.action(.pause(node, time + duration)), at: time)
    }
    /// Crashes the node if it runs, then starts a new process (new uid) at its address.
    package func restart(_ node: Int, at time: Duration) {
        queue.push(.action(.restart(node, contact: nil)), at: time)
    }
    package func leave(_ node: Int, at time: Duration) { queue.push(.action(.leave(node)), at: time) }
    /// Splits the network: messages between different groups are lost. Unlisted nodes form one more group.
    package func partition(_ groups: [[Int]], at time: Duration) {
        queue.push(.action(.partition(groups)), at: time)
    }
    package func heal(at time: Duration) { queue.push(.action(.heal), at: time) }

    // MARK: - Running

    package func run(until end: Duration) {
        while let next = queue.nextTime, next <= end {
            guard let (time, item) = queue.pop() else { break }
            now = time
            switch item {
            case .deliver(let message, let index):
                deliver(message, to: index)
            case .wake(let index, let generation):
                guard nodes[index].wakeGeneration == generation else { continue }
                nodes[index].scheduledWake = nil
                guard nodes[index].pausedUntil == nil else { continue }
                drive(index, .tick)
            case .action(let action):
                perform(action)
            }
        }
        now = max(now, end)
    }

    package func run(for duration: Duration) {
        run(until: now + duration)
    }

    /// Runs until `condition` holds (checked after every event) or `end`; returns whether it held.
    package func run(until end: Duration, stoppingWhen condition: () -> Bool) -> Bool {
        if condition() { return true }
        while let next = queue.nextTime, next <= end {
            run(until: next)
            if condition() { return true }
        }
        now = max(now, end)
        return condition()
    }

    private func deliver(_ message: SWIM.Message, to index: Int) {
        guard nodes[index].instance != nil else { return }
        if nodes[index].pausedUntil != nil {
            nodes[index].buffered.append(message)
        } else {
            drive(index, .received(message))
        }
    }

    private func perform(_ action: Action) {
        switch action {
        case .crash(let index):
            guard let victim = nodes[index].instance?.myself else { return }
            stop(index)
            guard crashClosesConnections else { return }
            for other in nodes.indices where other != index && nodes[other].instance != nil {
                if let delay = network.delay(from: index, to: other) {
                    queue.push(.action(.unreachable(observer: other, member: victim)), at: now + delay)
                }
            }
        case .pause(let index, let until):
            guard nodes[index].instance != nil else { return }
            nodes[index].pausedUntil = until
            queue.push(.action(.resume(index)), at: until)
        case .resume(let index):
            guard nodes[index].instance != nil, nodes[index].pausedUntil != nil else { return }
            nodes[index].pausedUntil = nil
            let backlog = nodes[index].buffered
            nodes[index].buffered = []
            for message in backlog where nodes[index].pausedUntil == nil {
                drive(index, .received(message))
            }
            drive(index, .tick)
        case .restart(let index, let contact):
            // What the shell does on a rejoin: the members the buried uid still counted alive are
            // where its joins go too once the contact stays silent (`Instance.joinFallback`).
            let alive = contact == nil ? [] : nodes[index].instance?.peerAddresses ?? []
            stop(index)
            nodes[index].instance = makeJoiner(index: index, contact: contact)
            nodes[index].instance?.joinFallback = alive
            drive(index, .start)
        case .leave(let index):
            drive(index, .leave)
        case .partition(let groups):
            network.partition(groups)
        case .heal:
            network.heal()
        case .unreachable(let observer, let member):
            guard nodes[observer].pausedUntil == nil else { return }
            drive(observer, .peerUnreachable(member))
        case .refused(let observer, let member):
            // The port may have been taken again by a restart meanwhile; then the dial succeeds.
            guard nodes[observer].pausedUntil == nil, nodes[nodeByAddress[member.address]!].instance == nil else {
                return
            }
            drive(observer, .peerRefused(member))
        }
    }

    private func stop(_ index: Int) {
        nodes[index].instance = nil
        nodes[index].pausedUntil = nil
        nodes[index].buffered = []
        nodes[index].scheduledWake = nil
        nodes[index].wakeGeneration &+= 1
    }

    private func drive(_ index: Int, _ event: SWIM.Event) {
        guard var instance = nodes[index].instance else { return }
        let directives = instance.handle(event, at: now)
        nodes[index].instance = instance
        for directive in directives {
            switch directive {
            case .send(let message, let address):
                nodes[index].messagesSent += 1
                nodes[index].bytesSent += message.estimatedEncodedSize
                guard let target = nodeByAddress[address],
                    let delay = network.delay(from: index, to: target)
                else {
                    continue
                }
                // A killed process's port refuses the sender's dial: a round trip, then the sender knows.
                if crashClosesConnections, nodes[target].instance == nil, let recipient = message.recipient {
                    queue.push(.action(.refused(observer: index, member: recipient)), at: now + delay * 2)
                    continue
                }
                queue.push(.deliver(message, to: target), at: now + delay)
            case .changed(let change):
                trace.append(TraceEntry(time: now, observer: instance.myself, change: change))
            case .rejoin(let contact):
                // What the shell does: a new uid at the same address, joining through the contact.
                queue.push(.action(.restart(index, contact: contact)), at: now)
            }
        }
        scheduleWake(index)
    }

    private func scheduleWake(_ index: Int) {
        guard let wake = nodes[index].instance?.nextWakeUp else { return }
        if let scheduled = nodes[index].scheduledWake, scheduled <= wake, scheduled >= now { return }
        nodes[index].wakeGeneration &+= 1
        nodes[index].scheduledWake = wake
        queue.push(.wake(index, generation: nodes[index].wakeGeneration), at: max(wake, now))
    }
}
