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
            var record = try await store.create(sampleRecord("a1", idempotencyKey: "k1"))
            record.status = .completed
            record.epoch = 4
            record.report = Data("the report".utf8)
            record.progress.percent = 100
            record.updatedAt = instant(30)
            let updated = try await store.update(record)
            let second = try await store.create(sampleRecord("a2", createdAt: instant(1)))
            let result = sampleResult("a1", agent: "report_generator")
            #expect(try await store.appendResult(result) == .recorded)
            try store.close()

            let reopened = try SQLiteAssessmentStore(dataDirectory: directory)
            defer { try? reopened.close() }
            #expect(try await reopened.read(id: "a1") == updated)
            #expect(try await reopened.read(idempotencyKey: "k1") == updated)
            #expect(try await reopened.list(limit: 10).records == [second, updated])
            #expect(try await reopened.results(of: "a1") == [result])
            // Fencing state survived too: the epoch before the restart still rules.
            record.epoch = 3
            await #expect(throws: StoreError.staleEpoch(stored: 4, attempted: 3)) {
                try await reopened.update(record)
            }
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
                var record = try await store.create(sampleRecord("r\(index)", createdAt: instant(Double(index))))
                record.status = .running
                record.epoch = 2
                acknowledged.append(try await store.update(record))
            }
            #expect(try await store.appendResult(sampleResult("r7")) == .recorded)

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
            #expect(try await recovered.list(limit: 100).records == acknowledged.reversed())
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
                    acknowledged.append(try await store.create(record))
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
            let listed = try await reopened.list(limit: 2_000).records
            #expect(listed == acknowledged.reversed())
            // Without the cap the same file takes writes again.
            #expect(try await reopened.create(sampleRecord("after")).version == 1)
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
