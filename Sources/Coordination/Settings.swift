import FoundationEssentials

/// The knobs of coordination. Defaults (docs/coordination.md): three replicas, a 3 s lease renewed every
/// second, three attempts for a task that throws.
package struct CoordinationSettings: Sendable, Hashable {
    package var replicationFactor = 3
    package var leaseTTL: Duration = .seconds(3)
    package var maxAttempts = 3
    /// Backoff before a task that threw runs again: base × 2^(failures − 1), capped.
    package var retryBackoff: Duration = .milliseconds(100)
    package var retryBackoffCap: Duration = .seconds(2)
    /// Tasks this node's worker runs at once; more wait in its queue (and count as its load).
    package var workerConcurrency = 2
    /// Unfinished assessments an owner may hold before it refuses new ones (`SubmitAnswer.busy`, an
    /// HTTP 429); 0 for no limit. Keyless ids go elsewhere once a node holds more than its share
    /// (`keylessID`), and keyed ones are spread by placement, so every owner nears it together.
    package var backlogLimit = 0
    /// How long the receiving node waits for the owner to acknowledge a submission.
    package var submitTimeout: Duration = .seconds(5)
    /// Unacknowledged writes are sent again this often, to replicas still up.
    package var writeRetry: Duration = .milliseconds(500)
    package var claimTimeout: Duration = .seconds(2)
    /// Claims of finished records (moved only to restore their replicas) a node makes at once; claims
    /// of unfinished ones are not limited.
    package var backgroundClaimLimit = 8
    /// How often every record is checked for a dead owner or a missing replica.
    package var reconcileInterval: Duration = .seconds(1)
    /// A replica that stored nothing of an unfinished record for this long asks its live owner whether
    /// it finished (a final write it missed is not sent again).
    package var quietCheck: Duration = .seconds(10)
    /// Task placement changes (running on node X) are written at most this often per assessment.
    package var progressFlush: Duration = .milliseconds(250)
    /// How long a result may wait for others of its assessment to share its journal write, while
    /// analysts are still out (the last one's result goes at once). A result not yet journaled is run
    /// again if its owner dies, so this bounds the work such a death can cost, for one replicated
    /// write per assessment instead of one per result or two.
    package var journalLinger: Duration = .milliseconds(100)
    /// How long a peer whose connection broke gets no new work and no new submissions, unless
    /// membership sees it come back first.
    package var lostPeerQuarantine: Duration = .seconds(3)
    /// How recent a message from a member must be for it to count towards a submission's quorum
    /// (`ClusterView.heard`), at least. SWIM probes one member a probe interval, so in a cluster
    /// of `n` each pair exchanges a probe both ways about every `n - 1` intervals; the lease is
    /// stretched to twice that (`contactLease(members:probeInterval:)`) so that a quiet majority
    /// keeps its quorum, and stays short enough that a minority refuses well within a partition's
    /// detection window (docs/partitions.md).
    package var contactLease: Duration = .seconds(8)
    /// How long a worker that refused work (it is shutting down) gets no new tasks.
    package var refusalQuarantine: Duration = .seconds(10)
    /// Finished records are removed on every replica this long after their last change.
    package var retention: Duration = .seconds(24 * 3600)
    /// The analysis agents, run in parallel, and the one that runs on their results.
    package var analysts: [String]
    package var finalAgent: String

    package init(analysts: [String], finalAgent: String) {
        self.analysts = analysts
        self.finalAgent = finalAgent
    }

    var allAgents: [String] { analysts + [finalAgent] }

    /// `contactLease`, or twice the time SWIM takes to probe every other member once, if longer.
    package func contactLease(members: Int, probeInterval: Duration) -> Duration {
        max(contactLease, probeInterval * (2 * max(0, members - 1)))
    }

    func backoff(afterFailures failures: Int) -> Duration {
        let factor = 1 << min(max(failures - 1, 0), 20)
        return min(retryBackoff * factor, retryBackoffCap)
    }
}

/// The time an event happens at: a monotonic reading for timers and leases, and the wall clock for
/// the dates stored in records. The simulation advances both from its virtual clock.
package struct Moment: Sendable, Hashable {
    package var uptime: Duration
    package var wall: Date

    package init(uptime: Duration, wall: Date) {
        self.uptime = uptime
        self.wall = wall
    }
}

/// Running totals, read by the shell for metrics and by the simulation for its report.
package struct CoordinationCounters: Sendable, Hashable {
    package var submissionsAccepted = 0
    package var tasksAssigned = 0
    package var requeues = 0
    package var leaseExpiries = 0
    package var taskFailures = 0
    package var determinismFaults = 0
    package var takeovers = 0
    package var depositions = 0
    package var completed = 0
    package var failed = 0
    package var cancelled = 0

    package init() {}
}
