import Membership
import Simulation
import Testing

/// A run with churn, loss and a partition, so that the trace exercises most of the protocol.
private func eventfulRun(seed: UInt64) -> Simulator {
    let sim = Simulator(seed: seed, network: NetworkConditions(loss: 0.05))
    sim.formCluster(size: 8)
    sim.crash(3, at: .seconds(4))
    sim.pause(5, at: .seconds(6), for: .seconds(2))
    sim.partition([[0, 1, 2]], at: .seconds(10))
    sim.heal(at: .seconds(14))
    sim.restart(3, at: .seconds(16))
    sim.leave(7, at: .seconds(20))
    sim.run(until: .seconds(40))
    return sim
}

@Test("the same seed replays the same trace", arguments: [1, 2, 3] as [UInt64])
func sameSeedSameTrace(seed: UInt64) {
    let first = eventfulRun(seed: seed)
    let second = eventfulRun(seed: seed)
    #expect(first.trace.count > 20, "seed \(seed): the run should be eventful")
    #expect(first.trace == second.trace, "seed \(seed)")
    #expect(first.traceDigest == second.traceDigest, "seed \(seed)")
}

@Test func differentSeedsDiverge() {
    #expect(eventfulRun(seed: 1).traceDigest != eventfulRun(seed: 2).traceDigest)
}
