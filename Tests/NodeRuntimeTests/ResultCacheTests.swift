import Assessment
import Foundation
import Testing

@testable import NodeRuntime

@Suite struct ResultCacheTests {
    static func result(_ agent: AgentName) throws -> (AgentResult, Data) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("examples/healthcare-startup-7b.json"))
        let request = try RequestValidator.validate(data)
        let result = AssessmentEngine.compute(agent, request: request, catalog: try Catalog.shipped())
        return (result, try result.canonicalData())
    }

    @Test func aResultComputedHereIsHandedBackOnceForExactlyTheBytesItWasSentAs() throws {
        let cache = ResultCache()
        let (result, payload) = try Self.result(.cto)
        cache.remember(result, sentAs: payload, assessmentID: "a1", agent: "cto")
        #expect(try cache.take(assessmentID: "a1", agent: "cto", payload: payload)?.canonicalData() == payload)
        // Used up: a second generator run decodes.
        #expect(cache.take(assessmentID: "a1", agent: "cto", payload: payload) == nil)
        #expect(cache.take(assessmentID: "a2", agent: "cto", payload: payload) == nil)
    }

    @Test func otherBytesForTheSameTaskAreNotAHit() throws {
        let cache = ResultCache()
        let (result, payload) = try Self.result(.cto)
        cache.remember(result, sentAs: payload, assessmentID: "a1", agent: "cto")
        #expect(cache.take(assessmentID: "a1", agent: "cto", payload: payload + Data(" ".utf8)) == nil)
    }

    @Test func theOldestEntriesGoFirstPastTheCapacity() throws {
        let cache = ResultCache()
        let (result, payload) = try Self.result(.cto)
        for n in 0..<300 { cache.remember(result, sentAs: payload, assessmentID: "a\(n)", agent: "cto") }
        #expect(cache.take(assessmentID: "a0", agent: "cto", payload: payload) == nil)
        #expect(cache.take(assessmentID: "a299", agent: "cto", payload: payload) != nil)
    }
}
