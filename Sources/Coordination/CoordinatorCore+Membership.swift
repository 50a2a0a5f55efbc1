import Membership
import Storage

/// The membership view as coordination reads it: the core keeps it and hands it to the owner role
/// whenever it changes.
struct ClusterView: Sendable {
    let name: String
    /// Every member's status, as the last view the shell passed in.
    var statuses: [String: SWIM.Status]
    /// Every member this node has known — in a view, or named by a stored record — and not seen leave:
    /// the cluster its quorum counts against. A view can lose members (a node that rejoins under a new
    /// uid starts from its seeds' view), and a majority of such a view is no majority: the simulation
    /// had two of five nodes, each seeing only the other, acknowledge submissions.
    var knownMembers: Set<String>
    /// The nodes a message came from within `settings.contactLease`, this one included, as the shell
    /// last passed them in (`SWIM.Instance.heard(within:at:)`): a write's quorum needs a majority here
    /// too, not only in the view (`OwnerRole.hasSubmissionQuorum`).
    var heard: Set<String> = []
    /// Set once membership has converged after start: before that, "not seen" does not mean "down".
    var settled = false
    var draining = false

    init(name: String) {
        self.name = name
        statuses = [name: .up]
        knownMembers = [name]
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

    var quorumProblem: String {
        let (reachable, members) = quorumCounts
        return "no quorum: this node reaches \(reachable) of \(members) members"
    }

    /// Members heard from within the contact lease, this node included, and members of the cluster.
    var contactCounts: (heard: Int, members: Int) {
        (knownMembers.filter { $0 == name || heard.contains($0) }.count, knownMembers.count)
    }

    var hasContactQuorum: Bool {
        let (heard, members) = contactCounts
        return heard * 2 > members
    }
}

extension CoordinatorCore {
    mutating func updateMembership(_ view: [String: SWIM.Status]) {
        let before = cluster.statuses
        var updated = cluster
        updated.statuses = view
        // This node is always alive to itself, whatever a stale view says.
        updated.statuses[name] = updated.draining ? .left : .up
        for (node, status) in view where node != name {
            if status == .left { updated.knownMembers.remove(node) } else { updated.knownMembers.insert(node) }
        }
        cluster = updated
        // In name order: what follows draws on the seeded generator, so the order must not depend
        // on the dictionary's.
        for (node, status) in view.sorted(by: { $0.key < $1.key })
        where node != name && status.isTerminal && before[node] != status {
            owner.holderLost(node, reason: "member \(status.rawValue)")
            runOwner()
            perform(worker.ownerGone(node))
        }
        if !replica.deferredClaims.isEmpty { reconsiderDeferredClaims() }
        owner.upAgain(in: view, from: before)
        if cluster.settled { reconcile() }
    }
}
