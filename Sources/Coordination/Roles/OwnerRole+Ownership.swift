import FoundationEssentials
import Storage

/// Takeover, resumption and re-replication. Every change of a record's replica set goes through a
/// claim: promises from a majority of the last replica set, then a write of the next epoch. Two
/// claimants of one epoch cannot both collect a majority, so each epoch has one owner.
extension OwnerRole {
    /// At start: a final state this node wrote as owner just before it stopped may have reached no
    /// other replica, while they hold the record running and wait for this live owner (see
    /// docs/coordination.md, Restarts): those are claimed again. A write in flight at the stop is
    /// among the store's newest by far less than the 10 s allowed here; older ones were settled long
    /// ago, and claiming them back too (a minute's worth at first) slowed a long chaos run's recovery.
    mutating func loaded(_ summaries: [RecordSummary]) {
        let lastWrite = summaries.map(\.updatedAt).max() ?? .distantPast
        for summary in summaries
        where summary.status.isTerminal && summary.version.replicaSet.first == name
            && summary.updatedAt.addingTimeInterval(10) >= lastWrite
        {
            unsettled.insert(summary.id)
        }
    }

    /// Looks at every record `replica` stores: resume what this node owns but is not running (after a
    /// restart), take over records whose owner is gone, and restore missing replicas of records this
    /// node owns. First asks live owners about the records in `quiet` (`askOwners`).
    mutating func reconcile(_ replica: ReplicaRole, asking quiet: [String: [String]]) {
        var stillOrphaned: Set<String> = []
        // Unfinished records first. A finished one is only moved for durability, a few claims at a time:
        // a node's death must not bury the takeovers of running work under a claim for every record it
        // ever finished (a long chaos run timed out thousands of claims that way — promises carry whole
        // records, and a burst of them queued past the claim timeout, so they were all made again).
        var backgroundClaims = claims.keys.count { replica[$0]?.status.isTerminal == true }
        // Only records this node owns or whose owner is gone can need anything below; the rest (most
        // of a store: records of live owners) are passed over before sorting. This runs every second
        // over everything stored in the retention period, so it must not cost a sort of all of it.
        var order: [(finished: Int, id: String)] = []
        for (id, meta) in replica.records.all {
            guard let owner = meta.owner else { continue }
            if owner == name || !isAlive(owner) { order.append((meta.status.isTerminal ? 1 : 0, id)) }
        }
        order.sort { $0 < $1 }
        askOwners(about: quiet)
        for id in order.map(\.id) {
            guard let meta = replica[id], claims[id] == nil, creating[id] == nil else { continue }
            let replicaSet = meta.version.replicaSet
            guard let owner = replicaSet.first else { continue }
            let mayClaim = !meta.status.isTerminal || backgroundClaims < settings.backgroundClaimLimit
            defer { if meta.status.isTerminal, claims[id] != nil { backgroundClaims += 1 } }
            if owner == name {
                // A dead member is replaced when an up member can take its place (a set never shrinks).
                // A running record also grows back to the replication factor once more members are up
                // than when it was placed, or losing one more node could leave it no majority.
                // (Finished ones are left as they are: moving each of them costs a claim, for little.)
                let short = owned[id] != nil && replicaSet.count < min(settings.replicationFactor, upMembers.count)
                let moves =
                    (short || replicaSet.contains(where: { !isAlive($0) }))
                    && refilledReplicaSet(id, from: replicaSet) != replicaSet
                if let assessment = owned[id] {
                    if assessment.phase == .running, moves { reconfigure(id) }
                } else if mayClaim, !meta.status.isTerminal || moves || unsettled.contains(id) {
                    claim(id, meta: meta)
                }
            } else if !isAlive(owner), let claimant = replicaSet.first(where: isAlive) {
                if claimant == name {
                    if mayClaim { claim(id, meta: meta) }
                } else if !meta.status.isTerminal
                    || meta.updatedAt.addingTimeInterval(Double(settings.retention.components.seconds) / 2) > now.wall
                {
                    // (A final record near its removal is not sent: the copy would outlive the others.)
                    stillOrphaned.insert(id)
                    relayIfUnclaimed(id, to: claimant)
                }
            }
        }
        orphans = orphans.filter { stillOrphaned.contains($0.key) }
    }

    /// Only the first live replica claims a dead owner's record, and it may never have received it: a
    /// majority of owner and another replica acknowledged the write, then the owner died. Sending it
    /// this node's copy — what the owner itself wrote, as a late retry of its write would — lets it
    /// claim. Nothing is decided here, so no second claimant can fence the first. The copy goes out once
    /// the orphan outlived a reconcile interval (a normal takeover needs far less), then again only
    /// every few intervals: a claimant that has it but is slow must not be buried in copies.
    mutating func relayIfUnclaimed(_ id: String, to claimant: String) {
        guard let due = orphans[id] else {
            orphans[id] = now.uptime + settings.reconcileInterval
            return
        }
        guard now.uptime >= due else { return }
        orphans[id] = now.uptime + settings.reconcileInterval * 5
        emit(.readForRelay(id: id, to: claimant))
    }

    /// `asked`: the claimant asked for this record's final state (`ReplicaRole.finalAsked`).
    mutating func relay(
        _ id: String, to claimant: String, record: AssessmentRecord?, results: [AgentResult], asked: Bool
    ) {
        guard let record, orphans[id] != nil || (asked && record.status.isTerminal) else { return }
        if orphans[id] != nil {
            log(.info, "sending the record to \(claimant), which should claim it but has not", id: id)
        } else {
            log(.debug, "sending the final state to \(claimant), which missed it", id: id)
        }
        // A write id of this node's own that no pending write uses: the answer is dropped, unless it
        // is a final state this node lacks (`unaskedAnswer`).
        send(.write(ReplicaWrite(writeID: number(), record: record, results: results)), to: claimant)
    }

    /// Asks live owners whether unfinished records this node has heard nothing of for `quietCheck`
    /// (or since it started) finished. A replica that was down, paused or cut off when the final write
    /// went out missed it for good — the owner stops sending once a majority has it — and listings
    /// filtered by status showed the record running, while retention, which removes only finished
    /// records, kept it for ever (the simulation counted 52 such copies in 400 seeds without this).
    mutating func askOwners(about quiet: [String: [String]]) {
        for (owner, ids) in quiet.sorted(by: { $0.key < $1.key }) {
            send(.check(ids: ids.sorted()), to: owner)
        }
    }

    mutating func claim(_ id: String, meta: ReplicaMeta) {
        let epoch = meta.epoch + 1
        let claim = Claim(epoch: epoch, sets: meta.version.quorumSets, deadline: now.uptime + settings.claimTimeout)
        claims[id] = claim
        let moving = meta.version.leaving.isEmpty ? "" : " (moving from \(meta.version.leaving))"
        log(.info, "claiming epoch \(epoch) from \(meta.version.replicaSet.joined(separator: ", "))\(moving)", id: id)
        for voter in claim.voters where isAlive(voter) {
            send(.claim(id: id, epoch: epoch, basis: meta.version), to: voter)
        }
    }

    mutating func promiseReceived(
        _ id: String, epoch: Int, granted: Bool, record: AssessmentRecord?, results: [AgentResult],
        known: RecordVersion?, from voter: String, replica: ReplicaRole
    ) {
        if !granted, let meta = replica[id] {
            actions.append(.promisedElsewhere(id: id, epoch: epoch))
            // The voter knows a newer version: its replica set says who claims next (maybe not this
            // node), as after a deposition. Learnt even from a refusal that came after the claim ended.
            if let known, meta.version < known, owned[id] == nil {
                actions.append(.learnt(id: id, version: known, status: nil))
                unsettled.remove(id)
            }
        }
        guard var claim = claims[id] else { return }
        if !granted {
            claim.refused.insert(voter)
            if claim.lost {
                claims[id] = nil
                log(.info, "claim of epoch \(claim.epoch) refused", id: id)
            } else {
                claims[id] = claim
            }
            return
        }
        guard epoch == claim.epoch else { return }
        // A voter holds a newer version that needs majorities of other sets than this claim's (most
        // often a move that has ended since: fewer sets). Learn it and claim again from those: waiting
        // here for a majority of a set the record has left could wait until its dead members return.
        // (Not over a final state held here: that one wins whatever its version, and a status learnt
        // back to running would let this replica take running writes over it, found by review.)
        if let record, let meta = replica[id], meta.version < record.recordVersion,
            !meta.status.isTerminal || record.status.isTerminal,
            record.recordVersion.quorumSets != claim.sets, owned[id] == nil
        {
            actions.append(.learnt(id: id, version: record.recordVersion, status: record.status))
            claims[id] = nil
            log(.info, "claim of epoch \(claim.epoch) dropped: \(voter) holds a newer version on other sets", id: id)
            return
        }
        claim.granted[voter] = (record, results)
        claims[id] = claim
        guard claim.won else { return }
        claims[id] = nil
        takeOver(id, claim: claim, replica: replica)
    }

    /// A majority promised: merge what they hold and write the next epoch to the new replica set.
    mutating func takeOver(_ id: String, claim: Claim, replica: ReplicaRole) {
        let held = claim.granted.values.compactMap(\.record)
        // A final state wins over any running one, whatever its epoch: once an assessment has ended,
        // nothing may bring it back (two lineages of one id can exist after an idempotent retry).
        guard var record = held.max(by: { $0.finality < $1.finality }) else {
            log(.warning, "no replica holds a record; nothing to take over", id: id)
            return
        }
        var results: [String: AgentResult] = [:]
        for voter in claim.granted.keys.sorted() {
            for result in claim.granted[voter]?.results ?? [] where results[result.agent] == nil {
                results[result.agent] = result
            }
        }
        // The promises show a newer version on replica sets this claim did not go to: this node's view
        // of the record was stale, and a majority of an old replica set need not intersect the
        // majority holding the newest writes (the simulation resurrected a completed record that way).
        // Learn the newer sets and let the next reconcile claim from them.
        if let stale = replica[id], stale.version < record.recordVersion,
            !record.recordVersion.quorumSets.allSatisfy(claim.sets.contains)
        {
            actions.append(.learnt(id: id, version: record.recordVersion, status: record.status))
            log(.info, "claim went to a stale replica set; the record lives on \(record.replicaSet) now", id: id)
            return
        }
        let previousOwner = record.replicaSet.first
        record.replicaSet = refilledReplicaSet(id, from: claim.sets[0])
        // The move is on its way until a majority of every set it was claimed from has it too.
        record.leaving = claim.sets.filter { $0 != record.replicaSet }
        record.epoch = claim.epoch
        if previousOwner != name { counters.takeovers += 1 }
        var tasks: [String: TaskSlot] = [:]
        for agent in settings.allAgents {
            var slot = TaskSlot()
            let progress = record.progress.agents.first { $0.agent == agent }
            slot.attempt = progress?.attempt ?? 0
            if let result = results[agent] {
                // Progress says who ran a finished agent; the result knows, even if progress was not flushed.
                slot.state = .succeeded
                slot.node = result.node
                slot.attempt = max(slot.attempt, result.attempt)
                slot.startedAt = progress?.startedAt
                slot.finishedAt = progress?.finishedAt ?? result.recordedAt
            }
            tasks[agent] = slot
        }
        unsettled.remove(id)
        owned[id] = OwnedAssessment(record: record, results: results, tasks: tasks)
        log(
            .notice,
            "took over at epoch \(claim.epoch) from \(previousOwner ?? "nobody"); replicas "
                + record.replicaSet.joined(separator: ", ") + "; \(results.count) results kept", id: id)
        startWrite(id, purpose: .reconfigure, results: results.values.sorted { $0.agent < $1.agent })
    }

    /// A live owner whose replica set lost a member: write the record, with every result, to a new set.
    mutating func reconfigure(_ id: String) {
        guard var assessment = owned[id] else { return }
        let replicaSet = refilledReplicaSet(id, from: assessment.record.replicaSet)
        guard replicaSet != assessment.record.replicaSet else { return }
        // From the sets the last committed move left, not from one still short of its majorities.
        if assessment.record.leaving.isEmpty { assessment.record.leaving = [assessment.record.replicaSet] }
        assessment.record.replicaSet = replicaSet
        assessment.record.leaving.removeAll { $0 == replicaSet }
        owned[id] = assessment
        log(.info, "re-replicating to \(replicaSet.joined(separator: ", "))", id: id)
        startWrite(id, purpose: .reconfigure, results: assessment.results.values.sorted { $0.agent < $1.agent })
    }

    /// The new epoch (or replica set) is on a majority: results in it count, and the work goes on.
    /// `leftSets`: the move's write named sets it was leaving, which the stored copies keep until a
    /// later write says the move is over.
    mutating func resumeAfterReconfiguration(_ id: String, leftSets: Bool) {
        guard var assessment = owned[id] else { return }
        if assessment.record.status.isTerminal {
            if assessment.phase != .finishing, !leftSets {
                owned[id] = nil
                log(.info, "kept \(assessment.record.status.rawValue) record on its new replica set", id: id)
            } else if !hasPendingFinalWrite(id) {
                // A finished record moved: its final state is written once more, naming no set it
                // leaves, or every later claim would still have to reach the old set as well.
                owned[id]?.phase = .finishing
                writeFinalWhenSettled(id)
            }
            return
        }
        if assessment.phase == .starting { assessment.phase = .running }
        // The stored copies name the sets the move left until the next write: make one soon, as a
        // claim from such a copy needs a majority of those sets too, which a second death could take.
        if leftSets { assessment.progressDirty = true }
        owned[id] = assessment
        if assessment.phase == .running {
            startJournalWrite(id)
            advance(id)
        }
    }

    /// Claims that collected no majority in time are dropped; the next reconcile may try again.
    mutating func expireClaims() {
        // In id order: a dictionary's order differs between two runs of one seed, and so would the trace.
        for (id, claim) in claims.sorted(by: { $0.key < $1.key }) where claim.deadline <= now.uptime {
            claims[id] = nil
            log(.info, "claim of epoch \(claim.epoch) timed out", id: id)
        }
    }

    /// The replica set this node leads after a move: itself, the members of `previous` still alive
    /// (in their order), then the best-ranked up members, up to the replication factor. A set never
    /// shrinks for want of up members: a dead member keeps its place until one can take it, or a
    /// set cut to two would be stuck for good by the loss of one more node (its majority is both), as
    /// the simulation found when it lost a node for good.
    func refilledReplicaSet(_ id: String, from previous: [String]) -> [String] {
        let survivors = previous.filter { $0 != name && isAlive($0) }
        let fill = Placement.rank(id, over: upMembers.filter { $0 != name && !survivors.contains($0) })
        let size = min(settings.replicationFactor, upMembers.count)
        var replicaSet = Array(([name] + survivors + fill).prefix(max(1, size)))
        let kept = min(settings.replicationFactor, previous.count)
        for member in previous where replicaSet.count < kept && !replicaSet.contains(member) {
            replicaSet.append(member)
        }
        return replicaSet
    }
}
