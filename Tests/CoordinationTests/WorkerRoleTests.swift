import Foundation
import Testing

@testable import Coordination

/// The worker's role on its own (`WorkerRole`): no core, no membership, only its actions.
@Suite struct WorkerRoleTests {
    static func task(_ agent: String, attempt: Int = 1, owner: String = "a", id: String = "x") -> TaskAssignment {
        TaskAssignment(
            key: TaskKey(assessmentID: id, agent: agent, attempt: attempt, epoch: 1), owner: owner,
            request: Data(), inputs: [])
    }

    /// What the actions say, in order, as text a test can compare.
    static func describe(_ actions: [WorkerRole.Action]) -> [String] {
        actions.map {
            switch $0 {
            case .execute(let assignment): "execute \(assignment.key.agent)#\(assignment.key.attempt)"
            case .abandon(let key): "abandon \(key.agent)"
            case .send(.refuse(let key), let node): "refuse \(key.agent) to \(node)"
            case .send(.finished(let key, _, let load), let node): "finished \(key.agent) load \(load) to \(node)"
            case .send(.renew(let keys, let load), let node):
                "renew \(keys.map(\.agent).joined(separator: ",")) load \(load) to \(node)"
            case .send(let message, let node): "send \(message) to \(node)"
            }
        }
    }

    @Test func tasksRunUpToTheConcurrencyAndARetryGoesAheadOfFirstAttempts() {
        var worker = WorkerRole(concurrency: 1)
        #expect(Self.describe(worker.assigned(Self.task("p"), from: "a")) == ["execute p#1"])
        #expect(worker.assigned(Self.task("q"), from: "a").isEmpty)
        #expect(worker.assigned(Self.task("r", attempt: 2), from: "a").isEmpty)
        #expect(worker.load == 3)
        // The outcome goes out once the next task (the retry) has started, with the load: the tasks
        // held for other owners, as the owner counts its own by its leases.
        _ = worker.assigned(Self.task("s", owner: "b"), from: "b")
        let done = worker.executed(Self.task("p").key, .threw("boom"))
        #expect(Self.describe(done) == ["execute r#2", "finished p load 1 to a"])
        #expect(worker.load == 3 && worker.load(besides: "b") == 2)
        // An outcome for a task it no longer runs is dropped.
        #expect(worker.executed(Self.task("p").key, .threw("boom")).isEmpty)
    }

    @Test func leasesAreRenewedOncePerIntervalOneMessagePerOwner() {
        var worker = WorkerRole(concurrency: 2)
        _ = worker.assigned(Self.task("p", owner: "b"), from: "b")
        _ = worker.assigned(Self.task("q", owner: "a"), from: "a")
        _ = worker.assigned(Self.task("r", owner: "b"), from: "b")
        let renewals = worker.renewLeases(at: .seconds(1), every: .seconds(1))
        #expect(Self.describe(renewals) == ["renew q load 2 to a", "renew p,r load 1 to b"])
        #expect(worker.renewLeases(at: .milliseconds(1900), every: .seconds(1)).isEmpty)
        #expect(worker.renewLeases(at: .seconds(2), every: .seconds(1)).count == 2)
    }

    @Test func revokedAndOrphanedTasksAreAbandonedAndTheQueueMovesOn() {
        var worker = WorkerRole(concurrency: 1)
        _ = worker.assigned(Self.task("p", owner: "b"), from: "b")
        _ = worker.assigned(Self.task("q", owner: "b"), from: "b")
        _ = worker.assigned(Self.task("r", owner: "a"), from: "a")
        #expect(Self.describe(worker.revoke([Self.task("p", owner: "b").key])) == ["abandon p", "execute q#1"])
        #expect(Self.describe(worker.ownerGone("b")) == ["abandon q", "execute r#1"])
        #expect(worker.load == 1)
    }

    @Test func aDrainingWorkerHandsQueuedTasksBackAndRefusesNewOnes() {
        var worker = WorkerRole(concurrency: 1)
        _ = worker.assigned(Self.task("p"), from: "a")
        _ = worker.assigned(Self.task("q"), from: "a")
        #expect(Self.describe(worker.drain()) == ["refuse q to a"])
        #expect(Self.describe(worker.assigned(Self.task("r"), from: "a")) == ["refuse r to a"])
        // The running one finishes and is reported.
        #expect(Self.describe(worker.executed(Self.task("p").key, .threw("x"))) == ["finished p load 0 to a"])
    }
}
