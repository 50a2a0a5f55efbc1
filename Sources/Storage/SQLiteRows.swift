import Foundation
import GRDB

/// Conversions between the public types and SQLite rows, in one place so the column list of the
/// INSERT, the UPDATE and the SELECTs cannot drift apart.
enum SQLiteRows {
    static let assessmentColumns = """
        id, status, epoch, version, replica_set, leaving, request, report, progress, failure, idempotency_key, \
        created_at, updated_at
        """

    /// Arguments: `arguments(of:)`.
    static let insertRecord = "INSERT INTO assessment (\(assessmentColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"

    /// Arguments: `updateArguments(of:)`, in this column order.
    static let updateRecord = """
        UPDATE assessment SET status = ?, epoch = ?, version = ?, replica_set = ?, leaving = ?, report = ?,
        progress = ?, failure = ?, updated_at = ? WHERE id = ?
        """

    static func arguments(of record: AssessmentRecord) throws -> StatementArguments {
        [
            record.id, record.status.rawValue, record.epoch, record.version, StoredJSON.encode(record.replicaSet),
            StoredJSON.encode(record.leaving), record.request, record.report, StoredJSON.encode(record.progress),
            record.failure, record.idempotencyKey,
            record.createdAt.timeIntervalSinceReferenceDate, record.updatedAt.timeIntervalSinceReferenceDate,
        ]
    }

    /// The arguments of the UPDATE in `SQLiteAssessmentStore.update`, in its column order.
    static func updateArguments(of record: AssessmentRecord) throws -> StatementArguments {
        [
            record.status.rawValue, record.epoch, record.version, StoredJSON.encode(record.replicaSet),
            StoredJSON.encode(record.leaving), record.report,
            StoredJSON.encode(record.progress), record.failure, record.updatedAt.timeIntervalSinceReferenceDate,
            record.id,
        ]
    }

    static func record(from row: Row) throws -> AssessmentRecord {
        let statusName: String = row["status"]
        guard let status = AssessmentStatus(rawValue: statusName) else {
            throw StoreError.ioError("unknown status \(statusName) in stored assessment")
        }
        return AssessmentRecord(
            id: row["id"],
            status: status,
            epoch: row["epoch"],
            version: row["version"],
            replicaSet: try replicaSet(row["replica_set"]),
            leaving: try leaving(row["leaving"]),
            request: row["request"],
            report: row["report"],
            progress: try decode(AssessmentProgress.self, row["progress"]),
            failure: row["failure"],
            idempotencyKey: row["idempotency_key"],
            createdAt: Date(timeIntervalSinceReferenceDate: row["created_at"]),
            updatedAt: Date(timeIntervalSinceReferenceDate: row["updated_at"])
        )
    }

    /// The columns `summary(from:)` reads.
    static let summaryColumns = "id, status, epoch, version, replica_set, leaving, updated_at"

    static func summary(from row: Row) throws -> RecordSummary {
        let statusName: String = row["status"]
        guard let status = AssessmentStatus(rawValue: statusName) else {
            throw StoreError.ioError("unknown status \(statusName) in stored assessment")
        }
        let version = RecordVersion(
            epoch: row["epoch"], version: row["version"], replicaSet: try replicaSet(row["replica_set"]),
            leaving: try leaving(row["leaving"]))
        return RecordSummary(
            id: row["id"], status: status, version: version,
            updatedAt: Date(timeIntervalSinceReferenceDate: row["updated_at"]))
    }

    static let resultColumns = "assessment_id, agent, attempt, digest, payload, node, recorded_at"

    static func arguments(of result: AgentResult) -> StatementArguments {
        [
            result.assessmentID, result.agent, result.attempt, result.digest, result.payload, result.node,
            result.recordedAt.timeIntervalSinceReferenceDate,
        ]
    }

    static func result(from row: Row) -> AgentResult {
        AgentResult(
            assessmentID: row["assessment_id"],
            agent: row["agent"],
            attempt: row["attempt"],
            digest: row["digest"],
            payload: row["payload"],
            node: row["node"],
            recordedAt: Date(timeIntervalSinceReferenceDate: row["recorded_at"])
        )
    }

    private static func replicaSet(_ text: String) throws -> [String] {
        guard let names = StoredJSON.decodeStrings(text) else {
            throw StoreError.ioError("corrupt replica set in stored assessment: \(text)")
        }
        return names
    }

    private static func leaving(_ text: String) throws -> [[String]] {
        guard let sets = StoredJSON.decodeSets(text) else {
            throw StoreError.ioError("corrupt leaving replica sets in stored assessment: \(text)")
        }
        return sets
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw StoreError.ioError("corrupt \(type) in stored assessment: \(error)")
        }
    }
}
