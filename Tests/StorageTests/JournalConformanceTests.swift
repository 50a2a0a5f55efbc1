import Foundation
import Storage
import Testing

/// The agent-result journal: first result wins, determinism faults reported, on every backend.
@Suite struct JournalConformanceTests {
    @Test(arguments: StoreFactory.all)
    func firstResultWinsAndLaterOnesAreClassified(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.create(sampleRecord("a1"))
            let first = sampleResult("a1", attempt: 1, digest: "same", node: "node-a")
            #expect(try await store.appendResult(first) == .recorded)

            // A requeued attempt that computed the same thing: harmless.
            let rerun = sampleResult("a1", attempt: 2, digest: "same", node: "node-b")
            #expect(try await store.appendResult(rerun) == .duplicate(stored: first))

            // A late worker of attempt 1 whose output differs: a fault, and the first still counts.
            let divergent = sampleResult("a1", attempt: 1, digest: "other", node: "node-c")
            #expect(try await store.appendResult(divergent) == .determinismFault(stored: first))

            #expect(try await store.results(of: "a1") == [first])
        }
    }

    @Test(arguments: StoreFactory.all)
    func resultsAreKeptPerAssessmentAndOrderedByAgent(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            _ = try await store.create(sampleRecord("a1"))
            _ = try await store.create(sampleRecord("a2"))
            let agents = ["security_auditor", "cost_analyzer", "report_generator", "network_mapper"]
            for agent in agents {
                #expect(try await store.appendResult(sampleResult("a1", agent: agent)) == .recorded)
            }
            #expect(try await store.appendResult(sampleResult("a2", agent: "cost_analyzer", digest: "x")) == .recorded)

            #expect(try await store.results(of: "a1").map(\.agent) == agents.sorted())
            #expect(try await store.results(of: "a2") == [sampleResult("a2", agent: "cost_analyzer", digest: "x")])
            #expect(try await store.results(of: "none").isEmpty)
        }
    }

    @Test(arguments: StoreFactory.all)
    func resultForAnUnknownAssessmentIsNotFound(factory: StoreFactory) async throws {
        try await factory.withStore { store in
            await #expect(throws: StoreError.notFound(id: "ghost")) {
                try await store.appendResult(sampleResult("ghost"))
            }
            let results = try await store.results(of: "ghost")
            #expect(results.isEmpty)
        }
    }
}
