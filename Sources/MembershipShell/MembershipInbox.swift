import CoreMetrics
import Membership
import Synchronization

/// Where `/membership` puts the messages peers deliver, for the service to take one at a time. It is
/// bounded: a peer (or many) sending faster than the state machine handles loses the oldest waiting
/// messages, which SWIM tolerates as it tolerates any lost packet, instead of growing a task per
/// message without bound.
package final class MembershipInbox: Sendable {
    package let capacity: Int
    let messages: AsyncStream<SWIM.Message>
    private let continuation: AsyncStream<SWIM.Message>.Continuation
    private let droppedFull = Atomic<Int>(0)
    private let droppedSender = Atomic<Int>(0)
    private let fullCounter = Counter(
        label: "inframind_membership_messages_dropped_total", dimensions: [("reason", "queue_full")])
    private let senderCounter = Counter(
        label: "inframind_membership_messages_dropped_total", dimensions: [("reason", "sender_mismatch")])

    package init(capacity: Int = 1024) {
        precondition(capacity > 0, "a membership inbox holds at least one message")
        self.capacity = capacity
        (messages, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(capacity))
    }

    /// Queues `message`; when the inbox is full the oldest waiting message makes room and is counted.
    package func enqueue(_ message: SWIM.Message) {
        if case .dropped = continuation.yield(message) {
            droppedFull.add(1, ordering: .relaxed)
            fullCounter.increment()
        }
    }

    /// A message refused because its sender is not the certified peer that delivered it.
    func refusedSender() {
        droppedSender.add(1, ordering: .relaxed)
        senderCounter.increment()
    }

    /// Messages dropped because the inbox was full.
    package var droppedBecauseFull: Int { droppedFull.load(ordering: .relaxed) }
    /// Messages dropped because they named a sender other than the peer that delivered them.
    package var droppedBecauseOfSender: Int { droppedSender.load(ordering: .relaxed) }

    func finish() { continuation.finish() }
}
