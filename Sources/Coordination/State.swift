import FoundationEssentials
import Storage

/// What a node keeps in memory of a record it stores.
package struct ReplicaMeta: Sendable, Hashable {
    package var status: AssessmentStatus
    package var version: RecordVersion
    package var updatedAt: Date
    /// The highest epoch this replica promised to a claimant, this node included: a claim of this
    /// epoch or an older one is refused.
    package var promised: Int
    /// The highest epoch promised to another node: writes of older epochs are refused. A promise this
    /// node gave its own claim, or learnt of from another replica, fences only while this node's claim
    /// or the ownership it won lasts (`ReplicaRole.writeReceived`).
    package var othersPromised = 0

    var owner: String? { version.replicaSet.first }
    var epoch: Int { max(version.epoch, promised) }
}

/// Who is waiting for an answer: a client of this node, or another node that forwarded it.
enum Waiter: Sendable, Hashable {
    case local(clientID: UInt64)
    case remote(node: String, requestID: UInt64)
}

/// A submission or cancellation this node forwarded to an owner.
struct Forwarded: Sendable {
    enum Kind: Sendable {
        case submit(id: String, request: Data, idempotencyKey: String?, tenant: String?, title: String?)
        case cancel(id: String)
    }

    var clientID: UInt64
    var owner: String
    var kind: Kind
    var deadline: Duration
}

/// One agent task as its owner tracks it.
struct TaskSlot: Sendable, Hashable {
    enum State: Sendable, Hashable {
        case waiting(notBefore: Duration)
        case leased(holder: String, expires: Duration)
        /// A result arrived and waits for a write to the replica set, a journal write or the final one;
        /// it is journaled once a majority has that write.
        case journaling
        case succeeded
    }

    var state: State = .waiting(notBefore: .zero)
    /// The last attempt issued (0 before the first).
    var attempt = 0
    /// Attempts that threw.
    var failures = 0
    var node: String?
    /// Wall-clock times of the latest attempt, for the progress clients see (`AgentProgress`).
    var startedAt: Date?
    var finishedAt: Date?
}

/// An assessment this node owns: the record as the owner last wrote it, the results and the tasks.
struct OwnedAssessment: Sendable {
    enum Phase: Sendable, Hashable {
        /// The first write (submission or takeover) has not reached a majority yet.
        case starting
        case running
        /// The final write is on its way; nothing more is placed.
        case finishing
    }

    var record: AssessmentRecord
    var results: [String: AgentResult]
    var tasks: [String: TaskSlot]
    var phase: Phase = .starting
    var progressDirty = false
    var lastWrite: Duration = .zero
    /// The journal write on its way, if any. Results that arrive meanwhile wait and go together in
    /// the next one: under load, one replicated write carries several results instead of one each.
    var journalWrite: UInt64?
    /// When the oldest result not yet in a journal write arrived (see `journalLinger`).
    var oldestUnjournaled: Duration?
    var cancelWaiters: [Waiter] = []
    /// Replicas that acknowledged a write of this epoch, so store the request: later writes go to
    /// them without it (`ReplicaWrite.requestOmitted`). A takeover starts from none.
    var holdsRecord: Set<String> = []
    /// The newest version of the record sent to each replica in this epoch: a later write goes to a
    /// replica that holds a copy as a change of it (`ReplicaWrite.change(since:)`). A replica that
    /// answers `incomplete` or `failed` is sent whole records until it acknowledges one again.
    var sentTo: [String: AssessmentRecord] = [:]
    /// The version of the last move (takeover or re-replication) that reached its majorities. Until the
    /// last move written (`lastMove`) has, `record.leaving` names the sets every write must also reach a
    /// majority of: a claimant that knows only those collects its promises there, so a write counted
    /// on the new set alone could be missed (found by the simulation: a record moved twice while its
    /// first move was still short of the old set's majority, then completed on the newest set; a node
    /// partitioned away with the oldest set claimed it from that set's majority and replaced the
    /// completed state).
    var reconfiguredAt = 0
    /// The version of the last move written, committed or not.
    var lastMove = 0

    init(record: AssessmentRecord, results: [String: AgentResult], tasks: [String: TaskSlot]) {
        self.record = record
        self.results = results
        self.tasks = tasks
    }
}

/// A takeover in progress: promises collected from a majority of the last replica set and of every
/// set a move of it was leaving (see `AssessmentRecord.leaving`).
struct Claim: Sendable {
    var epoch: Int
    /// The record's replica set first, then the sets it leaves.
    var sets: [[String]]
    var granted: [String: (record: AssessmentRecord?, results: [AgentResult])] = [:]
    var refused: Set<String> = []
    var deadline: Duration

    var voters: [String] { sets.members }

    /// A majority of every set granted.
    var won: Bool { sets.haveMajorities { granted[$0] != nil } }

    /// Some set has refusals enough that it can no longer grant a majority.
    var lost: Bool { !sets.haveMajorities { !refused.contains($0) } }
}

/// Replica sets that a claim or a write needs a majority of each (`RecordVersion.quorumSets`).
extension [[String]] {
    /// Every member once, in the order first named (the replica set's members first). No `Set`: the
    /// sets are a few names each, and every replicated write asks for its targets.
    var members: [String] {
        var members: [String] = []
        for member in joined() where !members.contains(member) { members.append(member) }
        return members
    }

    /// Whether more than half of every set passes `counts`.
    func haveMajorities(where counts: (String) -> Bool) -> Bool {
        allSatisfy { set in set.count(where: counts) * 2 > set.count }
    }
}

/// A claim refused while the record's owner looked alive here (see `ReplicaRole.deferredClaims`).
struct DeferredClaim: Sendable {
    var claimant: String
    var epoch: Int
    var basis: RecordVersion
    var owner: String
    /// The claimant has given up on it by then.
    var until: Duration
}

/// A write sent to a replica set and the acknowledgements it has.
struct PendingWrite: Sendable {
    enum Purpose: Sendable, Hashable {
        case create
        /// Results, each counting once this write is on its majorities.
        case journal
        case progress
        case final
        case reconfigure
    }

    var write: ReplicaWrite
    var purpose: Purpose
    var targets: [String]
    var acked: Set<String> = []
    var quorumReached = false
    var sentAt: Duration

    var hasQuorum: Bool { hasQuorum(countingAlso: nil) }

    /// Majorities of the replica set and of every set the record leaves, as if `member` had answered
    /// too. While a move (takeover or re-replication) is short of its majorities, a write counts only
    /// once a majority of each set it leaves has it too (joint majorities, as in Raft's joint
    /// consensus): otherwise a node left out of the new set, holding an old version, could later
    /// collect promises from a majority of an old set that saw none of the newer writes, and bring
    /// back a state older than a completed one (found by the simulation).
    func hasQuorum(countingAlso member: String?) -> Bool {
        write.record.recordVersion.quorumSets.haveMajorities { acked.contains($0) || $0 == member }
    }
}
