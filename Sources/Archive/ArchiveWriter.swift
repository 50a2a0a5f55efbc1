import FoundationEssentials
import Logging
import Metrics
import Storage
import Synchronization

/// How the archive writer paces itself and bounds its queue.
package struct ArchiveWriterSettings: Sendable, Hashable {
    /// How often an empty (or standing-by) queue is looked at again.
    package var pollInterval: Duration = .milliseconds(200)
    /// Backoff after a failed write: doubles from `firstBackoff` up to `maximumBackoff`, each wait
    /// drawn at random between half of it and all of it, so nodes do not retry in step.
    package var firstBackoff: Duration = .milliseconds(200)
    package var maximumBackoff: Duration = .seconds(30)
    /// An entry whose owner is alive is left to the owner this long before a replica writes it too:
    /// an owner that is up but cannot reach the archive should not have its replicas repeat its
    /// failing writes, and an owner that died is caught by membership first.
    package var standbyDelay: Duration = .seconds(60)
    /// Meanwhile, an entry this old is looked up in the archive (by id, without request or report)
    /// and let go once the owner's write is there, so that retention is not held up on the replicas.
    package var standbyCheck: Duration = .seconds(3)
    /// Entries older than `retention` are given up, oldest first, while the queue holds more than this.
    package var queueLimit: Int = 100_000
    package var retention: Duration = .seconds(24 * 3600)
    /// Entries written per pass.
    package var batch: Int = 64

    package init() {}
}

/// What `/metrics` and `/v1/archive/status` show of the writer.
package struct ArchiveStatus: Sendable, Hashable {
    /// Final states this node made and has not archived yet.
    package var pending: Int
    /// Final states other owners made, which this node holds in case their owner cannot write them.
    package var standby: Int
    package var written: Int
    package var failed: Int
    package var dropped: Int
    package var lastSuccess: Date?
    package var lastError: String?
    /// Age of the oldest final state this node made and has not archived (0 when none waits).
    package var lagSeconds: Double
}

/// Drains this node's archive queue into MongoDB in the background: never on the path that accepts
/// or runs an assessment. Entries this node owns are written at once; those of other owners once the
/// owner is gone from membership or `standbyDelay` has passed (the guarded upsert makes a second
/// writer harmless). Failures back off, capped and jittered, and are counted, never thrown.
package final class ArchiveWriter: Sendable {
    package let node: String
    private let archive: MongoArchive
    private let store: SQLiteAssessmentStore
    private let settings: ArchiveWriterSettings
    private let ownerIsAlive: @Sendable (String) async -> Bool
    private let logger: Logger
    private let counters = Mutex(Counts())

    private struct Counts {
        var written = 0
        var failed = 0
        var dropped = 0
        var lastSuccess: Date?
        var lastError: String?
        var indexesReady = false
        var full = false
    }

    private let pendingGauge = Gauge(label: "inframind_archive_pending")
    private let standbyGauge = Gauge(label: "inframind_archive_standby")
    private let writtenCounter = Counter(label: "inframind_archive_written_total")
    private let failedCounter = Counter(label: "inframind_archive_failed_total")
    private let droppedCounter = Counter(label: "inframind_archive_dropped_total")
    private let lastSuccessGauge = Gauge(label: "inframind_archive_last_success_timestamp_seconds")
    private let lagGauge = Gauge(label: "inframind_archive_lag_seconds")
    private let lagRecorder = Timer(label: "inframind_archive_write_lag_seconds")

    package init(
        node: String, archive: MongoArchive, store: SQLiteAssessmentStore, settings: ArchiveWriterSettings,
        logger: Logger, ownerIsAlive: @escaping @Sendable (String) async -> Bool
    ) {
        self.node = node
        self.archive = archive
        self.store = store
        self.settings = settings
        self.logger = logger
        self.ownerIsAlive = ownerIsAlive
    }

    /// Runs until the task is cancelled.
    package func run() async {
        var failures = 0
        while !Task.isCancelled {
            let progressed: Bool
            do {
                progressed = try await pass()
                failures = 0
            } catch {
                failures += 1
                counters.withLock {
                    $0.failed += 1
                    $0.lastError = "\(error)"
                }
                failedCounter.increment()
                // The first failure of a run is news; the rest are counted.
                if failures == 1 {
                    logger.warning("archive write failed; retrying with backoff", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: backoff(after: failures))
                continue
            }
            if !progressed { try? await Task.sleep(for: settings.pollInterval) }
        }
    }

    /// Capped exponential backoff with jitter: between half and all of min(first × 2^(n-1), maximum).
    func backoff(after failures: Int) -> Duration {
        let exponent = min(failures - 1, 20)
        let ceiling = min(settings.firstBackoff * (1 << exponent), settings.maximumBackoff)
        let milliseconds = Double(ceiling.components.seconds) * 1000 + Double(ceiling.components.attoseconds) / 1e15
        return .milliseconds(Int(Double.random(in: milliseconds / 2...milliseconds)))
    }

    /// One look at the queue; true when something was written (so the next pass comes at once).
    func pass() async throws -> Bool {
        try await bound()
        if !counters.withLock({ $0.indexesReady }) {
            try await archive.ensureIndexes()
            counters.withLock { $0.indexesReady = true }
            logger.info("archive indexes ready", metadata: ["collection": "\(archive.database).\(archive.collection)"])
        }
        let entries = try await store.archiveQueue(limit: settings.batch * 4)
        await publishGauges()
        var wrote = false
        var attempted = 0
        let now = Date()
        for entry in entries where attempted < settings.batch {
            if entry.owner != node {
                let waited = now.timeIntervalSince(entry.queuedAt)
                let delay = Double(settings.standbyDelay.components.seconds)
                if waited < delay, await ownerIsAlive(entry.owner) {
                    guard waited >= Double(settings.standbyCheck.components.seconds) else { continue }
                    attempted += 1
                    if let stored = try await archive.storedVersion(id: entry.id),
                        (stored.epoch, stored.version) >= (entry.epoch, entry.version)
                    {
                        try await store.archived(id: entry.id, epoch: stored.epoch, version: stored.version)
                        wrote = true
                    }
                    continue
                }
            }
            attempted += 1
            try await write(entry)
            wrote = true
        }
        if wrote { await publishGauges() }
        return wrote
    }

    private func write(_ entry: ArchiveQueueEntry) async throws {
        guard let record = try await store.read(id: entry.id), record.status.isTerminal else {
            // Gone (a queue written before its record was, by hand) or not final: nothing to archive.
            try await store.archived(id: entry.id, epoch: entry.epoch, version: entry.version)
            return
        }
        let results = try await store.results(of: entry.id)
        let outcome: UpsertOutcome
        do {
            let document = try ArchiveDocument(record: record, results: results, archivedBy: node, at: Date())
            outcome = try await archive.upsert(document)
        } catch {
            guard case .badDocument(let message) = error else { throw error }
            // It would fail the same way on every retry: say so loudly and count it, but do not let it
            // hold up the rest of the queue.
            logger.error(
                "assessment cannot be archived; dropped from the archive queue",
                metadata: ["assessment": "\(entry.id)", "error": "\(message)"])
            counters.withLock { $0.failed += 1 }
            failedCounter.increment()
            try await store.archived(id: record.id, epoch: record.epoch, version: record.version)
            return
        }
        try await store.archived(id: record.id, epoch: record.epoch, version: record.version)
        let lag = Date().timeIntervalSince(record.updatedAt)
        counters.withLock {
            if outcome == .written { $0.written += 1 }
            $0.lastSuccess = Date()
            $0.lastError = nil
        }
        if outcome == .written {
            writtenCounter.increment()
            lagRecorder.recordNanoseconds(Int64(max(0, lag) * 1e9))
        }
        lastSuccessGauge.record(Date().timeIntervalSince1970)
    }

    /// The queue's bound: past `queueLimit`, entries older than retention are given up, loudly.
    private func bound() async throws {
        let cutoff = Date().addingTimeInterval(-Double(settings.retention.components.seconds))
        let dropped = try await store.dropArchiveQueue(over: settings.queueLimit, queuedBefore: cutoff)
        let count = try await store.archiveQueueCount()
        let full = count >= settings.queueLimit
        let wasFull = counters.withLock { counts -> Bool in
            defer { counts.full = full }
            return counts.full
        }
        if full && !wasFull {
            logger.error(
                "archive queue is full: \(count) final states wait for the archive (archive_queue_limit \(settings.queueLimit)); entries past retention will be dropped"
            )
        }
        guard !dropped.isEmpty else { return }
        counters.withLock { $0.dropped += dropped.count }
        droppedCounter.increment(by: dropped.count)
        logger.error(
            "archive queue over its limit: gave up \(dropped.count) final states older than retention without archiving them",
            metadata: ["first": "\(dropped[0])"])
    }

    private func publishGauges() async {
        let pending = (try? await store.archiveQueueCount(owner: node)) ?? 0
        pendingGauge.record(pending)
        standbyGauge.record(((try? await store.archiveQueueCount()) ?? pending) - pending)
        let oldest = try? await store.oldestArchiveQueueEntry(owner: node)
        lagGauge.record(oldest.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
    }

    package func status() async -> ArchiveStatus {
        let pending = (try? await store.archiveQueueCount(owner: node)) ?? 0
        let all = (try? await store.archiveQueueCount()) ?? pending
        let oldest = try? await store.oldestArchiveQueueEntry(owner: node)
        return counters.withLock {
            ArchiveStatus(
                pending: pending, standby: all - pending, written: $0.written, failed: $0.failed, dropped: $0.dropped,
                lastSuccess: $0.lastSuccess, lastError: $0.lastError,
                lagSeconds: oldest.map { max(0, Date().timeIntervalSince($0)) } ?? 0)
        }
    }
}
