import Foundation
import Storage
import Testing

/// Many writers at once: each check-and-write is atomic, on every backend.
@Suite struct ConcurrencyConformanceTests {
    static let writers = 40

    @Test(arguments: StoreFactory.all)
    func racingOwnersEndWithTheHighestEpoch(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let outcomes = try await withThrowingTaskGroup(of: (Int, ReplicaOutcome).self) { group in
                for epoch in 1...Self.writers {
                    group.addTask {
                        var record = sampleRecord("a1", epoch: epoch)
                        record.replicaSet = ["owner-\(epoch)"]
                        return (epoch, try await store.replicate(record, results: []))
                    }
                }
                return try await group.reduce(into: [Int: ReplicaOutcome]()) { $0[$1.0] = $1.1 }
            }
            // The newest owner can never be fenced off, whatever the interleaving; an older one that
            // came after a newer one is refused with what the store holds.
            #expect(outcomes[Self.writers] == .stored)
            for (epoch, outcome) in outcomes {
                if case .refused(let stored) = outcome { #expect(stored.epoch > epoch) }
            }
            let final = try #require(try await store.read(id: "a1"))
            #expect(final.epoch == Self.writers)
            #expect(final.replicaSet == ["owner-\(Self.writers)"])
        }
    }

    @Test(arguments: StoreFactory.all)
    func concurrentWritesAndResultsAllLand(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let shared = sampleRecord("shared")
            _ = try await store.replicate(shared, results: [])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Self.writers {
                    group.addTask {
                        let own = sampleRecord("c\(index)", createdAt: instant(Double(index)))
                        #expect(try await store.replicate(own, results: []) == .stored)
                        let result = sampleResult("shared", attempt: index + 1, digest: "digest-\(index)")
                        _ = try await store.replicate(shared, results: [result])
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.list(statuses: [], limit: 100, after: nil).records.count == Self.writers + 1)
            // Exactly one result won, whichever came first.
            #expect(try await store.results(of: "shared").count == 1)
        }
    }
}
