import Foundation
import Testing

@testable import Storage

/// A node restarted on a newer binary opens the file an older one wrote.
@Suite struct SchemaMigrationTests {
    /// The store's file in `directory` as a binary of the schema up to `migration` left it, with
    /// what `fill` wrote; its path.
    static func oldFile(
        in directory: URL, upTo migration: String, _ fill: (SQLiteConnection) throws -> Void
    ) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(SQLiteAssessmentStore.fileName).path
        let old = try SQLiteConnection(path: path)
        defer { old.close() }
        try SQLiteSchema.migrator.migrate(old, upTo: migration)
        try fill(old)
        return path
    }

    @Test func aFileWrittenBeforeRecordsKeptTheSetsAMoveLeavesOpensWithNoneOfThem() async throws {
        try await withTemporaryDirectory { directory in
            let path = try Self.oldFile(in: directory, upTo: "v1: assessments and agent results") { old in
                try old.execute(
                    """
                    INSERT INTO assessment (id, status, epoch, version, replica_set, request, progress,
                    created_at, updated_at) VALUES ('old', 'running', 3, 7, '["node-a","node-b"]', x'7b7d',
                    '{"agents":[],"percent":0}', 1.5, 2.5)
                    """)
            }
            let store = try SQLiteAssessmentStore(path: path)
            defer { try? store.close() }
            let record = try #require(try await store.read(id: "old"))
            #expect(record.replicaSet == ["node-a", "node-b"] && record.leaving == [])
            #expect(record.epoch == 3 && record.version == 7)
            // Before tenants: none, which the API counts as the default tenant's (docs/security.md).
            #expect(record.tenant == nil)
            #expect(try await store.versions().first?.version.leaving == [])
        }
    }

    /// Records stored before the title had a column of its own hold their request as JSON: the
    /// migration takes the title from it, so an upgraded node's listings and status reads show it.
    @Test func aFileWrittenBeforeTitlesWereKeptGetsThemFromTheStoredRequests() async throws {
        try await withTemporaryDirectory { directory in
            let path = try Self.oldFile(in: directory, upTo: "v4: the submitting tenant") { old in
                for (id, request) in [
                    ("titled", #"{"title":"Clinic \"triage\" bot","business":{}}"#), ("untitled", "{}"),
                    ("numbered", #"{"title":7}"#), ("binary", "\u{01}\u{00}"),
                ] {
                    try old.run(
                        """
                        INSERT INTO assessment (id, status, epoch, version, replica_set, request, progress,
                        created_at, updated_at) VALUES (?, 'completed', 1, 3, '["node-a"]', ?,
                        '{"agents":[],"percent":100}', 1.5, 2.5)
                        """, [.text(id), .blob(Data(request.utf8))])
                }
            }
            let store = try SQLiteAssessmentStore(path: path)
            defer { try? store.close() }
            #expect(try await store.summary(id: "titled")?.title == #"Clinic "triage" bot"#)
            #expect(try await store.summary(id: "untitled")?.title == nil)
            #expect(try await store.summary(id: "numbered")?.title == nil)
            #expect(try await store.summary(id: "binary")?.title == nil)
            let listed = try await store.list(statuses: [], limit: 10, after: nil).records
            #expect(listed.count == 4 && listed.contains { $0.title == #"Clinic "triage" bot"# })
        }
    }

    /// A migration that rebuilds the assessment table (SQLite's way to change a column) must not
    /// take the result journal with it through ON DELETE CASCADE: migrations run with foreign keys
    /// off, which the writer otherwise has on.
    @Test func aMigrationThatRebuildsTheTableKeepsTheJournal() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteAssessmentStore(dataDirectory: directory)
            #expect(
                try await store.replicate(sampleRecord("a1"), results: [sampleResult("a1", agent: "cto")]) == .stored)
            try store.close()
            let path = directory.appendingPathComponent(SQLiteAssessmentStore.fileName).path
            let connection = try SQLiteConnection(path: path)
            defer { connection.close() }
            try connection.execute("PRAGMA foreign_keys = ON")
            var migrator = SQLiteSchema.migrator
            migrator.register(
                "test: rebuild the assessment table",
                sql: """
                    CREATE TABLE assessment_new (
                        id TEXT PRIMARY KEY NOT NULL, status TEXT NOT NULL, epoch INTEGER NOT NULL,
                        version INTEGER NOT NULL, replica_set TEXT NOT NULL, request BLOB NOT NULL, report BLOB,
                        progress TEXT NOT NULL, failure TEXT, idempotency_key TEXT UNIQUE, created_at REAL NOT NULL,
                        updated_at REAL NOT NULL, leaving TEXT NOT NULL DEFAULT '[]', tenant TEXT, title TEXT);
                    INSERT INTO assessment_new SELECT * FROM assessment;
                    DROP TABLE assessment;
                    ALTER TABLE assessment_new RENAME TO assessment;
                    """)
            try migrator.migrate(connection)
            #expect(try connection.query("SELECT count(*) FROM agent_result") { $0.int(0) } == [1])
            #expect(try connection.query("PRAGMA foreign_keys") { $0.int(0) } == [1])
        }
    }
}
