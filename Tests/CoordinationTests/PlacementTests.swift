import Testing

@testable import Coordination

@Suite struct PlacementTests {
    let members = (1...7).map { "node-\($0)" }
    let ids = (0..<2000).map { "assessment-\($0)" }

    @Test func everyNodeRanksTheSameWayWhateverOrderItKnowsTheMembersIn() {
        let reversed = Array(members.reversed())
        let shuffled = ["node-4", "node-1", "node-7", "node-3", "node-6", "node-2", "node-5"]
        for id in ids {
            let rank = Placement.rank(id, over: members)
            #expect(Placement.rank(id, over: reversed) == rank)
            #expect(Placement.rank(id, over: Set(shuffled)) == rank)
            #expect(Set(rank) == Set(members))
        }
    }

    @Test func theReplicaSetIsTheTopOfTheRankingAndTheOwnerItsFirst() {
        for id in ids.prefix(200) {
            let rank = Placement.rank(id, over: members)
            #expect(Placement.replicaSet(id, over: members, factor: 3) == Array(rank.prefix(3)))
            #expect(Placement.replicaSet(id, over: ["solo"], factor: 3) == ["solo"])
            #expect(Placement.replicaSet(id, over: members, factor: 0).count == 1)
        }
    }

    /// Rendezvous hashing's point: losing a member moves only what it held, and everyone else keeps
    /// their relative order, so only replica sets that contained the lost member change.
    @Test func losingAMemberMovesOnlyWhatItHeld() {
        let lost = "node-3"
        let survivors = members.filter { $0 != lost }
        var moved = 0
        for id in ids {
            let before = Placement.rank(id, over: members)
            let after = Placement.rank(id, over: survivors)
            #expect(after == before.filter { $0 != lost })
            let setBefore = Array(before.prefix(3))
            let setAfter = Array(after.prefix(3))
            if !setBefore.contains(lost) { #expect(setAfter == setBefore) }
            if before.first != after.first {
                #expect(before.first == lost)
                moved += 1
            }
        }
        // The lost member owned about a seventh of the ids; all of those, and only those, moved.
        #expect(moved == ids.filter { Placement.rank($0, over: members).first == lost }.count)
        #expect(moved > ids.count / 14 && moved < ids.count * 2 / 7)
    }

    @Test func ownershipSpreadsEvenly() {
        var owned: [String: Int] = [:]
        for id in ids { owned[Placement.rank(id, over: members)[0], default: 0] += 1 }
        let fair = ids.count / members.count
        for member in members { #expect(abs((owned[member] ?? 0) - fair) < fair / 3) }
    }

    @Test func weightsAreStableAcrossProcessesAndReleases() {
        // Pinned values: a change of the hash would move every stored assessment's owner.
        // Computed independently (FNV-1a then SplitMix64's finaliser), not by running this code.
        #expect(Placement.weight("a", "node-1") == 0xE3EB_EA80_5E28_F7F6)
        #expect(
            Placement.rank("assessment-42", over: members)
                == ["node-3", "node-5", "node-4", "node-7", "node-1", "node-2", "node-6"])
        #expect(Placement.weight("ab", "c") != Placement.weight("a", "bc"))
    }
}
