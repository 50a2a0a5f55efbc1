import FoundationEssentials
import Storage

/// A node's replica role (docs/coordination.md, "Roles"): what it knows of every record it stores,
/// the fencing that decides which writes reach its store, the promises it makes to claimants, and
/// the final states other replicas asked it for.
///
/// It owns that state; the owner role reads it (an owner is a replica of its own records too) and
/// tells it what it learnt from other replicas' answers (`learnt`, `promisedElsewhere`), but never
/// writes it. It reads no membership: where a decision needs to know whether an owner is alive, the
/// core says so in the call.
struct ReplicaRole: Sendable {
    enum Action: Sendable {
        case send(CoordinationMessage, to: String)
        /// Store the write; its outcome comes back as `applied`.
        case apply(ReplicaWrite, replyTo: String)
        /// Read the final state stored here and answer the write with it.
        case readFinal(id: String, writeID: UInt64, replyTo: String)
        /// Read the record and its results and send them to the claimant as a granted promise.
        case readForPromise(id: String, epoch: Int, claimant: String)
        /// Read the record and its results and send them to `to` (`relay`).
        case readForRelay(id: String, to: String)
        /// A write of `version` was stored here: an owner of an older epoch on this node steps down.
        case stored(id: String, version: RecordVersion)
        /// `claimant` was promised `epoch`: an owner of an older epoch on this node steps down.
        case promised(id: String, epoch: Int, claimant: String)
    }

    private(set) var records = ReplicaBook()
    /// When this node last stored a write of, or asked about, each unfinished record (`quietRecords`);
    /// none for a record loaded at start.
    private(set) var heardOf: [String: Duration] = [:]
    /// Finished records whose final state a replica asked for (`check`), by id: the nodes that asked.
    private(set) var finalsAsked: [String: Set<String>] = [:]
    /// Claims this node refused only because it still saw the record's owner alive: when membership
    /// then says that owner is down, the claim is reconsidered at once, as if it arrived just then. The
    /// claimant may have learnt of the death a moment earlier (its connection to the owner broke
    /// first), and would otherwise wait out its claim timeout (2.3 s for a SIGKILLed owner's
    /// assessments in `scripts/bench`'s recovery row).
    private(set) var deferredClaims: [String: DeferredClaim] = [:]

    subscript(id: String) -> ReplicaMeta? { records[id] }

    /// A record read from this node's store at start; `counted` false for one another node owns
    /// (see `ReplicaBook.uncounted`).
    mutating func load(_ summary: RecordSummary, counted: Bool) {
        records.load(
            summary.id,
            ReplicaMeta(status: summary.status, version: summary.version, updatedAt: summary.updatedAt, promised: 0),
            counted: counted)
    }

    // MARK: Writes

    /// Fences off a deposed owner before anything touches the store (docs/coordination.md, Fencing).
    /// `ownClaimLasts`: this node claims the record or owns it, as the core sees it, so that the
    /// promises it gave itself still fence.
    mutating func writeReceived(_ write: ReplicaWrite, from sender: String, ownClaimLasts: Bool) -> [Action] {
        let id = write.record.id
        guard let meta = records[id] else {
            // A write without its request can only update a copy this replica holds.
            if write.requestOmitted {
                return [.send(.written(writeID: write.writeID, id: id, .incomplete), to: sender)]
            }
            return [.apply(write, replyTo: sender)]
        }
        // An older epoch first: its writer was deposed, whatever this replica holds (a deposed owner
        // told only "final" would keep writing for ever).
        if write.record.epoch < meta.version.epoch {
            return [.send(.written(writeID: write.writeID, id: id, .deposed(meta.version)), to: sender)]
        }
        if meta.status.isTerminal, !write.record.status.isTerminal {
            return [.readFinal(id: id, writeID: write.writeID, replyTo: sender)]
        }
        // A promise this node gave its own claim protects that claim's takeover only: once the claim
        // timed out (no takeover can follow, and the next claim takes a newer epoch) it fences
        // nothing, or it would keep out for good the final write, and every later copy of it, of an
        // owner that finished meanwhile — the simulation counted such records, running here for ever
        // while their owner had completed them.
        let fence = ownClaimLasts ? meta.promised : meta.othersPromised
        if write.record.epoch < fence {
            // Refused, but what it names is learnt: the owner and replica sets of a newer version than
            // this copy's (docs/coordination.md, Fencing). A promise to a claimant that never finishes
            // would otherwise keep out for good the copy another replica relays to make this node
            // claim (`OwnerRole.relay`), and it would go on naming a deposed owner, which may be alive
            // (the simulation left an assessment running for ever that way).
            learnt(id, version: write.record.recordVersion)
            return [.send(.written(writeID: write.writeID, id: id, .fenced(promised: fence)), to: sender)]
        }
        // A create for an id this replica already holds from another owner: a keyed submission retried
        // under a different membership view, which ranked another owner. Taking it would make a second
        // epoch-1 owner of one id (every task run twice under one key, found by the simulation);
        // refusing it deposes the would-be owner, whose retry then finds the existing record.
        if write.record.epoch == 1, write.record.version == 1, meta.owner != write.record.replicaSet.first {
            return [.send(.written(writeID: write.writeID, id: id, .deposed(meta.version)), to: sender)]
        }
        return [.apply(write, replyTo: sender)]
    }

    /// The store's outcome for a write `writeReceived` let through: the answer to its writer, and,
    /// when a newer epoch was stored, word for an older owner here to step down.
    mutating func applied(
        _ write: ReplicaWrite, replyTo: String, result: Result<ReplicaOutcome, StoreError>, at now: Duration
    ) -> [Action] {
        let id = write.record.id
        let answer: WriteAnswer
        var actions: [Action] = []
        switch result {
        case .success(.stored):
            records[id] = ReplicaMeta(
                status: write.record.status, version: write.record.recordVersion, updatedAt: write.record.updatedAt,
                promised: records[id]?.promised ?? 0, othersPromised: records[id]?.othersPromised ?? 0)
            heardOf[id] = write.record.status.isTerminal ? nil : now
            answer = .accepted
            actions.append(.stored(id: id, version: write.record.recordVersion))
        case .success(.current):
            answer = .accepted
        case .success(.refused(let stored)):
            answer = .deposed(stored)
        case .success(.incomplete):
            answer = .incomplete
        case .failure(let error):
            answer = .failed(error.description)
        }
        actions.append(.send(.written(writeID: write.writeID, id: id, answer), to: replyTo))
        return actions
    }

    // MARK: Claims

    /// A claimant asks this replica to promise `epoch`. `ownerAlive`: the owner this replica names is
    /// not the claimant and is alive, as the core sees it (`CoordinatorCore.claimReceived`).
    /// `byThisNode`: the claimant is this node.
    mutating func claimReceived(
        _ id: String, epoch: Int, basis: RecordVersion, from claimant: String, byThisNode: Bool = false,
        ownerAlive: Bool, at now: Duration, deferFor timeout: Duration
    ) -> [Action] {
        guard var meta = records[id] else {
            // Nothing stored here: grant, with nothing to contribute.
            return [.send(.promise(id: id, epoch: epoch, granted: true, record: nil, results: []), to: claimant)]
        }
        // A live owner is not deposed — unless the claimant knows a newer version than this replica:
        // then the owner this replica names was deposed already (the simulation found two nodes
        // claiming for ever, each refused by a voter that defended an owner deposed long before).
        let defended = ownerAlive && basis <= meta.version
        if epoch <= meta.epoch || defended {
            if epoch > meta.epoch {
                deferredClaims[id] = DeferredClaim(
                    claimant: claimant, epoch: epoch, basis: basis, owner: meta.owner ?? claimant, until: now + timeout)
            }
            return [
                .send(
                    .promise(
                        id: id, epoch: max(meta.epoch, epoch), granted: false, record: nil, results: [],
                        known: meta.version), to: claimant)
            ]
        }
        deferredClaims[id] = nil
        meta.promised = epoch
        if !byThisNode { meta.othersPromised = epoch }
        records[id] = meta
        return [
            .promised(id: id, epoch: epoch, claimant: claimant),
            .readForPromise(id: id, epoch: epoch, claimant: claimant),
        ]
    }

    /// Deferred claims whose owner `isAlive` now says is gone, to be answered again as if they arrived
    /// now (in id order); those past their time are dropped.
    mutating func claimsToReconsider(at now: Duration, isAlive: (String) -> Bool) -> [(id: String, DeferredClaim)] {
        var again: [(id: String, DeferredClaim)] = []
        for (id, deferred) in deferredClaims.sorted(by: { $0.key < $1.key }) {
            if deferred.until <= now {
                deferredClaims[id] = nil
            } else if !isAlive(deferred.owner) {
                deferredClaims[id] = nil
                again.append((id, deferred))
            }
        }
        return again
    }

    /// Drops deferred claims whose claimant has given up.
    mutating func expireDeferredClaims(at now: Duration) {
        deferredClaims = deferredClaims.filter { $0.value.until > now }
    }

    // MARK: What the owner role learns from other replicas

    /// Another replica promised (or this node's write was fenced at) `epoch`: this node's next claim
    /// takes a newer one. It fences writes here only as this node's own promises do, while its claim
    /// or ownership lasts: what another replica answered may be a promise to that replica's own claim,
    /// which times out, and made permanent here it refused an owner's final write and every later copy
    /// of it for good. Each replica fences with the promises it gave, which is what the takeover's
    /// safety rests on (docs/coordination.md, Fencing).
    mutating func promisedElsewhere(_ id: String, epoch: Int) {
        guard var meta = records[id], meta.promised < epoch else { return }
        meta.promised = epoch
        records[id] = meta
    }

    /// Another replica holds `version` of the record, newer than this one's: it names who owns and
    /// claims it next. `status` too when that replica said what state the version holds.
    mutating func learnt(_ id: String, version: RecordVersion, status: AssessmentStatus? = nil) {
        guard var meta = records[id], meta.version < version else { return }
        meta.version = version
        if let status { meta.status = status }
        records[id] = meta
    }

    // MARK: Finished records other replicas missed

    /// Unfinished records of live owners that nothing was heard of for `quiet` (or since start), at
    /// most `limit`, marked as asked about now, by owner. `isAlive` says which owners are.
    mutating func quietRecords(
        at now: Duration, quiet: Duration, limit: Int, except mine: String, isAlive: (String) -> Bool
    ) -> [String: [String]] {
        var asking: [String: [String]] = [:]
        var count = 0
        for (id, meta) in records.all where count < limit && !meta.status.isTerminal {
            guard let owner = meta.owner, owner != mine, isAlive(owner),
                heardOf[id].map({ now - $0 >= quiet }) ?? true
            else { continue }
            count += 1
            heardOf[id] = now
            asking[owner, default: []].append(id)
        }
        // In id order: a dictionary's order differs between two runs of one seed.
        return asking.mapValues { $0.sorted() }
    }

    /// An owner's side of `check`: each record finished here is read and sent to the replica that
    /// asked, as a late retry of the final write would be (the replica applies it under the usual
    /// fencing).
    mutating func checkReceived(_ ids: [String], from replica: String) -> [Action] {
        var actions: [Action] = []
        for id in ids where records[id]?.status.isTerminal == true {
            finalsAsked[id, default: []].insert(replica)
            actions.append(.readForRelay(id: id, to: replica))
        }
        return actions
    }

    /// Whether `replica` asked for this record's final state; forgets that it did.
    mutating func finalAsked(_ id: String, by replica: String) -> Bool {
        let asked = finalsAsked[id]?.remove(replica) != nil
        if finalsAsked[id]?.isEmpty == true { finalsAsked[id] = nil }
        return asked
    }

    // MARK: Retention

    /// Finished records updated before `cutoff` leave memory, except those `keep` names (an owner
    /// still writing them). Returns whether any were past it.
    mutating func expire(before cutoff: Date, keep: (String) -> Bool) -> Bool {
        // Records that finished, or went, by a path other than a stored write.
        heardOf = heardOf.filter { records[$0.key]?.status.isTerminal == false }
        let expired = records.all.filter { $0.value.status.isTerminal && $0.value.updatedAt < cutoff }.map(\.key)
        for id in expired where !keep(id) { records[id] = nil }
        return !expired.isEmpty
    }
}
