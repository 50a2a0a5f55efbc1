import Testing

@testable import CoordinationSimulation

/// The deterministic simulation of the whole coordination layer (docs/coordination.md, How it is tested). CI runs a few
/// hundred seeds here; `inframind simulate coordination --seeds 2000` runs thousands.
@Suite struct CoordinationSimulationTests {
    /// Shorter runs than the command's default, so that many seeds fit a debug build's test time.
    var scenario: CoordinationScenario {
        var scenario = CoordinationScenario()
        scenario.faultPhase = .seconds(30)
        scenario.submissions = 12
        return scenario
    }

    /// 300 seeds in two halves, which Swift Testing runs side by side.
    @Test(arguments: [1, 151] as [UInt64])
    func everyInvariantHoldsOnManySeeds(first: UInt64) {
        let report = CoordinationSimulator.run(seeds: 150, first: first, scenario: scenario)
        #expect(report.failure?.violation == nil, "\(report.render())")
        #expect(report.seedsRun == 150)
        // The seeds did exercise what they claim to.
        for kind in [FaultKind.crash, .restart, .pause, .longPause, .partition, .agentError, .lostForGood] {
            #expect((report.faults[kind] ?? 0) > 0, "no \(kind.rawValue) injected")
        }
        #expect(report.acknowledged > 0 && report.completed > 0)
        #expect(report.counters.takeovers > 0 && report.counters.leaseExpiries > 0)
    }

    /// Seeds that once broke an invariant, run with the scenario they broke it in. Their timing shifts
    /// as the code changes, so they guard little alone; the many seeds above do the guarding.
    /// 1138 (5 nodes, default scenario): a record moved twice while its first move was short of the
    /// old set's majority, completed on the newest set, and was claimed and cancelled from the oldest.
    /// 6, 2150, 246, 431 and 2954 (default scenario) left an assessment unfinished once the simulation
    /// lost nodes for good: 2150, a move had cut a replica set to two, whose majority the loss made
    /// impossible; 246, two nodes claimed for ever, each refused by a voter defending an owner deposed
    /// long before; 431, two nodes that saw only each other counted themselves a quorum and placed
    /// an assessment on the two; 2954, an owner whose final write was fenced kept its final state
    /// alone and never claimed the record back; 3550, the same after a restart; 527, a deposed owner
    /// was told only "final" and kept writing; 2151, a cancel turned a failed assessment the owner had
    /// taken over (to move it) into a cancelled one. 141 and 2172 let an owner cut off in a minority
    /// put a final state (141) or a move (2172) in its own store before any other replica had it;
    /// 12, a takeover held back the same way, which after a restart nobody finished.
    @Test(arguments: [1138, 6, 2150, 246, 431, 2954, 3550, 527, 2151, 141, 2172, 12] as [UInt64])
    func seedsThatOnceFailed(seed: UInt64) {
        let report = CoordinationSimulator.run(seeds: 1, first: seed, scenario: CoordinationScenario())
        #expect(report.failure?.violation == nil, "\(report.render())")
    }

    @Test func aSeedReplaysExactly() {
        let first = CoordinationSimulator(seed: 7, scenario: scenario)
        first.keepsTrace = true
        let second = CoordinationSimulator(seed: 7, scenario: scenario)
        second.keepsTrace = true
        let (a, b) = (first.run(), second.run())
        #expect(!a.trace.isEmpty)
        #expect(a.trace == b.trace)
        #expect(a.faults == b.faults && a.acknowledged == b.acknowledged && a.counters == b.counters)
    }

    /// Owners that refuse beyond one unfinished assessment, under the same faults: a refusal never
    /// costs an acknowledged assessment (the clients retry a refused one for 40 s, then give up).
    @Test func aBacklogLimitUnderFaultsKeepsEveryInvariant() {
        var limited = scenario
        limited.backlogLimit = 1
        var (refused, acknowledged) = (0, 0)
        for seed in UInt64(300)..<330 {
            let outcome = CoordinationSimulator(seed: seed, scenario: limited).run()
            #expect(outcome.violation == nil, "seed \(seed): \(String(describing: outcome.violation))")
            acknowledged += outcome.acknowledged
            refused += outcome.busyAnswers
        }
        #expect(refused > 0)
        #expect(acknowledged > limited.submissions * 20)
    }

    @Test func fiveNodesAndSevenNodesAlike() {
        var seven = scenario
        seven.nodes = 7
        let report = CoordinationSimulator.run(seeds: 10, first: 1000, scenario: seven)
        #expect(report.failure?.violation == nil, "\(report.render())")
    }
}
