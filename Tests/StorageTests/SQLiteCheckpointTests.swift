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
            let (database, path) = try await rowTable(in: directory, name: "checkpoint.sqlite", checkpointPages: 8)
            try await insertRows(0..<300, into: database)
            database.waitForCheckpoints()
            #expect(database.backgroundCheckpoints.load(ordering: .relaxed) > 0)
            #expect(database.failedCheckpoints.load(ordering: .relaxed) == 0)

            #expect(try size(of: path) > 600_000)
            #expect(try size(of: path + "-wal") < 600_000)

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
            #expect(try await rowCount(reopened) == 300)
        }
    }

    /// A read holding an old snapshot keeps any checkpoint from copying past it, so the log grows
    /// (as with SQLite's own checkpoints); once it ends, the writer's checkpoint resets the log and
    /// `journal_size_limit` cuts the file back.
    @Test func aLongReadLetsTheLogGrowUntilItEnds() async throws {
        try await withTemporaryDirectory { directory in
            let (database, path) = try await rowTable(in: directory, name: "reader.sqlite", checkpointPages: 8)
            defer { database.close() }

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
            try await insertRows(0..<300, into: database)
            database.waitForCheckpoints()
            #expect(try size(of: path + "-wal") > 1_200_000)

            release.signal()
            #expect(try await reader.value == [0])
            try await insertRows(300..<320, into: database)
            database.waitForCheckpoints()
            #expect(try size(of: path + "-wal") < 400_000)
            #expect(database.failedCheckpoints.load(ordering: .relaxed) == 0)
            #expect(try await rowCount(database) == 320)
        }
    }

    /// A checkpoint still queued when the database closes does not run on a closed connection.
    @Test func closingWithACheckpointQueuedIsClean() async throws {
        try await withTemporaryDirectory { directory in
            let (database, path) = try await rowTable(in: directory, name: "close.sqlite", checkpointPages: 1)
            try await insertRows(1..<2, into: database)
            database.close()
            database.waitForCheckpoints()
            await #expect {
                try await insertRows(2..<3, into: database)
            } throws: { error in
                (error as? SQLiteError)?.message == SQLiteError.closed.message
            }
            let reopened = try SQLiteDatabase(path: path)
            defer { reopened.close() }
            #expect(try await rowCount(reopened) == 1)
        }
    }

    /// A database in `directory` with an empty table of rows, and its path.
    private func rowTable(in directory: URL, name: String, checkpointPages: Int) async throws -> (
        SQLiteDatabase, String
    ) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        let database = try SQLiteDatabase(path: path, checkpointPages: checkpointPages)
        try await database.write { try $0.execute("CREATE TABLE row (id INTEGER PRIMARY KEY, body BLOB)") }
        return (database, path)
    }

    /// One commit per row, each a 4 KB body (a page of log or more) whose bytes are the id mod 251.
    private func insertRows(_ ids: Range<Int>, into database: SQLiteDatabase) async throws {
        for index in ids {
            try await database.write { db in
                try db.run(
                    "INSERT INTO row (id, body) VALUES (?, ?)",
                    [.integer(index), .blob(Data(repeating: UInt8(index % 251), count: 4_000))])
            }
        }
    }

    private func rowCount(_ database: SQLiteDatabase) async throws -> Int? {
        try await database.read { db in try db.query("SELECT count(*) FROM row") { $0.int(0) } }.first
    }

    private func size(of path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
    }
}
