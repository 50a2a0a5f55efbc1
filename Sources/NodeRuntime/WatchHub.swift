import CoreMetrics
import FoundationEssentials
import HTTPAPI
import Synchronization

/// One watcher per assessment id on this node, shared by all its event streams: the first stream of an
/// id starts it, every later one gets the newest snapshot at once and then each change with the
/// others, and the watcher stops when the last stream goes. A thousand streams of one assessment cost
/// one follower's reads, not a thousand (docs/security.md, "Connection limits";
/// `inframind_http_event_watchers` in /metrics counts them).
final class WatchHub: Sendable {
    typealias Snapshots = AsyncThrowingStream<AssessmentSnapshot, any Error>

    private struct Watcher {
        var generation: UInt64
        var streams: [UInt64: Snapshots.Continuation] = [:]
        var latest: AssessmentSnapshot?
        var task: Task<Void, Never>?
    }

    private struct State {
        var nextID: UInt64 = 0
        var watchers: [String: Watcher] = [:]
    }

    private let state = Mutex(State())

    /// How many ids have a watcher now.
    var watchers: Int { state.withLock { $0.watchers.count } }

    /// A stream of `id`'s snapshots; `follow` makes the one upstream when `id` has no watcher yet.
    func stream(id: String, follow: @escaping @Sendable () -> Snapshots) -> Snapshots {
        let (stream, continuation) = Snapshots.makeStream()
        let token: UInt64 = state.withLock { state in
            state.nextID += 1
            let token = state.nextID
            if var watcher = state.watchers[id] {
                // Under the lock, so no newer snapshot can reach this stream first; safe there, as
                // nobody reads this stream yet (see `publish`).
                if let latest = watcher.latest { continuation.yield(latest) }
                watcher.streams[token] = continuation
                state.watchers[id] = watcher
            } else {
                let generation = token
                var watcher = Watcher(generation: generation)
                watcher.streams[token] = continuation
                // Started under the lock, so no stream can join or leave between the entry and its task;
                // the task's first step takes the lock, hence runs after this returns.
                watcher.task = Task { [self] in
                    do {
                        for try await snapshot in follow() {
                            publish(id, generation: generation, snapshot)
                        }
                        end(id, generation: generation, error: nil)
                    } catch {
                        end(id, generation: generation, error: error)
                    }
                }
                state.watchers[id] = watcher
                Self.record(state.watchers.count)
            }
            return token
        }
        continuation.onTermination = { [self] _ in leave(id, token: token) }
        return stream
    }

    /// Yields outside the lock. A yield to a stream whose reader waits resumes the reader's task,
    /// which takes that task's status lock; a reader being cancelled holds its status lock while its
    /// stream's onTermination runs `leave`, which takes this lock. Yielding under this lock, the two
    /// waited on each other for good: with both cooperative threads of a 2-core node stuck so, the
    /// node stopped answering anything (found by the long `scripts/partitions` run, docs/partitions.md).
    /// One task publishes a watcher's snapshots, in order, so they reach each stream in order.
    private func publish(_ id: String, generation: UInt64, _ snapshot: AssessmentSnapshot) {
        let streams: [Snapshots.Continuation] = state.withLock { state in
            guard var watcher = state.watchers[id], watcher.generation == generation else { return [] }
            watcher.latest = snapshot
            state.watchers[id] = watcher
            return Array(watcher.streams.values)
        }
        for stream in streams { stream.yield(snapshot) }
    }

    private func end(_ id: String, generation: UInt64, error: (any Error)?) {
        let streams: [Snapshots.Continuation] = state.withLock { state in
            guard let watcher = state.watchers[id], watcher.generation == generation else { return [] }
            state.watchers[id] = nil
            Self.record(state.watchers.count)
            return Array(watcher.streams.values)
        }
        // Outside the lock: finishing runs each stream's onTermination, which takes it.
        for stream in streams { stream.finish(throwing: error) }
    }

    private func leave(_ id: String, token: UInt64) {
        let stopped: Task<Void, Never>? = state.withLock { state in
            guard var watcher = state.watchers[id], watcher.streams.removeValue(forKey: token) != nil else {
                return nil
            }
            guard watcher.streams.isEmpty else {
                state.watchers[id] = watcher
                return nil
            }
            state.watchers[id] = nil
            Self.record(state.watchers.count)
            return watcher.task
        }
        stopped?.cancel()
    }

    private static func record(_ count: Int) {
        Gauge(label: "inframind_http_event_watchers").record(count)
    }
}

/// A token bucket over reads that ask every member (`CoordinatorNode.read`'s `mayAskEveryone`):
/// `perSecond` of them a second, as many in one burst; counted in
/// `inframind_wide_reads_total{outcome}`.
final class WideReadGate: Sendable {
    let perSecond: Int
    private let bucket: Mutex<(tokens: Double, at: ContinuousClock.Instant)>

    init(perSecond: Int) {
        self.perSecond = perSecond
        bucket = Mutex((Double(perSecond), ContinuousClock.now))
    }

    func permit() -> Bool {
        let now = ContinuousClock.now
        let allowed = bucket.withLock { bucket in
            let elapsed = now - bucket.at
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            bucket.tokens = min(Double(perSecond), bucket.tokens + seconds * Double(perSecond))
            bucket.at = now
            guard bucket.tokens >= 1 else { return false }
            bucket.tokens -= 1
            return true
        }
        Counter(label: "inframind_wide_reads_total", dimensions: [("outcome", allowed ? "asked" : "refused")])
            .increment()
        return allowed
    }
}
