import FoundationEssentials
import Storage

/// The owner's side of the work: place tasks under leases, collect results, requeue, finish.
extension OwnerRole {
    /// Finishes the assessment once the final agent's result is in; otherwise places what may run
    /// now, in the order of `placeAllWaiting` (older assessments' analysts first, and the final agent,
    /// which needs no room, at once).
    mutating func advance(_ id: String) {
        guard let assessment = owned[id], assessment.phase == .running else { return }
        let analystsDone = analystsHaveResults(assessment)
        if analystsDone, assessment.tasks[settings.finalAgent]?.state == .succeeded,
            let report = assessment.results[settings.finalAgent]
        {
            finish(id, status: .completed, failure: nil, report: report.payload)
            return
        }
        placeAllWaiting()
    }

    /// Every assessment's waiting tasks, oldest assessment first, while workers have room (a final
    /// agent, which runs on this node whatever its load, is placed in any case): run when room
    /// appears (a task ended, a lease went back to the queue, a worker reported) and every tick.
    mutating func placeAllWaiting() {
        guard hasQuorum else { return }
        var waiting: [(createdAt: Date, id: String)] = []
        for (id, assessment) in owned where assessment.phase == .running && hasPlaceableTask(assessment) {
            waiting.append((assessment.record.createdAt, id))
        }
        guard !waiting.isEmpty else { return }
        var loads = workerLoads()
        var roomLeft = true
        for (_, id) in waiting.sorted(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }) {
            if !placeWaiting(id, loads: &loads, analysts: roomLeft) { roomLeft = false }
        }
    }

    /// A task of the assessment may go to a worker now: an analyst waiting past its back-off, or the
    /// final agent once the analysts' results are in. (The final agent waits from the start; counting
    /// it would send every running assessment through placement on every call.)
    func hasPlaceableTask(_ assessment: OwnedAssessment) -> Bool {
        var finalWaits = false
        for (agent, slot) in assessment.tasks {
            guard case .waiting(let notBefore) = slot.state, notBefore <= now.uptime else { continue }
            if agent != settings.finalAgent { return true }
            finalWaits = true
        }
        return finalWaits && analystsHaveResults(assessment)
    }

    /// Places what the workers can start soon of one assessment's waiting tasks (`chooseWorker`), its
    /// analysts only when `analysts`; the rest wait here. Returns false once no worker had room. Only
    /// `placeAllWaiting` calls it, having checked the quorum.
    private mutating func placeWaiting(_ id: String, loads: inout [String: Int], analysts: Bool) -> Bool {
        guard var assessment = owned[id], assessment.phase == .running else { return true }
        let analystsDone = analystsHaveResults(assessment)
        var batches: [String: [AssignmentBatch.Placed]] = [:]
        var roomLeft = true
        for agent in settings.allAgents {
            guard var slot = assessment.tasks[agent], case .waiting(let notBefore) = slot.state,
                notBefore <= now.uptime
            else { continue }
            if agent == settings.finalAgent ? !analystsDone : !analysts { continue }
            // The final agent runs where its inputs are: the ten results need not travel to a worker,
            // nor the report back (it is the largest payload of all).
            let chosen = agent == settings.finalAgent && !draining ? name : chooseWorker(loads: loads)
            guard let holder = chosen else {
                roomLeft = false
                break
            }
            // This assessment's leases reach `owned` after the loop; `loads` counts them meanwhile.
            loads[holder, default: 0] += 1
            slot.attempt += 1
            slot.node = holder
            slot.startedAt = now.wall
            slot.finishedAt = nil
            slot.state = .leased(holder: holder, expires: now.uptime + settings.leaseTTL)
            assessment.tasks[agent] = slot
            let key = TaskKey(assessmentID: id, agent: agent, attempt: slot.attempt, epoch: assessment.record.epoch)
            let inputs =
                agent == settings.finalAgent
                ? settings.analysts.compactMap { assessment.results[$0] } : []
            counters.tasksAssigned += 1
            batches[holder, default: []].append(AssignmentBatch.Placed(key: key, inputs: inputs))
        }
        guard !batches.isEmpty else { return roomLeft }
        owned[id] = assessment
        refreshProgress(id)
        for holder in batches.keys.sorted() {
            send(
                .assign(AssignmentBatch(owner: name, request: assessment.record.request, tasks: batches[holder]!)),
                to: holder)
        }
        return roomLeft
    }

    /// Every analyst's result is in, journaled or on its way to be: the report generator may run. The
    /// results not yet journaled go with the final write (`finish`), together with the report made
    /// from them.
    func analystsHaveResults(_ assessment: OwnedAssessment) -> Bool {
        settings.analysts.allSatisfy { agent in
            switch assessment.tasks[agent]?.state {
            case .succeeded, .journaling: true
            default: false
            }
        }
    }

    /// Late binding, local first (Ray's default policy and Sparrow's late binding, docs/coordination.md,
    /// "Leases"): a task goes to this owner's own worker while that holds less than two rounds
    /// (`workerConcurrency` tasks each: the ones running and the next), else to the lighter of two
    /// random other members if that one has a free slot, else nowhere yet: it waits here for room
    /// (`placeAllWaiting`). Moving work to a busy member gains no throughput, only an assignment and
    /// a result crossing the network, and work bound early to a queue stays there when other workers
    /// go idle. `loads` are `workerLoads()` and the tasks placed since.
    mutating func chooseWorker(loads: [String: Int]) -> String? {
        if !draining, upMembers.contains(name), loads[name, default: 0] < 2 * settings.workerConcurrency {
            return name
        }
        let others = upMembers.filter { node in
            node != name && (refusedUntil[node].map { $0 <= now.uptime } ?? true)
        }
        guard let remote = lighterOfTwo(others, loads: loads) else { return nil }
        return loads[remote, default: 0] < settings.workerConcurrency ? remote : nil
    }

    mutating func lighterOfTwo(_ candidates: [String], loads: [String: Int]) -> String? {
        guard candidates.count > 1 else { return candidates.first }
        let first = Int(rng.next() % UInt64(candidates.count))
        var second = Int(rng.next() % UInt64(candidates.count - 1))
        if second >= first { second += 1 }
        let a = candidates[first]
        let b = candidates[second]
        return loads[a, default: 0] <= loads[b, default: 0] ? a : b
    }

    /// The tasks each worker holds that this owner counts: its leases there, and what the worker
    /// holds for other owners — as the worker last reported it, or as this node's worker holds it
    /// now. A worker leaves the owner's own tasks out of what it reports to it
    /// (`WorkerRole.load(besides:)`), so that none is counted twice. A report older than half a
    /// lease counts as nothing: a worker that holds this owner's tasks renews them every third of a
    /// lease, and one that holds none would otherwise never be tried again once it reported busy.
    func workerLoads() -> [String: Int] {
        var loads: [String: Int] = [:]
        for (node, report) in reportedLoad where now.uptime - report.at < settings.leaseTTL / 2 {
            loads[node] = report.load
        }
        loads[name] = workerLoad
        // A finishing assessment's leases were revoked at its workers, which hold those tasks no more.
        for assessment in owned.values where assessment.phase == .running {
            for slot in assessment.tasks.values {
                if case .leased(let holder, _) = slot.state { loads[holder, default: 0] += 1 }
            }
        }
        return loads
    }

    mutating func taskFinished(_ key: TaskKey, _ outcome: TaskOutcome, load: Int, from workerNode: String) {
        reportedLoad[workerNode] = (load, now.uptime)
        // The task's slot is free now: waiting tasks of any assessment may take it.
        defer { placeAllWaiting() }
        let id = key.assessmentID
        guard var assessment = owned[id], assessment.record.epoch == key.epoch,
            var slot = assessment.tasks[key.agent]
        else { return }
        switch outcome {
        case .succeeded(let digest, let payload):
            if let first = assessment.results[key.agent] {
                if first.digest != digest {
                    counters.determinismFaults += 1
                    log(
                        .error,
                        "determinism fault: \(key.agent) attempt \(key.attempt) on \(workerNode) differs from "
                            + "attempt \(first.attempt) on \(first.node); the first result stands", id: id)
                }
                return
            }
            guard assessment.phase == .running || assessment.phase == .starting else { return }
            let result = AgentResult(
                assessmentID: id, agent: key.agent, attempt: key.attempt, digest: digest, payload: payload,
                node: workerNode, recordedAt: now.wall)
            assessment.results[key.agent] = result
            slot.node = workerNode
            slot.finishedAt = now.wall
            if key.agent == settings.finalAgent {
                // Not journaled on its own: the final write carries it as the report, and until that
                // write is on a majority the assessment is not complete (a new owner runs it again).
                slot.state = .succeeded
                assessment.tasks[key.agent] = slot
                owned[id] = assessment
                advance(id)
                return
            }
            slot.state = .journaling
            assessment.tasks[key.agent] = slot
            if assessment.oldestUnjournaled == nil { assessment.oldestUnjournaled = now.uptime }
            owned[id] = assessment
            refreshProgress(id)
            startJournalWrite(id)
        case .threw(let message):
            guard case .leased(_, _) = slot.state, slot.attempt == key.attempt else { return }
            slot.failures += 1
            slot.finishedAt = now.wall
            counters.taskFailures += 1
            if slot.failures >= settings.maxAttempts {
                assessment.tasks[key.agent] = slot
                owned[id] = assessment
                log(.warning, "\(key.agent) failed \(slot.failures) times; last: \(message)", id: id)
                finish(
                    id, status: .failed,
                    failure: "agent \(key.agent) failed after \(slot.failures) attempts: \(message)", report: nil)
                return
            }
            slot.state = .waiting(notBefore: now.uptime + settings.backoff(afterFailures: slot.failures))
            assessment.tasks[key.agent] = slot
            owned[id] = assessment
            log(.notice, "\(key.agent) attempt \(key.attempt) threw on \(workerNode): \(message); will retry", id: id)
        }
    }

    /// Writes the results waiting to be journaled, unless a journal write is on its way already (they
    /// go with the next one, once that write is answered), or other analysts are still out and the
    /// oldest waiting result is younger than `journalLinger` (they go with those, or at the next tick
    /// past the linger), or no analyst is out: then the report generator runs on them at once and
    /// they go with the final write (docs/coordination.md, "Results").
    mutating func startJournalWrite(_ id: String) {
        guard let assessment = owned[id], assessment.journalWrite == nil else { return }
        // Once the final state is on its way nothing waits to be written (a journal write would carry it).
        let waiting =
            assessment.phase == .finishing
            ? []
            : settings.analysts.compactMap { agent in
                assessment.tasks[agent]?.state == .journaling ? assessment.results[agent] : nil
            }
        guard !waiting.isEmpty else {
            owned[id]?.oldestUnjournaled = nil
            return
        }
        // No analyst out: the report generator starts on them now, and the final write carries them.
        guard !analystsHaveResults(assessment) else {
            owned[id]?.oldestUnjournaled = nil
            return
        }
        if let since = assessment.oldestUnjournaled, now.uptime - since < settings.journalLinger {
            return
        }
        let writeID = startWrite(id, purpose: .journal, results: waiting)
        owned[id]?.journalWrite = writeID
        owned[id]?.oldestUnjournaled = nil
    }

    /// Results that lingered long enough go now.
    mutating func flushJournals() {
        for id in owned.keys.filter({ owned[$0]?.oldestUnjournaled != nil }).sorted() { startJournalWrite(id) }
    }

    /// A write carrying results is on its majorities: those results count (and no others: one that
    /// arrived after the write left waits for a write of its own).
    mutating func journaled(_ id: String, results: [AgentResult]) {
        guard var assessment = owned[id] else { return }
        var counted = false
        for result in results where assessment.tasks[result.agent]?.state == .journaling {
            assessment.tasks[result.agent]?.state = .succeeded
            counted = true
        }
        owned[id] = assessment
        if counted { refreshProgress(id) }
    }

    mutating func refused(_ key: TaskKey, by workerNode: String) {
        refusedUntil[workerNode] = now.uptime + settings.refusalQuarantine
        let id = key.assessmentID
        guard var assessment = owned[id], var slot = assessment.tasks[key.agent], slot.attempt == key.attempt,
            case .leased(let holder, _) = slot.state, holder == workerNode
        else { return }
        slot.state = .waiting(notBefore: now.uptime)
        assessment.tasks[key.agent] = slot
        owned[id] = assessment
        placeAllWaiting()
    }

    mutating func renewReceived(_ keys: [TaskKey], load: Int, from workerNode: String) {
        reportedLoad[workerNode] = (load, now.uptime)
        var revoked: [TaskKey] = []
        for key in keys {
            guard var assessment = owned[key.assessmentID], assessment.record.epoch == key.epoch,
                assessment.phase == .running, var slot = assessment.tasks[key.agent], slot.attempt == key.attempt,
                case .leased(let holder, _) = slot.state, holder == workerNode
            else {
                revoked.append(key)
                continue
            }
            slot.state = .leased(holder: holder, expires: now.uptime + settings.leaseTTL)
            assessment.tasks[key.agent] = slot
            owned[key.assessmentID] = assessment
        }
        if !revoked.isEmpty { send(.renewed(revoked: revoked), to: workerNode) }
        placeAllWaiting()
    }

    /// Leases not renewed in time: the holder hangs or is cut off. Requeue with the next attempt.
    mutating func expireLeases() {
        for id in owned.keys.sorted() {
            guard var assessment = owned[id], assessment.phase == .running else { continue }
            var expired: [String] = []
            for (agent, slot) in assessment.tasks {
                guard case .leased(let holder, let expires) = slot.state, expires <= now.uptime else { continue }
                assessment.tasks[agent]?.state = .waiting(notBefore: now.uptime)
                expired.append(agent)
                // A holder that stopped renewing (paused, hung, cut off) still looks up to membership
                // for a while; without this it could be handed the requeued task straight back.
                if holder != name { lostUntil[holder] = now.uptime + settings.lostPeerQuarantine }
            }
            if !expired.isEmpty {
                counters.leaseExpiries += expired.count
                counters.requeues += expired.count
                owned[id] = assessment
                log(.notice, "lease expired for \(expired.sorted().joined(separator: ", ")); requeued", id: id)
            }
        }
        // Requeued tasks, tasks whose backoff ended and tasks that waited for room.
        placeAllWaiting()
    }

    /// Writes the final state; leases still out are revoked at once.
    mutating func finish(_ id: String, status: AssessmentStatus, failure: String?, report: Data?) {
        guard var assessment = owned[id], assessment.phase != .finishing, !assessment.record.status.isTerminal else {
            return
        }
        revokeLeases(of: assessment)
        assessment.phase = .finishing
        assessment.record.status = status
        assessment.record.failure = failure
        assessment.record.report = report
        settleUnjournaledResults(&assessment)
        owned[id] = assessment
        refreshProgress(id)
        switch status {
        case .completed: counters.completed += 1
        case .failed: counters.failed += 1
        case .cancelled: counters.cancelled += 1
        case .pending, .running: break
        }
        writeFinalWhenSettled(id)
    }

    /// Analysts whose results no journal write carried are done: the report made of them is what the
    /// final write stores, and nothing reads a finished assessment's results (docs/coordination.md,
    /// "Results"), so they are written nowhere. A cancellation leaves them as they are.
    func settleUnjournaledResults(_ assessment: inout OwnedAssessment) {
        guard assessment.record.status != .cancelled else { return }
        for agent in settings.analysts where assessment.tasks[agent]?.state == .journaling {
            assessment.tasks[agent]?.state = .succeeded
        }
    }

    /// A final state is written only to a replica set a move has committed to. Written while a move is
    /// short of its majorities, it would sit, final to any reader, on a majority of the new set but not
    /// of the old, where a claimant that knows only the old set would not see it and could end the
    /// assessment otherwise (docs/coordination.md, Moves: a cancel on the new set's majority,
    /// then a completion by a claimant from the old one). The move is written on first; the final
    /// state follows once it has committed (`resumeAfterReconfiguration`).
    mutating func writeFinalWhenSettled(_ id: String) {
        guard let assessment = owned[id], assessment.phase == .finishing else { return }
        guard assessment.record.leaving.isEmpty else {
            log(.info, "final state waits for the move to \(assessment.record.replicaSet) to commit", id: id)
            return
        }
        startWrite(id, purpose: .final, results: [])
    }

    /// Recomputes the record's progress from the task table (written with the next write).
    mutating func refreshProgress(_ id: String) {
        guard var assessment = owned[id] else { return }
        var agents: [AgentProgress] = []
        var done = 0
        for agent in settings.allAgents {
            guard let slot = assessment.tasks[agent] else { continue }
            let state: AgentProgress.State
            switch slot.state {
            case .waiting: state = slot.failures >= settings.maxAttempts ? .failed : .waiting
            case .leased: state = .running
            // Its result is in; clients need not see the write that journals it.
            case .journaling, .succeeded:
                state = .succeeded
                done += 1
            }
            agents.append(
                AgentProgress(
                    agent: agent, state: state, attempt: slot.attempt, node: slot.node, startedAt: slot.startedAt,
                    finishedAt: slot.finishedAt))
        }
        let analystsDone = analystsHaveResults(assessment)
        let step: String
        switch assessment.record.status {
        case .completed, .failed, .cancelled: step = assessment.record.status.rawValue
        case .pending, .running:
            step =
                analystsDone
                ? settings.finalAgent : (done == 0 && agents.allSatisfy { $0.attempt == 0 } ? "queued" : "analysis")
        }
        if assessment.record.status == .pending, agents.contains(where: { $0.attempt > 0 }) {
            assessment.record.status = .running
        }
        let percent = assessment.record.status == .completed ? 100 : done * 100 / max(1, settings.allAgents.count)
        assessment.record.progress = AssessmentProgress(percent: percent, currentStep: step, agents: agents)
        assessment.progressDirty = true
        owned[id] = assessment
    }

    /// Placement changes are written in batches so a client sees which node runs what, without a
    /// replicated write per assignment.
    mutating func flushProgress() {
        for id in owned.keys.sorted() {
            guard let assessment = owned[id], assessment.progressDirty, assessment.phase == .running,
                now.uptime - assessment.lastWrite >= settings.progressFlush
            else { continue }
            startWrite(id, purpose: .progress, results: [])
        }
    }

    /// Tells every holder of a lease of `assessment` that it is no longer theirs, now rather than at
    /// their next renewal, so the workers stop within a round trip.
    mutating func revokeLeases(of assessment: OwnedAssessment) {
        let id = assessment.record.id
        for agent in settings.allAgents {
            guard let slot = assessment.tasks[agent], case .leased(let holder, _) = slot.state else { continue }
            let key = TaskKey(assessmentID: id, agent: agent, attempt: slot.attempt, epoch: assessment.record.epoch)
            send(.renewed(revoked: [key]), to: holder)
        }
    }
}
