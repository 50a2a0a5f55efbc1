import FoundationEssentials

/// The knobs of coordination. Defaults (docs/coordination.md): three replicas, a 3 s lease renewed every
/// second, three attempts for a task that throws.
public struct CoordinationSettings: Sendable, Hashable {
    public var replicationFactor = 3
    public var leaseTTL: Duration = .seconds(3)
    public var maxAttempts = 3
    /// Backoff before a task that threw runs again: base × 2^(failures − 1), capped.
    public var retryBackoff: Duration = .milliseconds(100)
    public var retryBackoffCap: Duration = .seconds(2)
    /// Tasks this node's worker runs at once; more wait in its queue (and count as its load).
    public var workerConcurrency = 2
    /// Unfinished assessments an owner may hold before it refuses new ones (`SubmitAnswer.busy`, an
    /// HTTP 429); 0 for no limit. Keyless ids go elsewhere once a node holds more than its share
    /// (`keylessID`), and keyed ones are spread by placement, so every owner nears it together.
    public var backlogLimit = 0
    /// How long the receiving node waits for the owner to acknowledge a submission.
    public var submitTimeout: Duration = .seconds(5)
    /// Unacknowledged writes are sent again this often, to replicas still up.
    public var writeRetry: Duration = .milliseconds(500)
    public var claimTimeout: Duration = .seconds(2)
    /// Claims of finished records (moved only to restore their replicas) a node makes at once; claims
    /// of unfinished ones are not limited.
    public var backgroundClaimLimit = 8
    /// How often every record is checked for a dead owner or a missing replica.
    public var reconcileInterval: Duration = .seconds(1)
    /// A replica that stored nothing of an unfinished record for this long asks its live owner whether
    /// it finished (a final write it missed is not sent again).
    public var quietCheck: Duration = .seconds(10)
    /// Task placement changes (running on node X) are written at most this often per assessment.
    public var progressFlush: Duration = .milliseconds(250)
    /// How long a result may wait for others of its assessment to share its journal write, while
    /// analysts are still out (the last one's result goes at once). A result not yet journaled is run
    /// again if its owner dies, so this bounds the work such a death can cost, for one replicated
    /// write per assessment instead of one per result or two.
    public var journalLinger: Duration = .milliseconds(100)
    /// How long a peer whose connection broke gets no new work and no new submissions, unless
    /// membership sees it come back first.
    public var lostPeerQuarantine: Duration = .seconds(3)
    /// How long a worker that refused work (it is shutting down) gets no new tasks.
    public var refusalQuarantine: Duration = .seconds(10)
    /// Finished records are removed on every replica this long after their last change.
    public var retention: Duration = .seconds(24 * 3600)
    /// The analysis agents, run in parallel, and the one that runs on their results.
    public var analysts: [String]
    public var finalAgent: String

    public init(analysts: [String], finalAgent: String) {
        self.analysts = analysts
        self.finalAgent = finalAgent
    }

    var allAgents: [String] { analysts + [finalAgent] }

    func backoff(afterFailures failures: Int) -> Duration {
        let factor = 1 << min(max(failures - 1, 0), 20)
        return min(retryBackoff * factor, retryBackoffCap)
    }
}

/// The time an event happens at: a monotonic reading for timers and leases, and the wall clock for
/// the dates stored in records. The simulation advances both from its virtual clock.
public struct Moment: Sendable, Hashable {
    public var uptime: Duration
    public var wall: Date

    public init(uptime: Duration, wall: Date) {
        self.uptime = uptime
        self.wall = wall
    }
}

/// Running totals, read by the shell for metrics and by the simulation for its report.
public struct CoordinationCounters: Sendable, Hashable {
    public var submissionsAccepted = 0
    public var tasksAssigned = 0
    public var requeues = 0
    public var leaseExpiries = 0
    public var taskFailures = 0
    public var determinismFaults = 0
    public var takeovers = 0
    public var depositions = 0
    public var completed = 0
    public var failed = 0
    public var cancelled = 0

    public init() {}
}
