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
    /// GridFS bucket for reports too large for one document (see `documentLimit`).
    package var reportBucket: String { "\(collection)_reports" }
    /// MongoDB refuses documents over 16 MiB; a margin leaves room for the fields beside the report.
    package static let maximumDocumentBytes = 16 * 1024 * 1024 - 64 * 1024
    /// A document over this many bytes keeps its report in GridFS instead: `maximumDocumentBytes`
    /// unless set lower, as the tests do so that an ordinary report of about 100 KB takes the GridFS
    /// path against any server (ArchiveTests.aReportOverTheDocumentLimitRoundTripsThroughGridFS).
    package let documentLimit: Int

    private let uri: OpaquePointer
    private let pool: Handle
    private let threads: NIOThreadPool
    private let closed = Mutex(false)

    /// Parses the URI and creates the pool; connects to nothing yet (libmongoc connects on first use),
    /// so a server that is down does not stop the node, while a URI that is wrong does.
    package init(
        uri text: String, database: String, collection: String, threads: Int = 2,
        documentLimit: Int = MongoArchive.maximumDocumentBytes
    ) throws(ArchiveError) {
        Self.initializeDriver
        guard !database.isEmpty, !collection.isEmpty else {
            throw .invalidURI("archive_database and archive_collection must not be empty")
        }
        self.documentLimit = min(max(documentLimit, 1), Self.maximumDocumentBytes)
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
    func withClient<T: Sendable>(
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

    /// The indexes the listing's filters use, and GridFS's own on the report bucket (a report file is
    /// written here, not by a driver that would make them). Idempotent: MongoDB answers "already
    /// exists" with success for an index of the same name and keys.
    package func ensureIndexes() async throws(ArchiveError) {
        let listing: [(String, String)] = [
            // Created time as milliseconds (`created_ms`, see ArchiveFilter.query). Not {created_ms: -1,
            // _id: -1}: nx-27017 accepts an index naming _id, then fails every write with "JSON path
            // error near '_id'" (docs/archive.md); MongoDB breaks the rare tie in memory.
            ("created", "{\"created_ms\":-1}"),
            ("status", "{\"status\":1,\"created_ms\":-1}"),
            ("industry", "{\"request.business.industry\":1,\"created_ms\":-1}"),
            ("provider", "{\"report.summary.recommended_provider\":1,\"created_ms\":-1}"),
            // Every listing but an admin's is one tenant's.
            ("tenant", "{\"tenant\":1,\"created_ms\":-1}"),
        ]
        func command(_ collection: String, _ indexes: [(name: String, key: String, unique: Bool)]) -> String {
            ExtendedJSON.object([
                ("createIndexes", ExtendedJSON.string(collection)),
                (
                    "indexes",
                    ExtendedJSON.array(
                        indexes.map {
                            "{\"key\":\($0.key),\"name\":\(ExtendedJSON.string($0.name))"
                                + ($0.unique ? ",\"unique\":true}" : "}")
                        })
                ),
            ])
        }
        let commands = [
            command(collection, listing.map { ($0.0, $0.1, false) }),
            command("\(reportBucket).files", [("filename_1_uploadDate_1", "{\"filename\":1,\"uploadDate\":1}", false)]),
            command("\(reportBucket).chunks", [("files_id_1_n_1", "{\"files_id\":1,\"n\":1}", true)]),
        ]
        try await withClient { _, handle throws(ArchiveError) in
            for command in commands {
                // Run on the archive's database, whichever collection it names.
                let document = try BSONDocument(json: command)
                var error = bson_error_t()
                guard mongoc_collection_write_command_with_opts(handle, document.pointer, nil, nil, &error) else {
                    throw Self.classify(error)
                }
            }
        }
    }

    /// Writes `document` (which carries `_id`, `epoch` and `version`) unless the archive holds the same
    /// or a newer (epoch, version) of it: one replace with upsert whose filter matches only an older
    /// copy. When a newer copy exists the filter matches nothing, the upsert tries to insert a second
    /// document with the same `_id`, and the unique `_id` index refuses it (E11000): that refusal is the
    /// "already current" answer, so a retry, a successor's write or a late write from a deposed owner
    /// never goes backwards or makes a second document. A document over `documentLimit` keeps its
    /// report in GridFS (`upsertWithReportFile`).
    package func upsert(_ document: ArchiveDocument) async throws(ArchiveError) -> UpsertOutcome {
        let body = try BSONDocument(json: document.json(report: .inline))
        if body.length > documentLimit, let report = document.report {
            return try await upsertWithReportFile(document, report: report)
        }
        switch try await replaceIfOlder(document, with: body) {
        case .inserted: return .written
        case .replaced:
            // The copy replaced may have kept its report in GridFS; this one does not use that file.
            try await removeReportFiles(of: document.id, upTo: (document.epoch, document.version), keeping: nil)
            return .written
        case .alreadyCurrent: return .alreadyCurrent
        }
    }

    enum ReplaceOutcome {
        case inserted, replaced, alreadyCurrent
    }

    /// The guarded replace itself (see `upsert`).
    func replaceIfOlder(_ document: ArchiveDocument, with body: BSONDocument) async throws(ArchiveError)
        -> ReplaceOutcome
    {
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
        return try await withClient { _, handle throws(ArchiveError) in
            let filterDocument = try BSONDocument(json: filter)
            let options = try BSONDocument(json: "{\"upsert\":true}")
            let reply = BSONDocument()
            var error = bson_error_t()
            if mongoc_collection_replace_one(
                handle, filterDocument.pointer, body.pointer, options.pointer, reply.pointer, &error)
            {
                return (reply.integer("matchedCount") ?? 0) > 0 ? .replaced : .inserted
            }
            if error.code == 11000 { return .alreadyCurrent }
            throw Self.classify(error)
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
        try await storedCopy(id: id).map { ($0.epoch, $0.version) }
    }

    /// The archive's copy of `id` without its request, report and agents (its `reportFileID` is there).
    func storedCopy(id: String) async throws(ArchiveError) -> ArchivedAssessment? {
        let filter = ExtendedJSON.object([("_id", ExtendedJSON.string(id))])
        let options = "{\"limit\":{\"$numberLong\":\"1\"},\"projection\":{\"request\":0,\"report\":0,\"agents\":0}}"
        return try await query(filter: filter, options: options).first
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
            try Self.documents(in: handle, matching: BSONDocument(json: filter)).first
        }
    }

    private func query(filter: String, options: String) async throws(ArchiveError) -> [ArchivedAssessment] {
        try await withClient { _, handle throws(ArchiveError) in
            var found: [ArchivedAssessment] = []
            for document in try Self.documents(
                in: handle, matching: BSONDocument(json: filter), options: BSONDocument(json: options))
            {
                found.append(try ArchivedAssessment(document))
            }
            return found
        }
    }

    /// Copies of the documents of `collection` that `filter` matches.
    static func documents(in collection: OpaquePointer, matching filter: BSONDocument, options: BSONDocument? = nil)
        throws(ArchiveError) -> [BSONDocument]
    {
        guard let cursor = mongoc_collection_find_with_opts(collection, filter.pointer, options?.pointer, nil) else {
            throw .unavailable("no cursor")
        }
        defer { mongoc_cursor_destroy(cursor) }
        var found: [BSONDocument] = []
        var current: OpaquePointer?
        while mongoc_cursor_next(cursor, &current) {
            guard let current else { break }
            found.append(BSONDocument(copying: current))
        }
        var error = bson_error_t()
        if mongoc_cursor_error(cursor, &error) { throw Self.classify(error) }
        return found
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
