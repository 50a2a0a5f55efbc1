import ClusterSystem
import Coordination
import Synchronization

/// Messages for one peer on one lane, sent one batch at a time: while a batch is on the wire the
/// next one fills up, so a busy link sends few large calls and a quiet one sends each message at
/// once — and the peer sees them in the order the state machine produced them.
///
/// A batch holds at most `maxBatchBytes` (by `Envelope.approximateSize`; a message larger than
/// that is split where it can be, `CoordinationMessage.splitForTransport`, and goes alone where
/// not): an owner with a backlog once sent a peer 8.7 MB in one call, over the 8 MiB frame limit,
/// and the peer dropped the connection and every call on it.
final class PeerOutbox: Sendable {
    private struct State {
        var pending: [Envelope] = []
        var sending = false
    }

    private let state = Mutex(State())
    private let maxBatchBytes: Int
    private let send: @Sendable ([Envelope]) async -> Void

    /// `send` delivers one batch; it reports its own failures (the protocol tolerates lost messages).
    init(maxBatchBytes: Int = 1 << 20, send: @escaping @Sendable ([Envelope]) async -> Void) {
        self.maxBatchBytes = maxBatchBytes
        self.send = send
    }

    func enqueue(_ envelope: Envelope) {
        let parts = envelope.message.splitForTransport(maxBytes: maxBatchBytes).map {
            Envelope(from: envelope.from, message: $0)
        }
        let start = state.withLock { state -> Bool in
            state.pending.append(contentsOf: parts)
            defer { state.sending = true }
            return !state.sending
        }
        guard start else { return }
        Task { await self.drain() }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Envelope] in
                if state.pending.isEmpty { state.sending = false }
                let count = Self.batchLength(state.pending, maxBytes: maxBatchBytes)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if batch.isEmpty { return }
            await send(batch)
        }
    }

    /// How many of `pending`, from the first, go in the next batch: as many as fit in `maxBytes`,
    /// and at least one.
    static func batchLength(_ pending: [Envelope], maxBytes: Int) -> Int {
        var bytes = 0
        for (index, envelope) in pending.enumerated() {
            bytes += envelope.approximateSize
            if bytes > maxBytes { return max(index, 1) }
        }
        return pending.count
    }
}
