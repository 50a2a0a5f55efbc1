import Foundation
import Storage
import Testing

/// The agent-result journal: first result wins, kept per assessment, on every backend.
@Suite struct JournalConformanceTests {
    @Test(arguments: StoreFactory.all)
    func theFirstResultOfAnAgentWinsOverLaterOnes(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var record = sampleRecord("a1")
            let first = sampleResult("a1", attempt: 1, digest: "same", node: "node-a")
            #expect(try await store.replicate(record, results: [first]) == .stored)
            // A late worker of attempt 1 whose output differs, on a later write: the first still counts.
            record.version += 1
            let divergent = sampleResult("a1", attempt: 1, digest: "other", node: "node-c")
            #expect(try await store.replicate(record, results: [divergent]) == .stored)
            #expect(try await store.results(of: "a1") == [first])
        }
    }

    @Test(arguments: StoreFactory.all)
    func resultsAreKeptPerAssessmentAndOrderedByAgent(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let agents = ["security_auditor", "cost_analyzer", "report_generator", "network_mapper"]
            let a1 = agents.map { sampleResult("a1", agent: $0) }
            let a2 = [sampleResult("a2", agent: "cost_analyzer", digest: "x")]
            #expect(try await store.replicate(sampleRecord("a1"), results: a1) == .stored)
            #expect(try await store.replicate(sampleRecord("a2"), results: a2) == .stored)

            #expect(try await store.results(of: "a1").map(\.agent) == agents.sorted())
            #expect(try await store.results(of: "a2") == a2)
            #expect(try await store.results(of: "none").isEmpty)
        }
    }
}
