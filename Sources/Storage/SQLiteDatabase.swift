import CSQLite
import Dispatch
import FoundationEssentials
import Metrics
import Synchronization

/// One SQLite file in WAL mode: one writer connection on a serial queue, and reader connections
/// that run beside it (WAL lets readers see the last commit while the writer is in an fsync).
///
/// Work runs on dispatch queues, never on the caller's thread: a commit waits for the disk, and
/// the callers are async tasks on Swift's cooperative pool, which blocking calls would starve.
///
/// Checkpoints (copying the log into the database file) run on a connection and a queue of their
/// own, not inside the commit that crosses SQLite's threshold: such a commit waited for the copy of
/// 4 MB and two fsyncs, and a submission's record waited behind it. Under load that was the slowest
/// one percent of commits (p99 6.6–7.8 ms against 2.6 ms without it, 40 submissions a second).
final class SQLiteDatabase: Sendable {
    let path: String
    private let writer: SQLiteConnection
    private let writerQueue = DispatchQueue(label: "inframind.sqlite.writer")
    private let readerQueue = DispatchQueue(label: "inframind.sqlite.readers", attributes: .concurrent)
    /// Reader connections not in use. A read takes one (or opens one) and puts it back.
    private let idleReaders = Mutex<[SQLiteConnection]>([])
    /// At most this many readers at once (GRDB's default): a burst of reads waits for one rather
    /// than opening a connection, with its own statement and page caches, per read.
    private static let maxReaders = 5
    private let readerSlots = DispatchSemaphore(value: SQLiteDatabase.maxReaders)
    private let isClosed = Atomic<Bool>(false)
    private let checkpointQueue = DispatchQueue(label: "inframind.sqlite.checkpoint")
    /// Opened on first use; touched only on `checkpointQueue`.
    private let checkpointer = Mutex<SQLiteConnection?>(nil)
    private let checkpointScheduled = Atomic<Bool>(false)
    /// Checkpoints run on the checkpoint queue, and those that failed (also counted for `/metrics`).
    let backgroundCheckpoints = Atomic<Int>(0)
    let failedCheckpoints = Atomic<Int>(0)
    private let checkpointsCounter = Counter(label: "inframind_store_checkpoints_total", dimensions: [("by", "queue")])
    private let inlineCheckpointsCounter = Counter(
        label: "inframind_store_checkpoints_total", dimensions: [("by", "writer")])
    private let failedCheckpointsCounter = Counter(label: "inframind_store_checkpoint_failures_total")
    /// The fsyncs SQLite makes with `synchronous = FULL` in WAL mode: one per committed write
    /// transaction (the log), two per checkpoint (the log, then the file). `scripts/bench` divides it
    /// by the assessments completed (docs/performance.md).
    private let fsyncsCounter = Counter(label: "inframind_store_fsyncs_total")
    /// A checkpoint is queued after every commit that leaves the log this long (SQLite's own default
    /// threshold), whatever the last one copied. SQLite starts the log again from its beginning only
    /// when a write begins with all of it in the file, and under steady writes a checkpoint nearly
    /// always leaves the tail that landed while it ran: checkpointing again until one finishes with
    /// nothing landing meanwhile keeps resetting it. Queued only once another threshold's worth was
    /// not in the file, the log grew to 25 MB under 40 submissions a second, and submission p99 went
    /// from 9 to 18 ms: a log that grows makes every fsync commit its allocation too, where one
    /// written over in place does not.
    let checkpointPages: Int
    /// A log this long is checkpointed by the writer itself, inside its commit, as SQLite would: the
    /// queued checkpoints are not keeping up, and the log must not grow without end. A read that
    /// holds an old snapshot keeps the log from being reset, here as with SQLite's own.
    var inlineCheckpointPages: Int { checkpointPages * 8 }

    /// Opens (creating if needed) the file and sets the writer up: WAL, and `synchronous = FULL` so
    /// that every commit waits for fsync (NORMAL may lose the last commits on power loss, and an
    /// acknowledged write must survive that).
    init(path: String, writerPragmas: [String] = [], checkpointPages: Int = 1000) throws(SQLiteError) {
        self.path = path
        self.checkpointPages = max(1, checkpointPages)
        writer = try SQLiteConnection(path: path)
        do {
            // The pragma answers the mode in effect, which is not WAL where the file system cannot
            // share memory between connections; then readers would wait behind every commit.
            let mode = try writer.query("PRAGMA journal_mode = WAL") { $0.text(0) }.first
            guard mode == "wal" else {
                throw SQLiteError(
                    code: SQLITE_ERROR, message: "\(path): could not switch to WAL mode (\(mode ?? "no answer"))")
            }
            try writer.execute("PRAGMA synchronous = FULL")
            // Journals go with their records through ON DELETE CASCADE, which needs this on.
            try writer.execute("PRAGMA foreign_keys = ON")
            // Once reset, a log that grew in a burst is cut back to about twice the threshold.
            try writer.execute("PRAGMA journal_size_limit = \(checkpointPages * 8192)")
            for pragma in writerPragmas { try writer.execute(pragma) }
        } catch {
            writer.close()
            throw error as? SQLiteError ?? SQLiteError(code: SQLITE_ERROR, message: "\(error)")
        }
        // Replaces SQLite's automatic checkpoint, which is this same hook.
        writer.observeWAL { [weak self] pages in self?.logGrew(to: pages) }
    }

    /// On the writer's queue, inside the commit that brought the log to `pages`.
    private func logGrew(to pages: Int) {
        if pages >= inlineCheckpointPages {
            inlineCheckpointsCounter.increment()
            checkpoint(on: writer)
            return
        }
        guard pages >= checkpointPages, !checkpointScheduled.exchange(true, ordering: .acquiringAndReleasing) else {
            return
        }
        checkpointQueue.async { [self] in
            defer { checkpointScheduled.store(false, ordering: .releasing) }
            checkpointer.withLock { connection in
                guard !isClosed.load(ordering: .acquiring) else { return }
                if connection == nil {
                    do {
                        let opened = try SQLiteConnection(path: path)
                        // FULL: the checkpoint fsyncs the file before the log may be overwritten.
                        try opened.execute("PRAGMA synchronous = FULL")
                        connection = opened
                    } catch {
                        return checkpointFailed()
                    }
                }
                guard let connection else { return }
                backgroundCheckpoints.add(1, ordering: .relaxed)
                checkpointsCounter.increment()
                checkpoint(on: connection)
            }
        }
    }

    /// A failure (a full disk) leaves the log as it was, readable; the next commit past the
    /// threshold tries again. Counted, as the log then grows until one succeeds.
    private func checkpoint(on connection: SQLiteConnection) {
        do {
            try connection.checkpointPassively()
            fsyncsCounter.increment(by: 2)
        } catch  where error.primaryCode == SQLITE_BUSY {
            // The other of the two checkpointers (queue and writer) is running one: not a failure.
        } catch {
            checkpointFailed()
        }
    }

    private func checkpointFailed() {
        failedCheckpoints.add(1, ordering: .relaxed)
        failedCheckpointsCounter.increment()
    }

    /// Returns once the checkpoint queued last (if any) has run: for tests.
    func waitForCheckpoints() {
        checkpointQueue.sync {}
    }

    /// Runs `body` in one write transaction on the writer's queue.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            write(body) { continuation.resume(with: $0) }
        }
    }

    /// Runs `body` in one write transaction on the writer's queue, and then `completion` there.
    func write<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws -> T,
        completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        writerQueue.async { [self] in
            guard !isClosed.load(ordering: .acquiring) else {
                completion(.failure(SQLiteError.closed))
                return
            }
            // A transaction whose ROLLBACK failed is still open; end it before this one begins,
            // or every later BEGIN on the writer would fail.
            if writer.isInTransaction { try? writer.execute("ROLLBACK") }
            let result = Result { try writer.transaction(immediate: true) { try body(writer) } }
            if case .success = result { fsyncsCounter.increment() }
            completion(result)
        }
    }

    /// Runs `body` on the writer outside a transaction, synchronously: for opening and migrating,
    /// before any other use.
    func withWriter<T>(_ body: (SQLiteConnection) throws -> T) rethrows -> T {
        try writerQueue.sync { try body(writer) }
    }

    /// Runs `body` in one read transaction (one snapshot for all its statements) on a reader.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readerQueue.async { [self] in
                continuation.resume(
                    with: Result {
                        try self.withReader { reader in try reader.transaction(immediate: false) { try body(reader) } }
                    })
            }
        }
    }

    private func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        guard !isClosed.load(ordering: .acquiring) else { throw SQLiteError.closed }
        readerSlots.wait()
        defer { readerSlots.signal() }
        let reader = try idleReaders.withLock { $0.popLast() } ?? openReader()
        defer {
            // A reader still in a transaction (its ROLLBACK failed) would hold an old snapshot and
            // fail every later BEGIN: closed, not kept.
            let keep = !isClosed.load(ordering: .acquiring) && !reader.isInTransaction
            if keep { idleReaders.withLock { $0.append(reader) } } else { reader.close() }
        }
        return try body(reader)
    }

    private func openReader() throws(SQLiteError) -> SQLiteConnection {
        let reader = try SQLiteConnection(path: path)
        do {
            try reader.execute("PRAGMA query_only = 1")
            try reader.execute("PRAGMA foreign_keys = ON")
        } catch {
            reader.close()
            throw error
        }
        return reader
    }

    /// Closes every connection once the work queued before it has run; later work fails.
    func close() {
        writerQueue.sync {
            guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
            writer.close()
        }
        checkpointQueue.sync {
            checkpointer.withLock { connection in
                connection?.close()
                connection = nil
            }
        }
        // Readers in use close when they are handed back (closed is set now).
        readerQueue.sync(flags: .barrier) {
            for reader in idleReaders.withLock({ readers in
                defer { readers.removeAll() }; return readers
            }) {
                reader.close()
            }
        }
    }
}

/// Ordered schema migrations, each applied once in its own transaction and recorded by name.
///
/// The names go in a table called `grdb_migrations` because the files nodes wrote before this store
/// spoke to SQLite directly were migrated by GRDB, which keeps the applied names there: a node
/// upgraded in place opens its old file and runs only what is new.
struct SQLiteMigrator {
    private(set) var migrations: [(name: String, sql: String)] = []

    mutating func register(_ name: String, sql: String) {
        precondition(!migrations.contains { $0.name == name }, "migration \(name) registered twice")
        migrations.append((name, sql))
    }

    /// Applies every migration not applied yet, in order, up to and including `last` when given.
    ///
    /// As GRDB did: foreign keys off while a migration runs (the pragma is a no-op inside a
    /// transaction, so it is set around it), and checked before it commits. With them on, a migration
    /// that rebuilds `assessment` (new table, copy, DROP, rename) would empty the result journal
    /// through ON DELETE CASCADE.
    func migrate(_ connection: SQLiteConnection, upTo last: String? = nil) throws {
        try connection.execute("CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = Set(try connection.query("SELECT identifier FROM grdb_migrations") { $0.text(0) })
        let foreignKeysWereOn = try connection.query("PRAGMA foreign_keys") { $0.int(0) }.first == 1
        try connection.execute("PRAGMA foreign_keys = OFF")
        defer { if foreignKeysWereOn { try? connection.execute("PRAGMA foreign_keys = ON") } }
        for migration in migrations {
            if !applied.contains(migration.name) {
                try connection.transaction(immediate: true) {
                    try connection.execute(migration.sql)
                    let violations = try connection.query("PRAGMA foreign_key_check") { $0.text(0) }
                    guard violations.isEmpty else {
                        throw SQLiteError(
                            code: SQLITE_CONSTRAINT,
                            message:
                                "migration \(migration.name) leaves rows without their parent in \(Set(violations).sorted())"
                        )
                    }
                    try connection.run("INSERT INTO grdb_migrations (identifier) VALUES (?)", [.text(migration.name)])
                }
            }
            if migration.name == last { return }
        }
    }
}
