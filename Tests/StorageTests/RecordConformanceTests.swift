import Foundation
import Storage
import Testing

/// Create, read and update, including the fencing and version rules, on every backend.
@Suite struct RecordConformanceTests {
    @Test(arguments: StoreFactory.all)
    func createThenReadReturnsTheRecordAtVersionOne(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let record = sampleRecord("a1", idempotencyKey: "key-1")
            let created = try await store.create(record)
            var expected = record
            expected.version = 1
            #expect(created == expected)
            #expect(try await store.read(id: "a1") == expected)
            #expect(try await store.read(idempotencyKey: "key-1") == expected)
            #expect(try await store.read(id: "missing") == nil)
            #expect(try await store.read(idempotencyKey: "missing") == nil)
        }
    }

    /// The tenant is written on create and kept by every later update (it has no UPDATE column).
    @Test(arguments: StoreFactory.all)
    func theTenantIsStoredAndSurvivesUpdates(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var record = sampleRecord("a1", idempotencyKey: "acme/key-1")
            record.tenant = "acme"
            var stored = try await store.create(record)
            #expect(try await store.read(id: "a1")?.tenant == "acme")
            stored.status = .running
            stored.tenant = "someone-else"
            _ = try await store.update(stored)
            #expect(try await store.read(id: "a1")?.tenant == "acme")
            #expect(try await store.read(id: "a1")?.status == .running)
            _ = try await store.create(sampleRecord("a2"))
            #expect(try await store.read(id: "a2")?.tenant == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func duplicateIDIsRefusedAndTheFirstKept(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let first = try await store.create(sampleRecord("a1"))
            var second = sampleRecord("a1", epoch: 9)
            second.request = Data("other".utf8)
            await #expect(throws: StoreError.duplicateID("a1")) { try await store.create(second) }
            #expect(try await store.read(id: "a1") == first)
        }
    }

    @Test(arguments: StoreFactory.all)
    func duplicateIdempotencyKeyNamesTheExistingRecord(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.create(sampleRecord("a1", idempotencyKey: "k"))
            await #expect(throws: StoreError.duplicateIdempotencyKey(key: "k", existingID: "a1")) {
                try await store.create(sampleRecord("a2", idempotencyKey: "k"))
            }
            #expect(try await store.read(id: "a2") == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func updateReplacesMutableFieldsAndKeepsFixedOnes(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let created = try await store.create(sampleRecord("a1", idempotencyKey: "k"))
            var change = created
            change.status = .completed
            change.replicaSet = ["node-b", "node-d"]
            change.report = Data("report".utf8)
            change.progress = AssessmentProgress(
                percent: 100, currentStep: "done",
                agents: [AgentProgress(agent: "cost_analyzer", state: .succeeded, attempt: 2, node: "node-d")]
            )
            change.failure = nil
            change.updatedAt = instant(60)
            change.request = Data("ignored".utf8)
            change.createdAt = instant(-1)
            change.idempotencyKey = "ignored"
            let updated = try await store.update(change)

            var expected = change
            expected.version = 2
            expected.request = created.request
            expected.createdAt = created.createdAt
            expected.idempotencyKey = "k"
            #expect(updated == expected)
            #expect(try await store.read(id: "a1") == expected)
        }
    }

    @Test(arguments: StoreFactory.all)
    func updateOfAMissingRecordIsNotFound(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            await #expect(throws: StoreError.notFound(id: "ghost")) {
                try await store.update(sampleRecord("ghost"))
            }
            let stored = try await store.read(id: "ghost")
            #expect(stored == nil)
        }
    }

    @Test(arguments: StoreFactory.all)
    func olderEpochIsFencedOffAndNewerOneTakesOver(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var record = try await store.create(sampleRecord("a1", epoch: 2))
            record.epoch = 1
            record.status = .cancelled
            await #expect(throws: StoreError.staleEpoch(stored: 2, attempted: 1)) { try await store.update(record) }
            #expect(try await store.read(id: "a1")?.status == .pending)
            #expect(try await store.read(id: "a1")?.version == 1)

            record.epoch = 2
            record.status = .running
            #expect(try await store.update(record).status == .running)

            // The successor's epoch is stored, so the deposed owner at epoch 2 is now refused too.
            record.epoch = 3
            record.replicaSet = ["node-b", "node-c"]
            #expect(try await store.update(record).epoch == 3)
            record.epoch = 2
            record.status = .failed
            await #expect(throws: StoreError.staleEpoch(stored: 3, attempted: 2)) { try await store.update(record) }
            let stored = try #require(try await store.read(id: "a1"))
            #expect(stored.epoch == 3)
            #expect(stored.status == .running)
            #expect(stored.replicaSet == ["node-b", "node-c"])
            #expect(stored.version == 3)
        }
    }

    @Test(arguments: StoreFactory.all)
    func compareAndSetOnVersionRefusesALostRace(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let created = try await store.create(sampleRecord("a1"))
            var first = created
            first.status = .running
            _ = try await store.update(first, expectedVersion: 1)
            var second = created
            second.status = .cancelled
            await #expect(throws: StoreError.versionConflict(stored: 2, expected: 1)) {
                try await store.update(second, expectedVersion: 1)
            }
            #expect(try await store.read(id: "a1")?.status == .running)
            #expect(try await store.update(second, expectedVersion: 2).version == 3)
        }
    }

    @Test(arguments: StoreFactory.all)
    func versionGrowsByOneOnEveryWrite(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var record = try await store.create(sampleRecord("a1"))
            for step in 1...10 {
                record.progress.percent = step * 10
                // The version passed in is ignored: the store alone assigns it.
                record.version = 0
                record = try await store.update(record)
                #expect(record.version == step + 1)
            }
            #expect(try await store.read(id: "a1")?.version == 11)
        }
    }
}
