import Foundation
import Testing

@testable import Storage

/// What only the SQLite backend promises: its settings, reopening, and a full disk.
@Suite struct SQLiteDurabilityTests {
    @Test func theWriterUsesWALAndFullSync() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteAssessmentStore(dataDirectory: directory)
            defer { try? store.close() }
            let (mode, writerSync, foreignKeys) = try await store.database.write { db in
                (
                    try db.query("PRAGMA journal_mode") { $0.text(0) }.first,
                    try db.query("PRAGMA synchronous") { $0.int(0) }.first,
                    try db.query("PRAGMA foreign_keys") { $0.int(0) }.first
                )
            }
            #expect(mode == "wal")
            // 2 is FULL. Only the writer commits, so only its setting decides durability.
            #expect(writerSync == 2)
            // Deleting an expired record takes its journal through ON DELETE CASCADE only with this on.
            #expect(foreignKeys == 1)
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("assessments.sqlite").path))
        }
    }

    @Test func everythingWrittenIsReadBackAfterReopening() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteAssessmentStore(dataDirectory: directory)
            var record = sampleRecord("a1", idempotencyKey: "k1")
            #expect(try await store.replicate(record, results: []) == .stored)
            record.status = .completed
            record.epoch = 4
            record.version = 2
            record.report = Data("the report".utf8)
            record.progress.percent = 100
            record.updatedAt = instant(30)
            let result = sampleResult("a1", agent: "report_generator")
            #expect(try await store.replicate(record, results: [result]) == .stored)
            let second = sampleRecord("a2", createdAt: instant(1))
            #expect(try await store.replicate(second, results: []) == .stored)
            try store.close()

            let reopened = try SQLiteAssessmentStore(dataDirectory: directory)
            defer { try? reopened.close() }
            #expect(try await reopened.read(id: "a1") == record)
            #expect(
                try await reopened.list(statuses: [], limit: 10, after: nil).records
                    == [second, record].map(AssessmentSummary.init))
            #expect(try await reopened.results(of: "a1") == [result])
            // Fencing state survived too: the epoch before the restart still rules.
            var deposed = record
            deposed.epoch = 3
            deposed.version = 9
            #expect(try await reopened.replicate(deposed, results: []) == .refused(record.recordVersion))
        }
    }

    /// The files copied while the store is still open are what a `kill -9` leaves on disk: no close,
    /// no checkpoint, acknowledged commits only in the write-ahead log.
    @Test func acknowledgedWritesSurviveACrashWithoutClose() async throws {
        try await withTemporaryDirectory { directory in
            let live = directory.appendingPathComponent("live")
            let crashed = directory.appendingPathComponent("crashed")
            let store = try SQLiteAssessmentStore(dataDirectory: live)
            defer { try? store.close() }
            var acknowledged: [AssessmentRecord] = []
            for index in 0..<20 {
                var record = sampleRecord("r\(index)", createdAt: instant(Double(index)))
                #expect(try await store.replicate(record, results: []) == .stored)
                record.status = .running
                record.epoch = 2
                #expect(try await store.replicate(record, results: []) == .stored)
                acknowledged.append(record)
            }
            // Journaled with a write that changes nothing else, as a replica receives late results.
            let r7 = acknowledged[7]
            #expect(try await store.replicate(r7, results: [sampleResult("r7")]) == .current(r7.recordVersion))

            let name = SQLiteAssessmentStore.fileName
            let wal = live.appendingPathComponent(name + "-wal")
            let walSize = try FileManager.default.attributesOfItem(atPath: wal.path)[.size] as? Int ?? 0
            #expect(walSize > 0)
            try FileManager.default.createDirectory(at: crashed, withIntermediateDirectories: true)
            // The shared-memory index is left behind: SQLite rebuilds it from the log, as after a reboot.
            for file in [name, name + "-wal"] {
                try FileManager.default.copyItem(
                    at: live.appendingPathComponent(file), to: crashed.appendingPathComponent(file))
            }

            let recovered = try SQLiteAssessmentStore(dataDirectory: crashed)
            defer { try? recovered.close() }
            #expect(
                try await recovered.list(statuses: [], limit: 100, after: nil).records
                    == acknowledged.reversed().map(AssessmentSummary.init))
            #expect(try await recovered.results(of: "r7") == [sampleResult("r7")])
        }
    }

    @Test func aFullDiskIsAClearErrorAndLosesNothingCommitted() async throws {
        try await withTemporaryDirectory { directory in
            // A small cap reaches SQLITE_FULL through the same code path as a full file system.
            let store = try SQLiteAssessmentStore(dataDirectory: directory, maximumPageCount: 40)
            var acknowledged: [AssessmentRecord] = []
            var failure: StoreError?
            for index in 0..<1_000 {
                var record = sampleRecord("r\(index)", createdAt: instant(Double(index)))
                record.request = Data(repeating: UInt8(index % 251), count: 2_000)
                do {
                    _ = try await store.replicate(record, results: [])
                    acknowledged.append(record)
                } catch {
                    failure = error as? StoreError
                    break
                }
            }
            guard case .storageFull(let message) = failure else {
                Issue.record("expected storageFull, got \(String(describing: failure))")
                return
            }
            #expect(!message.isEmpty)
            #expect(acknowledged.count > 0)
            try store.close()

            let reopened = try SQLiteAssessmentStore(dataDirectory: directory)
            defer { try? reopened.close() }
            let listed = try await reopened.list(statuses: [], limit: 2_000, after: nil).records
            #expect(listed == acknowledged.reversed().map(AssessmentSummary.init))
            // Without the cap the same file takes writes again.
            #expect(try await reopened.replicate(sampleRecord("after"), results: []) == .stored)
        }
    }

    @Test func aDirectoryThatCannotBeCreatedIsAnIOError() throws {
        try withTemporaryDirectoryBlocked { blocked in
            #expect {
                try SQLiteAssessmentStore(dataDirectory: blocked.appendingPathComponent("data"))
            } throws: { error in
                guard case .ioError = error as? StoreError else { return false }
                return true
            }
        }
    }

    /// A path whose parent is a regular file, so nothing can be created beneath it.
    private func withTemporaryDirectoryBlocked(_ body: (URL) throws -> Void) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("inframind-blocked-\(UUID())")
        try Data().write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try body(file)
    }
}
