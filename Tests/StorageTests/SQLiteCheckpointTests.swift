import Foundation
import Testing

@testable import Storage

/// The write-ahead log is copied into the database file by a connection of its own, off the commit
/// path, and stays bounded.
@Suite struct SQLiteCheckpointTests {
    /// 300 commits of a 4 KB row each: several times the threshold (8 pages) and the writer's own
    /// backstop (64 pages). Without checkpoints the log would hold every row (over 1.2 MB) and the
    /// database file none.
    @Test func theLogIsCheckpointedOffTheWriterAndStaysBounded() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("checkpoint.sqlite").path
            let database = try SQLiteDatabase(path: path, checkpointPages: 8)
            try await database.write { try $0.execute("CREATE TABLE row (id INTEGER PRIMARY KEY, body BLOB)") }
            for index in 0..<300 {
                try await database.write { db in
                    try db.run(
                        "INSERT INTO row (id, body) VALUES (?, ?)",
                        [.integer(index), .blob(Data(repeating: UInt8(index % 251), count: 4_000))])
                }
            }
            database.waitForCheckpoints()
            #expect(database.backgroundCheckpoints.load(ordering: .relaxed) > 0)
            #expect(database.failedCheckpoints.load(ordering: .relaxed) == 0)

            let fileSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            let logSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            #expect(fileSize > 600_000)
            #expect(logSize < 600_000)

            let rows = try await database.read { db in
                try db.query("SELECT id, length(body), substr(body, 1, 1) FROM row ORDER BY id") {
                    ($0.int(0), $0.int(1), $0.blob(2))
                }
            }
            #expect(rows.count == 300)
            #expect(rows.allSatisfy { $0.1 == 4_000 && $0.2 == Data([UInt8($0.0 % 251)]) })
            database.close()

            let reopened = try SQLiteDatabase(path: path)
            defer { reopened.close() }
            let count = try await reopened.read { db in try db.query("SELECT count(*) FROM row") { $0.int(0) } }
            #expect(count == [300])
        }
    }

    /// A read holding an old snapshot keeps any checkpoint from copying past it, so the log grows
    /// (as with SQLite's own checkpoints); once it ends, the writer's checkpoint resets the log and
    /// `journal_size_limit` cuts the file back.
    @Test func aLongReadLetsTheLogGrowUntilItEnds() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("reader.sqlite").path
            let database = try SQLiteDatabase(path: path, checkpointPages: 8)
            defer { database.close() }
            try await database.write { try $0.execute("CREATE TABLE row (id INTEGER PRIMARY KEY, body BLOB)") }
            func insert(_ range: Range<Int>) async throws {
                for index in range {
                    try await database.write { db in
                        try db.run(
                            "INSERT INTO row (id, body) VALUES (?, ?)",
                            [.integer(index), .blob(Data(repeating: 7, count: 4_000))])
                    }
                }
            }
            func logSize() throws -> Int {
                try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            }

            let release = DispatchSemaphore(value: 0)
            let (started, didStart) = AsyncStream<Void>.makeStream()
            let reader = Task {
                try await database.read { db in
                    let count = try db.query("SELECT count(*) FROM row") { $0.int(0) }
                    didStart.yield()
                    release.wait()
                    return count
                }
            }
            _ = await started.first { _ in true }
            try await insert(0..<300)
            database.waitForCheckpoints()
            #expect(try logSize() > 1_200_000)

            release.signal()
            #expect(try await reader.value == [0])
            try await insert(300..<320)
            database.waitForCheckpoints()
            #expect(try logSize() < 400_000)
            #expect(database.failedCheckpoints.load(ordering: .relaxed) == 0)
            let count = try await database.read { db in try db.query("SELECT count(*) FROM row") { $0.int(0) } }
            #expect(count == [320])
        }
    }

    /// A checkpoint still queued when the database closes does not run on a closed connection.
    @Test func closingWithACheckpointQueuedIsClean() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("close.sqlite").path
            let database = try SQLiteDatabase(path: path, checkpointPages: 1)
            try await database.write { try $0.execute("CREATE TABLE row (id INTEGER PRIMARY KEY)") }
            try await database.write { try $0.run("INSERT INTO row (id) VALUES (1)") }
            database.close()
            database.waitForCheckpoints()
            await #expect {
                try await database.write { try $0.run("INSERT INTO row (id) VALUES (2)") }
            } throws: { error in
                (error as? SQLiteError)?.message == SQLiteError.closed.message
            }
            let reopened = try SQLiteDatabase(path: path)
            defer { reopened.close() }
            let count = try await reopened.read { db in try db.query("SELECT count(*) FROM row") { $0.int(0) } }
            #expect(count == [1])
        }
    }
}
