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

    /// The tenant is written with the record's first copy and kept by every later write of it: who
    /// may read an assessment never changes (docs/security.md#authentication-roles-and-tenants).
    @Test(arguments: StoreFactory.all)
    func theTenantIsStoredAndSurvivesLaterWrites(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var record = sampleRecord("a1", idempotencyKey: "acme/key-1")
            record.tenant = "acme"
            record.version = 1
            #expect(try await store.replicate(record, results: []) == .stored)
            #expect(try await store.read(id: "a1")?.tenant == "acme")
            record.version = 2
            record.status = .running
            record.tenant = "someone-else"
            #expect(try await store.replicate(record, results: []) == .stored)
            #expect(try await store.read(id: "a1")?.tenant == "acme")
            #expect(try await store.read(id: "a1")?.status == .running)
            var other = sampleRecord("a2")
            other.version = 1
            #expect(try await store.replicate(other, results: []) == .stored)
            #expect(try await store.read(id: "a2")?.tenant == nil)
        }
    }
}
