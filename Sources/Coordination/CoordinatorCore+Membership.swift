import Membership
import Storage

extension CoordinatorCore {
    /// Members new work may go to: up, and not just seen to drop their connection.
    var upMembers: [String] {
        statuses.filter { $0.value == .up && (lostUntil[$0.key].map { $0 <= now.uptime } ?? true) }.map(\.key).sorted()
    }

    /// Alive as far as ownership goes: a suspect may yet refute, so its work is not taken from it.
    func isAlive(_ node: String) -> Bool {
        switch statuses[node] {
        case .up, .suspect, .joining: true
        case .down, .left, nil: false
        }
    }

    /// The quorum rule (docs/coordination.md, Quorum): act only while a majority of the cluster is reachable.
    /// The cluster is every member not `left` — a `down` member still counts, so a minority cut off
    /// from the rest can never reach a majority by declaring the others dead.
    var hasQuorum: Bool {
        let (reachable, members) = quorumCounts
        return reachable * 2 > members
    }

    /// Members reachable (`up` or `suspect`) and members of the cluster (every one known and not `left`).
    var quorumCounts: (reachable: Int, members: Int) {
        let reachable = knownMembers.filter { statuses[$0] == .up || statuses[$0] == .suspect }
        return (reachable.count, knownMembers.count)
    }

    /// The quorum rule for submissions: a majority of the cluster `up`, not merely reachable. Placement
    /// ranks over `up` members only, so a side that counts suspects towards its quorum but ranks
    /// without them picks another owner than the other side for the same idempotency key, and both
    /// create it (two epoch-1 owners; found by the simulation in a partition's detection window).
    ///
    /// And a majority heard from directly within the contact lease (`heard`): a view keeps a silent
    /// member `up` until a probe of its own fails, and a node whose probes Lifeguard has slowed (the
    /// others it probes are gone) probes seldom. A minority node so slowed still counted a majority
    /// up 21 s into a split and acknowledged a write (docs/partitions.md).
    var hasSubmissionQuorum: Bool {
        hasQuorum && upMembers.count * 2 > knownMembers.count && hasContactQuorum
    }

    /// Members heard from within the contact lease, this node included, and members of the cluster.
    var contactCounts: (heard: Int, members: Int) {
        (knownMembers.filter { $0 == name || heard.contains($0) }.count, knownMembers.count)
    }

    var hasContactQuorum: Bool {
        let (heard, members) = contactCounts
        return heard * 2 > members
    }

    mutating func updateMembership(_ view: [String: SWIM.Status]) {
        let before = statuses
        statuses = view
        // This node is always alive to itself, whatever a stale view says.
        statuses[name] = draining ? .left : .up
        for (node, status) in view where node != name {
            if status == .left { knownMembers.remove(node) } else { knownMembers.insert(node) }
        }
        // In name order: what follows draws on the seeded generator, so the order must not depend
        // on the dictionary's.
        for (node, status) in view.sorted(by: { $0.key < $1.key })
        where node != name && status.isTerminal && before[node] != status {
            holderLost(node, reason: "member \(status.rawValue)")
            perform(worker.ownerGone(node))
        }
        if !deferredClaims.isEmpty { reconsiderDeferredClaims() }
        for (node, status) in view where status == .up && before[node] != .up {
            refusedUntil[node] = nil
            lostUntil[node] = nil
        }
        if settled { reconcile() }
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
            placeWaiting(id)
        }
    }
}
