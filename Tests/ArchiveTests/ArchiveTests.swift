import ArchiveTestServer
import Assessment
import Foundation
import Logging
import Storage
import Testing

@testable import Archive

/// The archive against a real server (ArchiveServer): documents, the guarded upsert, the listing,
/// and the queue a node's store keeps for it. Every expectation here is one MongoDB itself makes;
/// where nx-27017 behaves differently the code says so (BSONDocument.integer, MongoArchive.upsert).
@Suite(.enabled(if: ArchiveServer.available, "no MongoDB server: set INFRAMIND_TEST_MONGODB_URI or install nx-27017"))
struct ArchiveTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples")

    static func example(_ name: String) throws -> (request: Data, report: Data) {
        (
            try Data(contentsOf: examples.appendingPathComponent("\(name).json")),
            try Data(contentsOf: examples.appendingPathComponent("golden/\(name).report.json"))
        )
    }

    /// A final record as an owner's store holds it.
    static func record(
        _ id: String, status: AssessmentStatus, epoch: Int = 1, version: Int = 9, created: Double = 0,
        request: Data, report: Data? = nil, failure: String? = nil
    ) -> AssessmentRecord {
        AssessmentRecord(
            id: id, status: status, epoch: epoch, version: version, replicaSet: ["node-a", "node-b", "node-c"],
            request: request, report: report,
            progress: AssessmentProgress(
                percent: 100, currentStep: nil,
                agents: [
                    AgentProgress(agent: "cost_analyzer", state: .succeeded, attempt: 1, node: "node-b"),
                    AgentProgress(
                        agent: "report_generator", state: status == .completed ? .succeeded : .failed, attempt: 2,
                        node: "node-c"),
                ]),
            failure: failure, createdAt: Date(timeIntervalSince1970: 1_800_000_000 + created),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_060 + created))
    }

    /// A report of about 100 KB goes to GridFS under this limit, so that the GridFS path is tested
    /// with ordinary reports against any server.
    static let smallDocumentLimit = 64 * 1024

    static func withArchive(
        documentLimit: Int = MongoArchive.maximumDocumentBytes,
        _ body: (MongoArchive, ArchiveServer) async throws -> Void
    ) async throws {
        let server = try await ArchiveServer.start()
        defer { server.stop() }
        let archive = try MongoArchive(
            uri: server.uri, database: server.database, collection: "assessments", documentLimit: documentLimit)
        defer { archive.close() }
        try await archive.dropAll()
        try await archive.ensureIndexes()
        try await body(archive, server)
        try? await archive.dropAll()
    }

    @Test func aWrongURIIsRefusedWithLibmongocsReason() {
        #expect(throws: ArchiveError.self) {
            try MongoArchive(uri: "mongodb://x:y@@host", database: "inframind", collection: "assessments")
        }
        do {
            _ = try MongoArchive(uri: "http://127.0.0.1:1", database: "inframind", collection: "assessments")
            Issue.record("an http URI was taken")
        } catch {
            #expect("\(error)".contains("archive_mongodb_uri is not a valid MongoDB URI"))
        }
    }

    @Test func completedFailedAndCancelledAssessmentsHaveTheirFieldsWithTheirTypes() async throws {
        try await Self.withArchive { archive, _ in
            let (request, report) = try Self.example("healthcare-startup-7b")
            let records = [
                // Nodes store the request in its binary form; the document holds it as JSON.
                Self.record(
                    "done", status: .completed, request: try AssessmentRequest(storedForm: request).binaryForm(),
                    report: report),
                Self.record("broke", status: .failed, created: 1, request: request, failure: "cost_analyzer threw"),
                Self.record("stopped", status: .cancelled, created: 2, request: request),
            ]
            for record in records {
                let document = try ArchiveDocument(
                    record: record,
                    results: [
                        Storage.AgentResult(
                            assessmentID: record.id, agent: "cost_analyzer", attempt: 1, digest: Data([1]),
                            payload: Data("{}".utf8), node: "node-b",
                            recordedAt: record.createdAt.addingTimeInterval(5))
                    ], archivedBy: "node-a", at: Date())
                #expect(try await archive.upsert(document) == .written)
            }
            #expect(try await archive.count() == 3)

            let done = try #require(try await archive.find(id: "done"))
            #expect(done.status == "completed" && done.epoch == 1 && done.version == 9)
            #expect(done.createdAt == records[0].createdAt && done.updatedAt == records[0].updatedAt)
            // The report comes back as the very bytes the cluster serves.
            #expect(done.report == report)
            #expect(done.recommendedProvider != nil && done.industry == "healthcare")
            #expect(done.catalogVersion?.isEmpty == false && done.engineVersion == AssessmentEngine.engineVersion)
            #expect(done.agents.map(\.name) == ["cost_analyzer", "report_generator"])
            #expect(done.agents[0].finishedAt == records[0].createdAt.addingTimeInterval(5))
            #expect(done.node == "node-a")

            // Types as stored: dates are BSON dates, the request and report embedded documents, the
            // report queryable by its fields.
            let raw = try #require(try await archive.rawDocument(id: "done"))
            #expect(raw.date("created_at") != nil && raw.date("updated_at") != nil && raw.date("archived_at") != nil)
            #expect(raw.document("request")?.document("business") != nil)
            #expect(
                raw.document("report")?.document("summary")?.string("recommended_provider") == done.recommendedProvider)
            #expect(raw.integer("attempts") == 3)
            #expect(raw.document("timings")?.integer("duration_ms") == 60_000)
            #expect(raw.string("catalog_version") == done.catalogVersion)
            let byProvider = try await archive.list(ArchiveFilter(provider: done.recommendedProvider))
            #expect(byProvider.items.map(\.id) == ["done"])

            let broke = try #require(try await archive.find(id: "broke"))
            #expect(broke.status == "failed" && broke.failure == "cost_analyzer threw" && broke.report == nil)
            #expect(try await archive.rawDocument(id: "broke")?.document("report") == nil)
            let stopped = try #require(try await archive.find(id: "stopped"))
            #expect(stopped.status == "cancelled" && stopped.report == nil && stopped.failure == nil)
            #expect(try await archive.find(id: "never") == nil)
        }
    }

    /// The document carries the submitting tenant, and a tenant's listing holds its own documents
    /// only: archive reads obey the same tenants as the cluster's (docs/security.md).
    @Test func documentsCarryTheirTenantAndListingsFilterOnIt() async throws {
        try await Self.withArchive { archive, _ in
            let request = Data(#"{"business":{"industry":"retail"}}"#.utf8)
            for (index, tenant) in ["acme", "globex", "acme", nil].enumerated() {
                var record = Self.record("t\(index)", status: .cancelled, created: Double(index), request: request)
                record.tenant = tenant
                let document = try ArchiveDocument(record: record, results: [], archivedBy: "node-a", at: Date())
                #expect(try await archive.upsert(document) == .written)
            }
            let acme = try await archive.find(id: "t0")
            let globex = try await archive.find(id: "t1")
            let before = try await archive.find(id: "t3")
            #expect(acme?.tenant == "acme")
            #expect(globex?.tenant == "globex")
            // Stored before tenants: the default tenant's, as the cluster counts it.
            #expect(before?.tenant == "default")
            // A document archived before documents carried a tenant: the default tenant's too, as the
            // cluster counts a record of that time (docs/security.md).
            let untagged = try ArchiveDocument(
                record: Self.record("t4", status: .cancelled, created: 4, request: request), results: [],
                archivedBy: "node-a", at: Date())
            let withoutTenant = untagged.json(report: .inline).replacingOccurrences(
                of: #","tenant":"default""#, with: "")
            #expect(!withoutTenant.contains("tenant"))
            #expect(try await archive.replaceIfOlder(untagged, with: BSONDocument(json: withoutTenant)) == .inserted)
            #expect(try await archive.find(id: "t4")?.tenant == nil)
            let acmeList = try await archive.list(ArchiveFilter(tenant: "acme"))
            let globexList = try await archive.list(ArchiveFilter(tenant: "globex"))
            let defaultList = try await archive.list(ArchiveFilter(tenant: ArchiveDocument.defaultTenant))
            let nobody = try await archive.list(ArchiveFilter(tenant: "initech"))
            let everyone = try await archive.list(ArchiveFilter())
            #expect(acmeList.items.map(\.id) == ["t2", "t0"])
            #expect(globexList.items.map(\.id) == ["t1"])
            #expect(defaultList.items.map(\.id) == ["t4", "t3"])
            #expect(nobody.items.isEmpty)
            #expect(everyone.items.count == 5)
        }
    }

    @Test func aRetryAndAnOlderEpochAfterANewerOneLeaveOneDocumentInItsNewestState() async throws {
        try await Self.withArchive { archive, _ in
            let request = Data(#"{"business":{"industry":"retail"}}"#.utf8)
            let first = try ArchiveDocument(
                record: Self.record("a", status: .failed, epoch: 1, version: 5, request: request, failure: "first"),
                results: [], archivedBy: "node-a", at: Date())
            #expect(try await archive.upsert(first) == .written)
            // The same final state again (a retry, or a replica standing in for the owner).
            #expect(try await archive.upsert(first) == .alreadyCurrent)
            let newer = try ArchiveDocument(
                record: Self.record("a", status: .cancelled, epoch: 2, version: 3, request: request),
                results: [], archivedBy: "node-b", at: Date())
            #expect(try await archive.upsert(newer) == .written)
            // A deposed owner's late write: older epoch, higher version.
            let older = try ArchiveDocument(
                record: Self.record("a", status: .failed, epoch: 1, version: 40, request: request, failure: "late"),
                results: [], archivedBy: "node-a", at: Date())
            #expect(try await archive.upsert(older) == .alreadyCurrent)
            // Same epoch, newer version: replaces.
            let newest = try ArchiveDocument(
                record: Self.record("a", status: .cancelled, epoch: 2, version: 4, request: request),
                results: [], archivedBy: "node-c", at: Date())
            #expect(try await archive.upsert(newest) == .written)
            #expect(try await archive.count() == 1)
            let stored = try #require(try await archive.find(id: "a"))
            #expect(stored.epoch == 2 && stored.version == 4 && stored.status == "cancelled")
        }
    }

    @Test func theListingFiltersAndPagesWithoutRepeatsOrGaps() async throws {
        try await Self.withArchive { archive, _ in
            let industries = ["healthcare", "finance", "retail"]
            let statuses: [AssessmentStatus] = [.completed, .failed, .cancelled]
            var expected: [(id: String, industry: String, status: AssessmentStatus, created: Double)] = []
            for index in 0..<23 {
                let industry = industries[index % 3]
                let status = statuses[(index / 3) % 3]
                // Two assessments share each millisecond (the cursor must break ties by id), and times
                // have milliseconds, which nx-27017 compared wrongly as dates.
                let created = Double(index / 2) + 0.123
                let id = String(format: "asm-%02d", index)
                let request = Data(#"{"business":{"industry":"\#(industry)"}}"#.utf8)
                // Versions differ, as in a cluster: a guard that lost `_id` would replace another document.
                let document = try ArchiveDocument(
                    record: Self.record(id, status: status, version: 3 + index, created: created, request: request),
                    results: [], archivedBy: "node-a", at: Date())
                let outcome = try await archive.upsert(document)
                #expect(outcome == .written)
                expected.append((id, industry, status, created))
            }
            func newestFirst(_ items: [(id: String, industry: String, status: AssessmentStatus, created: Double)])
                -> [String]
            {
                items.sorted { ($0.created, $0.id) > ($1.created, $1.id) }.map(\.id)
            }
            func all(_ filter: ArchiveFilter) async throws -> [String] {
                var filter = filter
                var ids: [String] = []
                while true {
                    let page = try await archive.list(filter)
                    #expect(page.items.count <= filter.limit)
                    ids += page.items.map(\.id)
                    guard let next = page.next else { return ids }
                    filter.cursor = ArchiveCursor(token: next.token)
                }
            }
            #expect(try await all(ArchiveFilter(limit: 4)) == newestFirst(expected))
            #expect(
                try await all(ArchiveFilter(industry: "finance", limit: 3))
                    == newestFirst(expected.filter { $0.industry == "finance" }))
            #expect(
                try await all(ArchiveFilter(statuses: ["failed", "cancelled"], limit: 5))
                    == newestFirst(expected.filter { $0.status != .completed }))
            let from = Date(timeIntervalSince1970: 1_800_000_003.123)
            let to = Date(timeIntervalSince1970: 1_800_000_008.123)
            #expect(
                try await all(ArchiveFilter(industry: "retail", from: from, to: to, limit: 2))
                    == newestFirst(expected.filter { $0.industry == "retail" && $0.created >= 3 && $0.created < 8 }))
            #expect(try await archive.count() == 23)
            #expect(try await archive.list(ArchiveFilter(provider: "nobody")).items.isEmpty)
            // A filter value is data, never an operator.
            #expect(try await archive.list(ArchiveFilter(industry: #"{"$ne":"x"}"#)).items.isEmpty)
        }
    }

    /// The report files of `id` and how many chunks each has.
    static func reportFiles(_ archive: MongoArchive, of id: String) async throws -> [String: Int] {
        var files: [String: Int] = [:]
        for file in try await archive.reportFiles(of: id) {
            files[file.id] = try await archive.reportChunkCount(file.id)
        }
        return files
    }

    static func chunks(of report: Data) -> Int {
        (report.count + MongoArchive.chunkBytes - 1) / MongoArchive.chunkBytes
    }

    /// Before, the second write of the same 17 MiB report re-uploaded a file of the same id: the chunk
    /// insert failed on the unique index, and libmongoc's upload stream retried it in a loop that never
    /// ended (docs/archive.md, "GridFS"). Now against nx-27017 too.
    @Test func aReportOverMongoDBsDocumentLimitGoesToGridFSAndComesBackWhole() async throws {
        try await Self.withArchive { archive, _ in
            let (request, _) = try Self.example("healthcare-startup-7b")
            // 17 MiB of sections: over the 16 MiB document limit.
            let section = String(repeating: "x", count: 1 << 20)
            let sections = (0..<17).map { #"{"body":"\#(section)","title":"s\#($0)"}"# }.joined(separator: ",")
            let report = Data(
                (#"{"summary":{"recommended_provider":"gcp"},"sections":[\#(sections)],"title":"big"}"#).utf8)
            let document = try ArchiveDocument(
                record: Self.record("big", status: .completed, request: request, report: report), results: [],
                archivedBy: "node-a", at: Date())
            #expect(try await archive.upsert(document) == .written)
            #expect(try await archive.upsert(document) == .alreadyCurrent)
            let raw = try #require(try await archive.rawDocument(id: "big"))
            #expect(
                raw.document("report")?.document("sections") == nil && raw.document("report_file")?.string("id") != nil)
            let found = try #require(try await archive.find(id: "big"))
            #expect(found.report == report)
            #expect(try await Self.reportFiles(archive, of: "big") == ["big@1.9.node-a": Self.chunks(of: report)])
        }
    }

    /// An ordinary report under a low limit: written as a GridFS file named in the document, which keeps
    /// the report's summary (the listing's provider filter still finds it); read back whole; a retry
    /// and a late older write leave it alone; a newer state replaces it and its file, and nothing of
    /// the old one remains.
    @Test func aReportOverTheDocumentLimitRoundTripsThroughGridFS() async throws {
        try await Self.withArchive(documentLimit: Self.smallDocumentLimit) { archive, _ in
            let (request, report) = try Self.example("healthcare-startup-7b")
            #expect(report.count > Self.smallDocumentLimit)
            let first = try ArchiveDocument(
                record: Self.record("g", status: .completed, epoch: 1, version: 9, request: request, report: report),
                results: [], archivedBy: "node-a", at: Date())
            #expect(try await archive.upsert(first) == .written)
            let raw = try #require(try await archive.rawDocument(id: "g"))
            #expect(raw.length < Self.smallDocumentLimit)
            #expect(raw.document("report_file")?.string("id") == "g@1.9.node-a")
            #expect(raw.document("report_file")?.integer("length") == report.count)
            #expect(raw.document("report")?.document("sections") == nil)
            let found = try #require(try await archive.find(id: "g"))
            #expect(found.report == report)
            #expect(found.recommendedProvider != nil)
            let byProvider = try await archive.list(ArchiveFilter(provider: found.recommendedProvider))
            #expect(byProvider.items.map(\.id) == ["g"])
            #expect(try await Self.reportFiles(archive, of: "g") == ["g@1.9.node-a": Self.chunks(of: report)])

            // A retry, and another node writing the same state: nothing changes, no second file.
            #expect(try await archive.upsert(first) == .alreadyCurrent)
            var sameByOther = first
            sameByOther.archivedBy = "node-b"
            #expect(try await archive.upsert(sameByOther) == .alreadyCurrent)
            #expect(try await Self.reportFiles(archive, of: "g") == ["g@1.9.node-a": Self.chunks(of: report)])

            // A newer epoch (a successor's final state) replaces the document and its file.
            let newer = try ArchiveDocument(
                record: Self.record("g", status: .completed, epoch: 2, version: 3, request: request, report: report),
                results: [], archivedBy: "node-b", at: Date())
            #expect(try await archive.upsert(newer) == .written)
            #expect(try await archive.rawDocument(id: "g")?.document("report_file")?.string("id") == "g@2.3.node-b")
            #expect(try await archive.find(id: "g")?.report == report)
            #expect(try await Self.reportFiles(archive, of: "g") == ["g@2.3.node-b": Self.chunks(of: report)])
            #expect(try await archive.reportChunkCount("g@1.9.node-a") == 0)

            // A deposed owner's late write of the older state: refused before any upload.
            #expect(try await archive.upsert(first) == .alreadyCurrent)
            #expect(try await Self.reportFiles(archive, of: "g") == ["g@2.3.node-b": Self.chunks(of: report)])
            #expect(try await archive.count() == 1)

            // A newer state small enough to be inline: its file goes with the copy it replaced.
            let small = Data(#"{"sections":[],"summary":{"recommended_provider":"aws"}}"#.utf8)
            let inline = try ArchiveDocument(
                record: Self.record("g", status: .completed, epoch: 2, version: 4, request: request, report: small),
                results: [], archivedBy: "node-c", at: Date())
            #expect(try await archive.upsert(inline) == .written)
            #expect(try await archive.rawDocument(id: "g")?.document("report_file") == nil)
            #expect(
                try await archive.find(id: "g")?.report
                    == ArchivedAssessment.canonicalReport(String(decoding: small, as: UTF8.self)))
            #expect(try await Self.reportFiles(archive, of: "g").isEmpty)
            #expect(try await archive.reportChunkCount("g@2.3.node-b") == 0)
        }
    }

    /// What interrupted writes leave behind is gone once the write succeeds: this writer's own earlier
    /// upload of the state (here with other bytes: a file of the same id from an attempt that died before
    /// its document was written), another writer's unused upload of the same state, and a file of an
    /// older state whose document never came.
    @Test func aRetriedWriteLeavesNoOrphanedFilesOrChunks() async throws {
        try await Self.withArchive(documentLimit: Self.smallDocumentLimit) { archive, _ in
            let (request, report) = try Self.example("healthcare-startup-7b")
            let document = try ArchiveDocument(
                record: Self.record("r", status: .completed, epoch: 2, version: 5, request: request, report: report),
                results: [], archivedBy: "node-a", at: Date())
            let junk = Data(repeating: 0x7A, count: 3 * MongoArchive.chunkBytes + 10)
            var older = document
            older.epoch = 1
            var other = document
            other.archivedBy = "node-b"
            try await archive.uploadReport(junk, fileID: "r@2.5.node-a", of: document)
            try await archive.uploadReport(report, fileID: "r@2.5.node-b", of: other)
            try await archive.uploadReport(report, fileID: "r@1.5.node-a", of: older)
            #expect(try await Self.reportFiles(archive, of: "r").count == 3)

            #expect(try await archive.upsert(document) == .written)
            #expect(try await archive.find(id: "r")?.report == report)
            #expect(try await Self.reportFiles(archive, of: "r") == ["r@2.5.node-a": Self.chunks(of: report)])
            for gone in ["r@2.5.node-b", "r@1.5.node-a"] { #expect(try await archive.reportChunkCount(gone) == 0) }

            // A file of a newer state (a newer write under way) is not this write's to remove.
            var newer = document
            newer.version = 6
            try await archive.uploadReport(report, fileID: "r@2.6.node-c", of: newer)
            #expect(try await archive.upsert(document) == .alreadyCurrent)
            #expect(Set(try await Self.reportFiles(archive, of: "r").keys) == ["r@2.5.node-a", "r@2.6.node-c"])
        }
    }

    @Test func theStoreQueuesAFinalStateInTheCommitThatStoresItAndRetentionKeepsItUntilArchived() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archive-queue-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteAssessmentStore(dataDirectory: directory, archiving: true)
        let request = Data(#"{"business":{"industry":"retail"}}"#.utf8)
        var running = Self.record("q1", status: .running, version: 3, request: request)
        _ = try await store.replicate(running, results: [])
        #expect(try await store.archiveQueueCount() == 0)
        running.status = .completed
        running.version = 4
        _ = try await store.replicate(running, results: [])
        let queued = try await store.archiveQueue(limit: 10)
        #expect(queued.map(\.id) == ["q1"] && queued[0].version == 4 && queued[0].owner == "node-a")
        // Past retention but not archived: kept.
        let pastRetention = running.updatedAt.addingTimeInterval(1)
        #expect(try await store.deleteExpired(updatedBefore: pastRetention) == 0)
        // A newer final state replaces the entry; archiving the older one leaves it.
        running.epoch = 2
        running.version = 1
        _ = try await store.replicate(running, results: [])
        #expect(try await store.archived(id: "q1", epoch: 1, version: 4) == false)
        #expect(try await store.archived(id: "q1", epoch: 2, version: 1) == true)
        #expect(try await store.deleteExpired(updatedBefore: pastRetention) == 1)
        try store.close()
    }

    @Test func theQueueIsBoundedPastRetentionOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archive-bound-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteAssessmentStore(dataDirectory: directory, archiving: true)
        let request = Data("{}".utf8)
        for index in 0..<5 {
            _ = try await store.replicate(
                Self.record("b\(index)", status: .failed, created: Double(index), request: request), results: [])
        }
        let cutoff = Date(timeIntervalSince1970: 1_800_000_060 + 3)
        // Limit 2: the three entries over it that are older than the cutoff go, oldest first.
        #expect(try await store.dropArchiveQueue(over: 2, queuedBefore: cutoff) == ["b0", "b1", "b2"])
        #expect(try await store.dropArchiveQueue(over: 2, queuedBefore: cutoff) == [])
        // Over the limit but within retention: kept.
        #expect(try await store.dropArchiveQueue(over: 1, queuedBefore: cutoff) == [])
        #expect(try await store.archiveQueueCount() == 2)
        try store.close()
    }
}
