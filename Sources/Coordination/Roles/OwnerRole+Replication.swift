import FoundationEssentials
import Storage

/// Writes from an owner to its replica set, acknowledged by a majority before they count.
extension OwnerRole {
    /// Bumps the owned record's version and sends it, with `results`, to every member of its replica set.
    @discardableResult
    mutating func startWrite(_ id: String, purpose: PendingWrite.Purpose, results: [AgentResult]) -> UInt64? {
        guard var assessment = owned[id] else { return nil }
        assessment.record.version += 1
        if purpose == .reconfigure { assessment.lastMove = assessment.record.version }
        assessment.record.updatedAt = now.wall
        assessment.progressDirty = false
        assessment.lastWrite = now.uptime
        owned[id] = assessment
        let write = ReplicaWrite(writeID: number(), record: assessment.record, results: results)
        // While a move is short of its majorities, every write goes to the sets it leaves too.
        let targets = assessment.record.recordVersion.quorumSets.members
        let pending = PendingWrite(write: write, purpose: purpose, targets: targets, sentAt: now.uptime)
        writes[write.writeID] = pending
        for target in targets where target != name || mayApplyHere(pending) { deliver(write, to: target) }
        return write.writeID
    }

    /// A final state goes to this node's own store only once the other replicas' answers make a
    /// majority with it: its own answer comes last, which is one of the orders the protocol already
    /// allows. An owner cut off from the others may have been deposed without knowing it (the test
    /// `anOwnerCutOffKeepsItsFinalStateOutOfItsOwnStoreUntilAnotherReplicaHasIt`): the new owner
    /// cancelled the assessment and said so, then the old one, partitioned away, completed it in its
    /// own store, where its readers would have seen it.
    /// (A move is not held back: the record it writes names the sets it leaves, so whoever reads it
    /// after a restart claims from those too; see `AssessmentRecord.leaving`.)
    func mayApplyHere(_ pending: PendingWrite) -> Bool {
        pending.purpose != .final || pending.hasQuorum(countingAlso: name)
    }

    /// Sends `write` to `target`: to a replica that acknowledged a write of this epoch
    /// (`OwnedAssessment.holdsRecord`), without the request, and to another node as a change of the
    /// last version sent there when it can be one (`OwnedAssessment.sentTo`; docs/coordination.md,
    /// "Writes as changes"). A write to this node itself goes through the core's routing to its
    /// replica role, like any other, but whole: it crosses no network, its store need not read what
    /// it holds to apply it, and the streams following the assessment here are woken with it.
    mutating func deliver(_ write: ReplicaWrite, to target: String) {
        let id = write.record.id
        guard let assessment = owned[id], assessment.record.epoch == write.record.epoch else {
            send(.write(write), to: target)
            return
        }
        let held = assessment.holdsRecord.contains(target)
        let sent = assessment.sentTo[target]
        if write.record.version > sent?.version ?? 0 { owned[id]?.sentTo[target] = write.record }
        let change = held && target != name ? sent.flatMap { write.change(since: $0) } : nil
        send(.write(change ?? (held ? write.withoutRequest : write)), to: target)
    }

    /// A write of `version` was stored by this node's replica: if this node thought it owned the
    /// assessment under an older epoch, it no longer does.
    mutating func stored(_ id: String, version: RecordVersion, replica: ReplicaRole) {
        if version.replicaSet.first != name { unsettled.remove(id) }
        if let mine = owned[id], mine.record.epoch < version.epoch { depose(id, by: version, replica: replica) }
    }

    /// This node's replica promised `epoch` to `claimant`: an owner of an older epoch here steps down.
    mutating func promised(_ id: String, epoch: Int, to claimant: String, replica: ReplicaRole) {
        guard claimant != name, let mine = owned[id], mine.record.epoch < epoch else { return }
        depose(id, by: RecordVersion(epoch: epoch, version: 0, replicaSet: [claimant]), replica: replica)
    }

    mutating func writeAnswered(
        _ writeID: UInt64, id: String, _ answer: WriteAnswer, from sender: String, replica: ReplicaRole
    ) {
        guard var pending = writes[writeID] else {
            unaskedAnswer(id, answer, replica: replica)
            return
        }
        switch answer {
        case .accepted:
            let heldBack = pending.targets.contains(name) && !mayApplyHere(pending)
            pending.acked.insert(sender)
            if owned[id]?.record.epoch == pending.write.record.epoch { owned[id]?.holdsRecord.insert(sender) }
            writes[writeID] = pending
            if heldBack, mayApplyHere(pending) { deliver(pending.write, to: name) }
            if !pending.quorumReached && pending.hasQuorum {
                writes[writeID]?.quorumReached = true
                quorumReached(pending)
            }
            if pending.acked.count == pending.targets.count { writes[writeID] = nil }
        case .deposed(let newer):
            writes[writeID] = nil
            depose(id, by: newer, replica: replica)
        case .fenced(let promised):
            writes[writeID] = nil
            actions.append(.promisedElsewhere(id: id, epoch: promised))
            // Stop, and let reconcile claim the next epoch: this node is still the owner its records
            // name, so unless the claimant finishes first, it wins the assessment back — even when
            // the write was a final state, which may now be on this node alone.
            depose(id, by: nil, fencedAt: promised, replica: replica)
            unsettled.insert(id)
        case .final(let stored):
            // The write stays pending for the other replicas: if it is a move, the final state is
            // written once it has committed.
            adoptFinal(stored)
        case .incomplete:
            // The replica holds no copy to apply it to, or not the version a change was made against
            // (it missed the writes that would have given it one): the whole record goes now.
            owned[id]?.holdsRecord.remove(sender)
            owned[id]?.sentTo[sender] = nil
            deliver(pending.write, to: sender)
        case .failed(let reason):
            owned[id]?.holdsRecord.remove(sender)
            owned[id]?.sentTo[sender] = nil
            log(
                .warning, "replica \(sender) could not store version \(pending.write.record.version): \(reason)",
                id: id)
        }
    }

    /// The answer to a write no longer pending, or to a copy this node relayed to a dead owner's
    /// claimant (`relay`). A replica that holds the record finished answers with its final state: if
    /// this node holds it unfinished and does not own it, that state is stored like a late final write
    /// (fencing applies). A claimant that took over and finished while this node was cut off would
    /// otherwise be sent this node's stale copy for ever, and this node would keep it unfinished.
    mutating func unaskedAnswer(_ id: String, _ answer: WriteAnswer, replica: ReplicaRole) {
        guard case .final(let stored) = answer, stored.id == id, owned[id] == nil,
            replica[id]?.status.isTerminal == false
        else { return }
        deliver(ReplicaWrite(writeID: number(), record: stored, results: []), to: name)
    }

    mutating func quorumReached(_ pending: PendingWrite) {
        let id = pending.write.record.id
        guard owned[id] != nil, owned[id]?.record.epoch == pending.write.record.epoch else { return }
        switch pending.purpose {
        case .create:
            owned[id]?.phase = .running
            counters.submissionsAccepted += 1
            for waiter in creating.removeValue(forKey: id) ?? [] {
                answerSubmit(waiter, .accepted(id: id, existing: false))
            }
            log(.info, "accepted on \(pending.acked.sorted().joined(separator: ", "))", id: id)
            placeAllWaiting()
        case .journal:
            if owned[id]?.journalWrite == pending.write.writeID { owned[id]?.journalWrite = nil }
            journaled(id, results: pending.write.results)
            startJournalWrite(id)
            advance(id)
        case .progress:
            break
        case .final:
            if !pending.write.record.leaving.isEmpty, owned[id] != nil {
                // On every set's majority now (see `adoptFinal`): once more, naming no set it leaves.
                owned[id]?.record.leaving = []
                startWrite(id, purpose: .final, results: [])
                return
            }
            guard let assessment = owned.removeValue(forKey: id) else { return }
            // (A final state adopted from a replica may not be the cancellation they asked for.)
            let answer: CancelAnswer =
                assessment.record.status == .cancelled ? .cancelled(id: id) : .alreadyFinal(id: id)
            for waiter in assessment.cancelWaiters { answerCancel(waiter, answer) }
            log(.info, "\(assessment.record.status.rawValue) (version \(assessment.record.version))", id: id)
        case .reconfigure:
            if pending.write.record.version > owned[id]?.reconfiguredAt ?? 0, var assessment = owned[id] {
                assessment.reconfiguredAt = pending.write.record.version
                // Only the last move's commit ends the move. An earlier one's leaves the sets as they
                // are: copies of the later move, stored on a minority, name the sets it left, and a
                // claimant holding one collects majorities of those; writes must keep reaching them
                // (a review found the hole: with the committed set named instead, a third move could
                // commit and complete the assessment out of sight of such a claimant).
                if assessment.reconfiguredAt >= assessment.lastMove { assessment.record.leaving = [] }
                owned[id] = assessment
            }
            journaled(id, results: pending.write.results)
            resumeAfterReconfiguration(id, leftSets: !pending.write.record.leaving.isEmpty)
        }
    }

    /// A replica holds a newer epoch: another node owns this assessment now. Stop acting for it.
    /// `fencedAt`: no newer version is known, only that a replica promised that epoch.
    mutating func depose(_ id: String, by newer: RecordVersion?, fencedAt promised: Int = 0, replica: ReplicaRole) {
        if let newer, let meta = replica[id], meta.version < newer {
            actions.append(.learnt(id: id, version: newer, status: nil))
            unsettled.remove(id)
        }
        guard let assessment = owned.removeValue(forKey: id) else { return }
        counters.depositions += 1
        for waiter in creating.removeValue(forKey: id) ?? [] {
            answerSubmit(waiter, .unavailable("ownership of \(id) moved during submission; retry"))
        }
        for waiter in assessment.cancelWaiters {
            answerCancel(waiter, .unavailable("ownership of \(id) moved; retry"))
        }
        log(
            .notice,
            "deposed at epoch \(assessment.record.epoch) by epoch \(newer?.epoch ?? max(promised, replica[id]?.epoch ?? 0))",
            id: id)
    }

    /// Sends unacknowledged writes again to replicas that are alive; drops those nobody can finish.
    mutating func retryWrites() {
        for writeID in writes.keys.sorted() {
            guard var pending = writes[writeID] else { continue }
            let id = pending.write.record.id
            // The owner moved on (finished, deposed, or a new epoch): nothing waits for this write.
            guard let current = owned[id], current.record.epoch == pending.write.record.epoch else {
                writes[writeID] = nil
                continue
            }
            let missing = pending.targets.filter { !pending.acked.contains($0) && isAlive($0) }
            if pending.quorumReached {
                // Counted already; the stragglers catch up through later writes or re-replication.
                if missing.isEmpty || current.record.version > pending.write.record.version + 4 {
                    writes[writeID] = nil
                    continue
                }
            } else if current.reconfiguredAt > pending.write.record.version {
                // A later move of the record reached its majorities carrying every result: this write's
                // content is there already. Results that came after the move go in a journal write now.
                writes[writeID] = nil
                if current.journalWrite == writeID {
                    owned[id]?.journalWrite = nil
                    startJournalWrite(id)
                }
                continue
            }
            // Not counted yet: keep trying for as long as the owner waits, even while its targets are
            // down — they may come back (a dropped write would leave its task journaling forever).
            guard !missing.isEmpty, now.uptime - pending.sentAt >= settings.writeRetry else { continue }
            pending.sentAt = now.uptime
            writes[writeID] = pending
            for target in missing where target != name || mayApplyHere(pending) {
                deliver(pending.write, to: target)
            }
        }
    }

    /// This node's final state for the assessment is on its way to the replicas (not merely waiting for
    /// a move to commit).
    func hasPendingFinalWrite(_ id: String) -> Bool {
        writes.values.contains { $0.write.record.id == id && $0.purpose == .final }
    }

    /// A replica holds this assessment in a final state (another lineage of the id finished it, or a
    /// takeover's majority missed the final copy): write that state, in this epoch, to this replica
    /// set and stop — the work is done.
    mutating func adoptFinal(_ final: AssessmentRecord) {
        let id = final.id
        guard var assessment = owned[id] else { return }
        // Once this node's own final state is on its way, it stands; one still waiting for a move to
        // commit gives way to the one a replica holds already — even an equal one, which must not
        // wait either (found by review: a cancel waiting for a move that replicas holding the same
        // cancelled state answered with it, never written, its callers never answered).
        if assessment.phase == .finishing, hasPendingFinalWrite(id) { return }
        assessment.phase = .finishing
        assessment.record.status = final.status
        assessment.record.report = final.report
        assessment.record.failure = final.failure
        assessment.record.progress = final.progress
        revokeLeases(of: assessment)
        settleUnjournaledResults(&assessment)
        owned[id] = assessment
        log(.info, "adopting the final state \(final.status.rawValue) held by a replica", id: id)
        if assessment.record.leaving.isEmpty {
            writeFinalWhenSettled(id)
        } else {
            // A move is on its way, and replicas that hold a final state answer it with that state
            // instead of storing it: if they are a majority of a set, it never commits, and a final
            // state waiting for it would wait for ever. The adopted state, which they do store, goes
            // now and counts on the same joint majorities as the move would have.
            startWrite(id, purpose: .final, results: [])
        }
    }
}
