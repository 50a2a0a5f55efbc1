import Foundation
import Membership
import Testing

@testable import Coordination

/// A keyless submission's id is one its receiving node owns, so it is not forwarded, unless that node
/// owns clearly more than its share, when placement spreads the rest as it does keyed ones.
@Suite struct KeylessIDTests {
    let three = ["a", "b", "c"]
    let request = Data("assess this".utf8)

    /// Ids drawn from a counter, so that every run draws the same ones.
    final class Draws {
        var count = 0
        func next() -> String {
            count += 1
            return "keyless-\(count)"
        }
    }

    /// Submits through `node` with the id its core picks and lets every write land.
    func submit(through node: String, in harness: inout Harness, draws: Draws, client: UInt64) -> String {
        let id = harness.cores[node]!.keylessID { draws.next() }
        harness.feed(node, .clientSubmit(clientID: client, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.submitAnswers[client] == .accepted(id: id, existing: false))
        return id
    }

    @Test func theOwnerIsTheFirstOfTheRanking() {
        let members = (1...7).map { "node-\($0)" }
        for n in 0..<2_000 {
            #expect(Placement.owner("id-\(n)", over: members) == Placement.rank("id-\(n)", over: members).first)
        }
        #expect(Placement.owner("id", over: [String]()) == nil)
    }

    /// Clients spread over the nodes: every submission stays on the node that received it, none is
    /// forwarded, and the owners' backlogs stay equal.
    @Test func clientsSpreadOverTheNodesHaveEverySubmissionOwnedWhereItArrived() {
        var harness = Harness(nodes: three)
        let draws = Draws()
        for round in 0..<20 {
            for (offset, node) in three.enumerated() {
                let id = submit(through: node, in: &harness, draws: draws, client: UInt64(round * 3 + offset))
                #expect(Placement.rank(id, over: three).first == node)
            }
        }
        for node in three { #expect(harness.cores[node]!.backlog == 20) }
        // Three draws per id on average: the loop is what made them local.
        #expect(draws.count >= 120)
        // Each node stores all 60 and counts them unfinished until they finish.
        for node in three { #expect(harness.cores[node]!.replica.records.unfinished == 60) }
        // Workers take a few tasks at a time: time passes between rounds for the rest to be placed.
        harness.runTasks(rounds: 400, pause: .milliseconds(20)) { _, _ in .succeed }
        for node in three {
            #expect(harness.cores[node]!.replica.records.unfinished == 0)
            #expect(harness.cores[node]!.backlog == 0)
        }
    }

    /// Every client on one node: it owns the first few, then sends the excess over its share to the
    /// other nodes.
    @Test func aNodeThatReceivesEverythingOwnsOnlyAboutItsShare() {
        var harness = Harness(nodes: three)
        let draws = Draws()
        var owners: [String] = []
        for client in 0..<90 {
            let id = submit(through: "a", in: &harness, draws: draws, client: UInt64(client))
            owners.append(Placement.rank(id, over: three).first!)
        }
        // An idle cluster is not strict: the first eight are the receiving node's whatever the rest own.
        #expect(owners.prefix(9).allSatisfy { $0 == "a" })
        let backlog = harness.cores["a"]!.backlog
        #expect(backlog == owners.count { $0 == "a" })
        // Its share of 90 is 30; it holds a quarter more and eight, and the rest went to peers.
        #expect((43...46).contains(backlog))
        for node in ["b", "c"] { #expect(harness.cores[node]!.backlog >= 20) }
    }

    /// A node over its share (keyed submissions happened to land on it) gives every keyless one to a
    /// peer until it is back under; the early 429 at its backlog limit is then not its to give.
    @Test func aNodeOverItsShareSendsKeylessSubmissionsToPeers() {
        var harness = Harness(nodes: three)
        let owned = (0..<1_000).map { "keyed-\($0)" }.filter { Placement.rank($0, over: three).first == "a" }
        for (client, id) in owned.prefix(30).enumerated() {
            harness.feed("b", .clientSubmit(clientID: UInt64(client), id: id, request: request, idempotencyKey: id))
        }
        harness.settle()
        #expect(harness.cores["a"]!.backlog == 30)
        // 30 unfinished over three owners is 10 each; a quarter more and eight is 20.
        #expect(harness.cores["a"]!.shedsKeyless)
        #expect(!harness.cores["b"]!.shedsKeyless)
        let draws = Draws()
        for _ in 0..<30 {
            let id = harness.cores["a"]!.keylessID { draws.next() }
            #expect(Placement.rank(id, over: three).first != "a")
        }
        // Back under its share once they finish: its own again.
        harness.runTasks(rounds: 400, pause: .milliseconds(20)) { _, _ in .succeed }
        #expect(harness.cores["a"]!.backlog == 0)
        #expect(!harness.cores["a"]!.shedsKeyless)
        #expect(Placement.rank(harness.cores["a"]!.keylessID { draws.next() }, over: three).first == "a")
    }

    /// A node that was down while assessments finished holds them running in its store (their final
    /// write reached a majority without it): after its restart they are not counted as unfinished,
    /// or it would take every such record as load the cluster still has, and it asks their owner,
    /// which sends the final states.
    @Test func aRestartedReplicaCountsWhatItLoadedOnlyOnNewsAndGetsTheFinalStatesItMissed() {
        var harness = Harness(nodes: three)
        let draws = Draws()
        let ids = (0..<6).map { submit(through: "a", in: &harness, draws: draws, client: UInt64($0)) }
        harness.finishWithout("c", seenAs: .down)
        #expect(ids.allSatisfy { harness.record($0, on: "a")?.status == .completed })
        #expect(ids.allSatisfy { harness.record($0, on: "c")?.status.isTerminal == false })

        harness.cut.remove("c")
        let everyone: [String: SWIM.Status] = ["a": .up, "b": .up, "c": .up]
        harness.restart("c", seeing: everyone)
        harness.setView(everyone, at: ["a", "b"])
        // Loaded, not yet answered: unfinished in its store, not counted.
        #expect(ids.allSatisfy { harness.record($0, on: "c")?.status.isTerminal == false })
        #expect(harness.cores["c"]!.replica.records.unfinished == 0)
        harness.advance(by: .seconds(3))
        #expect(ids.allSatisfy { harness.record($0, on: "c")?.status == .completed })
        #expect(harness.cores["c"]!.replica.records.unfinished == 0)
        // An assessment that is new to it counts.
        let next = submit(through: "a", in: &harness, draws: draws, client: 100)
        #expect(harness.record(next, on: "c") != nil)
        #expect(harness.cores["c"]!.replica.records.unfinished == 1)
    }

    /// A node alone, or leaving the cluster, has nothing to choose: it takes the first draw.
    @Test func aNodeWithoutPeersTakesTheFirstDraw() {
        let harness = Harness(nodes: ["solo"])
        let draws = Draws()
        #expect(harness.cores["solo"]!.keylessID { draws.next() } == "keyless-1")
        #expect(draws.count == 1)

        var three = Harness(nodes: self.three)
        three.feed("a", .drain)
        #expect(three.cores["a"]!.keylessID { draws.next() } == "keyless-2")
        #expect(draws.count == 2)
    }
}
