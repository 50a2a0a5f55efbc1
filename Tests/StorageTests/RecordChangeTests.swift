import Foundation
import Testing

@testable import Storage

/// A record made a change of an older version (docs/coordination.md, "Writes as changes") and
/// applied over that version gives the record back, on seeded random progress.
@Suite struct RecordChangeTests {
    typealias Generator = StoredJSONTests.Generator

    /// Two versions of one record: the later one changes some agents' entries, the percent and the
    /// step, and may gain a report.
    static func versions(_ random: inout Generator) -> (earlier: AssessmentRecord, later: AssessmentRecord) {
        var progress = StoredJSONTests.progress(&random)
        var seen: Set<String> = []
        progress.agents = progress.agents.filter { seen.insert($0.agent).inserted }
        var earlier = sampleRecord("x")
        earlier.version = Int.random(in: 1...5, using: &random)
        earlier.progress = progress
        var later = earlier
        later.version += Int.random(in: 1...3, using: &random)
        later.status = .running
        later.progress.percent = Int.random(in: 0...100, using: &random)
        later.progress.currentStep = Bool.random(using: &random) ? StoredJSONTests.string(&random) : nil
        for index in later.progress.agents.indices where Bool.random(using: &random) {
            var entry = StoredJSONTests.progress(&random).agents.first ?? later.progress.agents[index]
            entry.agent = later.progress.agents[index].agent
            later.progress.agents[index] = entry
        }
        if Bool.random(using: &random) { later.report = Data(StoredJSONTests.string(&random).utf8) }
        return (earlier, later)
    }

    @Test(arguments: 1...200 as ClosedRange<UInt64>)
    func aChangeAppliedOverItsBaseGivesTheRecordBack(seed: UInt64) throws {
        var random = Generator(state: seed)
        let (earlier, later) = Self.versions(&random)
        let change = try #require(later.change(since: earlier))
        let changed = zip(earlier.progress.agents, later.progress.agents).filter { $0 != $1 }.map(\.1)
        #expect(change.progress.agents == changed)
        #expect(change.request.isEmpty)
        #expect(earlier.applying(change: change, since: earlier.version) == later)
        var other = earlier
        other.version += 1
        #expect(other.applying(change: change, since: earlier.version) == nil)
    }

    @Test func whatCannotBeAChangeIsNone() {
        let progress = AssessmentProgress(agents: [
            AgentProgress(agent: "a", state: .waiting, attempt: 0),
            AgentProgress(agent: "b", state: .waiting, attempt: 0),
        ])
        var earlier = sampleRecord("x")
        earlier.version = 2
        earlier.progress = progress
        var later = earlier
        later.version = 3
        #expect(later.change(since: earlier) != nil)
        var reordered = later
        reordered.progress.agents.reverse()
        var twiceEarlier = earlier
        twiceEarlier.progress.agents[1].agent = "a"
        var twice = twiceEarlier
        twice.version = 3
        var older = later
        older.version = 2
        var nextEpoch = later
        nextEpoch.epoch += 1
        var reported = earlier
        reported.report = Data("one".utf8)
        var replaced = later
        replaced.report = Data("two".utf8)
        #expect(reordered.change(since: earlier) == nil)
        #expect(twice.change(since: twiceEarlier) == nil)
        #expect(older.change(since: earlier) == nil)
        #expect(nextEpoch.change(since: earlier) == nil)
        #expect(later.change(since: reported) == nil && replaced.change(since: reported) == nil)
    }
}
