import FoundationEssentials
import Storage

/// One attempt of one agent of one assessment, under one owner's epoch. Attempts count from 1.
package struct TaskKey: Hashable, Codable, Sendable, CustomStringConvertible {
    package var assessmentID: String
    package var agent: String
    package var attempt: Int
    package var epoch: Int

    package init(assessmentID: String, agent: String, attempt: Int, epoch: Int) {
        self.assessmentID = assessmentID
        self.agent = agent
        self.attempt = attempt
        self.epoch = epoch
    }

    package var description: String { "\(assessmentID)/\(agent)#\(attempt)@e\(epoch)" }
}

/// What a worker needs to run a task: the request and, for the report generator, the ten results.
package struct TaskAssignment: Codable, Sendable, Hashable {
    package var key: TaskKey
    package var owner: String
    package var request: Data
    package var inputs: [AgentResult]

    package init(key: TaskKey, owner: String, request: Data, inputs: [AgentResult]) {
        self.key = key
        self.owner = owner
        self.request = request
        self.inputs = inputs
    }
}

/// What an owner places on one worker at once: tasks of one assessment, and its request once for
/// all of them (in the binary form the receiving node made of it: docs/performance.md, "The data
/// path"). The worker takes each task on its own (`assignments`).
package struct AssignmentBatch: Codable, Sendable, Hashable {
    package struct Placed: Codable, Sendable, Hashable {
        package var key: TaskKey
        package var inputs: [AgentResult]

        package init(key: TaskKey, inputs: [AgentResult]) {
            self.key = key
            self.inputs = inputs
        }
    }

    package var owner: String
    package var request: Data
    package var tasks: [Placed]

    package init(owner: String, request: Data, tasks: [Placed]) {
        self.owner = owner
        self.request = request
        self.tasks = tasks
    }

    /// The tasks as the worker queues them; each shares the one request's storage.
    package var assignments: [TaskAssignment] {
        tasks.map { TaskAssignment(key: $0.key, owner: owner, request: request, inputs: $0.inputs) }
    }
}

/// How a task ended on its worker.
package enum TaskOutcome: Codable, Sendable, Hashable {
    case succeeded(digest: Data, payload: Data)
    /// The agent threw; retried up to `maxAttempts`.
    case threw(String)
}

/// A record and results for a replica to store (see `AssessmentStore.replicate`).
package struct ReplicaWrite: Codable, Sendable, Hashable {
    package var writeID: UInt64
    package var record: AssessmentRecord
    package var results: [AgentResult]
    /// The record travels without its request (`record.request` is empty): the replica acknowledged
    /// a write of it before and stores the request already, which never changes (docs/performance.md,
    /// "The data path"). A replica that holds no copy answers `incomplete`, and gets the whole record.
    package var requestOmitted: Bool
    /// The record is a change of this version of its epoch, the last the owner sent this replica
    /// (`ReplicatedRecord.changesSince`; docs/coordination.md, "Writes as changes"). A replica that
    /// holds another version answers `incomplete`, and gets the whole record.
    package var changesSince: Int?

    package init(
        writeID: UInt64, record: AssessmentRecord, results: [AgentResult], requestOmitted: Bool = false,
        changesSince: Int? = nil
    ) {
        self.writeID = writeID
        self.record = record
        self.results = results
        self.requestOmitted = requestOmitted || changesSince != nil
        self.changesSince = changesSince
    }

    /// The same write without the request, for a replica that stores it.
    package var withoutRequest: ReplicaWrite {
        var write = self
        write.record.request = Data()
        write.requestOmitted = true
        return write
    }

    /// The same write as a change of `earlier` (see `AssessmentRecord.change(since:)`), for a replica
    /// that was sent that version; nil when the record cannot be one.
    package func change(since earlier: AssessmentRecord) -> ReplicaWrite? {
        record.change(since: earlier).map {
            ReplicaWrite(writeID: writeID, record: $0, results: results, changesSince: earlier.version)
        }
    }

    /// What the replica's store is given.
    package var replicated: ReplicatedRecord {
        ReplicatedRecord(
            record: record, results: results, keepsStoredRequest: requestOmitted, changesSince: changesSince)
    }
}

/// What a replica answers to a write.
package enum WriteAnswer: Codable, Sendable, Hashable {
    /// Stored, or already held at this version or newer within the same epoch.
    case accepted
    /// The replica holds a newer epoch.
    case deposed(RecordVersion)
    /// The replica promised a newer epoch to a claimant that may never finish its takeover. Unlike
    /// `deposed`, this says nothing of where the record lives: the writer must win its ownership back
    /// with a claim of its own, not believe in an owner that may not exist.
    case fenced(promised: Int)
    /// The replica holds the assessment in a final state already, which the writer adopts: nothing
    /// about the assessment changes any more.
    case final(AssessmentRecord)
    /// The store failed (full disk, I/O error): the write does not count.
    case failed(String)
    /// The write came without its request (`ReplicaWrite.requestOmitted`) and this replica holds no
    /// copy of the record: nothing was stored; the writer sends the whole record.
    case incomplete
}

/// The answer to a submission, forwarded back to the node the client talked to.
package enum SubmitAnswer: Codable, Sendable, Hashable {
    case accepted(id: String, existing: Bool)
    case unavailable(String)
    /// The owner holds `backlogLimit` unfinished assessments: nothing was written; retry later.
    case busy(String)
}

/// The answer to a cancellation.
package enum CancelAnswer: Codable, Sendable, Hashable {
    case cancelled(id: String)
    /// Already completed, failed or cancelled; nothing changed.
    case alreadyFinal(id: String)
    case notFound(id: String)
    case unavailable(String)
}

/// Everything coordinators say to each other. Each travels in an `Envelope` naming its sender.
package enum CoordinationMessage: Codable, Sendable, Hashable {
    /// Receiving node → owner: create this assessment (id chosen by the receiver).
    /// `tenant` is the submitter's (docs/security.md), stored with the record, and so is the
    /// request's `title`: status reads and listings show it without reading the request.
    case submit(
        requestID: UInt64, id: String, request: Data, idempotencyKey: String?, createdAt: Date, tenant: String? = nil,
        title: String? = nil)
    case submitted(requestID: UInt64, SubmitAnswer)
    /// Owner → replica.
    case write(ReplicaWrite)
    case written(writeID: UInt64, id: String, WriteAnswer)
    /// Would-be owner → replicas of an assessment whose owner is gone: promise to refuse anything
    /// older than `epoch` and send what you hold. `basis` is the newest version the claimant knows of.
    case claim(id: String, epoch: Int, basis: RecordVersion)
    /// A refusal says what the voter knows (`known`), so a claimant with a stale view learns where the
    /// record went instead of claiming it again and again.
    case promise(
        id: String, epoch: Int, granted: Bool, record: AssessmentRecord?, results: [AgentResult],
        known: RecordVersion? = nil)
    /// Owner → worker: every task of one assessment this owner placed on that worker at once.
    case assign(AssignmentBatch)
    /// Worker → owner: not taken (the worker is shutting down).
    case refuse(TaskKey)
    /// Worker → owner, every TTL/3 on the control lane; `load`, here and in `finished`, is the tasks the
    /// worker runs or has queued for other owners (`WorkerRole.load(besides:)`).
    case renew(keys: [TaskKey], load: Int)
    /// Owner → worker: leases that are no longer this worker's (requeued, cancelled, or finished).
    case renewed(revoked: [TaskKey])
    case finished(TaskKey, TaskOutcome, load: Int)
    /// Any node → owner.
    case cancel(requestID: UInt64, id: String)
    case cancelAnswer(requestID: UInt64, CancelAnswer)
    /// Replica → owner: records stored here unfinished of which this replica heard nothing for a while
    /// (or since it started), a few at a time. The owner sends the final state of those it holds
    /// finished: their final write reached a majority while this replica was down or cut off, and is
    /// not sent again.
    case check(ids: [String])

    /// Lease renewals must not queue behind large writes, or a healthy worker loses its leases.
    package var travelsOnControlLane: Bool {
        switch self {
        case .renew, .renewed: true
        default: false
        }
    }
}

package struct Envelope: Codable, Sendable, Hashable {
    package var from: String
    package var message: CoordinationMessage

    package init(from: String, message: CoordinationMessage) {
        self.from = from
        self.message = message
    }
}

extension Envelope {
    /// About how many bytes this envelope takes encoded: its byte payloads (requests, reports,
    /// results: nearly all of a large message) and an allowance for the rest. Outboxes cut their
    /// batches by it, so that one call stays far below the transport's frame limit.
    package var approximateSize: Int { 256 + message.payloadBytes }
}

extension CoordinationMessage {
    var payloadBytes: Int {
        // Every case listed, so that a new one is sized on purpose.
        switch self {
        case .submit(_, _, let request, _, _, _, _): request.count
        case .write(let write): write.record.approximateSize + write.results.approximateSize
        case .written(_, _, .final(let record)): record.approximateSize
        case .written: 0
        case .promise(_, _, _, let record, let results, _): (record?.approximateSize ?? 0) + results.approximateSize
        case .assign(let batch): batch.request.count + batch.tasks.reduce(0) { $0 + $1.approximateSize }
        case .finished(_, .succeeded(let digest, let payload), _): digest.count + payload.count
        case .finished: 0
        case .renew(let keys, _): 96 * keys.count
        case .renewed(let revoked): 96 * revoked.count
        case .check(let ids): ids.reduce(0) { $0 + 16 + $1.utf8.count }
        case .submitted, .claim, .refuse, .cancel, .cancelAnswer: 0
        }
    }

    /// The case's name, for logs.
    package var kind: String {
        switch self {
        case .submit: "submit"
        case .submitted: "submitted"
        case .write: "write"
        case .written: "written"
        case .claim: "claim"
        case .promise: "promise"
        case .assign: "assign"
        case .refuse: "refuse"
        case .renew: "renew"
        case .renewed: "renewed"
        case .finished: "finished"
        case .cancel: "cancel"
        case .cancelAnswer: "cancelAnswer"
        case .check: "check"
        }
    }

    /// This message as one or more that each stay under `maxBytes` where they can: the report
    /// generator's task carries the ten results it reads, and a batch of tasks whose inputs add up
    /// past the frame limit (8 MiB) could not travel in one message; the worker takes each task on
    /// its own, so they may travel apart, each part with the request. Other messages go whole.
    package func splitForTransport(maxBytes: Int) -> [CoordinationMessage] {
        guard case .assign(let batch) = self, batch.tasks.count > 1, payloadBytes > maxBytes else { return [self] }
        var parts: [[AssignmentBatch.Placed]] = [[]]
        var bytes = batch.request.count
        for task in batch.tasks {
            if !parts[parts.count - 1].isEmpty && bytes + task.approximateSize > maxBytes {
                parts.append([])
                bytes = batch.request.count
            }
            parts[parts.count - 1].append(task)
            bytes += task.approximateSize
        }
        return parts.map { .assign(AssignmentBatch(owner: batch.owner, request: batch.request, tasks: $0)) }
    }
}

extension AssignmentBatch.Placed {
    var approximateSize: Int { 128 + inputs.approximateSize }
}

extension AssessmentRecord {
    var approximateSize: Int {
        request.count + (report?.count ?? 0) + 96 * progress.agents.count
            + 64 * (replicaSet.count + leaving.reduce(0) { $0 + $1.count })
    }
}

extension [AgentResult] {
    var approximateSize: Int { reduce(0) { $0 + 128 + $1.digest.count + $1.payload.count } }
}
