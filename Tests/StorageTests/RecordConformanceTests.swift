import Foundation
import Storage
import Testing

/// Reads of what was written, on every backend (the writes themselves: ReplicaConformanceTests).
@Suite struct RecordConformanceTests {
    @Test(arguments: StoreFactory.all)
    func aWrittenRecordReadsBackExactly(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var record = sampleRecord("a1", idempotencyKey: "key-1")
            record.version = 7
            record.status = .completed
            record.report = Data("report".utf8)
            record.failure = "none"
            record.updatedAt = instant(60)
            #expect(try await store.replicate(record, results: []) == .stored)
            #expect(try await store.read(id: "a1") == record)
            #expect(try await store.read(id: "missing") == nil)
        }
    }
}
