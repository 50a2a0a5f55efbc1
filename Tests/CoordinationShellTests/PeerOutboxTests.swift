import Coordination
import Foundation
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
        let outbox = PeerOutbox(maxBatchBytes: 50_000) { batch in
            sent.withLock { $0.append(batch) }
            // Slow enough that the backlog builds up behind the first batch.
            try? await Task.sleep(for: .milliseconds(20))
        }
        let envelopes = (0..<40).map { n in
            Envelope(
                from: "node-1",
                message: .submit(
                    requestID: UInt64(n), id: "a\(n)", request: Data(count: 9_000), idempotencyKey: nil,
                    createdAt: Date(timeIntervalSince1970: 0)))
        }
        for envelope in envelopes { outbox.enqueue(envelope) }
        let deadline = ContinuousClock.now + .seconds(10)
        while sent.withLock({ $0.joined().count }) < envelopes.count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let batches = sent.withLock { $0 }
        #expect(Array(batches.joined()) == envelopes)
        #expect(batches.count > 1)
        #expect(batches.allSatisfy { $0.reduce(0) { $0 + $1.approximateSize } <= 50_000 })
    }
}
