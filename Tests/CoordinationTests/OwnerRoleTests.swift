import Foundation
import Storage
import Testing

@testable import Coordination
@testable import CoordinationSimulation

/// The owner role on its own (`OwnerRole`): it touches no other role's state. What it wants of this
/// node's replica goes out as a message to itself, and what it learns of other replicas as an action
/// for the core to hand on (docs/coordination.md, "Roles").
@Suite struct OwnerRoleTests {
    static let members = ["a", "b", "c"]

    /// The owner role of node "a" in a cluster of three that it sees up and has heard from.
    static func owner(heard: Set<String> = Set(members)) -> OwnerRole {
        var owner = OwnerRole(name: "a", settings: SimAgents.settings(), seed: 1)
        owner.cluster.statuses = Dictionary(uniqueKeysWithValues: members.map { ($0, .up) })
        owner.cluster.knownMembers = Set(members)
        owner.cluster.heard = heard
        owner.cluster.settled = true
        owner.now = Moment(uptime: .seconds(10), wall: Date(timeIntervalSince1970: 1_000_000))
        return owner
    }

    static func submit(_ owner: inout OwnerRole, id: String = "x") -> [OwnerRole.Action] {
        owner.ownerSubmit(
            .local(clientID: 7), id: id, request: Data("r".utf8), idempotencyKey: nil, createdAt: owner.now.wall,
            replica: ReplicaRole())
        return owner.takeActions()
    }

    /// The writes the actions send, by target, and the answers to clients.
    static func writes(_ actions: [OwnerRole.Action]) -> [String: ReplicaWrite] {
        var writes: [String: ReplicaWrite] = [:]
        for case .send(.write(let write), let node) in actions { writes[node] = write }
        return writes
    }

    static func submitAnswers(_ actions: [OwnerRole.Action]) -> [String] {
        actions.compactMap {
            guard case .emit(.answerSubmit(let client, let answer)) = $0 else { return nil }
            return "\(client): \(answer)"
        }
    }

    @Test func aSubmissionGoesToEveryReplicaItselfIncludedAndIsAnsweredOnAMajority() throws {
        var owner = Self.owner()
        let created = Self.submit(&owner)
        let writes = Self.writes(created)
        // Its own store is reached like the others: a message to "a", which the core routes.
        #expect(writes.keys.sorted() == Self.members)
        let write = try #require(writes["a"])
        #expect(write.record.epoch == 1 && write.record.version == 1 && write.record.replicaSet.first == "a")
        #expect(Self.submitAnswers(created).isEmpty)
        owner.writeAnswered(write.writeID, id: "x", .accepted, from: "a", replica: ReplicaRole())
        #expect(Self.submitAnswers(owner.takeActions()).isEmpty)
        owner.writeAnswered(write.writeID, id: "x", .accepted, from: "c", replica: ReplicaRole())
        let accepted = owner.takeActions()
        #expect(Self.submitAnswers(accepted) == ["7: accepted(id: \"x\", existing: false)"])
        // And the analysts are placed at once.
        let assigned = accepted.compactMap { action -> Int? in
            guard case .send(.assign(let batch), _) = action else { return nil }
            return batch.tasks.count
        }
        #expect(assigned.reduce(0, +) == SimAgents.settings().analysts.count)
        #expect(owner.counters.submissionsAccepted == 1)
    }

    @Test func aFencedWriteDeposesTheOwnerAndTellsItsReplicaOfThePromise() throws {
        var owner = Self.owner()
        let write = try #require(Self.writes(Self.submit(&owner))["b"])
        owner.writeAnswered(write.writeID, id: "x", .fenced(promised: 3), from: "b", replica: ReplicaRole())
        let actions = owner.takeActions()
        let promised = actions.compactMap { action -> Int? in
            guard case .promisedElsewhere("x", let epoch) = action else { return nil }
            return epoch
        }
        #expect(promised == [3])
        #expect(Self.submitAnswers(actions) == ["7: unavailable(\"ownership of x moved during submission; retry\")"])
        #expect(owner.owned["x"] == nil && owner.unsettled.contains("x"))
        #expect(owner.counters.depositions == 1)
    }

    @Test func anOwnerThatHeardFromNoMajorityWritesNothing() {
        var owner = Self.owner(heard: ["a"])
        let actions = Self.submit(&owner)
        #expect(Self.writes(actions).isEmpty)
        #expect(
            Self.submitAnswers(actions) == [
                "7: unavailable(\"no quorum for submissions: this node heard from 1 of 3 members within its contact lease\")"
            ])
        #expect(owner.owned.isEmpty)
    }

    /// Replicas that acknowledged a write of this epoch store the request: later writes go to them
    /// without it. One that answers `incomplete` gets the whole write at once.
    @Test func laterWritesLeaveTheRequestOutForReplicasThatAcknowledgedOne() throws {
        var owner = Self.owner()
        let create = try #require(Self.writes(Self.submit(&owner))["a"])
        for replica in ["a", "b"] {
            owner.writeAnswered(create.writeID, id: "x", .accepted, from: replica, replica: ReplicaRole())
        }
        _ = owner.takeActions()
        owner.ownerCancel(.local(clientID: 8), id: "x", replica: ReplicaRole())
        // A final state reaches the owner's own store last (`mayApplyHere`).
        let final = Self.writes(owner.takeActions())
        #expect(final.keys.sorted() == ["b", "c"])
        #expect(final["b"]?.requestOmitted == true && final["b"]?.record.request.isEmpty == true)
        #expect(final["c"]?.requestOmitted == false && final["c"]?.record.request == Data("r".utf8))
        let toB = try #require(final["b"])
        owner.writeAnswered(toB.writeID, id: "x", .incomplete, from: "b", replica: ReplicaRole())
        let again = Self.writes(owner.takeActions())
        #expect(again.keys.sorted() == ["b"])
        #expect(again["b"]?.requestOmitted == false && again["b"]?.record.request == Data("r".utf8))
        #expect(again["b"]?.writeID == toB.writeID)
        owner.writeAnswered(toB.writeID, id: "x", .accepted, from: "c", replica: ReplicaRole())
        let own = Self.writes(owner.takeActions())
        #expect(own.keys.sorted() == ["a"] && own["a"]?.requestOmitted == true)
    }
}
