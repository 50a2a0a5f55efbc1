import CMongoc
import FoundationEssentials
import Logging
import NIOPosix
import Synchronization

/// Why the archive refused or could not be reached.
package enum ArchiveError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `archive_mongodb_uri` is not a URI libmongoc takes: the node refuses to start.
    case invalidURI(String)
    /// No server answered in time, a connection broke, authentication failed, or the server refused:
    /// the write stays queued and is retried.
    case unavailable(String)
    /// A document that could not be built or read back (a bug, or a document not written by us).
    case badDocument(String)

    package var description: String {
        switch self {
        case .invalidURI(let message): "archive_mongodb_uri is not a valid MongoDB URI: \(message)"
        case .unavailable(let message): "the archive is unavailable: \(message)"
        case .badDocument(let message): "bad archive document: \(message)"
        }
    }
}

/// What a guarded write did.
package enum UpsertOutcome: Sendable, Hashable {
    /// The document was inserted, or replaced an older (epoch, version).
    case written
    /// The archive already holds this (epoch, version) or a newer one; nothing changed.
    case alreadyCurrent
}

/// The node's connection to the archive: one libmongoc client pool, created at start and shared by
/// every write and read. libmongoc blocks the calling thread (server selection waits up to
/// `serverSelectionTimeoutMS`), so every call runs on this archive's own threads, never on Swift's
/// cooperative pool, which has as many threads as cores.
package final class MongoArchive: @unchecked Sendable {
    package let database: String
    package let collection: String
    /// GridFS bucket for reports too large for one document (see `maximumDocumentBytes`).
    package var reportBucket: String { "\(collection)_reports" }
    /// MongoDB refuses documents over 16 MiB; a margin leaves room for the fields beside the report.
    package static let maximumDocumentBytes = 16 * 1024 * 1024 - 64 * 1024

    private let uri: OpaquePointer
    private let pool: Handle
    private let threads: NIOThreadPool
    private let closed = Mutex(false)

    /// Parses the URI and creates the pool; connects to nothing yet (libmongoc connects on first use),
    /// so a server that is down does not stop the node, while a URI that is wrong does.
    package init(uri text: String, database: String, collection: String, threads: Int = 2) throws(ArchiveError) {
        Self.initializeDriver
        guard !database.isEmpty, !collection.isEmpty else {
            throw .invalidURI("archive_database and archive_collection must not be empty")
        }
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else {
            throw .invalidURI(BSONDocument.message(error))
        }
        // Unless the URI says otherwise, an unreachable archive answers within seconds: every waiting
        // call holds one of this archive's threads.
        if mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 0) == 0 {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5_000)
        }
        if mongoc_uri_get_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, 0) == 0 {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, 3_000)
        }
        guard let pool = mongoc_client_pool_new(uri) else {
            mongoc_uri_destroy(uri)
            throw .invalidURI("libmongoc could not create a client pool for it (TLS options?)")
        }
        // Version 2: server errors come in their own domain, so a duplicate key is told from a network error.
        mongoc_client_pool_set_error_api(pool, 2)
        mongoc_client_pool_set_appname(pool, "inframind")
        self.uri = uri
        self.pool = Handle(pointer: pool)
        self.database = database
        self.collection = collection
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
    }

    deinit {
        close()
    }

    package func close() {
        let first = closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        try? threads.syncShutdownGracefully()
        mongoc_client_pool_destroy(pool.pointer)
        mongoc_uri_destroy(uri)
    }

    /// libmongoc's own log goes to stderr at every level unless a handler is set; only its warnings
    /// and errors matter to an operator, and they go through the node's logger.
    private static let initializeDriver: Void = {
        mongoc_init()
        mongoc_log_set_handler(
            { level, domain, message, _ in
                guard level.rawValue <= MONGOC_LOG_LEVEL_WARNING.rawValue, let message else { return }
                let domainText = domain.map { String(cString: $0) } ?? "mongoc"
                MongoArchive.driverLogger.warning("\(domainText): \(String(cString: message))")
            }, nil)
    }()

    private static let driverLogger = Logger(label: "inframind.archive.libmongoc")

    /// Runs `body` with a client from the pool on one of the archive's threads.
    private func withClient<T: Sendable>(
        _ body: @escaping @Sendable (OpaquePointer, OpaquePointer) throws(ArchiveError) -> T
    ) async throws(ArchiveError) -> T {
        let pool = self.pool
        let database = self.database
        let collection = self.collection
        do {
            return try await threads.runIfActive {
                guard let client = mongoc_client_pool_pop(pool.pointer) else {
                    throw ArchiveError.unavailable("no client from the pool")
                }
                defer { mongoc_client_pool_push(pool.pointer, client) }
                guard let handle = mongoc_client_get_collection(client, database, collection) else {
                    throw ArchiveError.unavailable("no collection handle")
                }
                defer { mongoc_collection_destroy(handle) }
                return try body(client, handle)
            }
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw .unavailable("the archive is closed: \(error)")
        }
    }

    /// Pings the server: true when it answered.
    package func ping() async throws(ArchiveError) {
        try await withClient { client, _ throws(ArchiveError) in
            let command = try BSONDocument(json: "{\"ping\":1}")
            var error = bson_error_t()
            guard mongoc_client_command_simple(client, "admin", command.pointer, nil, nil, &error) else {
                throw Self.classify(error)
            }
        }
    }

    /// The indexes the listing's filters use. Idempotent: MongoDB answers "already exists" with success
    /// for an index of the same name and keys.
    package func ensureIndexes() async throws(ArchiveError) {
        let indexes: [(String, String)] = [
            // Created time as milliseconds (`created_ms`, see ArchiveFilter.query). Not {created_ms: -1,
            // _id: -1}: nx-27017 accepts an index naming _id, then fails every write with "JSON path
            // error near '_id'" (docs/archive.md); MongoDB breaks the rare tie in memory.
            ("created", "{\"created_ms\":-1}"),
            ("status", "{\"status\":1,\"created_ms\":-1}"),
            ("industry", "{\"request.business.industry\":1,\"created_ms\":-1}"),
            ("provider", "{\"report.summary.recommended_provider\":1,\"created_ms\":-1}"),
        ]
        let command = ExtendedJSON.object([
            ("createIndexes", ExtendedJSON.string(collection)),
            ("indexes", ExtendedJSON.array(indexes.map { "{\"key\":\($0.1),\"name\":\(ExtendedJSON.string($0.0))}" })),
        ])
        try await withClient { _, handle throws(ArchiveError) in
            let document = try BSONDocument(json: command)
            var error = bson_error_t()
            guard mongoc_collection_write_command_with_opts(handle, document.pointer, nil, nil, &error) else {
                throw Self.classify(error)
            }
        }
    }

    /// Writes `document` (which carries `_id`, `epoch` and `version`) unless the archive holds the same
    /// or a newer (epoch, version) of it: one replace with upsert whose filter matches only an older
    /// copy. When a newer copy exists the filter matches nothing, the upsert tries to insert a second
    /// document with the same `_id`, and the unique `_id` index refuses it (E11000): that refusal is the
    /// "already current" answer, so a retry, a successor's write or a late write from a deposed owner
    /// never goes backwards or makes a second document.
    package func upsert(_ document: ArchiveDocument) async throws(ArchiveError) -> UpsertOutcome {
        // `$and` spelt out: nx-27017 drops `_id` from `{_id: …, $or: […]}` and matched (and replaced) another
        // assessment's older document (docs/archive.md); MongoDB reads both forms the same.
        let guarded = ExtendedJSON.object([
            (
                "$or",
                ExtendedJSON.array([
                    "{\"epoch\":{\"$lt\":\(ExtendedJSON.int64(document.epoch))}}",
                    "{\"epoch\":\(ExtendedJSON.int64(document.epoch)),\"version\":{\"$lt\":\(ExtendedJSON.int64(document.version))}}",
                ])
            )
        ])
        let filter = ExtendedJSON.object([
            ("$and", ExtendedJSON.array([ExtendedJSON.object([("_id", ExtendedJSON.string(document.id))]), guarded]))
        ])
        var body = try BSONDocument(json: document.json(report: .inline))
        if body.length > Self.maximumDocumentBytes, let report = document.report {
            let fileID = "\(document.id)@\(document.epoch).\(document.version)"
            try await uploadReport(report, fileID: fileID)
            body = try BSONDocument(json: document.json(report: .file(id: fileID, length: report.count)))
            guard body.length <= Self.maximumDocumentBytes else {
                throw .badDocument("\(document.id): \(body.length) bytes without its report, over MongoDB's limit")
            }
        }
        let replacement = body
        return try await withClient { _, handle throws(ArchiveError) in
            let filterDocument = try BSONDocument(json: filter)
            let options = try BSONDocument(json: "{\"upsert\":true}")
            var error = bson_error_t()
            if mongoc_collection_replace_one(
                handle, filterDocument.pointer, replacement.pointer, options.pointer, nil, &error)
            {
                return .written
            }
            if error.code == 11000 { return .alreadyCurrent }
            throw Self.classify(error)
        }
    }

    /// Stores a report too large for one document as a GridFS file named by the assessment and its
    /// (epoch, version); a retry that finds the file already there goes on (same id, same bytes).
    private func uploadReport(_ report: Data, fileID: String) async throws(ArchiveError) {
        let bucketName = reportBucket
        let database = self.database
        try await withClient { client, _ throws(ArchiveError) in
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
            guard let stream = inframind_gridfs_upload(bucket, fileID, &error) else { throw Self.classify(error) }
            defer { mongoc_stream_destroy(stream) }
            let written = report.withUnsafeBytes { raw -> Int in
                var total = 0
                while total < raw.count {
                    let chunk = mongoc_stream_write(
                        stream, UnsafeMutableRawPointer(mutating: raw.baseAddress! + total), raw.count - total, 0)
                    guard chunk > 0 else { break }
                    total += chunk
                }
                return total
            }
            guard written == report.count else {
                _ = mongoc_gridfs_bucket_abort_upload(stream)
                throw .unavailable("GridFS upload of \(fileID) stopped after \(written) of \(report.count) bytes")
            }
            if mongoc_stream_close(stream) != 0 {
                var closeError = bson_error_t()
                if mongoc_gridfs_bucket_stream_error(stream, &closeError), closeError.code != 11000 {
                    throw Self.classify(closeError)
                }
            }
        }
    }

    private func downloadReport(fileID: String) async throws(ArchiveError) -> Data {
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
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
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

    /// The archived assessment of that id, or nil when the archive has none.
    package func find(id: String) async throws(ArchiveError) -> ArchivedAssessment? {
        let filter = ExtendedJSON.object([("_id", ExtendedJSON.string(id))])
        let found = try await query(filter: filter, options: "{\"limit\":{\"$numberLong\":\"1\"}}").first
        guard var found else { return nil }
        if found.report == nil, let fileID = found.reportFileID {
            found.report = try await downloadReport(fileID: fileID)
        }
        return found
    }

    /// The (epoch, version) the archive holds for `id`, without its request and report; nil when none.
    package func storedVersion(id: String) async throws(ArchiveError) -> (epoch: Int, version: Int)? {
        let filter = ExtendedJSON.object([("_id", ExtendedJSON.string(id))])
        let options = "{\"limit\":{\"$numberLong\":\"1\"},\"projection\":{\"request\":0,\"report\":0,\"agents\":0}}"
        return try await query(filter: filter, options: options).first.map { ($0.epoch, $0.version) }
    }

    /// One page of the listing, newest first (created time, then id); the filter is built here from
    /// typed values, never passed through from a client.
    package func list(_ filter: ArchiveFilter) async throws(ArchiveError) -> ArchivePage {
        let limit = max(1, filter.limit)
        // One more than asked tells whether another page exists.
        let options = ExtendedJSON.object([
            ("sort", "{\"created_ms\":-1,\"_id\":-1}"),
            ("limit", ExtendedJSON.int64(limit + 1)),
            // The listing shows the summary, not whole reports.
            ("projection", "{\"report.sections\":0,\"report.agents\":0,\"report.recommendations\":0}"),
        ])
        let items = try await query(filter: filter.query, options: options)
        let page = Array(items.prefix(limit))
        let next = items.count > limit ? page.last.map { ArchiveCursor(createdAt: $0.createdAt, id: $0.id) } : nil
        return ArchivePage(items: page, next: next)
    }

    /// How many documents match (the tests' check that every assessment arrived exactly once).
    package func count(filter: String = "{}") async throws(ArchiveError) -> Int {
        try await withClient { _, handle throws(ArchiveError) in
            let document = try BSONDocument(json: filter)
            var error = bson_error_t()
            let count = mongoc_collection_count_documents(handle, document.pointer, nil, nil, nil, &error)
            guard count >= 0 else { throw Self.classify(error) }
            return Int(count)
        }
    }

    /// Drops the collection and its report bucket (tests only: each starts from an empty archive).
    package func dropAll() async throws(ArchiveError) {
        let bucket = reportBucket
        let database = self.database
        try await withClient { client, handle throws(ArchiveError) in
            var error = bson_error_t()
            // "ns not found" when it does not exist yet is the outcome wanted.
            _ = mongoc_collection_drop(handle, &error)
            for suffix in ["files", "chunks"] {
                if let other = mongoc_client_get_collection(client, database, "\(bucket).\(suffix)") {
                    _ = mongoc_collection_drop(other, &error)
                    mongoc_collection_destroy(other)
                }
            }
        }
    }

    /// The stored document itself, for tests of what is stored and with which BSON types.
    func rawDocument(id: String) async throws(ArchiveError) -> BSONDocument? {
        let filter = ExtendedJSON.object([("_id", ExtendedJSON.string(id))])
        return try await withClient { _, handle throws(ArchiveError) in
            let filterDocument = try BSONDocument(json: filter)
            guard let cursor = mongoc_collection_find_with_opts(handle, filterDocument.pointer, nil, nil) else {
                throw .unavailable("no cursor")
            }
            defer { mongoc_cursor_destroy(cursor) }
            var current: OpaquePointer?
            if mongoc_cursor_next(cursor, &current), let current { return BSONDocument(copying: current) }
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) { throw Self.classify(error) }
            return nil
        }
    }

    private func query(filter: String, options: String) async throws(ArchiveError) -> [ArchivedAssessment] {
        try await withClient { _, handle throws(ArchiveError) in
            let filterDocument = try BSONDocument(json: filter)
            let optionsDocument = try BSONDocument(json: options)
            guard
                let cursor = mongoc_collection_find_with_opts(
                    handle, filterDocument.pointer, optionsDocument.pointer, nil)
            else { throw .unavailable("no cursor") }
            defer { mongoc_cursor_destroy(cursor) }
            var found: [ArchivedAssessment] = []
            var current: OpaquePointer?
            while mongoc_cursor_next(cursor, &current) {
                guard let current else { break }
                found.append(try ArchivedAssessment(BSONDocument(copying: current)))
            }
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) { throw Self.classify(error) }
            return found
        }
    }

    /// libmongoc's pool is thread-safe (it is made to be shared by threads); the pointer is not
    /// `Sendable` to Swift, which cannot know that.
    struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    static func classify(_ error: bson_error_t) -> ArchiveError {
        .unavailable("\(BSONDocument.message(error)) (domain \(error.domain), code \(error.code))")
    }
}
