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
        // And the analysts are placed at once, as far as the workers have room (the rest wait).
        #expect(Self.placed(accepted) == ["a": 4, "b": 2, "c": 2])
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
    /// without it, and to other nodes as changes of the last version sent there (docs/coordination.md,
    /// "Writes as changes"). One that answers `incomplete` gets the whole write at once.
    @Test func laterWritesGoAsChangesToReplicasThatAcknowledgedOne() throws {
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
        let whole = try #require(final["c"]?.record)
        let changed = zip(create.record.progress.agents, whole.progress.agents).filter { $0 != $1 }.map(\.1)
        #expect(final["b"]?.changesSince == create.record.version && final["c"]?.changesSince == nil)
        #expect(final["b"]?.record.progress.agents == changed && final["b"]?.record.status == whole.status)
        let toB = try #require(final["b"])
        owner.writeAnswered(toB.writeID, id: "x", .incomplete, from: "b", replica: ReplicaRole())
        let again = Self.writes(owner.takeActions())
        #expect(again.keys.sorted() == ["b"])
        #expect(again["b"]?.requestOmitted == false && again["b"]?.record == whole)
        #expect(again["b"]?.changesSince == nil)
        #expect(again["b"]?.writeID == toB.writeID)
        owner.writeAnswered(toB.writeID, id: "x", .accepted, from: "c", replica: ReplicaRole())
        let own = Self.writes(owner.takeActions())
        // Its own store gets the whole record, without the request it holds.
        #expect(own.keys.sorted() == ["a"] && own["a"]?.changesSince == nil && own["a"]?.requestOmitted == true)
        #expect(own["a"]?.record.progress == whole.progress)
    }

    /// The owner role once a majority acknowledged "x", with the tasks its own worker holds for
    /// other owners (`here`) and what the others reported `age` ago; and how many analysts it placed
    /// on each member.
    static func accepted(here: Int, reported: [String: Int], age: Duration = .zero) throws -> (
        OwnerRole, [String: Int]
    ) {
        var owner = Self.owner()
        owner.workerLoad = here
        owner.reportedLoad = reported.mapValues { ($0, owner.now.uptime - age) }
        let write = try #require(Self.writes(Self.submit(&owner))["a"])
        owner.writeAnswered(write.writeID, id: "x", .accepted, from: "a", replica: ReplicaRole())
        owner.writeAnswered(write.writeID, id: "x", .accepted, from: "b", replica: ReplicaRole())
        return (owner, Self.placed(owner.takeActions()))
    }

    static func placed(_ actions: [OwnerRole.Action]) -> [String: Int] {
        var placed: [String: Int] = [:]
        for case .send(.assign(let batch), let node) in actions { placed[node, default: 0] += batch.tasks.count }
        return placed
    }

    /// Late binding, local first (docs/coordination.md, "Leases"): two rounds on the owner's own
    /// worker (`workerConcurrency` is 2), then the free slots of the others; the rest wait.
    @Test func analystsGoToTheOwnersWorkerThenToFreeSlotsElsewhereAndTheRestWait() throws {
        #expect(SimAgents.settings().workerConcurrency == 2)
        let (owner, placed) = try Self.accepted(here: 0, reported: [:])
        #expect(placed == ["a": 4, "b": 2, "c": 2])
        let waiting = owner.owned["x"]?.tasks.values.filter { if case .waiting = $0.state { true } else { false } }
        #expect(waiting?.count == 3)  // two analysts and the report generator
        #expect(try Self.accepted(here: 5, reported: ["b": 1, "c": 0]).1 == ["b": 1, "c": 2])
    }

    /// With every worker busy, moving a task gains no throughput, only an assignment and a result on
    /// the network: the tasks wait at the owner, and take each slot that frees on its own worker.
    @Test func whenEveryWorkerIsBusyTasksWaitAtTheOwnerForASlot() throws {
        var (owner, placed) = try Self.accepted(here: 20, reported: ["b": 20, "c": 20])
        #expect(placed.isEmpty)
        // The other owners' tasks on this node's worker are done.
        owner.workerLoad = 0
        owner.placeAllWaiting()
        let assigned = owner.takeActions().flatMap { action -> [TaskKey] in
            guard case .send(.assign(let batch), "a") = action else { return [] }
            return batch.tasks.map(\.key)
        }
        #expect(assigned.count == 4)
        // One of them ends: its slot goes to the next waiting analyst, on the same worker.
        let key = try #require(assigned.first)
        let output = SimAgents.output(request: Data("r".utf8), agent: key.agent, inputs: [])
        owner.taskFinished(key, .succeeded(digest: output.digest, payload: output.payload), load: 0, from: "a")
        #expect(Self.placed(owner.takeActions()) == ["a": 1])
    }

    /// A worker that holds none of this owner's tasks does not report to it: a report older than
    /// half a lease counts as nothing, so an idle member is tried again.
    @Test func aLoadReportOlderThanHalfALeaseCountsAsNothing() throws {
        let (_, placed) = try Self.accepted(here: 20, reported: ["b": 20, "c": 20], age: .seconds(2))
        #expect(placed == ["b": 2, "c": 2])
        #expect(try Self.accepted(here: 20, reported: ["b": 20, "c": 20], age: .seconds(1)).1.isEmpty)
    }

    /// A cancelled assessment's leases were revoked at its workers, which no longer hold those tasks:
    /// they are no load while its final write is on its way.
    @Test func aFinishingAssessmentsLeasesAreNoLoad() throws {
        var (owner, placed) = try Self.accepted(here: 0, reported: [:])
        #expect(placed == ["a": 4, "b": 2, "c": 2])
        owner.ownerCancel(.local(clientID: 8), id: "x", replica: ReplicaRole())
        _ = owner.takeActions()
        #expect(owner.owned["x"]?.phase == .finishing)
        #expect(owner.workerLoads() == ["a": 0])
    }

    /// All analysts' results in and none journaled yet: a final state adopted from a replica is written
    /// as it is, without them, and the analysts count as done (docs/coordination.md, "Results").
    @Test func anAdoptedFinalStateIsWrittenWithoutTheResultsNotYetJournaled() throws {
        var (owner, _) = try Self.accepted(here: 0, reported: [:])
        let analysts = SimAgents.settings().analysts
        while let (agent, holder) = owner.owned["x"]?.tasks.compactMap({ agent, slot -> (String, String)? in
            guard analysts.contains(agent), case .leased(let holder, _) = slot.state else { return nil }
            return (agent, holder)
        }).sorted(by: { $0.0 < $1.0 }).first {
            let slot = try #require(owner.owned["x"]?.tasks[agent])
            let key = TaskKey(assessmentID: "x", agent: agent, attempt: slot.attempt, epoch: 1)
            let output = SimAgents.output(request: Data("r".utf8), agent: agent, inputs: [])
            owner.taskFinished(key, .succeeded(digest: output.digest, payload: output.payload), load: 0, from: holder)
        }
        _ = owner.takeActions()
        #expect(analysts.allSatisfy { owner.owned["x"]?.tasks[$0]?.state == .journaling })
        let pending = try #require(owner.writes.values.first { $0.write.record.id == "x" })
        var final = try #require(owner.owned["x"]?.record)
        final.status = .completed
        final.version += 5
        final.report = Data("report".utf8)
        owner.writeAnswered(pending.write.writeID, id: "x", .final(final), from: "c", replica: ReplicaRole())
        let written = Self.writes(owner.takeActions())
        #expect(!written.isEmpty)
        for write in written.values {
            #expect(write.record.status == .completed && write.record.report == final.report)
            #expect(write.results.isEmpty)
        }
        #expect(analysts.allSatisfy { owner.owned["x"]?.tasks[$0]?.state == .succeeded })
    }
}
