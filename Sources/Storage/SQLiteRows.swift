import FoundationEssentials

/// Conversions between the public types and SQLite rows, in one place so the column list of the
/// INSERT, the UPDATE and the SELECTs cannot drift apart. Rows are read by column index, in the
/// order of the column lists here.
enum SQLiteRows {
    static let assessmentColumns = """
        id, status, epoch, version, replica_set, leaving, request, report, progress, failure, idempotency_key, \
        created_at, updated_at, tenant, title
        """

    /// Arguments: `arguments(of:)`.
    static let insertRecord = "INSERT INTO assessment (\(assessmentColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"

    /// Arguments: `updateArguments(of:)`, in this column order.
    static let updateRecord = """
        UPDATE assessment SET status = ?, epoch = ?, version = ?, replica_set = ?, leaving = ?, report = ?,
        progress = ?, failure = ?, updated_at = ? WHERE id = ?
        """

    /// `updateRecord` for a change (`ReplicatedRecord.changesSince`): a nil report keeps the stored one.
    /// Arguments: `updateArguments(of:)`.
    static let updateChange = """
        UPDATE assessment SET status = ?, epoch = ?, version = ?, replica_set = ?, leaving = ?,
        report = COALESCE(?, report), progress = ?, failure = ?, updated_at = ? WHERE id = ?
        """

    /// What a replica reads of a stored row to decide on a write: its version columns, and for a
    /// change (`ReplicatedRecord.changesSince`) the record the change is applied over
    /// (`AssessmentRecord.applying(change:since:)`), in the same read. Never the request or the
    /// report, which an update leaves in the row.
    static func replicaBasis(_ db: SQLiteConnection, id: String, forChange: Bool) throws
        -> (summary: RecordSummary, basis: AssessmentRecord?)?
    {
        let columns = forChange ? "\(summaryColumns), progress" : summaryColumns
        return try db.query("SELECT \(columns) FROM assessment WHERE id = ?", [.text(id)]) {
            row -> (summary: RecordSummary, basis: AssessmentRecord?) in
            let summary = try summary(from: row)
            guard forChange else { return (summary, nil) }
            let basis = AssessmentRecord(
                id: id, epoch: summary.version.epoch, version: summary.version.version, replicaSet: [],
                request: Data(), progress: try progress(row.text(7)),  // after the summary's seven
                createdAt: Date(timeIntervalSinceReferenceDate: 0))
            return (summary, basis)
        }.first
    }

    static func arguments(of record: AssessmentRecord) -> [SQLiteValue] {
        [
            .text(record.id), .text(record.status.rawValue), .integer(record.epoch), .integer(record.version),
            .text(StoredJSON.encode(record.replicaSet)), .text(StoredJSON.encode(record.leaving)),
            .blob(record.request), .optional(record.report), .text(StoredJSON.encode(record.progress)),
            .optional(record.failure), .optional(record.idempotencyKey),
            .real(record.createdAt.timeIntervalSinceReferenceDate),
            .real(record.updatedAt.timeIntervalSinceReferenceDate), .optional(record.tenant), .optional(record.title),
        ]
    }

    /// The arguments of `updateRecord`, in its column order.
    static func updateArguments(of record: AssessmentRecord) -> [SQLiteValue] {
        [
            .text(record.status.rawValue), .integer(record.epoch), .integer(record.version),
            .text(StoredJSON.encode(record.replicaSet)), .text(StoredJSON.encode(record.leaving)),
            .optional(record.report), .text(StoredJSON.encode(record.progress)), .optional(record.failure),
            .real(record.updatedAt.timeIntervalSinceReferenceDate), .text(record.id),
        ]
    }

    /// A row of `assessmentColumns`.
    static func record(from row: SQLiteRow) throws -> AssessmentRecord {
        AssessmentRecord(
            id: row.text(0),
            status: try status(row.text(1)),
            epoch: row.int(2),
            version: row.int(3),
            replicaSet: try replicaSet(row.text(4)),
            leaving: try leaving(row.text(5)),
            request: row.blob(6),
            report: row.optionalBlob(7),
            progress: try progress(row.text(8)),
            failure: row.optionalText(9),
            idempotencyKey: row.optionalText(10),
            tenant: row.optionalText(13),
            title: row.optionalText(14),
            createdAt: Date(timeIntervalSinceReferenceDate: row.double(11)),
            updatedAt: Date(timeIntervalSinceReferenceDate: row.double(12))
        )
    }

    /// The columns `assessmentSummary(from:)` reads, in its order: none of the request or report.
    static let assessmentSummaryColumns = """
        id, status, epoch, version, replica_set, leaving, progress, failure, tenant, title, created_at, updated_at
        """

    /// A row of `assessmentSummaryColumns`.
    static func assessmentSummary(from row: SQLiteRow) throws -> AssessmentSummary {
        var summary = AssessmentSummary(
            AssessmentRecord(
                id: row.text(0), status: try status(row.text(1)), epoch: row.int(2), version: row.int(3),
                replicaSet: try replicaSet(row.text(4)), leaving: try leaving(row.text(5)), request: Data(),
                progress: try progress(row.text(6)), failure: row.optionalText(7),
                tenant: row.optionalText(8), title: row.optionalText(9),
                createdAt: Date(timeIntervalSinceReferenceDate: row.double(10))))
        summary.updatedAt = Date(timeIntervalSinceReferenceDate: row.double(11))
        return summary
    }

    /// The columns `summary(from:)` reads, in its order.
    static let summaryColumns = "id, status, epoch, version, replica_set, leaving, updated_at"

    static func summary(from row: SQLiteRow) throws -> RecordSummary {
        let version = RecordVersion(
            epoch: row.int(2), version: row.int(3), replicaSet: try replicaSet(row.text(4)),
            leaving: try leaving(row.text(5)))
        return RecordSummary(
            id: row.text(0), status: try status(row.text(1)), version: version,
            updatedAt: Date(timeIntervalSinceReferenceDate: row.double(6)))
    }

    static let resultColumns = "assessment_id, agent, attempt, digest, payload, node, recorded_at"

    static func arguments(of result: AgentResult) -> [SQLiteValue] {
        [
            .text(result.assessmentID), .text(result.agent), .integer(result.attempt), .blob(result.digest),
            .blob(result.payload), .text(result.node), .real(result.recordedAt.timeIntervalSinceReferenceDate),
        ]
    }

    /// A row of `resultColumns`.
    static func result(from row: SQLiteRow) -> AgentResult {
        AgentResult(
            assessmentID: row.text(0),
            agent: row.text(1),
            attempt: row.int(2),
            digest: row.blob(3),
            payload: row.blob(4),
            node: row.text(5),
            recordedAt: Date(timeIntervalSinceReferenceDate: row.double(6))
        )
    }

    private static func status(_ name: String) throws -> AssessmentStatus {
        guard let status = AssessmentStatus(rawValue: name) else {
            throw StoreError.ioError("unknown status \(name) in stored assessment")
        }
        return status
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

    private static func progress(_ text: String) throws -> AssessmentProgress {
        guard let progress = StoredJSON.decodeProgress(text) else {
            throw StoreError.ioError("corrupt progress in stored assessment: \(text.prefix(200))")
        }
        return progress
    }
}
