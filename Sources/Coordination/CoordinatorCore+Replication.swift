import Foundation
import Storage

/// Writes from an owner to its replica set, acknowledged by a majority before they count.
extension CoordinatorCore {
    /// Bumps the owned record's version and sends it, with `results`, to every member of its replica set.
    mutating func startWrite(
        _ id: String, purpose: PendingWrite.Purpose, results: [AgentResult], leaving: [String] = []
    ) {
        guard var assessment = owned[id] else { return }
        assessment.record.version += 1
        assessment.record.updatedAt = now.wall
        assessment.progressDirty = false
        assessment.lastWrite = now.uptime
        owned[id] = assessment
        let write = ReplicaWrite(writeID: number(), record: assessment.record, results: results)
        let replicaSet = assessment.record.replicaSet
        let targets = replicaSet + leaving.filter { !replicaSet.contains($0) }
        writes[write.writeID] = PendingWrite(
            write: write, purpose: purpose, targets: targets, sentAt: now.uptime,
            leaving: leaving == replicaSet ? [] : leaving)
        for target in targets { deliver(write, to: target) }
    }

    mutating func deliver(_ write: ReplicaWrite, to target: String) {
        if target == name {
            writeReceived(write, from: name)
        } else {
            emit(.send(.write(write), to: target))
        }
    }

    /// Replica side: fence off a deposed owner before touching the store.
    mutating func writeReceived(_ write: ReplicaWrite, from sender: String) {
        let id = write.record.id
        if let meta = replicas[id], write.record.epoch < meta.epoch {
            var version = meta.version
            version.epoch = meta.epoch
            send(.written(writeID: write.writeID, id: id, .deposed(version)), to: sender)
            return
        }
        // A create for an id this replica already holds from another owner: a keyed submission retried
        // under a different membership view, which ranked another owner. Taking it would make a second
        // epoch-1 owner of one id (every task run twice under one key, found by the simulation);
        // refusing it deposes the would-be owner, whose retry then finds the existing record.
        if let meta = replicas[id], write.record.epoch == 1, write.record.version == 1,
            meta.owner != write.record.replicaSet.first
        {
            send(.written(writeID: write.writeID, id: id, .deposed(meta.version)), to: sender)
            return
        }
        emit(.apply(write, replyTo: sender))
    }

    mutating func applied(_ write: ReplicaWrite, replyTo: String, result: Result<ReplicaOutcome, StoreError>) {
        let id = write.record.id
        let answer: WriteAnswer
        switch result {
        case .success(.stored):
            let promised = replicas[id]?.promised ?? 0
            replicas[id] = ReplicaMeta(
                status: write.record.status, version: write.record.recordVersion,
                updatedAt: write.record.updatedAt, promised: promised)
            answer = .accepted
            // A newer owner wrote here: if this node thought it owned the assessment, it no longer does.
            if let mine = owned[id], mine.record.epoch < write.record.epoch {
                depose(id, by: write.record.recordVersion)
            }
        case .success(.current):
            answer = .accepted
        case .success(.refused(let stored)):
            answer = .deposed(stored)
        case .failure(let error):
            answer = .failed(error.description)
            log(.error, "could not store a replica write: \(error)", id: id)
        }
        send(.written(writeID: write.writeID, id: id, answer), to: replyTo)
    }

    mutating func writeAnswered(_ writeID: UInt64, id: String, _ answer: WriteAnswer, from replica: String) {
        guard var pending = writes[writeID] else { return }
        switch answer {
        case .accepted:
            pending.acked.insert(replica)
            writes[writeID] = pending
            if !pending.quorumReached && pending.hasQuorum {
                writes[writeID]?.quorumReached = true
                quorumReached(pending)
            }
            if pending.acked.count == pending.targets.count { writes[writeID] = nil }
        case .deposed(let newer):
            writes[writeID] = nil
            depose(id, by: newer)
        case .failed(let reason):
            log(
                .warning, "replica \(replica) could not store version \(pending.write.record.version): \(reason)",
                id: id)
        }
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
            placeWaiting(id)
        case .journal(let agent):
            journaled(id, agent: agent)
        case .progress:
            break
        case .final:
            guard let assessment = owned.removeValue(forKey: id) else { return }
            for waiter in assessment.cancelWaiters { answerCancel(waiter, .cancelled(id: id)) }
            log(.info, "\(assessment.record.status.rawValue) (version \(assessment.record.version))", id: id)
        case .reconfigure:
            resumeAfterReconfiguration(id)
        }
    }

    /// A replica holds a newer epoch: another node owns this assessment now. Stop acting for it.
    mutating func depose(_ id: String, by newer: RecordVersion) {
        if var meta = replicas[id], meta.version < newer {
            meta.version = newer
            replicas[id] = meta
        }
        guard let assessment = owned.removeValue(forKey: id) else { return }
        counters.depositions += 1
        for waiter in creating.removeValue(forKey: id) ?? [] {
            answerSubmit(waiter, .unavailable("ownership of \(id) moved during submission; retry"))
        }
        for waiter in assessment.cancelWaiters {
            answerCancel(waiter, .unavailable("ownership of \(id) moved; retry"))
        }
        log(.notice, "deposed at epoch \(assessment.record.epoch) by epoch \(newer.epoch)", id: id)
    }

    /// Sends unacknowledged writes again to replicas that are alive; drops those nobody can finish.
    mutating func retryWrites() {
        for writeID in writes.keys.sorted() {
            guard var pending = writes[writeID] else { continue }
            let id = pending.write.record.id
            let current = owned[id]
            let superseded = current == nil || current!.record.epoch != pending.write.record.epoch
            let missing = pending.targets.filter { !pending.acked.contains($0) && isAlive($0) }
            if (superseded && pending.quorumReached) || missing.isEmpty {
                writes[writeID] = nil
                continue
            }
            // A later write of the same record carries everything this one did except its results,
            // which are on a majority already once it reached quorum.
            if pending.quorumReached, let current, current.record.version > pending.write.record.version + 4 {
                writes[writeID] = nil
                continue
            }
            guard now.uptime - pending.sentAt >= settings.writeRetry else { continue }
            pending.sentAt = now.uptime
            writes[writeID] = pending
            for target in missing { deliver(pending.write, to: target) }
        }
    }
}
