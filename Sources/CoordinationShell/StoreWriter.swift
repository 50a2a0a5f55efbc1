import Coordination
import Metrics
import Storage
import Synchronization

/// The node's one writer to its store: replica writes that arrive while a commit is on its way to
/// disk wait and then commit together, so a busy node pays one fsync for many writes.
final class StoreWriter: Sendable {
    typealias Completion = @Sendable (Result<ReplicaOutcome, StoreError>) -> Void

    private struct State {
        var pending: [(ReplicatedRecord, Completion)] = []
        var writing = false
    }

    private let store: any AssessmentStore
    private let state = Mutex(State())
    /// Bounds one transaction, so one slow commit does not hold a huge batch hostage.
    private let maxBatch = 256
    /// Replica writes and the transactions (each one fsync) they were committed in.
    private let writesCounter = Counter(label: "inframind_store_replica_writes_total")
    private let commitsCounter = Counter(label: "inframind_store_commits_total")

    init(store: any AssessmentStore) {
        self.store = store
    }

    func write(_ record: ReplicatedRecord, then completion: @escaping Completion) {
        let start = state.withLock { state -> Bool in
            state.pending.append((record, completion))
            defer { state.writing = true }
            return !state.writing
        }
        guard start else { return }
        Task { await self.drain() }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [(ReplicatedRecord, Completion)] in
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty { return }
            writesCounter.increment(by: batch.count)
            commitsCounter.increment()
            do {
                let outcomes = try await store.replicate(batch: batch.map(\.0))
                for (item, outcome) in zip(batch, outcomes) { item.1(.success(outcome)) }
            } catch {
                for item in batch { item.1(.failure(error)) }
            }
        }
    }
}
