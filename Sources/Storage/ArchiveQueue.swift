import FoundationEssentials

/// A final state waiting to be written to the archive (docs/archive.md). Queued by every replica in
/// the transaction that stores the final state, so it is as durable as the state itself; removed
/// once the archive holds this version or a newer one.
package struct ArchiveQueueEntry: Sendable, Hashable {
    package var id: String
    package var epoch: Int
    package var version: Int
    /// The owner that made the state final: it writes the entry, the other replicas stand by.
    package var owner: String
    /// When the state became final (the record's `updatedAt`): the archive's lag is counted from here.
    package var queuedAt: Date

    package init(id: String, epoch: Int, version: Int, owner: String, queuedAt: Date) {
        self.id = id
        self.epoch = epoch
        self.version = version
        self.owner = owner
        self.queuedAt = queuedAt
    }
}

extension SQLiteAssessmentStore {
    private static let queueColumns = "id, epoch, version, owner, queued_at"

    private static func entry(from row: SQLiteRow) -> ArchiveQueueEntry {
        ArchiveQueueEntry(
            id: row.text(0), epoch: row.int(1), version: row.int(2), owner: row.text(3),
            queuedAt: Date(timeIntervalSinceReferenceDate: row.double(4)))
    }

    /// The oldest entries first, at most `limit`.
    package func archiveQueue(limit: Int) async throws(StoreError) -> [ArchiveQueueEntry] {
        try await readQueue { db in
            try db.query(
                "SELECT \(Self.queueColumns) FROM archive_queue ORDER BY queued_at, id LIMIT ?",
                [.integer(Int64(limit))],
                Self.entry(from:))
        }
    }

    /// How many entries wait: all, or those `owner` made final.
    package func archiveQueueCount(owner: String? = nil) async throws(StoreError) -> Int {
        let (condition, arguments) = Self.ownedBy(owner)
        return try await readQueue { db in
            try db.query("SELECT count(*) FROM archive_queue\(condition)", arguments, { $0.int(0) }).first ?? 0
        }
    }

    /// When the oldest entry (of all, or of `owner`) was queued, or nil when there is none.
    package func oldestArchiveQueueEntry(owner: String? = nil) async throws(StoreError) -> Date? {
        let (condition, arguments) = Self.ownedBy(owner)
        return try await readQueue { db in
            try db.query(
                "SELECT min(queued_at) FROM archive_queue\(condition)", arguments,
                { row in row.isNull(0) ? nil : Date(timeIntervalSinceReferenceDate: row.double(0)) }
            ).first ?? nil
        }
    }

    private static func ownedBy(_ owner: String?) -> (String, [SQLiteValue]) {
        guard let owner else { return ("", []) }
        return (" WHERE owner = ?", [.text(owner)])
    }

    /// The archive holds (epoch, version) of `id`: its entry goes unless a newer final state has been
    /// queued since. Returns whether an entry was removed.
    @discardableResult
    package func archived(id: String, epoch: Int, version: Int) async throws(StoreError) -> Bool {
        try await writeQueue { db in
            try db.run(
                "DELETE FROM archive_queue WHERE id = ? AND (epoch < ? OR (epoch = ? AND version <= ?))",
                [.text(id), .integer(Int64(epoch)), .integer(Int64(epoch)), .integer(Int64(version))])
            return db.changes > 0
        }
    }

    /// Gives up the oldest entries queued before `cutoff` (past retention) while the queue holds more
    /// than `limit`, and returns their ids: the archive writer's bound on the queue, logged and counted
    /// by it. Their records then go at the next retention pass.
    package func dropArchiveQueue(over limit: Int, queuedBefore cutoff: Date) async throws(StoreError) -> [String] {
        try await writeQueue { db in
            let count = try db.query("SELECT count(*) FROM archive_queue", [], { $0.int(0) }).first ?? 0
            guard count > limit else { return [] }
            let ids = try db.query(
                "SELECT id FROM archive_queue WHERE queued_at < ? ORDER BY queued_at, id LIMIT ?",
                [.real(cutoff.timeIntervalSinceReferenceDate), .integer(Int64(count - limit))], { $0.text(0) })
            for id in ids { try db.run("DELETE FROM archive_queue WHERE id = ?", [.text(id)]) }
            return ids
        }
    }

    private func readQueue<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T)
        async throws(StoreError) -> T
    {
        do { return try await database.read(body) } catch { throw Self.storeError(error) }
    }

    private func writeQueue<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T)
        async throws(StoreError) -> T
    {
        do { return try await database.write(body) } catch { throw Self.storeError(error) }
    }
}
