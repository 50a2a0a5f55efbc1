import FoundationEssentials

/// The default backend: one SQLite file per node, in WAL mode, every commit fsync'd.
package final class SQLiteAssessmentStore: AssessmentStore {
    /// The file's name inside a node's data directory.
    package static let fileName = "assessments.sqlite"

    let database: SQLiteDatabase
    /// Whether a final state stored here also queues its archive write (see `ArchiveQueueEntry`).
    package let archiving: Bool

    /// Opens (creating if needed) `assessments.sqlite` in `dataDirectory` and migrates it.
    ///
    /// - Parameter maximumPageCount: caps the file's size in pages; past it writes fail with
    ///   `storageFull`, exactly as on a full disk (which is how the tests reach that path).
    package convenience init(dataDirectory: URL, maximumPageCount: Int? = nil, archiving: Bool = false)
        throws(StoreError)
    {
        do {
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.ioError("cannot create data directory \(dataDirectory.path): \(error)")
        }
        try self.init(
            path: dataDirectory.appendingPathComponent(Self.fileName).path,
            maximumPageCount: maximumPageCount, archiving: archiving
        )
    }

    package init(path: String, maximumPageCount: Int? = nil, archiving: Bool = false) throws(StoreError) {
        self.archiving = archiving
        do {
            // PRAGMA values cannot be bound parameters; this is an Int, not text.
            database = try SQLiteDatabase(
                path: path, writerPragmas: maximumPageCount.map { ["PRAGMA max_page_count = \($0)"] } ?? [])
            try database.withWriter { try SQLiteSchema.migrator.migrate($0) }
        } catch {
            throw Self.storeError(error)
        }
    }

    package func close() throws(StoreError) {
        database.close()
    }

    package func read(id: String) async throws(StoreError) -> AssessmentRecord? {
        try await read { db in
            try Self.fetchRecord(db, where: "id = ?", id)
        }
    }

    package func summary(id: String) async throws(StoreError) -> AssessmentSummary? {
        try await read { db in
            try db.query(
                "SELECT \(SQLiteRows.assessmentSummaryColumns) FROM assessment WHERE id = ?", [.text(id)],
                SQLiteRows.assessmentSummary(from:)
            ).first
        }
    }

    package func list(statuses: Set<AssessmentStatus>, limit: Int, after cursor: ListCursor?)
        async throws(StoreError) -> ListPage
    {
        guard limit > 0 else { return ListPage(records: [], next: nil) }
        var conditions: [String] = []
        var arguments: [SQLiteValue] = []
        if !statuses.isEmpty {
            // Sorted so equal filters give equal SQL and reuse the cached statement.
            let names = statuses.map(\.rawValue).sorted()
            conditions.append("status IN (\(Array(repeating: "?", count: names.count).joined(separator: ",")))")
            arguments += names.map(SQLiteValue.text)
        }
        if let cursor {
            let time = cursor.createdAt.timeIntervalSinceReferenceDate
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            arguments += [.real(time), .real(time), .text(cursor.id)]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        // One more than asked tells whether another page exists without a second query.
        arguments.append(.integer(limit + 1))
        let sql = """
            SELECT \(SQLiteRows.assessmentSummaryColumns) FROM assessment \(whereClause)
            ORDER BY created_at DESC, id DESC LIMIT ?
            """
        let fetched = try await read { [arguments] db in
            try db.query(sql, arguments, SQLiteRows.assessmentSummary(from:))
        }
        let records = Array(fetched.prefix(limit))
        let next = fetched.count > limit ? records.last.map(ListCursor.init(after:)) : nil
        return ListPage(records: records, next: next)
    }

    package func deleteExpired(updatedBefore cutoff: Date) async throws(StoreError) -> Int {
        let terminal = AssessmentStatus.allCases.filter(\.isTerminal).map(\.rawValue)
        let placeholders = Array(repeating: "?", count: terminal.count).joined(separator: ",")
        let arguments = terminal.map(SQLiteValue.text) + [.real(cutoff.timeIntervalSinceReferenceDate)]
        // A final state still waiting for the archive stays until it is written: the queue's bound is
        // the archive writer's business (`dropArchiveQueue`), so nothing goes unannounced.
        let waiting = archiving ? " AND id NOT IN (SELECT id FROM archive_queue)" : ""
        return try await write { [arguments, archiving] db in
            // Journals go with their records through ON DELETE CASCADE.
            try db.run(
                "DELETE FROM assessment WHERE status IN (\(placeholders)) AND updated_at < ?\(waiting)", arguments)
            let removed = db.changes
            if !archiving { try db.run("DELETE FROM archive_queue WHERE id NOT IN (SELECT id FROM assessment)", []) }
            return removed
        }
    }

    package func results(of assessmentID: String) async throws(StoreError) -> [AgentResult] {
        try await read { db in
            try db.query(
                "SELECT \(SQLiteRows.resultColumns) FROM agent_result WHERE assessment_id = ? ORDER BY agent",
                [.text(assessmentID)], SQLiteRows.result(from:))
        }
    }

    package func replicate(
        batch: @escaping @Sendable () -> [ReplicatedRecord],
        completion: @escaping @Sendable (Result<[ReplicaOutcome], StoreError>) -> Void
    ) {
        database.write({ [archiving] db in try batch().map { try Self.replicate($0, in: db, archiving: archiving) } }) {
            result in
            completion(result.mapError(Self.storeError))
        }
    }

    private static func replicate(_ write: ReplicatedRecord, in db: SQLiteConnection, archiving: Bool) throws
        -> ReplicaOutcome
    {
        let record = write.record
        let read = try SQLiteRows.replicaBasis(db, id: record.id, forChange: write.changesSince != nil)
        let current = read?.summary
        if write.keepsStoredRequest, current == nil { return .incomplete }
        let outcome = current?.replicaOutcome(of: record) ?? .stored
        if case .refused = outcome { return outcome }
        if case .stored = outcome {
            // INSERT or UPDATE, never REPLACE: a REPLACE deletes the row first, and the journal's
            // ON DELETE CASCADE would take the results with it.
            if current == nil {
                try db.run(SQLiteRows.insertRecord, SQLiteRows.arguments(of: record))
            } else if let base = write.changesSince {
                guard let changed = read?.basis?.applying(change: record, since: base) else { return .incomplete }
                try db.run(SQLiteRows.updateChange, SQLiteRows.updateArguments(of: changed))
            } else {
                try db.run(SQLiteRows.updateRecord, SQLiteRows.updateArguments(of: record))
            }
            // Every replica queues it, in the commit that stores the final state: the owner writes it,
            // and whoever holds a copy writes it when the owner cannot (ArchiveWriter).
            if archiving, record.status.isTerminal {
                try db.run(
                    """
                    INSERT INTO archive_queue (id, epoch, version, owner, queued_at) VALUES (?,?,?,?,?)
                    ON CONFLICT(id) DO UPDATE SET epoch = excluded.epoch, version = excluded.version,
                    owner = excluded.owner, queued_at = excluded.queued_at
                    """,
                    [
                        .text(record.id), .integer(Int64(record.epoch)), .integer(Int64(record.version)),
                        .text(record.replicaSet.first ?? ""),
                        .real(record.updatedAt.timeIntervalSinceReferenceDate),
                    ])
            }
        }
        for result in write.results {
            try db.run(
                "INSERT OR IGNORE INTO agent_result (\(SQLiteRows.resultColumns)) VALUES (?,?,?,?,?,?,?)",
                SQLiteRows.arguments(of: result))
        }
        return outcome
    }

    package func versions() async throws(StoreError) -> [RecordSummary] {
        try await read { db in
            try db.query("SELECT \(SQLiteRows.summaryColumns) FROM assessment", [], SQLiteRows.summary(from:))
        }
    }

    private static func fetchRecord(_ db: SQLiteConnection, where condition: String, _ value: String) throws
        -> AssessmentRecord?
    {
        try db.query(
            "SELECT \(SQLiteRows.assessmentColumns) FROM assessment WHERE \(condition)", [.text(value)],
            SQLiteRows.record(from:)
        ).first
    }

    private func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws(StoreError)
        -> T
    {
        do { return try await database.write(body) } catch { throw Self.storeError(error) }
    }

    private func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws(StoreError)
        -> T
    {
        do { return try await database.read(body) } catch { throw Self.storeError(error) }
    }

    /// Maps driver errors to `StoreError`; a failed transaction is rolled back, so what was
    /// committed before stays as it was.
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? SQLiteError {
            if error.isFull { return .storageFull(error.description) }
            return .ioError(error.description)
        }
        return .ioError(String(describing: error))
    }
}
