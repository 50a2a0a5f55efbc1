import FoundationEssentials
import Membership
import Storage

/// A node's owner role (docs/coordination.md, "Roles"): the assessments this node owns — their
/// records, results and tasks, the writes on their way to the replica sets, the claims it makes for
/// records whose owner is gone — and what it knows of the workers it places tasks on.
///
/// It owns that state and decides alone what happens to it. What it needs of the rest of the node it
/// is given: the membership view (`cluster`, which the core keeps and hands on when it changes), the
/// time, the worker's load, and read access to the replica role's knowledge of the records this
/// node stores. What it wants done it returns as actions, in order; messages to this node itself go
/// through the core's routing like any other.
struct OwnerRole: Sendable {
    enum Action: Sendable {
        case emit(CoordinatorDirective)
        case send(CoordinationMessage, to: String)
        /// Another replica holds a newer version (and maybe a state): the replica role learns it.
        case learnt(id: String, version: RecordVersion, status: AssessmentStatus?)
        /// A replica promised `epoch`: this node's replica refuses older writes too.
        case promisedElsewhere(id: String, epoch: Int)
    }

    let name: String
    let settings: CoordinationSettings
    var now = Moment(uptime: .zero, wall: Date(timeIntervalSince1970: 0))
    /// The membership view, as the core last handed it on.
    var cluster: ClusterView
    /// What this node's worker runs or has queued for other owners, as the core last said (see
    /// `workerLoads()`).
    var workerLoad = 0
    var counters = CoordinationCounters()
    /// Gathered since the last `takeActions`, in order.
    var actions: [Action] = []

    var rng: SeededRandom
    var nextNumber: UInt64 = 1

    var owned: [String: OwnedAssessment] = [:]
    var claims: [String: Claim] = [:]
    /// Records whose owner is gone and whose claim falls to another replica: when this node sends its
    /// copy there next, so that a claimant that never got it can claim.
    var orphans: [String: Duration] = [:]
    /// Records this node owns whose last state may be on no majority: a replica fenced its write (it
    /// promised a newer epoch to a claimant that may never finish), or its final state was written
    /// just before a restart, maybe here alone. This node claims them back, final state included.
    var unsettled: Set<String> = []
    var writes: [UInt64: PendingWrite] = [:]
    var creating: [String: [Waiter]] = [:]
    var reportedLoad: [String: (load: Int, at: Duration)] = [:]
    var refusedUntil: [String: Duration] = [:]
    /// Peers whose connection broke without a goodbye: no new owner or worker role for them until
    /// membership says they are up again or the quarantine ends (a killed process is usually both).
    var lostUntil: [String: Duration] = [:]

    init(name: String, settings: CoordinationSettings, seed: UInt64) {
        self.name = name
        self.settings = settings
        self.rng = SeededRandom(seed: seed)
        self.cluster = ClusterView(name: name)
    }

    /// The actions gathered since the last call, in order; the core carries them out.
    mutating func takeActions() -> [Action] {
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    mutating func emit(_ directive: CoordinatorDirective) { actions.append(.emit(directive)) }

    mutating func send(_ message: CoordinationMessage, to node: String) { actions.append(.send(message, to: node)) }

    mutating func log(_ level: CoordinatorLog.Level, _ message: String, id: String? = nil) {
        emit(.log(CoordinatorLog(level: level, message: message, assessmentID: id)))
    }

    /// Write ids: unique on this node, so an answer finds its write.
    mutating func number() -> UInt64 {
        defer { nextNumber += 1 }
        return nextNumber
    }

    // MARK: Membership, as this role weighs it

    var draining: Bool { cluster.draining }
    func isAlive(_ node: String) -> Bool { cluster.isAlive(node) }
    var hasQuorum: Bool { cluster.hasQuorum }

    /// Members new work may go to: up, and not just seen to drop their connection.
    var upMembers: [String] {
        cluster.statuses.filter { $0.value == .up && (lostUntil[$0.key].map { $0 <= now.uptime } ?? true) }.map(\.key)
            .sorted()
    }

    /// The quorum rule for submissions: a majority of the cluster `up`, not merely reachable. Placement
    /// ranks over `up` members only, so a side that counts suspects towards its quorum but ranks
    /// without them picks another owner than the other side for the same idempotency key, and both
    /// create it (two epoch-1 owners; found by the simulation in a partition's detection window).
    ///
    /// And a majority heard from directly within the contact lease (`ClusterView.heard`): a view keeps
    /// a silent member `up` until a probe of its own fails, and a node whose probes Lifeguard has
    /// slowed (the others it probes are gone) probes seldom. A minority node so slowed still counted a
    /// majority up 21 s into a split and acknowledged a write (docs/partitions.md).
    var hasSubmissionQuorum: Bool {
        cluster.hasQuorum && upMembers.count * 2 > cluster.knownMembers.count && cluster.hasContactQuorum
    }

    /// Why a submission is refused. It needs a majority `up` (`hasSubmissionQuorum`), which a node
    /// reaching a majority can lack while some are suspected: saying "reaches 5 of 5" then sent the
    /// long partition run's reader looking in the wrong place (docs/partitions.md).
    var submissionQuorumProblem: String {
        let (reachable, members) = cluster.quorumCounts
        guard reachable * 2 > members else { return cluster.quorumProblem }
        guard upMembers.count * 2 > members else {
            return "no quorum for submissions: \(upMembers.count) of \(members) members are up here "
                + "(\(reachable) reachable, the others suspected)"
        }
        let (heard, _) = cluster.contactCounts
        return "no quorum for submissions: this node heard from \(heard) of \(members) members within "
            + "its contact lease"
    }

    /// Members `view` shows up that `before` did not may take work at once.
    mutating func upAgain(in view: [String: SWIM.Status], from before: [String: SWIM.Status]) {
        for (node, status) in view where status == .up && before[node] != .up {
            refusedUntil[node] = nil
            lostUntil[node] = nil
        }
    }

    /// The connection to `peer` broke without a goodbye.
    mutating func peerLost(_ peer: String) {
        lostUntil[peer] = now.uptime + settings.lostPeerQuarantine
        holderLost(peer, reason: "connection lost")
    }

    /// A worker's node died or its connection broke: its leases go back to the queue at once; the
    /// lease TTL is only the bound for a node that hangs without closing its sockets.
    mutating func holderLost(_ node: String, reason: String) {
        guard node != name else { return }
        for id in owned.keys.sorted() {
            guard var assessment = owned[id] else { continue }
            var requeued: [String] = []
            for (agent, slot) in assessment.tasks {
                guard case .leased(let holder, _) = slot.state, holder == node else { continue }
                assessment.tasks[agent]?.state = .waiting(notBefore: now.uptime)
                requeued.append(agent)
            }
            guard !requeued.isEmpty else { continue }
            counters.requeues += requeued.count
            owned[id] = assessment
            log(.notice, "requeued \(requeued.sorted().joined(separator: ", ")) from \(node): \(reason)", id: id)
        }
        placeAllWaiting()
    }

    /// Time passed: claims, leases and writes past their time, results and progress due to be written.
    mutating func tick() {
        expireClaims()
        expireLeases()
        retryWrites()
        flushJournals()
        flushProgress()
    }

    /// What this node knows of one assessment as its owner, for a failing simulation seed's report.
    func describe(_ id: String) -> [String] {
        var parts: [String] = []
        if let claim = claims[id] { parts.append("claiming epoch \(claim.epoch) from \(claim.sets)") }
        if let assessment = owned[id] {
            let tasks = assessment.tasks.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.state)" }
            parts.append(
                "owner (\(assessment.phase)) at \(assessment.record.recordVersion), last move v\(assessment.lastMove) "
                    + "(committed at v\(assessment.reconfiguredAt)); tasks \(tasks.joined(separator: " "))")
        }
        let pending = writes.values.filter { $0.write.record.id == id }.map {
            "write v\($0.write.record.version) \($0.purpose) acked \($0.acked.sorted()) of \($0.targets)"
        }
        return parts + pending.sorted()
    }
}
