import Foundation
import Storage
import Testing

/// Many writers at once: each check-and-write is atomic, on every backend.
@Suite struct ConcurrencyConformanceTests {
    static let writers = 40

    @Test(arguments: StoreFactory.all)
    func compareAndSetLoopsLoseNoIncrement(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.create(sampleRecord("counter"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<Self.writers {
                    group.addTask {
                        while true {
                            var record = try #require(try await store.read(id: "counter"))
                            let expected = record.version
                            record.progress.percent += 1
                            do {
                                _ = try await store.update(record, expectedVersion: expected)
                                return
                            } catch StoreError.versionConflict {
                                continue
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let final = try #require(try await store.read(id: "counter"))
            #expect(final.progress.percent == Self.writers)
            #expect(final.version == Self.writers + 1)
        }
    }

    @Test(arguments: StoreFactory.all)
    func racingOwnersEndWithTheHighestEpoch(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.create(sampleRecord("a1", epoch: 1))
            let accepted = try await withThrowingTaskGroup(of: Int?.self) { group in
                for epoch in 1...Self.writers {
                    group.addTask {
                        var record = sampleRecord("a1", epoch: epoch)
                        record.replicaSet = ["owner-\(epoch)"]
                        do {
                            return try await store.update(record).epoch
                        } catch StoreError.staleEpoch(let stored, let attempted) {
                            #expect(stored > attempted)
                            return nil
                        }
                    }
                }
                return try await group.reduce(into: [Int]()) { if let epoch = $1 { $0.append(epoch) } }
            }
            // The newest owner can never be fenced off, whatever the interleaving.
            #expect(accepted.contains(Self.writers))
            let final = try #require(try await store.read(id: "a1"))
            #expect(final.epoch == Self.writers)
            #expect(final.replicaSet == ["owner-\(Self.writers)"])
            #expect(final.version == accepted.count + 1)
        }
    }

    @Test(arguments: StoreFactory.all)
    func concurrentCreatesAndResultsAllLand(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.create(sampleRecord("shared"))
            let outcomes = try await withThrowingTaskGroup(of: JournalOutcome.self) { group in
                for index in 0..<Self.writers {
                    group.addTask {
                        _ = try await store.create(sampleRecord("c\(index)", createdAt: instant(Double(index))))
                        return try await store.appendResult(
                            sampleResult("shared", attempt: index + 1, digest: "digest-\(index)"))
                    }
                }
                return try await group.reduce(into: [JournalOutcome]()) { $0.append($1) }
            }
            #expect(try await store.list(limit: 100).records.count == Self.writers + 1)
            // Exactly one result won; every other one saw it and reported the divergence.
            #expect(outcomes.filter { $0 == .recorded }.count == 1)
            let winner = try #require(try await store.results(of: "shared").first)
            #expect(outcomes.filter { $0 == .determinismFault(stored: winner) }.count == Self.writers - 1)
        }
    }
}
