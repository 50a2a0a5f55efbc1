import Coordination
import Metrics
import Storage
import Synchronization

/// The node's one writer to its store: replica writes that arrive while a commit is on its way to
/// disk wait and then commit together, so a busy node pays one fsync for many writes.
///
/// Driven by the store's completion callbacks rather than a task: each commit takes what queued up
/// until its transaction began and, once durable, starts the next, on the store's own thread.
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
        if start { commitNext() }
    }

    /// One transaction of what is pending when it begins; then the next, or idle when none is.
    private func commitNext() {
        let taken = Mutex<[Completion]?>(nil)
        store.replicate(
            batch: { [self] in
                let batch = takeBatch()
                taken.withLock { $0 = batch.map(\.1) }
                writesCounter.increment(by: batch.count)
                commitsCounter.increment()
                return batch.map(\.0)
            },
            completion: { [self] result in
                // A store that failed before its transaction began (closed, an I/O error at BEGIN)
                // never asked for the batch: the writes it would have taken fail with its error, or
                // they would wait for ever and the next commit would meet the same failure.
                let completions = taken.withLock { $0 } ?? takeBatch().map(\.1)
                switch result {
                case .success(let outcomes):
                    for (completion, outcome) in zip(completions, outcomes) { completion(.success(outcome)) }
                case .failure(let error):
                    for completion in completions { completion(.failure(error)) }
                }
                let more = state.withLock { state -> Bool in
                    if state.pending.isEmpty { state.writing = false }
                    return state.writing
                }
                if more { commitNext() }
            })
    }

    private func takeBatch() -> [(ReplicatedRecord, Completion)] {
        state.withLock { state in
            let batch = Array(state.pending.prefix(maxBatch))
            state.pending.removeFirst(batch.count)
            return batch
        }
    }
}
