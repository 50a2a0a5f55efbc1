import Membership
import Testing

private let a = MemberID(name: "node-1", host: "10.0.0.1", port: 7100, uid: 0xA)
private let b = MemberID(name: "node-2", host: "10.0.0.2", port: 7100, uid: 0xB)
private let c = MemberID(name: "node-3", host: "10.0.0.3", port: 7100, uid: 0xC)
private let d = MemberID(name: "node-4", host: "10.0.0.4", port: 7100, uid: 0xD)
private let e = MemberID(name: "node-5", host: "10.0.0.5", port: 7100, uid: 0xE)

/// Node `a` in a formed five-member cluster, started at time zero.
private func formedA(settings: SWIM.Settings = SWIM.Settings()) -> SWIM.Instance {
    var instance = SWIM.Instance(
        settings: settings, myself: a, seeds: [], randomSeed: 42, formedWith: [a, b, c, d, e])
    _ = instance.handle(.start, at: .zero)
    return instance
}

private func sends(_ directives: [SWIM.Directive]) -> [SWIM.Message] {
    directives.compactMap {
        if case .send(let message, _) = $0 { return message }
        return nil
    }
}

private func changes(_ directives: [SWIM.Directive]) -> [SWIM.MembershipChange] {
    directives.compactMap {
        if case .changed(let change) = $0 { return change }
        return nil
    }
}

/// Handles `event`, then acks at once every ping it sent to a member in `answering` (and any
/// pings those acks set off); everything else goes unanswered. Returns everything it did.
private func step(
    _ instance: inout SWIM.Instance, _ event: SWIM.Event, at now: Duration, answering: Set<MemberID>
) -> [SWIM.Directive] {
    var all: [SWIM.Directive] = []
    var pending = [event]
    while !pending.isEmpty {
        let out = instance.handle(pending.removeFirst(), at: now)
        all += out
        for message in sends(out) {
            guard case .ping(let sequence) = message.payload, let target = message.recipient,
                answering.contains(target)
            else { continue }
            let ack = SWIM.Message(
                sender: target, recipient: instance.myself, payload: .ack(sequence: sequence, target: target))
            pending.append(.received(ack))
        }
    }
    return all
}

/// Ticks `instance` at each of its wake-ups up to `end`, answering as `step` does.
private func advance(
    _ instance: inout SWIM.Instance, to end: Duration, answering: Set<MemberID> = []
) -> [SWIM.Directive] {
    var all: [SWIM.Directive] = []
    while let wake = instance.nextWakeUp, wake <= end {
        all += step(&instance, .tick, at: wake, answering: answering)
    }
    return all
}

@Test func aNodeThatIsItsOwnOnlySeedFormsACluster() {
    var instance = SWIM.Instance(myself: a, seeds: [a.address], randomSeed: 1)
    let out = instance.handle(.start, at: .zero)
    #expect(instance.status == .up)
    #expect(changes(out).map(\.status) == [.joining, .up])
}

@Test func aJoiningNodeAsksEverySeedAndIsUpOnceOneAnswers() {
    var joiner = SWIM.Instance(myself: a, seeds: [b.address, c.address], randomSeed: 1)
    let joins = sends(joiner.handle(.start, at: .zero))
    #expect(joins.map(\.payload) == [.join, .join])
    #expect(joins.allSatisfy { $0.recipient == nil && $0.gossip.first?.member.id == a })
    #expect(joiner.status == .joining)

    var seed = SWIM.Instance(myself: b, seeds: [], randomSeed: 2)
    _ = seed.handle(.start, at: .zero)
    let reply = sends(seed.handle(.received(joins[0]), at: .milliseconds(1)))
    #expect(seed.member(a)?.status == .joining)
    guard let answer = reply.first(where: { if case .sync = $0.payload { true } else { false } }) else {
        Issue.record("the seed did not answer the join")
        return
    }
    let out = joiner.handle(.received(answer), at: .milliseconds(2))
    #expect(joiner.status == .up)
    #expect(joiner.member(b)?.status == .up)
    #expect(changes(out).contains { $0.member == a && $0.status == .up })
}

@Test func aPingIsAckedWithItsSequenceAndPiggybackedGossip() {
    var instance = formedA()
    let ping = SWIM.Message(sender: b, recipient: a, payload: .ping(sequence: 77))
    let out = sends(instance.handle(.received(ping), at: .milliseconds(10)))
    #expect(out.contains { $0.recipient == b && $0.payload == .ack(sequence: 77, target: a) })
}

@Test func aMessageForAnotherIncarnationAtThisAddressIsIgnored() {
    var instance = formedA()
    let stale = MemberID(address: a.address, uid: 0xDEAD)
    let ping = SWIM.Message(sender: b, recipient: stale, payload: .ping(sequence: 1))
    #expect(instance.handle(.received(ping), at: .milliseconds(10)).isEmpty)
}

@Test func aSilentMemberIsProbedIndirectlyThenSuspectedThenDeclaredDown() {
    var instance = formedA()
    // Find the first probe and let nobody answer it.
    var probe: SWIM.Message?
    var now = Duration.zero
    while probe == nil, let wake = instance.nextWakeUp {
        now = wake
        probe = sends(instance.handle(.tick, at: now)).first { if case .ping = $0.payload { true } else { false } }
    }
    guard let probe, let target = probe.recipient, case .ping(let sequence) = probe.payload else {
        Issue.record("no probe was sent")
        return
    }
    let settings = instance.settings
    let afterTimeout = sends(advance(&instance, to: now + settings.pingTimeout))
    let requests = afterTimeout.filter { $0.payload == .pingRequest(sequence: sequence, target: target) }
    #expect(requests.count == settings.indirectProbeCount)
    #expect(Set(requests.compactMap(\.recipient)).count == requests.count)
    #expect(!requests.contains { $0.recipient == target })

    // Every helper reports failure: the probe fails at once and the member is suspected.
    var out: [SWIM.Directive] = []
    for request in requests {
        let nack = SWIM.Message(sender: request.recipient!, recipient: a, payload: .nack(sequence: sequence))
        out += instance.handle(.received(nack), at: now + .milliseconds(550))
    }
    #expect(instance.member(target)?.status == .suspect)
    #expect(changes(out).contains { $0.member == target && $0.status == .suspect })
    #expect(instance.localHealth == 0, "all helpers nacked, so the fault is not local")

    // With no confirmations the suspicion runs to its maximum, then one last check (a probe
    // carrying the suspicion) must fail before the member is buried.
    let expiry = now + .milliseconds(550) + settings.suspicionMaximum(members: 5)
    let others = Set([b, c, d, e]).subtracting([target])
    _ = advance(&instance, to: expiry - .milliseconds(1), answering: others)
    #expect(instance.member(target)?.status == .suspect)
    let check = sends(advance(&instance, to: expiry, answering: others))
    #expect(check.contains { $0.recipient == target && $0.gossip.first?.member.status == .suspect })
    #expect(instance.member(target)?.status == .suspect)
    // The check's period is stretched by this node's own local health, which its unanswered
    // probes (no helper nacked) have raised.
    let verdict = advance(
        &instance, to: expiry + settings.probeInterval * settings.maxLocalHealthMultiplier, answering: others)
    #expect(instance.member(target)?.status == .down)
    #expect(changes(verdict).contains { $0.member == target && $0.status == .down })
}

@Test func confirmationsShortenTheSuspicionToItsMinimum() {
    var instance = formedA()
    let suspicion = SWIM.Update(member: SWIM.Member(id: e, status: .suspect, incarnation: 0), reporter: b)
    let heard = sends(
        instance.handle(
            .received(SWIM.Message(sender: b, recipient: a, payload: .gossip, gossip: [suspicion])), at: .zero))
    #expect(instance.member(e)?.status == .suspect)
    // In a cluster this small every member checks a fresh rumour at once, suspicion attached.
    #expect(heard.contains { $0.recipient == e && $0.gossip.first?.member.status == .suspect })
    for reporter in [c, d] {
        let confirmation = SWIM.Update(member: suspicion.member, reporter: reporter)
        let message = SWIM.Message(sender: reporter, recipient: a, payload: .gossip, gossip: [confirmation])
        _ = instance.handle(.received(message), at: .milliseconds(100))
    }
    // The check fails (e is silent), the two confirmations are in: the minimum applies.
    let minimum = instance.settings.suspicionMinimum(members: 5)
    _ = advance(&instance, to: minimum - .milliseconds(1), answering: [b, c, d])
    #expect(instance.member(e)?.status == .suspect)
    _ = advance(&instance, to: minimum, answering: [b, c, d])
    #expect(instance.member(e)?.status == .down)
}

@Test func aRumouredSuspectThatAnswersTheCheckIsNotBuried() {
    var instance = formedA()
    let suspicion = SWIM.Update(member: SWIM.Member(id: e, status: .suspect, incarnation: 0), reporter: b)
    _ = step(
        &instance, .received(SWIM.Message(sender: b, recipient: a, payload: .gossip, gossip: [suspicion])),
        at: .zero, answering: [b, c, d, e])
    // e answers every ping but its refutation never arrives: it must still not be buried.
    _ = advance(&instance, to: .seconds(120), answering: [b, c, d, e])
    #expect(instance.member(e)?.status == .suspect)
}

@Test func aSuspectedNodeRefutesWithAHigherIncarnationAndTrustsItselfLess() {
    var instance = formedA()
    let rumour = SWIM.Update(member: SWIM.Member(id: a, status: .suspect, incarnation: 0), reporter: b)
    let out = instance.handle(
        .received(SWIM.Message(sender: b, recipient: a, payload: .gossip, gossip: [rumour])), at: .seconds(1))
    #expect(instance.incarnation == 1)
    #expect(instance.status == .up)
    #expect(instance.localHealth == 1)
    let refutation = SWIM.Member(id: a, status: .up, incarnation: 1)
    #expect(sends(out).contains { $0.gossip.contains { $0.member == refutation } })
}

@Test func aRefutationClearsTheSuspicionEverywhere() {
    var instance = formedA()
    let suspicion = SWIM.Update(member: SWIM.Member(id: e, status: .suspect, incarnation: 0), reporter: b)
    _ = step(
        &instance, .received(SWIM.Message(sender: b, recipient: a, payload: .gossip, gossip: [suspicion])),
        at: .zero, answering: [b, c, d, e])
    let alive = SWIM.Update(member: SWIM.Member(id: e, status: .up, incarnation: 1))
    _ = instance.handle(.received(SWIM.Message(sender: e, recipient: a, payload: .gossip, gossip: [alive])), at: .zero)
    #expect(instance.member(e) == alive.member)
    let later = advance(&instance, to: .seconds(60), answering: [b, c, d, e])
    #expect(instance.member(e)?.status == .up)
    #expect(!changes(later).contains { $0.member == e })
}

@Test func aNodeDeclaredDownAsksToRejoinAndSaysGoodbye() {
    var instance = formedA()
    let verdict = SWIM.Update(member: SWIM.Member(id: a, status: .down, incarnation: 0))
    let out = instance.handle(
        .received(SWIM.Message(sender: b, recipient: a, payload: .gossip, gossip: [verdict])), at: .seconds(1))
    #expect(instance.status == .down)
    #expect(out.contains(.rejoin(contact: b.address)))
    #expect(sends(out).filter { $0.gossip.contains { $0.member.id == a && $0.member.status == .left } }.count == 4)
    #expect(instance.nextWakeUp == nil)
    #expect(instance.handle(.tick, at: .seconds(2)).isEmpty)
}

/// A rejoining uid joins through its contact alone, then, once the contact has stayed silent for
/// `joinFallbackDelay`, through the members its buried uid counted alive as well: a contact cut off
/// since (a flapping partition) must not keep it out of its own side's view until the heal.
@Test func aRejoinWhoseContactIsSilentAlsoJoinsThroughTheMembersItKnew() {
    let fresh = MemberID(name: "node-1", host: "10.0.0.1", port: 7100, uid: 0xA2)
    func joins(_ directives: [SWIM.Directive]) -> [MemberAddress] {
        directives.compactMap {
            if case .send(let message, let address) = $0, message.payload == .join { return address }
            return nil
        }
    }
    var instance = SWIM.Instance(myself: fresh, seeds: [b.address], randomSeed: 7)
    instance.joinFallback = [c.address, b.address, a.address, d.address]
    var plain = SWIM.Instance(myself: fresh, seeds: [b.address], randomSeed: 7)
    #expect(joins(instance.handle(.start, at: .zero)) == [b.address])
    _ = plain.handle(.start, at: .zero)
    for second in 1..<3 {
        #expect(joins(instance.handle(.tick, at: .seconds(second))) == [b.address], "at \(second) s")
    }
    // Its own address and the contact are not asked twice.
    #expect(joins(instance.handle(.tick, at: .seconds(3))) == [b.address, c.address, d.address])
    #expect(joins(plain.handle(.tick, at: .seconds(3))) == [b.address])
    // Any member's answer lets it in; then the joins stop.
    let view = [SWIM.Member(id: c, status: .up, incarnation: 0), SWIM.Member(id: d, status: .up, incarnation: 0)]
    _ = instance.handle(
        .received(SWIM.Message(sender: c, recipient: fresh, payload: .sync(members: view, isReply: true))),
        at: .seconds(3.1))
    #expect(instance.status == .up)
    #expect(joins(instance.handle(.tick, at: .seconds(5))).isEmpty)
}

@Test func aTombstoneIsNeverResurrected() {
    var instance = formedA()
    let death = SWIM.Update(member: SWIM.Member(id: e, status: .down, incarnation: 0))
    _ = instance.handle(.received(SWIM.Message(sender: b, recipient: a, payload: .gossip, gossip: [death])), at: .zero)
    let lateAlive = SWIM.Update(member: SWIM.Member(id: e, status: .up, incarnation: 9))
    let out = instance.handle(
        .received(SWIM.Message(sender: c, recipient: a, payload: .gossip, gossip: [lateAlive])), at: .seconds(1))
    #expect(instance.member(e)?.status == .down)
    #expect(changes(out).isEmpty)
    // The dead uid itself is told so when it speaks.
    let ping = SWIM.Message(sender: e, recipient: a, payload: .ping(sequence: 3))
    let reply = sends(instance.handle(.received(ping), at: .seconds(2))).filter { $0.recipient == e }
    #expect(reply.map(\.payload) == [.declaredDown])
}

@Test func leavingTellsEveryMemberAndStops() {
    var instance = formedA()
    let out = instance.handle(.leave, at: .seconds(3))
    let farewells = sends(out).filter {
        $0.gossip.contains { $0.member == SWIM.Member(id: a, status: .left, incarnation: 0) }
    }
    #expect(Set(farewells.compactMap(\.recipient)) == [b, c, d, e])
    #expect(instance.status == .left)
    #expect(instance.nextWakeUp == nil)

    var observer = SWIM.Instance(myself: b, seeds: [], randomSeed: 5, formedWith: [a, b, c, d, e])
    _ = observer.handle(.start, at: .zero)
    let seen = changes(observer.handle(.received(farewells[0]), at: .seconds(3)))
    #expect(seen == [SWIM.MembershipChange(member: a, previous: .up, status: .left, incarnation: 0)])
}

@Test func aLostConnectionTriggersAnImmediateProbe() {
    var instance = formedA()
    let out = sends(instance.handle(.peerUnreachable(c), at: .milliseconds(1)))
    #expect(out.contains { $0.recipient == c && { if case .ping = $0.payload { true } else { false } }($0) })
}

@Test func aRefusedConnectionDeclaresTheMemberDownAtOnceAndTellsOthers() {
    var instance = formedA()
    let out = instance.handle(.peerRefused(c), at: .milliseconds(1))
    #expect(changes(out) == [SWIM.MembershipChange(member: c, previous: .up, status: .down, incarnation: 0)])
    #expect(instance.member(c)?.status == .down)
    // The verdict spreads like any other: on the next message to someone else.
    let gossip = sends(instance.handle(.peerUnreachable(d), at: .milliseconds(2)))
    #expect(
        gossip.contains { $0.recipient == d && $0.gossip.contains { $0.member.id == c && $0.member.status == .down } })
    // Nothing about itself or a member already gone.
    #expect(changes(instance.handle(.peerRefused(a), at: .milliseconds(3))).isEmpty)
    #expect(changes(instance.handle(.peerRefused(c), at: .milliseconds(4))).isEmpty)
    #expect(instance.status == .up)
}

@Test func aSlowNodeStretchesItsOwnProbeInterval() {
    var instance = formedA()
    // Nobody answers, helpers do not even nack: the fault looks local, so health worsens and the
    // node probes less often instead of accusing everyone at full speed.
    var pingTimes: [Duration] = []
    var now = Duration.zero
    while now < .seconds(60), let wake = instance.nextWakeUp {
        now = wake
        let pings = sends(instance.handle(.tick, at: now)).filter {
            if case .ping = $0.payload { true } else { false }
        }
        if !pings.isEmpty { pingTimes.append(now) }
    }
    #expect(instance.localHealth == instance.settings.maxLocalHealthMultiplier - 1)
    let gaps = zip(pingTimes.dropFirst(), pingTimes).map { $0 - $1 }
    #expect(gaps.first.map { $0 <= instance.settings.probeInterval } == true)
    #expect(gaps.last.map { $0 >= instance.settings.probeInterval * 4 } == true, "\(gaps)")
}

/// A seed that is gone for good (no live member at its address) is contacted at every sync round,
/// and a live member is synced with all the same: with every other node listed as a seed, as
/// `cluster-up` starts them, one dead node used to take every round, and gossip's misses were never
/// repaired (a node missed two members' new uids for ten minutes in the coordination simulation).
@Test func aSeedGoneForGoodDoesNotStopTheSyncWithLiveMembers() {
    var instance = SWIM.Instance(
        settings: SWIM.Settings(), myself: a, seeds: [e.address], randomSeed: 42, formedWith: [a, b, c, d])
    _ = instance.handle(.start, at: .zero)
    let out = sends(advance(&instance, to: .seconds(95), answering: [b, c, d]))
    let syncs = out.filter { if case .sync(_, isReply: false) = $0.payload { true } else { false } }
    let toLiveMembers = syncs.filter { $0.recipient.map { [b, c, d].contains($0) } ?? false }
    let toTheSeed = syncs.filter { $0.recipient == nil }
    #expect(toTheSeed.count >= 2)
    #expect(toLiveMembers.count >= 2)
}

/// A write's quorum asks for direct contact besides the view (docs/partitions.md): `heard` names the
/// nodes a message came from within the lease, by name, whichever uid sent it or was meant.
@Test func theNodesHeardFromAreTheOnesAMessageCameFromWithinTheLease() {
    var instance = formedA()
    #expect(instance.heard(within: .seconds(8), at: .zero) == ["node-1"])
    _ = instance.handle(.received(SWIM.Message(sender: b, recipient: a, payload: .gossip)), at: .seconds(1))
    // A restarted node-3 still writing to node-1's predecessor: the link works all the same.
    let c2 = MemberID(name: "node-3", host: "10.0.0.3", port: 7100, uid: 0xC2)
    let old = MemberID(name: "node-1", host: "10.0.0.1", port: 7100, uid: 0x1)
    _ = instance.handle(
        .received(SWIM.Message(sender: c2, recipient: old, payload: .ping(sequence: 1))), at: .seconds(3))
    #expect(instance.heard(within: .seconds(8), at: .seconds(4)) == ["node-1", "node-2", "node-3"])
    // Silence ages them out; the view still counts them up, as no probe has failed yet.
    #expect(instance.heard(within: .seconds(8), at: .seconds(10)) == ["node-1", "node-3"])
    #expect(instance.heard(within: .seconds(8), at: .seconds(12)) == ["node-1"])
}

/// A member that rejoined under a new uid while the gossip of its join went elsewhere probes this
/// node: its ping is answered, and this node offers it a sync at once (once per probe interval),
/// whose answer makes it a member. Both long partition runs had a majority refuse writes for a
/// whole split for want of this (docs/partitions.md).
@Test func aStrangerThatProbesIsOfferedASyncAndItsAnswerMakesItAMember() {
    var instance = formedA()
    let e2 = MemberID(name: "node-5", host: "10.0.0.5", port: 7100, uid: 0xE2)
    let ping = SWIM.Message(sender: e2, recipient: a, payload: .ping(sequence: 9))
    let out = sends(instance.handle(.received(ping), at: .seconds(1)))
    #expect(out.contains { $0.recipient == e2 && $0.payload == .ack(sequence: 9, target: a) })
    let offers = out.filter {
        if case .sync(_, false) = $0.payload { return $0.recipient == e2 }
        return false
    }
    #expect(offers.count == 1)
    #expect(instance.member(e2) == nil)
    // Not again within the probe interval.
    let again = sends(instance.handle(.received(ping), at: .milliseconds(1500)))
    #expect(!again.contains { if case .sync = $0.payload { true } else { false } })
    // Its answer: its own view, itself included.
    let view = [a, b, c, d, e2].map { SWIM.Member(id: $0, status: .up, incarnation: 0) }
    _ = instance.handle(
        .received(SWIM.Message(sender: e2, recipient: a, payload: .sync(members: view, isReply: true))),
        at: .seconds(2))
    #expect(instance.member(e2)?.status == .up)
}

/// A node left alone by a partition (its view counts alive 2 of the 5 nodes it knows) offers a sync
/// to a node it buried every `isolatedRecontactInterval`, so that it finds the rest as soon as the
/// partition heals; a node whose view holds a majority does not (docs/partitions.md, finding 8).
@Test func aNodeLeftAloneOffersASyncToTheNodesItBuriedEverySecond() {
    func offers(_ directives: [SWIM.Directive]) -> [MemberAddress] {
        directives.compactMap {
            guard case .send(let message, let address) = $0, message.recipient == nil,
                case .sync(_, false) = message.payload
            else { return nil }
            return address
        }
    }
    var instance = formedA()
    #expect(offers(advance(&instance, to: .seconds(5), answering: [b, c, d, e])).isEmpty)
    // c, d and e fall silent and are buried; b still answers.
    _ = advance(&instance, to: .seconds(200), answering: [b])
    #expect([c, d, e].allSatisfy { instance.member($0)?.status == .down })
    let alone = offers(advance(&instance, to: .seconds(230), answering: [b]))
    #expect(alone.count >= 25)
    #expect(Set(alone).isSubset(of: [c.address, d.address, e.address]))
}
