import CMongoc
import FoundationEssentials

/// Reports too large for one document, as GridFS files in `reportBucket` (docs/archive.md, "GridFS").
///
/// The chunks and the file document are inserted here one by one, each checked, rather than through
/// libmongoc's upload stream: libmongoc 1.23 ignores a chunk insert that fails and inserts the same
/// chunk again in a loop that never ends (a duplicate id, a server that went away), which is what kept
/// nx-27017 busy for ten minutes on a retried 17 MiB write. Reads go through libmongoc's download
/// stream, which reports its errors.
///
/// A file is named by the assessment (`filename`) and carries the (epoch, version) it belongs to in
/// its metadata; its id is `<assessment>@<epoch>.<version>.<writer>`, so one writer's retry of a
/// state meets, and first removes, whatever its earlier attempt left, while two nodes writing the same
/// state never touch each other's file. After a write, the assessment's files of that (epoch, version)
/// or older other than the one its document names are removed; newer ones belong to a newer write still
/// under way and are left to it.
extension MongoArchive {
    /// GridFS's default chunk size: 255 KiB.
    static let chunkBytes = 255 * 1024

    /// One of an assessment's report files.
    struct ReportFile: Sendable, Hashable {
        var id: String
        var epoch: Int?
        var version: Int?
    }

    func upsertWithReportFile(_ document: ArchiveDocument, report: Data) async throws(ArchiveError) -> UpsertOutcome {
        let state = (document.epoch, document.version)
        // Look before uploading: a retry of a write that landed, or a state already overtaken, costs
        // no upload, and only tidies what an earlier attempt may have left.
        if let stored = try await storedCopy(id: document.id), (stored.epoch, stored.version) >= state {
            try await removeReportFiles(
                of: document.id, upTo: (stored.epoch, stored.version), keeping: stored.reportFileID)
            return .alreadyCurrent
        }
        let fileID = "\(document.id)@\(document.epoch).\(document.version).\(document.archivedBy)"
        try await deleteReportFile(fileID)
        try await uploadReport(report, fileID: fileID, of: document)
        let body = try BSONDocument(json: document.json(report: .file(id: fileID, length: report.count)))
        guard body.length <= Self.maximumDocumentBytes else {
            try await deleteReportFile(fileID)
            throw .badDocument("\(document.id): \(body.length) bytes without its report, over MongoDB's limit")
        }
        switch try await replaceIfOlder(document, with: body) {
        case .inserted, .replaced:
            try await removeReportFiles(of: document.id, upTo: state, keeping: fileID)
            return .written
        case .alreadyCurrent:
            // Overtaken between the look and the write: nothing names this file.
            try await deleteReportFile(fileID)
            return .alreadyCurrent
        }
    }

    /// The chunks, then the file document that makes them a file (as GridFS drivers do: a reader finds
    /// a file only once it is whole).
    func uploadReport(_ report: Data, fileID: String, of document: ArchiveDocument) async throws(ArchiveError) {
        let fileDocument = ExtendedJSON.object([
            ("_id", ExtendedJSON.string(fileID)),
            ("length", ExtendedJSON.int64(report.count)),
            ("chunkSize", "\(Self.chunkBytes)"),
            ("uploadDate", ExtendedJSON.date(Date())),
            ("filename", ExtendedJSON.string(document.id)),
            (
                "metadata",
                ExtendedJSON.object([
                    ("epoch", ExtendedJSON.int64(document.epoch)), ("version", ExtendedJSON.int64(document.version)),
                ])
            ),
        ])
        try await withBucket { chunks, files throws(ArchiveError) in
            var error = bson_error_t()
            var n: Int32 = 0
            var offset = 0
            while offset < report.count {
                let end = min(offset + Self.chunkBytes, report.count)
                let chunk = report[offset..<end].withUnsafeBytes { raw in
                    BSONDocument(
                        owning: inframind_gridfs_chunk(
                            fileID, n, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(raw.count)))
                }
                guard mongoc_collection_insert_one(chunks, chunk.pointer, nil, nil, &error) else {
                    throw Self.classify(error)
                }
                n += 1
                offset = end
            }
            let file = try BSONDocument(json: fileDocument)
            guard mongoc_collection_insert_one(files, file.pointer, nil, nil, &error) else {
                throw Self.classify(error)
            }
        }
    }

    /// Removes a report file and its chunks; nothing when there is none. The chunks go first, so a crash
    /// in between leaves a file document the next tidy-up still finds by its name.
    func deleteReportFile(_ fileID: String) async throws(ArchiveError) {
        try await withBucket { chunks, files throws(ArchiveError) in
            var error = bson_error_t()
            let byFile = try BSONDocument(json: ExtendedJSON.object([("files_id", ExtendedJSON.string(fileID))]))
            guard mongoc_collection_delete_many(chunks, byFile.pointer, nil, nil, &error) else {
                throw Self.classify(error)
            }
            // nx-27017 answers a delete from a bucket's files that matches nothing with an error ("File
            // with id … not found") where MongoDB deletes nothing: look first (docs/archive.md).
            let byID = try BSONDocument(json: ExtendedJSON.object([("_id", ExtendedJSON.string(fileID))]))
            guard try !Self.documents(in: files, matching: byID).isEmpty else { return }
            guard mongoc_collection_delete_one(files, byID.pointer, nil, nil, &error) else {
                throw Self.classify(error)
            }
        }
    }

    /// The report files of an assessment.
    func reportFiles(of id: String) async throws(ArchiveError) -> [ReportFile] {
        try await withBucket { _, files throws(ArchiveError) in
            let filter = try BSONDocument(json: ExtendedJSON.object([("filename", ExtendedJSON.string(id))]))
            let options = try BSONDocument(json: "{\"projection\":{\"_id\":1,\"metadata\":1}}")
            return try Self.documents(in: files, matching: filter, options: options).compactMap { file in
                guard let fileID = file.string("_id") else { return nil }
                let metadata = file.document("metadata")
                return ReportFile(id: fileID, epoch: metadata?.integer("epoch"), version: metadata?.integer("version"))
            }
        }
    }

    /// Removes the assessment's files of `state` or older, except `keeping` (the one its document names).
    func removeReportFiles(of id: String, upTo state: (Int, Int), keeping: String?) async throws(ArchiveError) {
        for file in try await reportFiles(of: id) where file.id != keeping {
            guard let epoch = file.epoch, let version = file.version, (epoch, version) <= state else { continue }
            try await deleteReportFile(file.id)
        }
    }

    /// How many chunks a file has (tests: nothing is left behind).
    func reportChunkCount(_ fileID: String) async throws(ArchiveError) -> Int {
        try await withBucket { chunks, _ throws(ArchiveError) in
            let filter = try BSONDocument(json: ExtendedJSON.object([("files_id", ExtendedJSON.string(fileID))]))
            let options = try BSONDocument(json: "{\"projection\":{\"n\":1}}")
            return try Self.documents(in: chunks, matching: filter, options: options).count
        }
    }

    func downloadReport(fileID: String) async throws(ArchiveError) -> Data {
        let bucketName = reportBucket
        let database = self.database
        return try await withClient { client, _ throws(ArchiveError) in
            let options = try BSONDocument(json: "{\"bucketName\":\(ExtendedJSON.string(bucketName))}")
            var error = bson_error_t()
            guard let db = mongoc_client_get_database(client, database) else {
                throw .unavailable("no database handle")
            }
            defer { mongoc_database_destroy(db) }
            guard let bucket = mongoc_gridfs_bucket_new(db, options.pointer, nil, &error) else {
                throw Self.classify(error)
            }
            defer { mongoc_gridfs_bucket_destroy(bucket) }
            guard let stream = inframind_gridfs_download(bucket, fileID, &error) else { throw Self.classify(error) }
            defer { mongoc_stream_destroy(stream) }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
            while true {
                let count = buffer.withUnsafeMutableBytes { raw in
                    mongoc_stream_read(stream, raw.baseAddress, raw.count, 1, 0)
                }
                if count < 0 {
                    var readError = bson_error_t()
                    _ = mongoc_gridfs_bucket_stream_error(stream, &readError)
                    throw Self.classify(readError)
                }
                if count == 0 { break }
                data.append(contentsOf: buffer[0..<count])
            }
            return data
        }
    }

    /// Runs `body` with the bucket's chunks and files collections.
    private func withBucket<T: Sendable>(
        _ body: @escaping @Sendable (_ chunks: OpaquePointer, _ files: OpaquePointer) throws(ArchiveError) -> T
    ) async throws(ArchiveError) -> T {
        let bucket = reportBucket
        let database = self.database
        return try await withClient { client, _ throws(ArchiveError) in
            guard let chunks = mongoc_client_get_collection(client, database, "\(bucket).chunks"),
                let files = mongoc_client_get_collection(client, database, "\(bucket).files")
            else { throw .unavailable("no collection handle") }
            defer {
                mongoc_collection_destroy(chunks)
                mongoc_collection_destroy(files)
            }
            return try body(chunks, files)
        }
    }
}
