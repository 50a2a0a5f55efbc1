import Foundation
import Membership
import Storage
import Testing

@testable import Coordination
@testable import CoordinationSimulation

@Suite struct CoordinatorCoreTests {
    let three = ["a", "b", "c"]
    let request = Data("assess this".utf8)

    /// Submits `id` at its owner and delivers everything: acknowledged, tasks handed out.
    func submitted(_ id: String, nodes: [String] = ["a", "b", "c"], at node: String = "a") -> Harness {
        var harness = Harness(nodes: nodes)
        harness.feed(node, .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.submitAnswers[1] == .accepted(id: id, existing: false))
        return harness
    }

    @Test func aSubmissionIsAcknowledgedOnlyOnceAMajorityOfItsReplicaSetStoredIt() {
        var harness = Harness(nodes: three)
        let id = Harness.id(ownedBy: "a", over: three)
        harness.cut = ["b", "c"]
        harness.feed("b", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.feed("a", .clientSubmit(clientID: 2, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        // Only the owner's own copy exists: no answer, however long the replicas stay silent.
        harness.advance(by: .seconds(2))
        #expect(harness.submitAnswers[2] == nil)
        #expect(harness.record(id, on: "a") != nil)
        // One more copy makes a majority of three.
        harness.cut = ["c"]
        harness.advance(by: .seconds(1))
        #expect(harness.submitAnswers[2] == .accepted(id: id, existing: false))
        #expect(harness.record(id, on: "b")?.replicaSet == Placement.replicaSet(id, over: three, factor: 3))
        #expect(harness.cores["a"]!.counters.submissionsAccepted == 1)
    }

    /// The submitting tenant is stored with the record on every replica, forwarded or not, and
    /// stays through the assessment's updates (docs/security.md).
    @Test func theSubmittersTenantIsStoredOnEveryReplica() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = Harness(nodes: three)
        harness.feed(
            "b", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: "acme/k", tenant: "acme"))
        harness.settle()
        #expect(harness.submitAnswers[1] == .accepted(id: id, existing: false))
        harness.runAllTasks()
        for node in three {
            #expect(harness.record(id, on: node)?.tenant == "acme", "\(node)")
            #expect(harness.record(id, on: node)?.status == .completed, "\(node)")
        }
    }

    @Test func anIdempotentRepeatGetsTheSameIdFromAnyNode() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        harness.feed("c", .clientSubmit(clientID: 7, id: id, request: request, idempotencyKey: "k"))
        harness.settle()
        #expect(harness.submitAnswers[7] == .accepted(id: id, existing: true))
    }

    @Test func aCompletedAssessmentCarriesTheReportOfAFaultFreeRunOnEveryReplica() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        harness.runAllTasks()
        for node in three {
            #expect(harness.record(id, on: node)?.status == .completed)
            #expect(harness.record(id, on: node)?.report == SimAgents.expectedReport(request: request))
        }
        #expect(harness.cores["a"]!.ownedIDs.isEmpty)
    }

    /// A harness where every analyst of one assessment runs at once, and that assessment's id.
    func allAnalystsRunning() -> (Harness, String) {
        let id = Harness.id(ownedBy: "a", over: three)
        var settings = SimAgents.settings()
        settings.workerConcurrency = 10
        var harness = Harness(nodes: three, settings: settings)
        harness.feed("a", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.executed.values.map(\.count).reduce(0, +) == settings.analysts.count)
        return (harness, id)
    }

    /// Finishes the analysts `harness` handed out whose names `chosen` accepts, without delivering anything.
    func finish(_ harness: inout Harness, where chosen: (String) -> Bool = { _ in true }) {
        for node in harness.executed.keys.sorted() {
            // (Only these: what they start meanwhile, the report generator among it, stays handed out.)
            let done = (harness.executed[node] ?? []).filter { chosen($0.key.agent) }.map(\.key)
            for task in harness.executed[node] ?? [] where done.contains(task.key) {
                let output = SimAgents.output(request: task.request, agent: task.key.agent, inputs: [])
                harness.feed(node, .executed(task.key, .succeeded(digest: output.digest, payload: output.payload)))
            }
            harness.executed[node]?.removeAll { done.contains($0.key) }
        }
    }

    func journalWrites(on node: String, of harness: Harness) -> [[String]] {
        harness.applied[node, default: []].filter { !$0.results.isEmpty }.map { $0.results.map(\.agent).sorted() }
    }

    /// The last results are not journaled: the report generator runs on them at once, and the final
    /// write stores the report made of them, and them nowhere (docs/coordination.md, "Results").
    @Test func resultsThatArriveTogetherAreNotWrittenButTheReportMadeOfThemIs() throws {
        var (harness, id) = allAnalystsRunning()
        finish(&harness)
        harness.settle()
        #expect(journalWrites(on: "b", of: harness).isEmpty)
        #expect(harness.executed["a"]?.map(\.key.agent) == [harness.settings.finalAgent])
        harness.runAllTasks()
        #expect(journalWrites(on: "b", of: harness).isEmpty)
        for node in ["a", "b", "c"] {
            let record = try #require(harness.record(id, on: node))
            #expect(record.status == .completed && record.report == SimAgents.expectedReport(request: request))
            let done = record.progress.agents.filter { $0.state == .succeeded }.map(\.agent)
            #expect(Set(done) == Set(harness.settings.allAgents))
            #expect(harness.stores[node]!.results(of: id).isEmpty)
        }
    }

    @Test func progressCarriesWhenEachAgentStartedAndFinishedOnTheOwnersClock() throws {
        var (harness, id) = allAnalystsRunning()
        let handedOut = harness.moment.wall
        harness.advance(by: .seconds(2))
        let done = harness.moment.wall
        finish(&harness)
        harness.settle()
        harness.advance(by: harness.settings.journalLinger + harness.settings.progressFlush * 2)
        // The replicas have the times too (progress is flushed to them), so any node answers with the
        // same timeline.
        let agents = try #require(harness.record(id, on: "b")?.progress.agents)
        for agent in agents where harness.settings.analysts.contains(agent.agent) {
            #expect(agent.state == .succeeded, "\(agent.agent)")
            #expect(agent.startedAt == handedOut, "\(agent.agent)")
            #expect(agent.finishedAt == done, "\(agent.agent)")
        }
        let final = try #require(agents.first { $0.agent == harness.settings.finalAgent })
        #expect(final.startedAt != nil && final.finishedAt == nil)
    }

    @Test func aResultWaitsForOthersOnlyAsLongAsTheJournalLinger() {
        var (harness, id) = allAnalystsRunning()
        let first = harness.settings.analysts[0]
        finish(&harness) { $0 == first }
        harness.settle()
        #expect(journalWrites(on: "b", of: harness).isEmpty)
        harness.advance(by: harness.settings.journalLinger + .milliseconds(50))
        #expect(journalWrites(on: "b", of: harness) == [[first]])
        // The others, the last ones, are made into the report at once, and written nowhere.
        finish(&harness)
        harness.settle()
        #expect(journalWrites(on: "b", of: harness).count == 1)
        harness.runAllTasks()
        #expect(journalWrites(on: "b", of: harness).count == 1)
        #expect(harness.stores["b"]!.results(of: id).map(\.agent) == [first])
        #expect(harness.record(id, on: "b")?.status == .completed)
    }

    @Test func aResultStillLingeringWhenTheAssessmentEndsIsNotWrittenWithItsFinalState() {
        var (harness, id) = allAnalystsRunning()
        let first = harness.settings.analysts[0]
        finish(&harness) { $0 == first }
        harness.settle()
        // Cut off, the owner cancels: its own store must not show the final state before a majority.
        harness.cut = ["b", "c"]
        harness.feed("a", .clientCancel(clientID: 9, id: id, owner: "a"))
        harness.advance(by: harness.settings.journalLinger * 3)
        #expect(harness.record(id, on: "a")?.status.isTerminal == false)
        #expect(journalWrites(on: "a", of: harness).isEmpty)
        harness.cut = []
        harness.advance(by: .seconds(1))
        for node in three { #expect(harness.record(id, on: node)?.status == .cancelled) }
        // Once ended, the assessment journals nothing more.
        #expect(journalWrites(on: "b", of: harness).isEmpty)
    }

    @Test func theReportGeneratorRunsOnTheOwnerAndItsResultTravelsOnlyAsTheReport() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        var generatorRanOn: [String] = []
        let finalAgent = harness.settings.finalAgent
        harness.runTasks { task, node in
            if task.key.agent == finalAgent { generatorRanOn.append(node) }
            return .succeed
        }
        #expect(generatorRanOn == ["a"])
        for node in three {
            #expect(harness.record(id, on: node)?.status == .completed)
            #expect(harness.record(id, on: node)?.report == SimAgents.expectedReport(request: request))
            let journaled = harness.applied[node, default: []].flatMap(\.results).map(\.agent)
            #expect(!journaled.contains(harness.settings.finalAgent))
        }
    }

    @Test func anOwnerCutOffKeepsItsFinalStateOutOfItsOwnStoreUntilAnotherReplicaHasIt() throws {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        var generator: TaskAssignment?
        let finalAgent = harness.settings.finalAgent
        harness.runTasks { task, _ in
            guard task.key.agent == finalAgent else { return .succeed }
            generator = task
            return .hold
        }
        let task = try #require(generator)
        // Cut off, the owner may have been deposed: what it stores, its readers see.
        harness.cut = ["a"]
        harness.complete(task, on: "a")
        #expect(harness.record(id, on: "a")?.status.isTerminal == false)
        harness.cut = []
        harness.advance(by: .seconds(1))
        for node in three { #expect(harness.record(id, on: node)?.status == .completed) }
    }

    @Test func aMoveNamesTheSetItLeavesUntilItHasReachedAMajorityOfItToo() throws {
        let four = ["a", "b", "c", "d"]
        let id = Harness.id(ownedBy: "a", over: four)
        var harness = submitted(id, nodes: four)
        let before = try #require(harness.record(id, on: "a")?.replicaSet)
        let kept = before[1]
        let lost = before[2]
        let spare = try #require(four.first { !before.contains($0) })
        // The owner reaches only the spare node, and believes the lost one down: it moves the record.
        harness.cut = [kept, lost]
        var view = Dictionary(uniqueKeysWithValues: four.map { ($0, SWIM.Status.up) })
        view[lost] = .down
        harness.setView(view, at: ["a"])
        harness.advance(by: .seconds(2))
        for node in ["a", spare] {
            #expect(harness.record(id, on: node)?.replicaSet == ["a", kept, spare])
            #expect(harness.record(id, on: node)?.leaving == [before])
        }
        // Once a majority of the old set has it too, the next write says the move is over.
        harness.cut = [lost]
        harness.advance(by: .seconds(2))
        harness.runAllTasks()
        for node in ["a", kept, spare] {
            #expect(harness.record(id, on: node)?.status == .completed)
            #expect(harness.record(id, on: node)?.leaving == [])
        }
    }

    /// Two moves in a row, the first committing only after the second was written: copies of the
    /// second, on a minority, name the original set, so writes must keep reaching a majority of it
    /// until the second commits too (found by review: naming the first move's set instead let a third
    /// move commit, and the assessment complete, out of sight of a claimant holding such a copy).
    @Test func anEarlierMoveCommittingLateDoesNotEndALaterOne() throws {
        let six = ["a", "b", "c", "d", "e", "f"]
        let id = Harness.id(ownedBy: "a", then: "b", over: six)
        var harness = submitted(id, nodes: six)
        let original = try #require(harness.record(id, on: "a")?.replicaSet)
        var view = Dictionary(uniqueKeysWithValues: six.map { ($0, SWIM.Status.up) })
        // The third member dies; the second is slow (cut): the first move reaches one new member only.
        view[original[2]] = .down
        harness.cut = ["b", original[2]]
        harness.setView(view, at: ["a"])
        harness.advance(by: .seconds(2))
        let first = try #require(harness.record(id, on: "a"))
        let firstMove = try #require(harness.cores["a"]!.owner.owned[id]?.lastMove)
        #expect(first.leaving == [original])
        // That new member dies too: a second move, again short of the original set's majority.
        let joined = try #require(first.replicaSet.last)
        view[joined] = .down
        harness.cut.insert(joined)
        harness.setView(view, at: ["a"])
        harness.advance(by: .seconds(2))
        let second = try #require(harness.record(id, on: "a"))
        #expect(second.replicaSet != first.replicaSet && second.leaving == [original])
        // The slow member is back; its answers to the first move arrive, to the second are lost.
        harness.cut.remove("b")
        let secondMove = try #require(harness.cores["a"]!.owner.owned[id]?.lastMove)
        #expect(secondMove > firstMove)
        let secondWrites = Set(
            harness.cores["a"]!.owner.writes.filter { $0.value.write.record.version >= secondMove }.keys)
        harness.now += .seconds(1)
        harness.feed("a", .tick)
        harness.settle { from, message in
            guard case .written(let writeID, _, _) = message else { return false }
            return from == "b" && secondWrites.contains(writeID)
        }
        let owned = try #require(harness.cores["a"]!.owner.owned[id])
        #expect(owned.reconfiguredAt == firstMove)
        #expect(owned.record.leaving == [original])
    }

    /// A claim from a copy that names a set the record has left since, where only the claimant is
    /// still alive: a voter's newer copy shows the move over, and the claim starts again from it
    /// (found by review: the claim waited for the dead members of the old set).
    @Test func aClaimLearnsFromAGrantedPromiseThatTheMoveIsOver() throws {
        let five = ["a", "b", "c", "d", "e"]
        var harness = Harness(nodes: five)
        let (old, new) = (["a", "b", "c"], ["a", "b", "d"])
        var moving = AssessmentRecord(
            id: "moved", status: .running, epoch: 1, version: 5, replicaSet: new, leaving: [old], request: request,
            createdAt: Date(timeIntervalSince1970: 1_000_000))
        _ = harness.stores["b"]!.replicate(moving, results: [])
        moving.version = 6
        moving.leaving = []
        _ = harness.stores["d"]!.replicate(moving, results: [])
        var view = Dictionary(uniqueKeysWithValues: five.map { ($0, SWIM.Status.up) })
        view["a"] = .down
        view["c"] = .down
        harness.cut = ["a", "c"]
        harness.restart("b", seeing: view)
        harness.restart("d", seeing: view)
        harness.setView(view, at: ["e"])
        harness.advance(by: .seconds(5))
        let record = try #require(harness.record("moved", on: "b"))
        #expect(record.epoch >= 2 && record.replicaSet.first == "b" && record.leaving == [])
        #expect(harness.cores["b"]!.ownedIDs == ["moved"])
    }

    /// A takeover whose new replica set is mostly nodes holding a final state of the same id (another
    /// lineage of a keyed retry): they answer the move with that state instead of storing it, so the
    /// move cannot commit, and the adopted final state must not wait for it (found by the simulation
    /// on a timing variant: an assessment left running for good).
    /// With `cancelledHere`, the final state the replicas hold is the one the new owner decided itself
    /// (a cancel it took while its move was on its way): equal, and still it must not wait (found by
    /// review: the cancel was never written, its callers never answered).
    @Test(arguments: [false, true])
    func aFinalStateAdoptedWhileAMoveCannotCommitIsWrittenAtOnce(cancelledHere: Bool) throws {
        let five = ["a", "b", "c", "d", "e"]
        var harness = Harness(nodes: five)
        let created = Date(timeIntervalSince1970: 1_000_000)
        let running = AssessmentRecord(
            id: "x", status: .running, epoch: 1, version: 3, replicaSet: ["a", "b", "c"], request: request,
            createdAt: created)
        let completed = AssessmentRecord(
            id: "x", status: cancelledHere ? .cancelled : .completed, epoch: 1, version: 9,
            replicaSet: ["d", "e", "a"], request: request, report: cancelledHere ? nil : Data("report".utf8),
            createdAt: created)
        for node in ["b", "c"] { _ = harness.stores[node]!.replicate(running, results: []) }
        for node in ["d", "e"] { _ = harness.stores[node]!.replicate(completed, results: []) }
        var view = Dictionary(uniqueKeysWithValues: five.map { ($0, SWIM.Status.up) })
        view["a"] = .down
        harness.cut = ["a"]
        for node in ["b", "c", "d", "e"] { harness.restart(node, seeing: view) }
        // b claims; c's promise is on its way when b learns that c is down (c is cut off just then), so
        // the new set is b and the two nodes holding the final state.
        harness.now += .seconds(2)
        harness.feed("b", .tick)
        #expect(harness.inflight.contains { $0.to == "c" })
        harness.inflight.removeAll { $0.to == "c" }
        harness.settle()
        var withoutC = view
        withoutC["c"] = .down
        harness.setView(withoutC, at: ["b"])
        harness.cut = ["a", "c"]
        let epoch = try #require(harness.cores["b"]!.owner.claims["x"]?.epoch)
        harness.feed(
            "b",
            .received(
                Envelope(
                    from: "c",
                    message: .promise(
                        id: "x", epoch: epoch, granted: true, record: running, results: [], known: nil))))
        if cancelledHere { harness.feed("b", .clientCancel(clientID: 9, id: "x", owner: "b")) }
        harness.settle()
        #expect(harness.cores["b"]!.owner.owned["x"]?.record.replicaSet == ["b", "d", "e"])
        // c is back: a majority of the set the move leaves can answer.
        harness.cut = ["a"]
        harness.setView(view, at: ["b", "c", "d", "e"])
        harness.advance(by: .seconds(5))
        #expect(harness.cores["b"]!.ownedIDs.isEmpty)
        for node in ["b", "c", "d", "e"] {
            #expect(harness.record("x", on: node)?.status == completed.status, "on \(node)")
            #expect(harness.record("x", on: node)?.report == completed.report, "on \(node)")
        }
        #expect(harness.record("x", on: "b")?.leaving == [])
        if cancelledHere { #expect(harness.cancelAnswers[9] == .cancelled(id: "x")) }
    }

    /// A simulation failure in a few steps: an owner cut off moves the record to itself and a
    /// node it still reaches, then dies; the majority side takes the assessment over. Restarted, the
    /// old owner finds the move in its own store, and it must not claim from the new set alone (it
    /// and the spare node would make a majority of it, at the epoch the majority side used already).
    @Test func aNodeRestartedInTheMiddleOfAMoveClaimsFromTheSetItLeavesToo() throws {
        let five = ["a", "b", "c", "d", "e"]
        let id = Harness.id(ownedBy: "a", over: five)
        var harness = submitted(id, nodes: five)
        let before = try #require(harness.record(id, on: "a")?.replicaSet)
        let (kept, lost) = (before[1], before[2])
        var view = Dictionary(uniqueKeysWithValues: five.map { ($0, SWIM.Status.up) })
        view[lost] = .down
        harness.cut = [kept, lost]
        harness.setView(view, at: ["a"])
        harness.advance(by: .seconds(2))
        let moved = try #require(harness.record(id, on: "a"))
        #expect(moved.replicaSet != before && moved.leaving == [before])
        let spare = try #require(moved.replicaSet.last)
        // The owner dies, the spare node is cut off; the others see both down, and the first live
        // replica of the old set takes the assessment over.
        harness.cut = ["a", spare]
        var majoritySide = Dictionary(uniqueKeysWithValues: five.map { ($0, SWIM.Status.up) })
        majoritySide["a"] = .down
        majoritySide[spare] = .down
        harness.setView(majoritySide, at: five.filter { $0 != "a" && $0 != spare })
        harness.advance(by: .seconds(3))
        let takenOver = try #require(harness.record(id, on: kept))
        #expect(takenOver.epoch == 2 && takenOver.replicaSet.first == kept)
        // The old owner comes back on its store; the spare node still holds the move it was sent.
        #expect(harness.record(id, on: spare)?.epoch == 1)
        harness.cut = []
        let all = Dictionary(uniqueKeysWithValues: five.map { ($0, SWIM.Status.up) })
        harness.restart("a", seeing: all)
        harness.setView(all, at: five.filter { $0 != "a" })
        harness.advance(by: .seconds(3))
        #expect(harness.cores["a"]!.ownedIDs.isEmpty)
        harness.runAllTasks()
        harness.advance(by: .seconds(2))
        // No second owner of epoch 2 or later: every copy of those epochs names the majority side's.
        for node in five {
            guard let copy = harness.record(id, on: node), copy.epoch >= 2 else { continue }
            #expect(copy.replicaSet.first == kept, "on \(node)")
        }
        #expect(harness.record(id, on: kept)?.status == .completed)
    }

    /// The holder of `id`'s tasks with the most of them, other than the owner `a`.
    func busiestWorker(_ harness: Harness) -> String {
        ["b", "c"].max { (harness.executed[$0]?.count ?? 0) < (harness.executed[$1]?.count ?? 0) }!
    }

    @Test func aLeaseNotRenewedExpiresAndTheTaskIsRequeuedWithTheNextAttempt() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        let hung = busiestWorker(harness)
        let stranded = leases(of: id, heldBy: hung, in: harness)
        #expect(!stranded.isEmpty)
        // The worker hangs: it neither renews nor answers, but membership still says it is up.
        harness.cut = [hung]
        harness.advance(by: settingsTTL - .milliseconds(100))
        #expect(harness.cores["a"]!.counters.leaseExpiries == 0)
        harness.advance(by: .milliseconds(200))
        let owner = harness.cores["a"]!
        #expect(owner.counters.leaseExpiries == stranded.count)
        // Back at the owner: placed again, or waiting for a slot (docs/coordination.md, "Leases").
        #expect(leases(of: id, heldBy: hung, in: harness).isEmpty)
        harness.cut = []
        harness.runAllTasks()
        #expect(harness.record(id, on: "a")?.status == .completed)
        for agent in stranded { #expect(Self.attempt(of: agent, id, in: harness) == 2) }
    }

    /// The agents whose leases `worker` holds, running or queued (a worker runs two at once).
    func leases(of id: String, heldBy worker: String, in harness: Harness) -> Set<String> {
        let tasks = harness.cores["a"]!.owner.owned[id]?.tasks ?? [:]
        return Set(
            tasks.compactMap { agent, slot in
                if case .leased(let holder, _) = slot.state, holder == worker { return agent }
                return nil
            })
    }

    var settingsTTL: Duration { SimAgents.settings().leaseTTL }

    /// The attempt of `agent` that the owner's stored record shows last.
    static func attempt(of agent: String, _ id: String, in harness: Harness) -> Int? {
        harness.record(id, on: "a")?.progress.agents.first { $0.agent == agent }?.attempt
    }

    @Test func aLostConnectionRequeuesTheHoldersTasksAtOnce() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        let lost = busiestWorker(harness)
        let stranded = leases(of: id, heldBy: lost, in: harness)
        harness.cut = [lost]
        harness.feed("a", .peerLost(lost))
        let owner = harness.cores["a"]!
        #expect(owner.counters.requeues == stranded.count)
        #expect(owner.counters.leaseExpiries == 0)
        #expect(leases(of: id, heldBy: lost, in: harness).isEmpty)
        // The next attempt of each runs once a worker has room.
        harness.runAllTasks()
        #expect(harness.record(id, on: "a")?.status == .completed)
        for agent in stranded { #expect(Self.attempt(of: agent, id, in: harness) == 2) }
    }

    @Test func theNextReplicaTakesOverWithTheNextEpochAndTheDeposedOwnerIsFenced() {
        let id = Harness.id(ownedBy: "a", then: "b", over: three)
        var harness = submitted(id)
        // The owner is cut off; the others see it down.
        harness.cut = ["a"]
        harness.setView(["a": .down, "b": .up, "c": .up], at: ["b", "c"])
        harness.advance(by: .seconds(2))
        #expect(harness.cores["b"]!.counters.takeovers == 1)
        for node in ["b", "c"] {
            #expect(harness.record(id, on: node)?.epoch == 2)
            #expect(harness.record(id, on: node)?.replicaSet.first == "b")
        }
        // The old owner still believes it owns the assessment; once reconnected it flushes its
        // progress (placement changed since its last write) and the replicas fence it off.
        #expect(harness.cores["a"]!.owner.owned[id] != nil)
        harness.cut = []
        harness.feed("a", .tick)
        harness.settle()
        #expect(harness.cores["a"]!.owner.owned[id] == nil)
        #expect(harness.cores["a"]!.counters.depositions == 1)
        for node in ["b", "c"] { #expect(harness.record(id, on: node)?.epoch == 2) }
        // The successor finishes the work under its epoch.
        harness.runAllTasks()
        #expect(harness.record(id, on: "b")?.status == .completed)
        #expect(harness.record(id, on: "b")?.report == SimAgents.expectedReport(request: request))
    }

    /// The claimant often learns of the owner's death first (its connection to the owner broke); a
    /// voter that still sees the owner alive refuses, and the claim, short of a majority without it,
    /// would wait out its timeout. The voter answers again once it too sees the owner down.
    @Test func aClaimRefusedForAnOwnerStillAliveHereIsGrantedWhenThatOwnerIsSeenDown() {
        let id = Harness.id(ownedBy: "a", then: "b", over: three)
        var harness = submitted(id)
        harness.cut = ["a"]
        // "b" sees the owner down; "c" does not yet, so it refuses "b"'s claim.
        harness.setView(["a": .down, "b": .up, "c": .up], at: ["b"])
        harness.settle()
        #expect(harness.cores["b"]!.owner.claims[id] != nil)
        #expect(harness.cores["b"]!.owner.claims[id]?.refused == ["c"])
        #expect(harness.cores["c"]!.replica.deferredClaims[id]?.claimant == "b")
        // A moment later "c" sees it down too: no time passes, and "b" takes over.
        harness.setView(["a": .down, "b": .up, "c": .up], at: ["c"])
        harness.settle()
        #expect(harness.cores["b"]!.counters.takeovers == 1)
        #expect(harness.cores["c"]!.replica.deferredClaims.isEmpty)
        for node in ["b", "c"] { #expect(harness.record(id, on: node)?.epoch == 2) }
        harness.runAllTasks()
        #expect(harness.record(id, on: "c")?.status == .completed)
    }

    /// A refused claim whose owner stays alive is forgotten after the claim timeout.
    @Test func aRefusedClaimForAnOwnerThatStaysAliveIsForgotten() {
        let id = Harness.id(ownedBy: "a", then: "b", over: three)
        var harness = submitted(id)
        let epoch = harness.record(id, on: "c")?.epoch
        harness.setView(["a": .down, "b": .up, "c": .up], at: ["b"])
        harness.settle()
        #expect(harness.cores["c"]!.replica.deferredClaims[id] != nil)
        // The claimant goes away (it would otherwise claim again every reconcile interval).
        harness.cut = ["b"]
        harness.advance(by: harness.settings.claimTimeout + harness.settings.reconcileInterval * 2)
        #expect(harness.cores["c"]!.replica.deferredClaims.isEmpty)
        #expect(harness.cores["b"]!.counters.takeovers == 0)
        #expect(harness.record(id, on: "c")?.epoch == epoch)
        #expect(harness.record(id, on: "c")?.replicaSet.first == "a")
    }

    /// Only the first live replica in rank claims a dead owner's record, and the owner may have died
    /// before its creation write reached that one (a majority acknowledged without it). A replica that
    /// has the record sends it there. (Letting later replicas claim themselves instead stalled
    /// the simulation: two claimants fencing each other.)
    @Test func whenTheNextReplicaNeverGotTheRecordTheOneAfterItHandsItOverAndItTakesOver() {
        let id = Harness.id(ownedBy: "a", then: "b", over: three)
        var harness = Harness(nodes: three)
        // The creation reaches the owner and "c" (a majority) but not "b"; then the owner dies.
        harness.cut = ["b"]
        harness.feed("a", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.submitAnswers[1] == .accepted(id: id, existing: false))
        #expect(harness.record(id, on: "b") == nil)
        harness.cut = ["a"]
        harness.setView(["a": .down, "b": .up, "c": .up], at: ["b", "c"])
        // "b" ranks first among the survivors but has nothing to claim; "c" sends it its copy.
        harness.advance(by: .seconds(4))
        #expect(harness.cores["b"]!.counters.takeovers == 1)
        #expect(harness.cores["c"]!.counters.takeovers == 0)
        #expect(harness.record(id, on: "c")?.replicaSet.first == "b")
        #expect(harness.record(id, on: "c")?.epoch == 2)
        harness.runAllTasks()
        for node in ["b", "c"] { #expect(harness.record(id, on: node)?.status == .completed) }
    }

    /// A record placed while only two members were up has two replicas, and losing either would leave
    /// it without a majority for good: once a third member is up, the owner of a running one moves it
    /// to three. A finished one stays where it is (moving every finished record costs a claim each).
    @Test func aReplicaSetPlacedWhileFewMembersWereUpGrowsBackToTheReplicationFactor() {
        var harness = Harness(nodes: three)
        harness.cut = ["c"]
        harness.setView(["a": .up, "b": .up, "c": .down], at: ["a", "b"])
        let done = Harness.id(ownedBy: "a", over: ["a", "b"])
        let running = (0..<100_000).lazy.map { "running-\($0)" }.first {
            Placement.rank($0, over: ["a", "b"]).first == "a" && $0 != done
        }!
        harness.feed("a", .clientSubmit(clientID: 1, id: done, request: request, idempotencyKey: nil))
        harness.settle()
        harness.runAllTasks()
        harness.feed("a", .clientSubmit(clientID: 2, id: running, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.record(done, on: "a")?.status == .completed)
        #expect(harness.record(done, on: "a")?.replicaSet == ["a", "b"])
        #expect(harness.record(running, on: "a")?.replicaSet.count == 2)
        harness.cut = []
        harness.setView(["a": .up, "b": .up, "c": .up], at: three)
        harness.advance(by: .seconds(3))
        for node in three { #expect(harness.record(running, on: node)?.replicaSet.count == 3) }
        #expect(harness.record(done, on: "a")?.replicaSet == ["a", "b"])
        #expect(harness.record(done, on: "c") == nil)
        harness.runAllTasks()
        for node in three { #expect(harness.record(running, on: node)?.status == .completed) }
    }

    @Test func aNodeThatSeesOnlyAMinorityRefusesSubmissions() {
        let five = ["a", "b", "c", "d", "e"]
        var harness = Harness(nodes: five)
        harness.setView(["a": .up, "b": .up, "c": .down, "d": .down, "e": .down], at: ["a"])
        for (client, id) in [(1, "x"), (2, Harness.id(ownedBy: "a", over: ["a", "b"]))] {
            harness.feed("a", .clientSubmit(clientID: UInt64(client), id: id, request: request, idempotencyKey: nil))
            harness.settle()
            guard case .unavailable = harness.submitAnswers[UInt64(client)] else {
                Issue.record("expected unavailable, got \(String(describing: harness.submitAnswers[UInt64(client)]))")
                continue
            }
        }
        #expect(harness.stores["a"]!.records.isEmpty)
        // Suspects may yet refute: they count as reachable.
        harness.setView(["a": .up, "b": .up, "c": .suspect, "d": .down, "e": .down], at: ["a"])
        #expect(harness.cores["a"]!.quorate)
    }

    /// The short partition run's minority write (docs/partitions.md): a node whose view still counts
    /// every member up, but that has heard from only one other within the contact lease, is cut off;
    /// its view has not caught up. It refuses submissions, saying why, and takes them again once a
    /// majority is heard.
    @Test func aNodeWhoseViewSeesAMajorityButThatHeardFromAMinorityRefusesSubmissions() {
        let five = ["a", "b", "c", "d", "e"]
        var harness = Harness(nodes: five)
        harness.feed("a", .heard(["a", "b"]))
        #expect(harness.cores["a"]!.quorate)
        // What `/readyz` reports (CoordinatorNode.readiness).
        #expect(harness.cores["a"]!.submissionProblem?.contains("heard from 2 of 5") == true)
        let id = Harness.id(ownedBy: "a", over: five)
        harness.feed("a", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(
            harness.submitAnswers[1]
                == .unavailable(
                    "no quorum for submissions: this node heard from 2 of 5 members within its contact lease"))
        #expect(harness.stores.values.allSatisfy { $0.records.isEmpty })
        harness.feed("a", .heard(["a", "b", "d"]))
        #expect(harness.cores["a"]!.submissionProblem == nil)
        harness.feed("a", .clientSubmit(clientID: 2, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.submitAnswers[2] == .accepted(id: id, existing: false))
    }

    /// A forwarded submission is checked by its owner too: an owner that heard from a minority
    /// refuses what a quorate node sends it.
    @Test func anOwnerThatHeardFromAMinorityRefusesAForwardedSubmission() {
        let five = ["a", "b", "c", "d", "e"]
        var harness = Harness(nodes: five)
        harness.feed("b", .heard(["b"]))
        let id = Harness.id(ownedBy: "b", over: five)
        harness.feed("a", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        guard case .unavailable(let why) = harness.submitAnswers[1] else {
            Issue.record("expected unavailable, got \(String(describing: harness.submitAnswers[1]))")
            return
        }
        #expect(why.contains("heard from 1 of 5"))
        #expect(harness.stores.values.allSatisfy { $0.records.isEmpty })
    }

    @Test func theContactLeaseCoversTwoProbeRoundsOfTheCluster() {
        let settings = SimAgents.settings()
        #expect(settings.contactLease(members: 5, probeInterval: .seconds(1)) == .seconds(8))
        #expect(settings.contactLease(members: 9, probeInterval: .seconds(1)) == .seconds(16))
        #expect(settings.contactLease(members: 1, probeInterval: .seconds(1)) == .seconds(8))
    }

    /// A view can lose members (a node rejoining under a new uid starts from its seeds' view); two of
    /// five nodes that see only each other are not a majority (found by the simulation).
    @Test func aViewThatForgotMembersIsNoQuorum() {
        let five = ["a", "b", "c", "d", "e"]
        var harness = Harness(nodes: five)
        harness.setView(["a": .up, "b": .up], at: ["a"])
        #expect(!harness.cores["a"]!.quorate)
        harness.feed(
            "a",
            .clientSubmit(
                clientID: 1, id: Harness.id(ownedBy: "a", over: ["a", "b"]), request: request, idempotencyKey: nil))
        harness.settle()
        guard case .unavailable = harness.submitAnswers[1] else {
            Issue.record("expected unavailable, got \(String(describing: harness.submitAnswers[1]))")
            return
        }
        // A member that left for good no longer counts.
        harness.setView(["a": .up, "b": .up, "c": .left, "d": .left, "e": .up], at: ["a"])
        #expect(harness.cores["a"]!.quorate)
    }

    @Test func cancellationStopsTheWorkOnEveryReplica() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        harness.feed("b", .clientCancel(clientID: 9, id: id, owner: "a"))
        harness.settle()
        #expect(harness.cancelAnswers[9] == .cancelled(id: id))
        for node in three { #expect(harness.record(id, on: node)?.status == .cancelled) }
        // Workers learn at their next renewal that the leases are gone, and stop.
        harness.advance(by: .seconds(1.1))
        let running = ["b", "c"].flatMap { harness.executed[$0] ?? [] }.map(\.key)
        let abandoned = ["b", "c"].flatMap { harness.abandoned[$0] ?? [] }
        #expect(!running.isEmpty && Set(abandoned) == Set(running))
        harness.feed("c", .clientCancel(clientID: 10, id: id, owner: "a"))
        harness.settle()
        #expect(harness.cancelAnswers[10] == .alreadyFinal(id: id))
    }

    @Test func finishedRecordsAreRemovedFromEveryReplicaAfterTheRetention() {
        var settings = SimAgents.settings()
        settings.retention = .seconds(10)
        var harness = Harness(nodes: three, settings: settings)
        let id = Harness.id(ownedBy: "a", over: three)
        harness.feed("a", .clientSubmit(clientID: 1, id: id, request: request, idempotencyKey: nil))
        harness.settle()
        harness.runAllTasks()
        #expect(harness.record(id, on: "b")?.status == .completed)
        harness.advance(by: .seconds(59), step: .milliseconds(500))
        #expect(three.allSatisfy { harness.record(id, on: $0) != nil })
        harness.advance(by: .seconds(2), step: .milliseconds(500))
        for node in three {
            #expect(harness.record(id, on: node) == nil)
            #expect(harness.cores[node]!.replica(id) == nil)
        }
    }

    @Test func anAgentThatKeepsThrowingIsRetriedThenTheAssessmentFails() {
        let id = Harness.id(ownedBy: "a", over: three)
        var harness = submitted(id)
        var attempts: [Int] = []
        harness.runTasks(rounds: 40, pause: .milliseconds(250)) { task, _ in
            guard task.key.agent == "analyst-1" else { return .succeed }
            attempts.append(task.key.attempt)
            return .fail
        }
        #expect(attempts == [1, 2, 3])
        let record = harness.record(id, on: "a")
        #expect(record?.status == .failed)
        #expect(record?.failure?.contains("analyst-1") == true)
        #expect(harness.cores["a"]!.counters.taskFailures == 3)
    }
}

@Suite struct BacklogLimitTests {
    let three = ["a", "b", "c"]
    let request = Data("assess this".utf8)

    func ids(ownedBy owner: String, count: Int) -> [String] {
        (0..<1_000).map { "backlog-\($0)" }.filter { Placement.rank($0, over: three).first == owner }
            .prefix(count).map { $0 }
    }

    /// At its limit the owner refuses new assessments without writing them, from whichever node the
    /// submission came; a repeat of an accepted one is still answered with it; a finished assessment
    /// frees its place.
    @Test func anOwnerAtItsBacklogLimitRefusesNewAssessmentsButNotRepeats() {
        var settings = SimAgents.settings()
        settings.backlogLimit = 2
        var harness = Harness(nodes: three, settings: settings)
        let owned = ids(ownedBy: "a", count: 4)
        harness.feed("a", .clientSubmit(clientID: 1, id: owned[0], request: request, idempotencyKey: nil))
        harness.feed("b", .clientSubmit(clientID: 2, id: owned[1], request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.submitAnswers[1] == .accepted(id: owned[0], existing: false))
        #expect(harness.submitAnswers[2] == .accepted(id: owned[1], existing: false))
        #expect(harness.cores["a"]!.backlog == 2)

        harness.feed("c", .clientSubmit(clientID: 3, id: owned[2], request: request, idempotencyKey: nil))
        harness.feed("a", .clientSubmit(clientID: 4, id: owned[1], request: request, idempotencyKey: "k"))
        harness.settle()
        guard case .busy(let reason) = harness.submitAnswers[3] else {
            Issue.record("expected busy, got \(String(describing: harness.submitAnswers[3]))")
            return
        }
        #expect(reason.contains("2 unfinished"))
        for node in three { #expect(harness.record(owned[2], on: node) == nil) }
        #expect(harness.submitAnswers[4] == .accepted(id: owned[1], existing: true))

        harness.runAllTasks()
        #expect(harness.cores["a"]!.backlog == 0)
        harness.feed("b", .clientSubmit(clientID: 5, id: owned[3], request: request, idempotencyKey: nil))
        harness.settle()
        #expect(harness.submitAnswers[5] == .accepted(id: owned[3], existing: false))
    }

    @Test func noLimitByDefault() {
        #expect(SimAgents.settings().backlogLimit == 0)
        var harness = Harness(nodes: three)
        for (index, id) in ids(ownedBy: "a", count: 5).enumerated() {
            harness.feed("a", .clientSubmit(clientID: UInt64(index), id: id, request: request, idempotencyKey: nil))
        }
        harness.settle()
        #expect(harness.submitAnswers.values.allSatisfy { if case .accepted = $0 { true } else { false } })
        #expect(harness.submitAnswers.count == 5)
    }
}
