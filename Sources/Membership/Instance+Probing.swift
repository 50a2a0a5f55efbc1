extension SWIM.Instance {
    /// Shuffled round-robin (the SWIM paper, section 4.3): every member is probed once per pass, in an order drawn
    /// afresh for each pass, which bounds the time until any given member is probed.
    mutating func nextProbeTarget() -> MemberID? {
        for _ in 0..<2 {
            while probePosition < probeOrder.count {
                let id = probeOrder[probePosition]
                probePosition += 1
                if let status = records[id]?.member.status, !status.isTerminal { return id }
            }
            probeOrder = peers
            probeOrder.shuffle(using: &random)
            probePosition = 0
            if probeOrder.isEmpty { return nil }
        }
        return nil
    }

    /// A new member joins the current pass at a random place still ahead, so it is probed soon
    /// without waiting for the next shuffle.
    mutating func addToProbeOrder(_ id: MemberID) {
        let position = Int.random(in: probePosition...probeOrder.count, using: &random)
        probeOrder.insert(id, at: position)
    }

    mutating func startProbe(of target: MemberID, at now: Duration) {
        guard !probes.values.contains(where: { $0.target == target }) else { return }
        let sequence = nextSequence()
        probes[sequence] = Probe(
            target: target,
            directDeadline: now + scaled(settings.pingTimeout),
            periodEnd: now + scaled(settings.probeInterval))
        sendPiggybacked(.ping(sequence: sequence), to: target, first: buddyUpdate(for: target))
    }

    /// Lifeguard's buddy system: a suspected member hears of it from the prober first, so it can
    /// refute at once instead of waiting for gossip to reach it.
    func buddyUpdate(for target: MemberID) -> [SWIM.Update] {
        guard let member = records[target]?.member, member.status == .suspect else { return [] }
        return [SWIM.Update(member: member, reporter: myself)]
    }

    mutating func connectionLost(to id: MemberID, at now: Duration) {
        guard let status = records[id]?.member.status, !status.isTerminal else { return }
        if let (sequence, probe) = probes.first(where: { $0.value.target == id }) {
            if !probe.indirectSent { sendIndirectProbes(sequence: sequence, at: now) }
        } else {
            startProbe(of: id, at: now)
        }
    }

    /// No suspicion term: it exists so that a live member can refute, and nothing listens at the
    /// address to refute. Everyone else learns of it as of any other member declared down.
    mutating func connectionRefused(by id: MemberID, at now: Duration) {
        guard id != myself, let member = records[id]?.member, !member.status.isTerminal else { return }
        suspicions[id] = nil
        probes = probes.filter { $0.value.target != id }
        let dead = SWIM.Member(id: id, status: .down, incarnation: member.incarnation)
        apply(SWIM.Update(member: dead), from: myself, at: now)
    }

    mutating func sendIndirectProbes(sequence: UInt64, at now: Duration) {
        guard var probe = probes[sequence] else { return }
        let helpers = randomPeers(
            count: settings.indirectProbeCount, excluding: probe.target, includeSuspect: false)
        for helper in helpers {
            sendPiggybacked(.pingRequest(sequence: sequence, target: probe.target), to: helper)
        }
        probe.indirectSent = true
        probe.expectedNacks = helpers.count
        probes[sequence] = probe
    }

    mutating func fireProbeTimers(at now: Duration) {
        for sequence in probes.keys.sorted() {
            guard let probe = probes[sequence] else { continue }
            if now >= probe.periodEnd {
                probeFailed(sequence: sequence, at: now)
            } else if !probe.indirectSent && now >= probe.directDeadline {
                sendIndirectProbes(sequence: sequence, at: now)
            }
        }
        for sequence in forwards.keys.sorted() {
            guard var forward = forwards[sequence] else { continue }
            if now >= forward.expiresAt {
                forwards[sequence] = nil
            } else if !forward.nacked && now >= forward.nackAt {
                forward.nacked = true
                forwards[sequence] = forward
                sendPiggybacked(.nack(sequence: forward.requesterSequence), to: forward.requester)
            }
        }
    }

    mutating func probeFailed(sequence: UInt64, at now: Duration) {
        guard let probe = probes.removeValue(forKey: sequence) else { return }
        // Lifeguard: missing nacks mean this node's own network or scheduling is at fault, so it
        // slows itself down; with no helpers to nack, every failed probe counts against it.
        if probe.expectedNacks > 0 {
            adjustLocalHealth(by: max(0, probe.expectedNacks - probe.nacks))
        } else {
            adjustLocalHealth(by: 1)
        }
        guard let member = records[probe.target]?.member, !member.status.isTerminal else { return }
        let suspicion = SWIM.Member(id: member.id, status: .suspect, incarnation: member.incarnation)
        apply(SWIM.Update(member: suspicion, reporter: myself), from: myself, at: now)
    }

    mutating func receivePing(sequence: UInt64, from sender: MemberID) {
        sendPiggybacked(.ack(sequence: sequence, target: myself), to: sender)
    }

    mutating func receivePingRequest(
        sequence: UInt64, target: MemberID, from requester: MemberID, at now: Duration
    ) {
        guard target != myself else {
            sendPiggybacked(.ack(sequence: sequence, target: myself), to: requester)
            return
        }
        let own = nextSequence()
        forwards[own] = Forward(
            requester: requester, requesterSequence: sequence, target: target,
            nackAt: now + scaled(settings.pingTimeout) * settings.nackTimeoutFraction,
            expiresAt: now + scaled(settings.probeInterval))
        sendPiggybacked(.ping(sequence: own), to: target, first: buddyUpdate(for: target))
    }

    mutating func receiveAck(sequence: UInt64, target: MemberID, at now: Duration) {
        if let probe = probes.removeValue(forKey: sequence) {
            adjustLocalHealth(by: -1)
            // The suspect answered this node itself: whatever the rumour, give it a fresh full term to
            // refute before this node would act on it.
            if var suspicion = suspicions[probe.target], !suspicion.verified {
                suspicion.restart(at: now, settings: settings)
                suspicions[probe.target] = suspicion
            }
        } else if let forward = forwards.removeValue(forKey: sequence) {
            sendPiggybacked(
                .ack(sequence: forward.requesterSequence, target: target), to: forward.requester)
        }
    }

    mutating func receiveNack(sequence: UInt64, at now: Duration) {
        guard var probe = probes[sequence] else { return }
        probe.nacks += 1
        probes[sequence] = probe
        // Every helper reached out and failed too: waiting out the period adds latency, not evidence.
        if probe.nacks >= probe.expectedNacks {
            probeFailed(sequence: sequence, at: now)
        }
    }
}
