import Foundation
import Testing

@testable import Storage

/// A node restarted on a newer binary opens the file an older one wrote.
@Suite struct SchemaMigrationTests {
    @Test func aFileWrittenBeforeRecordsKeptTheSetsAMoveLeavesOpensWithNoneOfThem() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent(SQLiteAssessmentStore.fileName).path
            do {
                let old = try SQLiteConnection(path: path)
                defer { old.close() }
                try SQLiteSchema.migrator.migrate(old, upTo: "v1: assessments and agent results")
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
            #expect(try await store.versions().first?.version.leaving == [])
        }
    }
}
