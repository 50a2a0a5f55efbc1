import Membership
import Testing

@testable import Simulation

@Test func theEventQueuePopsInTimeOrderAndTiesInInsertionOrder() {
    var queue = EventQueue<Int>()
    var random = SeededRandom(seed: 11)
    var pushed: [(Duration, Int)] = []
    for item in 0..<500 {
        let time = Duration.milliseconds(Int64(random.next() % 50))
        queue.push(item, at: time)
        pushed.append((time, item))
    }
    var popped: [(Duration, Int)] = []
    while let next = queue.pop() { popped.append((next.time, next.item)) }
    // A stable sort by time is exactly "time order, ties by insertion".
    let expected = pushed.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
    #expect(popped.map(\.1) == expected.map(\.1))
}

@Test func theNetworkLosesAboutItsRateAndNeverCrossesAPartition() {
    var network = Network(conditions: NetworkConditions(loss: 0.05), random: SeededRandom(seed: 3))
    let trials = 20_000
    let delivered = (0..<trials).compactMap { _ in network.delay(from: 0, to: 1) }
    let lossRate = 1 - Double(delivered.count) / Double(trials)
    #expect(lossRate > 0.04 && lossRate < 0.06)
    #expect(delivered.allSatisfy { $0 >= .microseconds(200) && $0 <= .milliseconds(2) })
    network.partition([[0, 2]])
    #expect((0..<1000).allSatisfy { _ in network.delay(from: 0, to: 1) == nil })
    #expect((0..<1000).contains { _ in network.delay(from: 0, to: 2) != nil })
    network.heal()
    #expect((0..<1000).contains { _ in network.delay(from: 0, to: 1) != nil })
}

@Test func aPausedNodeProcessesNothingUntilItResumes() {
    let sim = Simulator(seed: 4)
    sim.formCluster(size: 4)
    sim.run(until: .seconds(2))
    let before = sim.instance(1)
    sim.pause(1, at: .seconds(2), for: .milliseconds(800))
    sim.run(until: .milliseconds(2790))
    #expect(sim.isPaused(1))
    #expect(sim.instance(1)?.nextWakeUp == before?.nextWakeUp)
    sim.run(until: .seconds(4))
    #expect(!sim.isPaused(1))
    #expect(sim.hasConverged)
}
