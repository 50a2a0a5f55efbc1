import ClusterSystem
import Coordination
import Synchronization

/// Messages for one peer on one lane, sent one batch at a time: while a batch is on the wire the
/// next one fills up, so a busy link sends few large calls and a quiet one sends each message at
/// once — and the peer sees them in the order the state machine produced them.
final class PeerOutbox: Sendable {
    private struct State {
        var pending: [Envelope] = []
        var sending = false
    }

    private let state = Mutex(State())
    private let send: @Sendable ([Envelope]) async -> Void

    /// `send` delivers one batch; it reports its own failures (the protocol tolerates lost messages).
    init(send: @escaping @Sendable ([Envelope]) async -> Void) {
        self.send = send
    }

    func enqueue(_ envelope: Envelope) {
        let start = state.withLock { state -> Bool in
            state.pending.append(envelope)
            defer { state.sending = true }
            return !state.sending
        }
        guard start else { return }
        Task { await self.drain() }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Envelope] in
                defer { state.pending.removeAll() }
                if state.pending.isEmpty { state.sending = false }
                return state.pending
            }
            if batch.isEmpty { return }
            await send(batch)
        }
    }
}
