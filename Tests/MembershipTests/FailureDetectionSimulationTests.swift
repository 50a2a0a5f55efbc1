import Membership
import Simulation
import Testing

/// Seeds for the simulation tests; a failure message names its seed, and rerunning with that
/// seed alone replays the failure event for event.
let simulationSeeds: [UInt64] = Array(1...24)

@Test("a crashed node is declared down by every survivor within the promised bound", arguments: simulationSeeds)
func crashDetectedWithinBound(seed: UInt64) {
    for nodes in [5, 12] {
        for closes in [false, true] {
            let bound = SWIM.Settings().detectionBound(members: nodes)
            let samples = Experiments.crashDetection(nodes: nodes, seed: seed, closesConnections: closes)
            #expect(samples.count == nodes - 1, "seed \(seed), \(nodes) nodes")
            for sample in samples {
                #expect(sample != nil, "seed \(seed), \(nodes) nodes, closes \(closes): a survivor never saw the crash")
                if let sample { #expect(sample <= bound, "seed \(seed), \(nodes) nodes: \(sample) > \(bound)") }
            }
        }
    }
}

@Test("a SIGKILLed node, whose port refuses, is down everywhere within milliseconds", arguments: simulationSeeds)
func refusedPortDetectedAtOnce(seed: UInt64) {
    for nodes in [3, 5, 12] {
        let samples = Experiments.crashDetection(nodes: nodes, seed: seed, closesConnections: true)
        #expect(samples.count == nodes - 1, "seed \(seed), \(nodes) nodes")
        for sample in samples {
            // Connection loss (one delay), a probe's dial refused (two more), gossip to the rest: a
            // few network delays of at most 2 ms each, not a probe interval and a suspicion term.
            #expect(
                sample.map { $0 <= .milliseconds(20) } == true,
                "seed \(seed), \(nodes) nodes: \(String(describing: sample))")
        }
    }
}

@Test("a crash declares nobody else down", arguments: simulationSeeds.prefix(8))
func crashHasNoCollateral(seed: UInt64) {
    let sim = Simulator(seed: seed)
    sim.formCluster(size: 6)
    sim.crash(2, at: .seconds(3))
    let victim = sim.memberID(of: 2)
    sim.run(until: .seconds(40))
    let downs = sim.trace.filter { $0.change.status == .down }
    #expect(!downs.isEmpty, "seed \(seed)")
    #expect(downs.allSatisfy { $0.change.member == victim }, "seed \(seed): \(downs)")
    #expect(sim.hasConverged, "seed \(seed)")
}

@Test("a paused node that resumes within the suspicion timeout refutes and stays up", arguments: simulationSeeds)
func pausedNodeRefutes(seed: UInt64) {
    let nodes = 6
    let sim = Simulator(seed: seed)
    sim.formCluster(size: nodes)
    let pause = sim.settings.suspicionMinimum(members: nodes)
    sim.pause(4, at: .seconds(3), for: pause)
    guard let paused = sim.memberID(of: 4) else { return }
    sim.run(until: .seconds(30))
    let downs = sim.trace.filter { $0.change.status.isTerminal }
    #expect(downs.isEmpty, "seed \(seed): \(downs)")
    #expect(sim.memberID(of: 4) == paused, "seed \(seed): the paused node had to rejoin")
    #expect(sim.hasConverged, "seed \(seed)")
}

@Test("the pause test is not vacuous: a longer pause is declared down", arguments: simulationSeeds.prefix(4))
func longPauseIsDetected(seed: UInt64) {
    let nodes = 6
    let sim = Simulator(seed: seed)
    sim.formCluster(size: nodes)
    guard let paused = sim.memberID(of: 4) else { return }
    sim.pause(4, at: .seconds(3), for: sim.settings.detectionBound(members: nodes))
    sim.run(until: .seconds(60))
    #expect(sim.trace.contains { $0.change.member == paused && $0.change.status == .down }, "seed \(seed)")
    // It learned of its death and came back under a new uid.
    #expect(sim.memberID(of: 4) != paused, "seed \(seed)")
    #expect(sim.hasConverged, "seed \(seed)")
}

@Test("with 5% message loss no live node is ever declared down", arguments: simulationSeeds.prefix(12))
func noFalseDownsUnderLoss(seed: UInt64) {
    let result = Experiments.falseDowns(nodes: 8, seed: seed, loss: 0.05, duration: .seconds(120))
    #expect(result.observations == 0, "seed \(seed): \(result)")
}

@Test(
    "a graceful leave is seen as left by every member within one gossip interval", arguments: simulationSeeds.prefix(6))
func gracefulLeave(seed: UInt64) {
    let sim = Simulator(seed: seed)
    sim.formCluster(size: 7)
    sim.run(until: .seconds(3))
    guard let leaver = sim.memberID(of: 5) else { return }
    sim.leave(5, at: .seconds(3))
    sim.run(until: .seconds(3) + sim.settings.gossipInterval)
    for node in sim.runningNodes where node != 5 {
        #expect(sim.status(of: leaver, seenBy: node) == .left, "seed \(seed), node \(node)")
    }
    #expect(!sim.trace.contains { $0.change.member == leaver && $0.change.status == .down }, "seed \(seed)")
}

@Test("frequent stalls on every node (CPU starvation) declare nobody down", arguments: simulationSeeds.prefix(4))
func stallsAreNotCrashes(seed: UInt64) {
    let sim = Simulator(seed: seed)
    sim.formCluster(size: 5)
    var random = SeededRandom(seed: seed)
    for node in 0..<5 {
        var time = Duration.seconds(1)
        while time < .seconds(120) {
            let stall = Duration.milliseconds(100 + Int64(random.next() % 800))
            sim.pause(node, at: time, for: stall)
            time += stall + .milliseconds(100 + Int64(random.next() % 900))
        }
    }
    sim.run(until: .seconds(120))
    #expect(sim.trace.contains { $0.change.status == .suspect }, "seed \(seed): the stalls should be felt")
    #expect(!sim.trace.contains { $0.change.status.isTerminal }, "seed \(seed)")
    #expect(sim.hasConverged, "seed \(seed)")
}
