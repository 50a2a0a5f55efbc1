extension SWIM.Instance {
    /// Merges one piece of gossip into the view, starting or confirming suspicions and passing
    /// on whatever was news.
    mutating func apply(_ update: SWIM.Update, from sender: MemberID, at now: Duration) {
        let incoming = update.member
        if incoming.id == myself {
            applyAboutMyself(incoming, from: sender)
            return
        }
        guard let old = records[incoming.id]?.member else {
            insert(incoming, at: now)
            if incoming.status == .suspect {
                beginSuspicion(of: incoming, reporter: update.reporter ?? sender, at: now)
            }
            enqueue(update)
            return
        }
        if old.metadata == nil, let metadata = incoming.metadata {
            // First heard of through a record without it (a suspicion, a verdict): learn it from any copy.
            records[incoming.id]?.member.metadata = metadata
        }
        if incoming.supersedes(old) {
            replace(old, with: incoming, at: now)
            if incoming.status == .suspect {
                beginSuspicion(of: incoming, reporter: update.reporter ?? sender, at: now)
            } else {
                suspicions[incoming.id] = nil
            }
            enqueue(update)
        } else if incoming.status == .suspect, old.status == .suspect,
            incoming.incarnation == old.incarnation,
            let reporter = update.reporter, var suspicion = suspicions[incoming.id]
        {
            let counted = suspicion.confirm(reporter, isSelf: reporter == myself, settings: settings)
            if suspicion.checked { suspicion.deadline = min(suspicion.deadline, now) }
            suspicions[incoming.id] = suspicion
            // Others count confirmations too, so a new one is worth passing on; so is this node's own
            // evidence, which others may count even when this node no longer needs to.
            if counted || reporter == myself { enqueue(update) }
        }
    }

    mutating func applyAboutMyself(_ claim: SWIM.Member, from sender: MemberID) {
        if claim.status == .left || (claim.status == .down && claim.incarnation >= incarnation) {
            rejoin(through: sender.address)
        } else if claim.status == .suspect && claim.incarnation >= incarnation {
            // Refute. Being suspected also hints that this node is the slow one (Lifeguard).
            incarnation = claim.incarnation + 1
            adjustLocalHealth(by: 1)
            enqueue(SWIM.Update(member: selfMember))
        } else if claim.incarnation > incarnation {
            incarnation = claim.incarnation + 1
            enqueue(SWIM.Update(member: selfMember))
        } else if claim.status == .suspect || claim.status == .down {
            // A stale rumour, already refuted; its holder missed the refutation, so repeat it, and it
            // rides on the reply to whoever is asking (the ack to a buddy ping, say).
            enqueue(SWIM.Update(member: selfMember))
        }
    }

    mutating func beginSuspicion(of member: SWIM.Member, reporter: MemberID, at now: Duration) {
        suspicions[member.id] = Suspicion(
            incarnation: member.incarnation, started: now, reporter: reporter, verified: reporter == myself,
            members: liveMemberCount, settings: settings)
        // A few members, chosen by lot so the cost per suspicion does not grow with the cluster,
        // check a fresh rumour at once: a dead member collects its confirmations in one probe
        // period instead of waiting for its turn in others' rounds, and a live one hears of the
        // suspicion from several probers and refutes in its acks.
        guard reporter != myself else { return }
        let chance = Double(settings.suspicionCheckers) / Double(max(1, liveMemberCount - 2))
        if random.unit() < chance {
            startProbe(of: member.id, at: now)
        }
    }

    mutating func insert(_ member: SWIM.Member, at now: Duration) {
        records[member.id] = Record(member: member, since: now)
        guard !member.status.isTerminal else { return }
        peerPositions[member.id] = peers.count
        peers.append(member.id)
        if started { addToProbeOrder(member.id) }
        emit(
            SWIM.MembershipChange(
                member: member.id, previous: nil, status: member.status, incarnation: member.incarnation))
    }

    mutating func replace(_ old: SWIM.Member, with incoming: SWIM.Member, at now: Duration) {
        var new = incoming
        // Metadata is fixed per uid: a record written by a member that did not know it loses nothing.
        if new.metadata == nil { new.metadata = old.metadata }
        records[new.id] = Record(
            member: new, since: old.status == new.status ? records[new.id]?.since ?? now : now)
        if new.status.isTerminal {
            removePeer(new.id)
            suspicions[new.id] = nil
        }
        if old.status != new.status {
            emit(
                SWIM.MembershipChange(
                    member: new.id, previous: old.status, status: new.status, incarnation: new.incarnation))
        }
    }

    mutating func removePeer(_ id: MemberID) {
        guard let position = peerPositions.removeValue(forKey: id) else { return }
        let last = peers.removeLast()
        if position < peers.count {
            peers[position] = last
            peerPositions[last] = position
        }
    }

    mutating func enqueue(_ update: SWIM.Update) {
        dissemination.enqueue(update)
        if nextGossipAt == nil { nextGossipAt = .zero }
    }

    mutating func becomeUp() {
        guard status == .joining else { return }
        status = .up
        nextJoinAt = nil
        joinFallbackFrom = nil
        formAloneAt = nil
        emit(
            SWIM.MembershipChange(
                member: myself, previous: .joining, status: .up, incarnation: incarnation))
        enqueue(SWIM.Update(member: selfMember))
    }

    mutating func sendJoins(at now: Duration) {
        let introduction = SWIM.Update(member: selfMember)
        var targets = seeds
        if let from = joinFallbackFrom, now >= from {
            for address in joinFallback where address != myself.address && !targets.contains(address) {
                targets.append(address)
            }
        }
        for seed in targets {
            output.append(
                .send(
                    SWIM.Message(sender: myself, recipient: nil, payload: .join, gossip: [introduction]),
                    to: seed))
        }
    }

    /// Pushes pending gossip to a few random members, beyond what rides on probes, so news
    /// spreads in `O(log n)` rounds without waiting for probe traffic.
    mutating func gossipRound(at now: Duration) {
        guard !dissemination.isEmpty else {
            nextGossipAt = nil
            return
        }
        nextGossipAt = now + settings.gossipInterval
        for peer in randomPeers(count: settings.gossipFanout, excluding: nil, includeSuspect: true) {
            let updates = dissemination.take(
                limit: settings.maxPiggybackedUpdates,
                retransmitLimit: settings.retransmitLimit(members: liveMemberCount))
            if updates.isEmpty { break }
            send(.gossip, to: peer, gossip: updates)
        }
    }

    /// Periodic full-state exchange with one member, which repairs whatever gossip missed.
    /// A seed address with no live member in this view is contacted too (by address), which
    /// is how two views that lost each other — a healed partition, two seeds that formed
    /// clusters alone — find each other again. Both, not one instead of the other: a seed gone for
    /// good would otherwise take every round, and a view gossip left behind would never be repaired
    /// (the coordination simulation had a node miss two members' new uids for ten minutes, its only
    /// seed lost for good, and so never see a quorum again).
    mutating func syncRound(at now: Duration) {
        pruneTombstones(at: now)
        let liveAddresses = Set(peerAddresses)
        let missingSeeds = (seeds + healingSeeds).filter { !liveAddresses.contains($0) && $0 != myself.address }
        if !missingSeeds.isEmpty, status == .up {
            offerSync(to: missingSeeds[Int.random(in: 0..<missingSeeds.count, using: &random)])
        }
        if let peer = randomPeers(count: 1, excluding: nil, includeSuspect: false).first {
            send(.sync(members: members, isReply: false), to: peer, gossip: [])
        }
    }

    /// The nodes, by address, that this view knows and has not seen leave, this one included, and
    /// those of them it counts alive. By address, as a restarted node's old uids stay as tombstones.
    var nodeCounts: (known: Set<MemberAddress>, live: Set<MemberAddress>) {
        var known: Set<MemberAddress> = [myself.address]
        var live: Set<MemberAddress> = [myself.address]
        for record in records.values where record.member.status != .left {
            known.insert(record.member.id.address)
            if !record.member.status.isTerminal { live.insert(record.member.id.address) }
        }
        return (known, live)
    }

    /// A view that counts alive no more than half the nodes it knows is on the small side of a
    /// partition, or was and has not noticed the heal: it probes only the members it counts alive,
    /// and its periodic sync to a silent seed comes every `syncInterval`. The third long partition
    /// run had a node so left alone for 22 s after a heal, its new side one member short of a
    /// quorum for the whole next split (docs/partitions.md). So every `isolatedRecontactInterval` it
    /// offers a sync to one node it knows, or a seed, that it does not count alive; the split rule
    /// then makes the smaller view rejoin the larger.
    mutating func recontactRound() {
        guard status == .up else { return }
        let (known, live) = nodeCounts
        guard live.count * 2 <= known.count else { return }
        var candidates: [MemberAddress] = []
        for address in (seeds + healingSeeds + known.sorted()) where !live.contains(address) {
            if !candidates.contains(address) { candidates.append(address) }
        }
        guard !candidates.isEmpty else { return }
        offerSync(to: candidates[Int.random(in: 0..<candidates.count, using: &random)])
    }

    /// This view, offered to whatever node answers at `address` (no uid: it may not be in the view).
    mutating func offerSync(to address: MemberAddress) {
        let message = SWIM.Message(sender: myself, recipient: nil, payload: .sync(members: members, isReply: false))
        output.append(.send(message, to: address))
    }

    mutating func pruneTombstones(at now: Duration) {
        let expired = records.filter {
            $0.value.member.status.isTerminal && now - $0.value.since > settings.tombstoneRetention
        }
        for id in expired.keys {
            records[id] = nil
        }
    }
}
