import Membership
import Simulation
import Testing

@Test func perNodeMessageRateStaysFlatAsTheClusterGrows() throws {
    // 10 and 100 nodes keep the suite fast; `inframind simulate membership` checks 1000.
    let small = Experiments.steadyTraffic(nodes: 10, seed: 1, duration: .seconds(30))
    let large = Experiments.steadyTraffic(nodes: 100, seed: 1, duration: .seconds(30))
    let ratio =
        max(small.messagesPerSecond, large.messagesPerSecond)
        / min(small.messagesPerSecond, large.messagesPerSecond)
    #expect(ratio <= 2, "10 nodes: \(small), 100 nodes: \(large)")
    // About one probe and its ack per node per second, plus rare syncs.
    #expect(small.messagesPerSecond > 1.5 && small.messagesPerSecond < 3)
}

@Test func aJoinConvergesWithinAFewGossipRounds() throws {
    for seed: UInt64 in 1...4 {
        let time = try #require(Experiments.joinConvergence(nodes: 30, seed: seed), "seed \(seed)")
        #expect(time <= .seconds(3), "seed \(seed): \(time)")
    }
}

@Test func theReportRendersEveryRowAndTheFlatnessVerdict() {
    let rows = [10, 20].map { ScaleReport.measure(nodes: $0, seed: 5, lossDuration: .seconds(20)) }
    let text = ScaleReport.render(rows, seed: 5, lossDuration: .seconds(20))
    #expect(text.contains("seed 5"))
    #expect(text.split(separator: "\n").count == 2 + rows.count + 2)
    #expect(rows.allSatisfy { $0.missedBound == 0 && $0.killDetection.count > 0 })
    #expect(text.contains("within 2x"))
}
