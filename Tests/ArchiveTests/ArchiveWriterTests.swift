import ArchiveTestServer
import Foundation
import Logging
import Storage
import Synchronization
import Testing

@testable import Archive

/// The writer that drains a node's queue, against a real server that goes down and comes back.
@Suite(.enabled(if: ArchiveServer.available, "no MongoDB server: set INFRAMIND_TEST_MONGODB_URI or install nx-27017"))
struct ArchiveWriterTests {
    static var quick: ArchiveWriterSettings {
        var settings = ArchiveWriterSettings()
        settings.pollInterval = .milliseconds(20)
        settings.firstBackoff = .milliseconds(20)
        settings.maximumBackoff = .milliseconds(200)
        return settings
    }

    static func waitUntil(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws
        -> Bool
    {
        // The condition is asked once more after the last sleep, however late that sleep ended: a
        // starved test process must not fail on a deadline it slept through.
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return true }
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func store() throws -> (SQLiteAssessmentStore, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("archive-writer-\(UUID())")
        return (try SQLiteAssessmentStore(dataDirectory: directory, archiving: true), directory)
    }

    /// The report of every completed assessment `finish` makes, in the bytes the cluster serves (which
    /// an inline copy is read back as, and a GridFS file is).
    static var report: Data {
        (try? ArchivedAssessment.canonicalReport(#"{"summary":{"recommended_provider":"aws"},"sections":[]}"#))
            ?? Data()
    }

    static func finish(_ store: SQLiteAssessmentStore, _ ids: [String], owner: String = "node-a") async throws {
        for (index, id) in ids.enumerated() {
            var record = ArchiveTests.record(
                id, status: index % 3 == 0 ? .completed : index % 3 == 1 ? .failed : .cancelled, created: Double(index),
                request: Data(#"{"business":{"industry":"retail"}}"#.utf8),
                report: index % 3 == 0 ? report : nil)
            record.replicaSet = [owner, "node-b", "node-c"]
            record.updatedAt = Date()
            _ = try await store.replicate(record, results: [])
        }
    }

    /// Also with every report in GridFS (a limit below any document), where the archive going down may
    /// cut an upload short: each completed assessment then ends with one whole file.
    @Test(arguments: [MongoArchive.maximumDocumentBytes, 256])
    func theArchiveDownDuringARunThenBackGetsEveryDocumentOnce(documentLimit: Int) async throws {
        let server = try await ArchiveServer.start()
        defer { server.stop() }
        let archive = try MongoArchive(
            uri: server.uri, database: server.database, collection: "assessments", documentLimit: documentLimit)
        defer { archive.close() }
        try await archive.dropAll()
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = ArchiveWriter(
            node: "node-a", archive: archive, store: store, settings: Self.quick, logger: Logger(label: "test"),
            ownerIsAlive: { _ in true })
        let run = Task { await writer.run() }
        defer { run.cancel() }

        let first = (0..<10).map { "up-\($0)" }
        try await Self.finish(store, first)
        #expect(try await Self.waitUntil { try await store.archiveQueueCount() == 0 })

        if server.isNX {
            // Down: final states keep arriving and wait in the queue; the writer fails and backs off.
            server.kill()
            let second = (0..<20).map { "down-\($0)" }
            try await Self.finish(store, second)
            #expect(try await Self.waitUntil { await writer.status().failed > 0 })
            #expect(try await store.archiveQueueCount() == 20)
            try await server.launch()
            #expect(try await Self.waitUntil { try await store.archiveQueueCount() == 0 })
            #expect(try await archive.count() == 30)
            for id in first + second {
                #expect(try await archive.count(filter: #"{"_id":"\#(id)"}"#) == 1)
            }
        } else {
            #expect(try await archive.count() == 10)
        }
        let status = await writer.status()
        #expect(status.pending == 0 && status.lastSuccess != nil && status.written == (server.isNX ? 30 : 10))
        // Completed ones are every third (`finish`); their reports read back whole, from one file each
        // when the limit put them in GridFS.
        for id in ["up-0", "up-3", "up-9"] + (server.isNX ? ["down-0", "down-3", "down-18"] : []) {
            #expect(try await archive.find(id: id)?.report == Self.report)
            let files = try await archive.reportFiles(of: id).map(\.id)
            #expect(files == (documentLimit < 1024 ? ["\(id)@1.9.node-a"] : []), "\(id)")
        }
        try? await archive.dropAll()
        try store.close()
    }

    @Test func aReplicaLeavesTheOwnersEntriesToItUntilTheOwnerIsGone() async throws {
        let server = try await ArchiveServer.start()
        defer { server.stop() }
        let archive = try MongoArchive(uri: server.uri, database: server.database, collection: "assessments")
        defer { archive.close() }
        try await archive.dropAll()
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ownerAlive = Atomic<Bool>(true)
        let writer = ArchiveWriter(
            node: "node-b", archive: archive, store: store, settings: Self.quick, logger: Logger(label: "test"),
            ownerIsAlive: { _ in ownerAlive.load(ordering: .relaxed) })
        try await Self.finish(store, ["s1", "s2"], owner: "node-a")
        // The owner is alive and the entries are fresh: a pass writes nothing.
        #expect(try await writer.pass() == false)
        #expect(try await store.archiveQueueCount() == 2)
        #expect(try await archive.count() == 0)
        // The owner is gone (SIGKILLed, say): this replica writes what it inherited.
        ownerAlive.store(false, ordering: .relaxed)
        #expect(try await writer.pass() == true)
        #expect(try await store.archiveQueueCount() == 0)
        #expect(try await archive.count() == 2)
        try? await archive.dropAll()
        try store.close()
    }

    @Test func aReplicaLetsGoOfWhatTheOwnerHasArchived() async throws {
        let server = try await ArchiveServer.start()
        defer { server.stop() }
        let archive = try MongoArchive(uri: server.uri, database: server.database, collection: "assessments")
        defer { archive.close() }
        try await archive.dropAll()
        let (owner, ownerDirectory) = try Self.store()
        let (replica, replicaDirectory) = try Self.store()
        defer {
            try? FileManager.default.removeItem(at: ownerDirectory)
            try? FileManager.default.removeItem(at: replicaDirectory)
        }
        try await Self.finish(owner, ["o1", "o2"], owner: "node-a")
        try await Self.finish(replica, ["o1", "o2"], owner: "node-a")
        var settings = Self.quick
        settings.standbyCheck = .zero
        let ownerWriter = ArchiveWriter(
            node: "node-a", archive: archive, store: owner, settings: settings, logger: Logger(label: "test"),
            ownerIsAlive: { _ in true })
        let replicaWriter = ArchiveWriter(
            node: "node-b", archive: archive, store: replica, settings: settings, logger: Logger(label: "test"),
            ownerIsAlive: { _ in true })
        // Before the owner wrote: the replica looks, finds nothing, keeps its entries.
        _ = try await replicaWriter.pass()
        #expect(try await replica.archiveQueueCount() == 2)
        #expect(try await ownerWriter.pass() == true)
        // After: it lets them go without writing (the owner's written count is the only one).
        _ = try await replicaWriter.pass()
        #expect(try await replica.archiveQueueCount() == 0)
        let replicaWrote = await replicaWriter.status().written
        let ownerWrote = await ownerWriter.status().written
        #expect(replicaWrote == 0 && ownerWrote == 2)
        try? await archive.dropAll()
        try owner.close()
        try replica.close()
    }

    @Test func backoffIsCappedAndJittered() throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(at: directory) }
        let archive = try MongoArchive(uri: "mongodb://127.0.0.1:1", database: "inframind", collection: "assessments")
        defer { archive.close() }
        var settings = ArchiveWriterSettings()
        settings.firstBackoff = .milliseconds(100)
        settings.maximumBackoff = .seconds(5)
        let writer = ArchiveWriter(
            node: "n", archive: archive, store: store, settings: settings, logger: Logger(label: "test"),
            ownerIsAlive: { _ in true })
        for failures in 1...30 {
            let ceiling = min(Duration.milliseconds(100) * (1 << min(failures - 1, 20)), .seconds(5))
            let wait = writer.backoff(after: failures)
            #expect(wait <= ceiling && wait >= ceiling / 2)
        }
        try store.close()
    }
}
