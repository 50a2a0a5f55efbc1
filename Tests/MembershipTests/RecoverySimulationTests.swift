import Membership
import Simulation
import Testing

/// Whether `trace` ever shows `member` alive again at an observer that had buried it.
private func resurrections(of member: MemberID, in trace: [Simulator.TraceEntry]) -> [Simulator.TraceEntry] {
    var buried: Set<MemberID> = []
    var found: [Simulator.TraceEntry] = []
    for entry in trace where entry.change.member == member {
        if entry.change.status.isTerminal {
            buried.insert(entry.observer)
        } else if buried.contains(entry.observer) {
            found.append(entry)
        }
    }
    return found
}

@Test(
    "a restarted node rejoins under a new uid and the old uid never comes back", arguments: simulationSeeds.prefix(12))
func restartGetsANewUid(seed: UInt64) {
    for restartAt in [Duration.seconds(6), .seconds(25)] {
        let sim = Simulator(seed: seed, network: NetworkConditions(loss: 0.01))
        sim.formCluster(size: 6)
        guard let old = sim.memberID(of: 3) else { return }
        sim.crash(3, at: .seconds(4))
        sim.restart(3, at: restartAt)
        sim.run(until: restartAt + .seconds(60))
        let new = sim.memberID(of: 3)
        #expect(new != nil && new != old, "seed \(seed)")
        #expect(resurrections(of: old, in: sim.trace).isEmpty, "seed \(seed), restart at \(restartAt)")
        for node in sim.runningNodes where node != 3 {
            #expect(sim.status(of: old, seenBy: node)?.isTerminal == true, "seed \(seed), node \(node)")
        }
        #expect(sim.hasConverged, "seed \(seed), restart at \(restartAt)")
    }
}

@Test("a partition shorter than the suspicion timeout heals into one view", arguments: simulationSeeds.prefix(8))
func shortPartitionHeals(seed: UInt64) {
    let sim = Simulator(seed: seed)
    sim.formCluster(size: 8)
    let before = (0..<8).compactMap { sim.memberID(of: $0) }
    sim.partition([[0, 1, 2]], at: .seconds(5))
    sim.heal(at: .seconds(5) + sim.settings.suspicionMinimum(members: 8))
    sim.run(until: .seconds(60))
    // Members suspected on both sides usually refute in time; one that does not is buried and
    // comes back under a new uid, never the old one.
    for id in before {
        #expect(resurrections(of: id, in: sim.trace).isEmpty, "seed \(seed), \(id)")
    }
    #expect(sim.hasConverged, "seed \(seed)")
}

@Test("a long partition heals into one view, the smaller side rejoining", arguments: simulationSeeds.prefix(8))
func longPartitionConverges(seed: UInt64) {
    for seeds in [[0], [0, 5]] {
        let sim = Simulator(seed: seed)
        sim.seedNodes = seeds
        sim.formCluster(size: 8)
        let majority = (3..<8).compactMap { sim.memberID(of: $0) }
        sim.partition([[0, 1, 2]], at: .seconds(5))
        sim.heal(at: .seconds(65))
        sim.run(until: .seconds(64))
        // Both sides buried each other: the test is about the hard case.
        #expect(sim.status(of: majority[0], seenBy: 0) == .down, "seed \(seed)")
        sim.run(until: .seconds(65 + 150))
        #expect(sim.hasConverged, "seed \(seed), seeds \(seeds)")
        #expect((3..<8).compactMap { sim.memberID(of: $0) } == majority, "seed \(seed): the majority kept its uids")
    }
}

@Test("a three-way partition heals into one view", arguments: simulationSeeds.prefix(6))
func threeWayPartitionConverges(seed: UInt64) {
    let sim = Simulator(seed: seed, network: NetworkConditions(loss: 0.02))
    sim.seedNodes = [0, 8]
    sim.formCluster(size: 12)
    let before = (0..<12).compactMap { sim.memberID(of: $0) }
    sim.partition([[0, 1, 2], [3, 4, 5]], at: .seconds(5))
    sim.heal(at: .seconds(60))
    sim.run(until: .seconds(60 + 180))
    #expect(sim.hasConverged, "seed \(seed)")
    for id in before {
        #expect(resurrections(of: id, in: sim.trace).isEmpty, "seed \(seed), \(id)")
    }
}
