import Foundation
import GRDB

/// The default backend: one SQLite file per node, in WAL mode, every commit fsync'd.
///
/// Every statement a node runs per request goes through GRDB's per-connection statement cache:
/// preparing one (SQLite's parser, then GRDB's authorizer callback per column) cost more than
/// running it, on the replica write path that a node runs about forty times per assessment.
public final class SQLiteAssessmentStore: AssessmentStore {
    /// The file's name inside a node's data directory.
    public static let fileName = "assessments.sqlite"

    let pool: DatabasePool

    /// Opens (creating if needed) `assessments.sqlite` in `dataDirectory` and migrates it.
    ///
    /// - Parameter maximumPageCount: caps the file's size in pages; past it writes fail with
    ///   `storageFull`, exactly as on a full disk (which is how the tests reach that path).
    public convenience init(dataDirectory: URL, maximumPageCount: Int? = nil) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.ioError("cannot create data directory \(dataDirectory.path): \(error)")
        }
        try self.init(
            path: dataDirectory.appendingPathComponent(Self.fileName).path,
            maximumPageCount: maximumPageCount
        )
    }

    public init(path: String, maximumPageCount: Int? = nil) throws(StoreError) {
        var configuration = Configuration()
        configuration.label = "assessments"
        do {
            // A pool opens the file in WAL mode: readers do not wait for the writer.
            pool = try DatabasePool(path: path, configuration: configuration)
            // Only the one writer connection commits, so its settings are the ones that matter. They
            // are set after opening because GRDB sets NORMAL on it when it enables WAL, and NORMAL
            // may lose the last commits on power loss; an acknowledged write must survive that, so
            // every commit waits for fsync.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                if let maximumPageCount {
                    // PRAGMA values cannot be bound parameters; this is an Int, not text.
                    try db.execute(sql: "PRAGMA max_page_count = \(maximumPageCount)")
                }
            }
            try SQLiteSchema.migrator.migrate(pool)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Closes the file; every later operation fails. Deinit closes it too, but only this reports errors.
    public func close() throws(StoreError) {
        do { try pool.close() } catch { throw Self.storeError(error) }
    }

    public func create(_ record: AssessmentRecord) async throws(StoreError) -> AssessmentRecord {
        var created = record
        created.version = 1
        try await write { [created] db in
            if try Bool.fetchOne(db.cachedStatement(sql: Self.existsSQL), arguments: [created.id]) != nil {
                throw StoreError.duplicateID(created.id)
            }
            if let key = created.idempotencyKey,
                let existing = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT id FROM assessment WHERE idempotency_key = ?"), arguments: [key])
            {
                throw StoreError.duplicateIdempotencyKey(key: key, existingID: existing)
            }
            try db.cachedStatement(sql: SQLiteRows.insertRecord).execute(
                arguments: try SQLiteRows.arguments(of: created))
        }
        return created
    }

    private static let existsSQL = "SELECT 1 FROM assessment WHERE id = ?"

    public func read(id: String) async throws(StoreError) -> AssessmentRecord? {
        try await read { db in
            try Self.fetchRecord(db, where: "id = ?", id)
        }
    }

    public func read(idempotencyKey: String) async throws(StoreError) -> AssessmentRecord? {
        try await read { db in
            try Self.fetchRecord(db, where: "idempotency_key = ?", idempotencyKey)
        }
    }

    public func update(_ record: AssessmentRecord, expectedVersion: Int?) async throws(StoreError)
        -> AssessmentRecord
    {
        try await write { db in
            // The check and the write are one transaction, so no other write can slip between them.
            guard let current = try Self.fetchRecord(db, where: "id = ?", record.id) else {
                throw StoreError.notFound(id: record.id)
            }
            let stored = try current.applying(record, expectedVersion: expectedVersion)
            try db.cachedStatement(sql: SQLiteRows.updateRecord).execute(
                arguments: try SQLiteRows.updateArguments(of: stored))
            return stored
        }
    }

    public func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: ListCursor?)
        async throws(StoreError) -> ListPage
    {
        guard limit > 0 else { return ListPage(records: [], next: nil) }
        var conditions: [String] = []
        var arguments = StatementArguments()
        if !statuses.isEmpty {
            // Sorted so equal filters give equal SQL and reuse the cached statement.
            let names = statuses.map(\.rawValue).sorted()
            conditions.append("status IN (\(Array(repeating: "?", count: names.count).joined(separator: ",")))")
            arguments += StatementArguments(names)
        }
        if let cursor {
            let time = cursor.createdAt.timeIntervalSinceReferenceDate
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            arguments += [time, time, cursor.id]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // One more than asked tells whether another page exists without a second query.
        arguments += [limit + 1]
        let sql = """
            SELECT \(SQLiteRows.assessmentColumns) FROM assessment \(whereClause)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """
        let fetched = try await read { [arguments] db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(SQLiteRows.record(from:))
        }
        let records = Array(fetched.prefix(limit))
        let next = fetched.count > limit ? records.last.map(ListCursor.init(after:)) : nil
        return ListPage(records: records, next: next)
    }

    public func deleteExpired(updatedBefore cutoff: Date) async throws(StoreError) -> Int {
        let terminal = AssessmentStatus.allCases.filter(\.isTerminal).map(\.rawValue)
        let placeholders = Array(repeating: "?", count: terminal.count).joined(separator: ",")
        var arguments = StatementArguments(terminal)
        arguments += [cutoff.timeIntervalSinceReferenceDate]
        return try await write { [arguments] db in
            // Journals go with their records through ON DELETE CASCADE.
            try db.execute(
                sql: "DELETE FROM assessment WHERE status IN (\(placeholders)) AND updated_at < ?",
                arguments: arguments
            )
            return db.changesCount
        }
    }

    public func appendResult(_ result: AgentResult) async throws(StoreError) -> JournalOutcome {
        try await write { db in
            if let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(SQLiteRows.resultColumns) FROM agent_result WHERE assessment_id = ? AND agent = ?"),
                arguments: [result.assessmentID, result.agent]
            ) {
                let stored = SQLiteRows.result(from: row)
                return stored.digest == result.digest ? .duplicate(stored: stored) : .determinismFault(stored: stored)
            }
            if try Bool.fetchOne(db.cachedStatement(sql: Self.existsSQL), arguments: [result.assessmentID]) == nil {
                throw StoreError.notFound(id: result.assessmentID)
            }
            try db.cachedStatement(sql: "INSERT INTO agent_result (\(SQLiteRows.resultColumns)) VALUES (?,?,?,?,?,?,?)")
                .execute(arguments: SQLiteRows.arguments(of: result))
            return .recorded
        }
    }

    public func results(of assessmentID: String) async throws(StoreError) -> [AgentResult] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(SQLiteRows.resultColumns) FROM agent_result WHERE assessment_id = ? ORDER BY agent"),
                arguments: [assessmentID]
            ).map(SQLiteRows.result(from:))
        }
    }

    public func replicate(_ record: AssessmentRecord, results: [AgentResult]) async throws(StoreError)
        -> ReplicaOutcome
    {
        try await replicate(batch: [ReplicatedRecord(record: record, results: results)])[0]
    }

    public func replicate(batch: [ReplicatedRecord]) async throws(StoreError) -> [ReplicaOutcome] {
        try await write { db in try batch.map { try Self.replicate($0, in: db) } }
    }

    private static func replicate(_ write: ReplicatedRecord, in db: Database) throws -> ReplicaOutcome {
        let record = write.record
        // The version columns only: the request, the report and the progress are not needed to decide.
        let current = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(SQLiteRows.summaryColumns) FROM assessment WHERE id = ?"),
            arguments: [record.id]
        ).map(SQLiteRows.summary(from:))
        let outcome = current?.replicaOutcome(of: record) ?? .stored
        if case .refused = outcome { return outcome }
        if case .stored = outcome {
            // INSERT or UPDATE, never REPLACE: a REPLACE deletes the row first, and the journal's
            // ON DELETE CASCADE would take the results with it.
            if current == nil {
                try db.cachedStatement(sql: SQLiteRows.insertRecord).execute(
                    arguments: try SQLiteRows.arguments(of: record))
            } else {
                try db.cachedStatement(sql: SQLiteRows.updateRecord).execute(
                    arguments: try SQLiteRows.updateArguments(of: record))
            }
        }
        for result in write.results {
            try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO agent_result (\(SQLiteRows.resultColumns)) VALUES (?,?,?,?,?,?,?)"
            ).execute(arguments: SQLiteRows.arguments(of: result))
        }
        return outcome
    }

    public func versions() async throws(StoreError) -> [RecordSummary] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(SQLiteRows.summaryColumns) FROM assessment")
                .map(SQLiteRows.summary(from:))
        }
    }

    private static func fetchRecord(_ db: Database, where condition: String, _ value: String) throws
        -> AssessmentRecord?
    {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(SQLiteRows.assessmentColumns) FROM assessment WHERE \(condition)"),
            arguments: [value]
        ).map(SQLiteRows.record(from:))
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await pool.write(body) } catch { throw Self.storeError(error) }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do { return try await pool.read(body) } catch { throw Self.storeError(error) }
    }

    /// Maps driver errors to `StoreError`; a failed transaction is rolled back by GRDB, so what was
    /// committed before stays as it was.
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            if error.resultCode == .SQLITE_FULL { return .storageFull(error.description) }
            return .ioError(error.description)
        }
        return .ioError(String(describing: error))
    }
}
