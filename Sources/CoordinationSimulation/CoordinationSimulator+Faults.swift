import Coordination
import FoundationEssentials
import Membership
import Simulation

/// Crashes, restarts, pauses and partitions, chosen online from the seed so that at most a minority
/// of the cluster is down (crashed, paused or cut off) at once.
extension CoordinationSimulator {
    func nextFaultGap() -> Duration {
        .milliseconds(300) + scenario.meanFaultGap * (2 * random.unit())
    }

    /// Nodes crashed, paused, or on the minority side of a partition.
    var downNodes: Set<Int> {
        var down = Set(nodes.indices.filter { nodes[$0].core == nil || nodes[$0].pausedUntil != nil })
        if partitionStarted != nil { down.formUnion(sides.keys) }
        return down
    }

    func injectFault() {
        // A fault drawn for a time past the fault phase would strike after `endFaults` healed
        // everything, and nothing would restart its victim.
        guard now < scenario.faultPhase else { return }
        defer { if now < scenario.faultPhase { queue.push(.fault, at: now + nextFaultGap()) } }
        let down = downNodes
        let healthy = nodes.indices.filter { !down.contains($0) }
        guard down.count < scenario.maxDown, !healthy.isEmpty else { return }
        let victim = healthy[Int(random.next() % UInt64(healthy.count))]
        let choice = random.unit()
        if choice < 0.4 {
            crash(victim)
            // Most crashed nodes come back; some stay down until the faults stop.
            if random.unit() < 0.8 {
                queue.push(.restart(victim), at: now + .milliseconds(500) + .seconds(12) * random.unit())
            }
        } else if choice < 0.75 {
            let long = random.unit() < 0.5
            let duration =
                long
                ? settings.leaseTTL + .milliseconds(500) + .seconds(10) * random.unit()
                : .milliseconds(200) + .milliseconds(1800) * random.unit()
            pause(victim, for: duration, long: long)
        } else if partitionStarted == nil {
            let room = scenario.maxDown - down.count
            var side = [victim]
            let others = healthy.filter { $0 != victim }
            let extra = min(room - 1, others.count, Int(random.next() % UInt64(scenario.maxDown)))
            side += others.prefix(max(0, extra))
            partition(Set(side))
            queue.push(.heal, at: now + .seconds(2) + .seconds(18) * random.unit())
        }
    }

    func crash(_ node: Int) {
        guard nodes[node].core != nil else { return }
        faults.fault(.crash, on: [node], in: self)
        log("crash \(names[node])")
        if let counters = nodes[node].core?.counters { retiredCounters.append(counters) }
        nodes[node].core = nil
        nodes[node].process += 1
        nodes[node].pausedUntil = nil
        nodes[node].buffered = []
        nodes[node].running = []
        membership.crash(node, at: now)
        for other in nodes.indices where other != node {
            breakConnection(node, other, detection: .microseconds(200) + .microseconds(1800) * random.unit())
        }
        checker.crashed(node, in: self)
        clients.nodeCrashed(node, in: self)
    }

    func restart(_ node: Int) {
        // (A restart drawn when it crashed may still be queued.)
        guard nodes[node].core == nil, node != lostForGood else { return }
        faults.count(.restart)
        log("restart \(names[node])")
        // Joining through the other nodes only: a node that is its own seed may form a cluster alone.
        membership.seedNodes = nodes.indices.filter { $0 != node }
        membership.restart(node, at: now)
        membership.run(until: now)
        boot(node)
    }

    func pause(_ node: Int, for duration: Duration, long: Bool) {
        faults.fault(long ? .longPause : .pause, on: [node], in: self)
        log("pause \(names[node]) for \(duration)")
        nodes[node].pausedUntil = now + duration
        membership.pause(node, at: now, for: duration)
        queue.push(.resume(node, process: nodes[node].process), at: now + duration)
    }

    func resume(_ node: Int) {
        guard nodes[node].pausedUntil != nil else { return }
        log("resume \(names[node])")
        nodes[node].pausedUntil = nil
        let backlog = nodes[node].buffered
        nodes[node].buffered = []
        for event in backlog where nodes[node].core != nil && nodes[node].pausedUntil == nil {
            feed(node, event)
        }
        nodes[node].tickGeneration += 1
        queue.push(.tick(node, generation: nodes[node].tickGeneration), at: now)
    }

    func partition(_ minority: Set<Int>) {
        faults.fault(.partition, on: minority, in: self)
        log("partition \(minority.sorted().map { names[$0] })")
        sides = Dictionary(uniqueKeysWithValues: minority.map { ($0, 1) })
        partitionStarted = now
        membership.partition([minority.sorted()], at: now)
        for a in minority {
            for b in nodes.indices where !minority.contains(b) {
                // A cut link is noticed by a write timeout or keepalive, not at once.
                breakConnection(a, b, detection: .milliseconds(100) + .seconds(3) * random.unit())
            }
        }
        checker.partitioned(minority, in: self)
    }

    func heal() {
        guard partitionStarted != nil else { return }
        log("heal")
        sides = [:]
        partitionStarted = nil
        membership.heal(at: now)
        checker.partitioned([], in: self)
    }

    /// The faults stop: the network heals, paused nodes continue and crashed ones start again — but on
    /// some seeds one of them stays down for good, so that the survivors must finish what it owned
    /// without ever hearing from it again.
    func endFaults() {
        heal()
        for node in nodes.indices where nodes[node].pausedUntil != nil { resume(node) }
        let lost = profile.losesANodeForGood ? nodes.indices.first { nodes[$0].core == nil } : nil
        lostForGood = lost
        if let lost {
            faults.count(.lostForGood)
            log("\(names[lost]) stays down for good")
        }
        for node in nodes.indices where nodes[node].core == nil && node != lost { restart(node) }
        log("faults stopped")
    }
}

/// Faults injected, and the time from each to its affected tasks running again.
final class FaultBook {
    var counts: [FaultKind: Int] = [:]
    /// Per kind, per fault: the time until the last of its affected tasks ran again.
    var recoveries: [FaultKind: [Duration]] = [:]
    private var open: [OpenFault] = []

    struct OpenFault {
        var kind: FaultKind
        var at: Duration
        /// (assessment, agent) to the key that was running when the fault struck.
        var waiting: [TaskID: TaskKey]
        var slowest: Duration?
    }

    struct TaskID: Hashable {
        var assessment: String
        var agent: String
    }

    func count(_ kind: FaultKind) { counts[kind, default: 0] += 1 }

    /// Affected tasks: those running on the faulty nodes, and every running task of the assessments
    /// they own (their results go to an owner that cannot take them).
    func fault(_ kind: FaultKind, on faulty: Set<Int>, in sim: CoordinationSimulator) {
        count(kind)
        var waiting: [TaskID: TaskKey] = [:]
        var owned: Set<String> = []
        for node in faulty { owned.formUnion(sim.nodes[node].core?.ownedIDs ?? []) }
        for node in sim.nodes.indices {
            for key in sim.nodes[node].running where faulty.contains(node) || owned.contains(key.assessmentID) {
                waiting[TaskID(assessment: key.assessmentID, agent: key.agent)] = key
            }
        }
        guard !waiting.isEmpty else { return }
        open.append(OpenFault(kind: kind, at: sim.now, waiting: waiting))
    }

    func taskStarted(_ key: TaskKey, at now: Duration) {
        let id = TaskID(assessment: key.assessmentID, agent: key.agent)
        for index in open.indices {
            guard let before = open[index].waiting[id], before != key else { continue }
            open[index].waiting[id] = nil
            open[index].slowest = max(open[index].slowest ?? .zero, now - open[index].at)
        }
        open.removeAll { fault in
            guard fault.waiting.isEmpty else { return false }
            if let slowest = fault.slowest { recoveries[fault.kind, default: []].append(slowest) }
            return true
        }
    }

    /// At the end: faults whose remaining tasks never needed to run again (they finished, or their
    /// assessment did) count with the tasks that did.
    func close() {
        for fault in open { if let slowest = fault.slowest { recoveries[fault.kind, default: []].append(slowest) } }
        open = []
    }
}
