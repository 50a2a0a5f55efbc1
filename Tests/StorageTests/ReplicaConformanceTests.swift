import Foundation
import Storage
import Testing

/// Replicated writes: newer (epoch, version) wins, an older epoch is fenced off, results ride along.
@Suite struct ReplicaConformanceTests {
    @Test(arguments: StoreFactory.all)
    func newerVersionsReplaceOlderOnesAndRepeatsChangeNothing(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var record = sampleRecord("r1")
            record.version = 3
            #expect(try await store.replicate(record, results: []) == .stored)
            #expect(try await store.read(id: "r1")?.version == 3)

            #expect(try await store.replicate(record, results: []) == .current(record.recordVersion))
            var older = record
            older.version = 2
            older.status = .failed
            #expect(try await store.replicate(older, results: []) == .current(record.recordVersion))
            #expect(try await store.read(id: "r1")?.status == .pending)

            var newer = record
            newer.version = 4
            newer.status = .running
            #expect(try await store.replicate(newer, results: []) == .stored)
            #expect(try await store.read(id: "r1") == newer)
            #expect(try await store.versions().map(\.version) == [newer.recordVersion])
        }
    }

    @Test(arguments: StoreFactory.all)
    func aMoveKeepsTheSetsItLeavesUntilALaterWriteDropsThem(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var moving = sampleRecord("r1", epoch: 2)
            moving.version = 4
            moving.replicaSet = ["node-b", "node-c", "node-d"]
            moving.leaving = [["node-a", "node-b", "node-c"], ["node-a", "node-e", "node-b"]]
            #expect(try await store.replicate(moving, results: []) == .stored)
            #expect(try await store.read(id: "r1") == moving)
            #expect(try await store.versions().first?.version == moving.recordVersion)

            var moved = moving
            moved.version = 5
            moved.leaving = []
            #expect(try await store.replicate(moved, results: []) == .stored)
            #expect(try await store.read(id: "r1")?.leaving == [])
            #expect(try await store.versions().first?.version.leaving == [])
            // A later write may name them again.
            moved.version = 6
            moved.leaving = [["node-a"]]
            #expect(try await store.replicate(moved, results: []) == .stored)
            #expect(try await store.read(id: "r1")?.leaving == [["node-a"]])
        }
    }

    @Test(arguments: StoreFactory.all)
    func anOlderEpochIsRefusedWithTheStoredVersion(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var successor = sampleRecord("r1", epoch: 2)
            successor.version = 1
            successor.replicaSet = ["node-b", "node-c", "node-d"]
            #expect(try await store.replicate(successor, results: []) == .stored)

            var deposed = sampleRecord("r1", epoch: 1)
            deposed.version = 9
            deposed.status = .completed
            let late = sampleResult("r1", agent: "cto")
            #expect(try await store.replicate(deposed, results: [late]) == .refused(successor.recordVersion))
            #expect(try await store.read(id: "r1") == successor)
            #expect(try await store.results(of: "r1").isEmpty)
        }
    }

    @Test(arguments: StoreFactory.all)
    func resultsAreJournaledFirstWinsEvenWithAStaleRecord(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var record = sampleRecord("r1")
            record.version = 5
            let first = sampleResult("r1", agent: "cto", digest: "one")
            #expect(try await store.replicate(record, results: [first]) == .stored)

            // A reordered, older write still delivers the result it carried, without replacing any.
            var stale = record
            stale.version = 4
            let other = sampleResult("r1", agent: "mlops")
            let divergent = sampleResult("r1", agent: "cto", digest: "two")
            #expect(try await store.replicate(stale, results: [other, divergent]) == .current(record.recordVersion))
            #expect(try await store.results(of: "r1") == [first, other])
            #expect(try await store.read(id: "r1")?.version == 5)
        }
    }
}

@Suite struct ReplicaBatchConformanceTests {
    /// A record as its create stores it (version 1), and its next version, running.
    static func firstAndNext(_ id: String) -> (first: AssessmentRecord, next: AssessmentRecord) {
        var first = sampleRecord(id)
        first.version = 1
        var next = first
        next.version = 2
        next.status = .running
        return (first, next)
    }

    @Test(arguments: StoreFactory.all)
    func aBatchAppliesEachWriteInOrder(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let (first, second) = Self.firstAndNext("b1")
            let result = sampleResult("b1", agent: "cto")
            let outcomes = try await store.replicate(batch: [
                ReplicatedRecord(record: first, results: []),
                ReplicatedRecord(record: second, results: [result]),
                ReplicatedRecord(record: first, results: []),
            ])
            #expect(outcomes == [.stored, .stored, .current(second.recordVersion)])
            #expect(try await store.read(id: "b1") == second)
            #expect(try await store.results(of: "b1") == [result])
        }
    }

    /// A write without its request (docs/performance.md, "The data path") updates the stored copy and
    /// keeps its request; with no copy to update, nothing is stored, its results included.
    @Test(arguments: StoreFactory.all)
    func aWriteWithoutItsRequestKeepsTheStoredOneAndNeedsACopy(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            var (first, later) = Self.firstAndNext("d1")
            later.request = Data()
            var unknown = sampleRecord("d2")
            unknown.version = 2
            unknown.request = Data()
            let result = sampleResult("d2", agent: "cto")
            let outcomes = try await store.replicate(batch: [
                ReplicatedRecord(record: first, results: []),
                ReplicatedRecord(record: later, results: [], keepsStoredRequest: true),
                ReplicatedRecord(record: unknown, results: [result], keepsStoredRequest: true),
            ])
            #expect(outcomes == [.stored, .stored, .incomplete])
            let stored = try #require(try await store.read(id: "d1"))
            #expect(stored.version == 2 && stored.status == .running && stored.request == first.request)
            #expect(try await store.read(id: "d2") == nil)
            #expect(try await store.results(of: "d2").isEmpty)
        }
    }

    /// A record through three versions: two agents, one of which runs and then succeeds with a report.
    static func threeVersions(_ id: String) -> [AssessmentRecord] {
        var first = sampleRecord(id)
        first.version = 1
        first.progress.agents.append(AgentProgress(agent: "report_generator", state: .waiting, attempt: 0))
        var second = first
        second.version = 2
        second.status = .running
        second.progress.percent = 40
        second.progress.agents[0] = AgentProgress(agent: "cost_analyzer", state: .running, attempt: 1, node: "node-b")
        var third = second
        third.version = 3
        third.status = .completed
        third.report = Data("the report".utf8)
        third.progress.percent = 100
        third.progress.agents[1] = AgentProgress(agent: "report_generator", state: .succeeded, attempt: 1)
        return [first, second, third]
    }

    /// A change (docs/coordination.md, "Writes as changes") made against the version a store holds
    /// gives the store the whole newer record; made against another version, or naming an agent the
    /// record has not, it stores nothing, its results included, and says `incomplete`.
    @Test(arguments: StoreFactory.all)
    func aChangeAppliesOnlyOverTheVersionItWasMadeAgainst(factory: StoreFactory) async throws {
        try await factory.withStore { (store: any AssessmentStore) async throws in
            let versions = Self.threeVersions("c1")
            let toSecond = try #require(versions[1].change(since: versions[0]))
            let toThird = try #require(versions[2].change(since: versions[1]))
            #expect(toSecond.progress.agents.map(\.agent) == ["cost_analyzer"] && toSecond.request.isEmpty)
            #expect(toThird.progress.agents.map(\.agent) == ["report_generator"] && toThird.report != nil)
            var stranger = toSecond
            stranger.progress.agents = [AgentProgress(agent: "nobody", state: .running, attempt: 1)]
            let result = sampleResult("c1", agent: "cost_analyzer")
            let outcomes = try await store.replicate(batch: [
                ReplicatedRecord(record: versions[0], results: []),
                ReplicatedRecord(record: toThird, results: [result], changesSince: 2),
                ReplicatedRecord(record: stranger, results: [result], changesSince: 1),
                ReplicatedRecord(record: toSecond, results: [], changesSince: 1),
                ReplicatedRecord(record: toThird, results: [result], changesSince: 2),
                ReplicatedRecord(record: toSecond, results: [], changesSince: 1),
            ])
            #expect(
                outcomes == [.stored, .incomplete, .incomplete, .stored, .stored, .current(versions[2].recordVersion)])
            #expect(try await store.read(id: "c1") == versions[2])
            #expect(try await store.results(of: "c1") == [result])

            // Once it has a report, a change that carries none keeps it.
            var fourth = versions[2]
            fourth.version = 4
            fourth.leaving = [["node-a", "node-b", "node-d"]]
            let toFourth = try #require(fourth.change(since: versions[2]))
            #expect(toFourth.report == nil && toFourth.progress.agents.isEmpty)
            #expect(
                try await store.replicate(batch: [ReplicatedRecord(record: toFourth, results: [], changesSince: 3)])
                    == [.stored])
            #expect(try await store.read(id: "c1") == fourth)
        }
    }
}
