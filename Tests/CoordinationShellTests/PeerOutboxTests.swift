import Coordination
import Foundation
import Storage
import Synchronization
import Testing

@testable import CoordinationShell

/// Batches to one peer stay under their byte budget however long the backlog grows.
@Suite struct PeerOutboxTests {
    func submission(bytes: Int) -> Envelope {
        Envelope(
            from: "node-1",
            message: .submit(
                requestID: 1, id: "a", request: Data(count: bytes), idempotencyKey: nil,
                createdAt: Date(timeIntervalSince1970: 0)))
    }

    @Test func aBatchTakesWhatFitsAndAtLeastOne() {
        let tenKB = (0..<10).map { _ in submission(bytes: 10_000) }
        #expect(PeerOutbox.batchLength(tenKB, maxBytes: 35_000) == 3)
        #expect(PeerOutbox.batchLength(tenKB, maxBytes: 1 << 20) == 10)
        // A message larger than the budget goes alone rather than never.
        #expect(PeerOutbox.batchLength([submission(bytes: 100_000)] + tenKB, maxBytes: 35_000) == 1)
        #expect(PeerOutbox.batchLength([], maxBytes: 35_000) == 0)
    }

    @Test func aBacklogGoesOutInOrderInBatchesUnderTheBudget() async {
        let sent = Mutex<[[Envelope]]>([])
        let gate = Gate()
        // The first batch waits at the gate until the whole backlog is queued behind it.
        let outbox = PeerOutbox(maxBatchBytes: 50_000) { batch in
            await gate.passed()
            sent.withLock { $0.append(batch) }
        }
        let envelopes = (0..<40).map { n in
            Envelope(
                from: "node-1",
                message: .submit(
                    requestID: UInt64(n), id: "a\(n)", request: Data(count: 9_000), idempotencyKey: nil,
                    createdAt: Date(timeIntervalSince1970: 0)))
        }
        for envelope in envelopes { outbox.enqueue(envelope) }
        await gate.open()
        // Bounded only so that a broken outbox fails instead of hanging the run.
        for _ in 0..<100_000 where sent.withLock({ $0.joined().count }) < envelopes.count {
            await Task.yield()
            try? await Task.sleep(for: .milliseconds(2))
        }
        let batches = sent.withLock { $0 }
        #expect(Array(batches.joined()) == envelopes)
        #expect(batches.count > 1)
        #expect(batches.allSatisfy { $0.reduce(0) { $0 + $1.approximateSize } <= 50_000 })
    }

    /// Tasks whose inputs add up past the frame limit would make one `assign` too large; it travels
    /// as several, each under the budget with the request, the tasks in their order.
    static func largeAssignment() -> AssignmentBatch {
        let inputs = [
            AgentResult(
                assessmentID: "a", agent: "cto", attempt: 1, digest: Data(count: 32), payload: Data(count: 300_000),
                node: "node-2", recordedAt: Date(timeIntervalSince1970: 0))
        ]
        return AssignmentBatch(
            owner: "node-1", request: Data(count: 100_000),
            tasks: (0..<10).map { n in
                AssignmentBatch.Placed(
                    key: TaskKey(assessmentID: "a", agent: "agent-\(n)", attempt: 1, epoch: 1), inputs: inputs)
            })
    }

    @Test func aLargeAssignmentTravelsInParts() {
        let batch = Self.largeAssignment()
        let parts = CoordinationMessage.assign(batch).splitForTransport(maxBytes: 1 << 20)
        let taken = parts.flatMap { part -> [TaskAssignment] in
            guard case .assign(let some) = part else { return [] }
            return some.assignments
        }
        #expect(taken == batch.assignments)
        #expect(parts.count == 4)
        #expect(parts.allSatisfy { Envelope(from: "node-1", message: $0).approximateSize <= (1 << 20) + 256 })
        // Small ones, and other messages, go whole; the request travels once per part, not per task.
        var small = batch
        small.tasks = small.tasks.map { AssignmentBatch.Placed(key: $0.key, inputs: []) }
        #expect(CoordinationMessage.assign(small).splitForTransport(maxBytes: 1 << 20) == [.assign(small)])
        #expect(submission(bytes: 2_000_000).message.splitForTransport(maxBytes: 1 << 20).count == 1)
    }

    /// The outbox splits with its own budget: the assignment above, enqueued whole, leaves in parts.
    @Test func theOutboxSplitsALargeAssignment() async {
        let sent = Mutex<[Envelope]>([])
        let outbox = PeerOutbox(maxBatchBytes: 1 << 20) { batch in sent.withLock { $0.append(contentsOf: batch) } }
        outbox.enqueue(Envelope(from: "node-1", message: .assign(Self.largeAssignment())))
        // Bounded only so that a broken outbox fails instead of hanging the run.
        for _ in 0..<100_000 where sent.withLock({ $0.count }) < 4 {
            try? await Task.sleep(for: .milliseconds(2))
        }
        let parts = sent.withLock { $0 }
        #expect(parts.count == 4)
        #expect(parts.allSatisfy { $0.from == "node-1" && $0.approximateSize <= (1 << 20) + 256 })
    }
}

/// Callers of `passed()` wait until `open()`.
actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func passed() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func open() {
        isOpen = true
        for continuation in waiting { continuation.resume() }
        waiting.removeAll()
    }
}
