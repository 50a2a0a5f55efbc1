import Foundation
import Membership
import Testing

@testable import Coordination

/// A replica cut off while an assessment finished misses its final write for good (the owner stops
/// sending once a majority has it); it asks the owner after hearing nothing for `quietCheck`.
@Suite struct MissedFinalStateTests {
    let three = ["a", "b", "c"]

    @Test func aReplicaCutOffWhileAssessmentsFinishedGetsTheirFinalStatesOnceItHearsNothing() {
        var harness = Harness(nodes: three)
        let ids = harness.submitOwned(by: "a", count: 4, via: "b", prefix: "missed")
        #expect(ids.allSatisfy { harness.record($0, on: "c") != nil })

        // Cut off, not crashed: it keeps its state and never restarts.
        harness.finishWithout("c", seenAs: .suspect)
        #expect(ids.allSatisfy { harness.record($0, on: "a")?.status == .completed })
        #expect(ids.allSatisfy { harness.record($0, on: "c")?.status.isTerminal == false })

        harness.cut.remove("c")
        harness.setView(["a": .up, "b": .up, "c": .up], at: three)
        harness.advance(by: harness.settings.quietCheck + .seconds(2))
        #expect(ids.allSatisfy { harness.record($0, on: "c")?.status == .completed })
        #expect(harness.cores["c"]!.replica.records.unfinished == 0)
    }

    /// A final state that answers a write this node has no longer pending (its relay of a copy to a
    /// dead owner's claimant, which finished meanwhile) is stored when this node holds the record
    /// unfinished, and only under the usual fencing.
    @Test func aFinalStateAnsweringNoPendingWriteIsStoredWhereTheRecordIsUnfinished() {
        var harness = Harness(nodes: three)
        let ids = harness.submitOwned(by: "a", count: 2, via: "a", prefix: "unasked")
        harness.finishWithout("c", seenAs: .suspect)
        let finals = ids.map { harness.record($0, on: "a")! }
        #expect(finals.allSatisfy { $0.status == .completed })
        harness.cut.remove("c")

        // Fenced: c promised a later epoch to a claimant, so an epoch-1 final state is refused.
        harness.feed(
            "c", .received(Envelope(from: "b", message: .claim(id: ids[1], epoch: 2, basis: finals[1].recordVersion))))
        harness.settle()
        for (id, final) in zip(ids, finals) {
            harness.feed("c", .received(Envelope(from: "b", message: .written(writeID: 999, id: id, .final(final)))))
        }
        harness.settle()
        #expect(harness.record(ids[0], on: "c")?.status == .completed)
        #expect(harness.record(ids[1], on: "c")?.status.isTerminal == false)
    }
}
