import Membership

/// The shape of one simulated run; the seed decides everything else (which faults, when, where).
package struct CoordinationScenario: Sendable, Hashable {
    package var nodes = 5
    /// Faults and submissions happen in this window; then every fault is healed.
    package var faultPhase: Duration = .seconds(60)
    package var submissions = 30
    /// Mean gap between two faults.
    package var meanFaultGap: Duration = .seconds(4)
    /// After the fault phase, how long the cluster has to finish every acknowledged assessment.
    package var recoveryLimit: Duration = .seconds(600)
    /// The shell feeds `.tick` this often.
    package var tickInterval: Duration = .milliseconds(50)
    /// `CoordinationSettings.backlogLimit` of every node; 0 for none.
    package var backlogLimit = 0

    package init() {}

    /// Nodes that may be down (crashed, paused or cut into a minority) at once: a minority.
    var maxDown: Int { (nodes - 1) / 2 }
}

/// The kinds of fault the simulation injects, as counted in its report.
package enum FaultKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// The process dies (SIGKILL): memory gone, store kept, sockets closed at once.
    case crash
    /// A crashed node starts again: a new process, a new membership uid, the same store.
    case restart
    /// SIGSTOP: the node processes nothing, its sockets stay open; then SIGCONT.
    case pause
    /// A pause longer than the lease TTL, so its leases expire.
    case longPause = "long pause"
    /// The network splits into a minority and a majority; then it heals.
    case partition
    /// An agent throws (injected on some seeds).
    case agentError = "agent error"
    /// A crashed node never comes back (on some seeds): the survivors finish its work without it.
    case lostForGood = "lost for good"

    package static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// What the seed decides once, at the start of a run.
struct SeedProfile {
    var injectsAgentErrors: Bool
    var membershipLoss: Double
    /// Extra one-way latency on some coordination messages (a slow link, a GC pause in a peer).
    var slowMessageChance: Double
    var keyedChance: Double
    var cancelChance: Double
    /// A node crashed when the faults stop stays down for good.
    var losesANodeForGood = false

    init(random: inout SeededRandom) {
        injectsAgentErrors = random.unit() < 0.3
        membershipLoss = random.unit() < 0.3 ? 0.01 : 0
        slowMessageChance = random.unit() < 0.5 ? 0.02 : 0
        keyedChance = 0.6
        cancelChance = 0.1
    }
}
