import FoundationEssentials
import Membership
import Storage

/// What the shell feeds into a `CoordinatorCore`.
package enum CoordinatorEvent: Sendable {
    /// At start: every record in this node's store (a restarted node resumes from these).
    case loaded([RecordSummary])
    /// The membership view changed: every member's latest status, by node name.
    case membership([String: SWIM.Status])
    /// The nodes this one had a message from within `CoordinationSettings.contactLease`, itself
    /// included; passed in whenever the set changes.
    case heard(Set<String>)
    /// Membership has converged after start; until then the core takes over nothing.
    case settled
    /// The transport lost its connection to this node (a killed process closes its sockets at once).
    case peerLost(String)
    case received(Envelope)
    /// The local store finished a `.apply` directive.
    case applied(ReplicaWrite, replyTo: String, Result<ReplicaOutcome, StoreError>)
    /// The local store finished a `.readForPromise` directive.
    case promiseRead(id: String, epoch: Int, claimant: String, record: AssessmentRecord?, results: [AgentResult])
    /// The local store finished a `.readForRelay` directive.
    case relayRead(id: String, to: String, record: AssessmentRecord?, results: [AgentResult])
    /// The local store finished a `.readFinal` directive.
    case finalRead(id: String, writeID: UInt64, replyTo: String, record: AssessmentRecord?)
    /// The local worker finished (or failed) a task started by `.execute`.
    case executed(TaskKey, TaskOutcome)
    /// A client of this node submitted a validated request; `id` is derived from the idempotency key
    /// when there is one, so every node picks the same id (and owner) for the same key.
    case clientSubmit(
        clientID: UInt64, id: String, request: Data, idempotencyKey: String?, tenant: String? = nil,
        title: String? = nil)
    /// A client of this node asked to cancel; the shell found the record and its owner first.
    case clientCancel(clientID: UInt64, id: String, owner: String)
    /// The node is shutting down: refuse new tasks, hand back queued ones, finish running ones.
    case drain
    /// Time passed; the shell ticks every few tens of milliseconds.
    case tick
}

/// What a `CoordinatorCore` asks of its shell.
package enum CoordinatorDirective: Sendable {
    case send(CoordinationMessage, to: String)
    /// Store `write` locally (`AssessmentStore.replicate`), then feed `.applied`.
    case apply(ReplicaWrite, replyTo: String)
    /// Read the record and its results locally, then feed `.promiseRead`.
    case readForPromise(id: String, epoch: Int, claimant: String)
    /// Read the record and its results locally, then feed `.relayRead` (for a replica that may lack them).
    case readForRelay(id: String, to: String)
    /// Read the record locally, then feed `.finalRead` (answering a write that would undo a final state).
    case readFinal(id: String, writeID: UInt64, replyTo: String)
    /// Run the task on this node's worker, then feed `.executed`.
    case execute(TaskAssignment)
    /// Stop the task at its next checkpoint; do not feed `.executed` for it.
    case abandon(TaskKey)
    case answerSubmit(clientID: UInt64, SubmitAnswer)
    case answerCancel(clientID: UInt64, CancelAnswer)
    /// Retention: remove finished records last changed before this date from the local store.
    case deleteExpired(before: Date)
    case log(CoordinatorLog)
}

package struct CoordinatorLog: Sendable, Hashable, CustomStringConvertible {
    package enum Level: Sendable, Hashable { case debug, info, notice, warning, error }

    package var level: Level
    package var message: String
    package var assessmentID: String?

    package var description: String { assessmentID.map { "[\($0)] \(message)" } ?? message }
}
