extension SWIM.Instance {
    mutating func receive(_ message: SWIM.Message, at now: Duration) {
        let sender = message.sender
        guard sender != myself else { return }
        // Whatever it says and to whichever uid, it came through: the link works.
        if sender.address.name != myself.address.name { lastHeard[sender.address.name] = now }
        // A restarted process never answers for its predecessor's uid.
        if let recipient = message.recipient, recipient != myself { return }
        if let old = records[sender]?.member, old.status.isTerminal {
            receiveFromTombstone(message, at: now)
            return
        }
        guard started else { return }
        // A member this view has never heard of may belong to another view (a node that joined the
        // other side of a split): take only what it says about itself, until someone known vouches.
        let senderKnown = records[sender] != nil
        for update in message.gossip where senderKnown || update.member.id == sender {
            apply(update, from: sender, at: now)
            if status.isTerminal { return }
        }
        switch message.payload {
        case .ping(let sequence):
            receivePing(sequence: sequence, from: sender)
        case .pingRequest(let sequence, let target):
            receivePingRequest(sequence: sequence, target: target, from: sender, at: now)
        case .ack(let sequence, let target):
            receiveAck(sequence: sequence, target: target, at: now)
        case .nack(let sequence):
            receiveNack(sequence: sequence, at: now)
        case .join:
            send(.sync(members: members, isReply: true), to: sender, gossip: [])
        case .sync(let entries, let isReply):
            receiveSync(entries, isReply: isReply, from: sender, at: now)
        case .gossip:
            break
        case .declaredDown:
            rejoin(through: sender.address)
        }
        if !senderKnown, records[sender] == nil { askStranger(sender, about: message.payload, at: now) }
    }

    /// A member this view has never heard of is probing or gossiping to it: a node that rejoined
    /// under a new uid while the gossip of its join went elsewhere (its contact was cut off a moment
    /// later). Gossip alone may never bring it: it is retransmitted a few times only, and a full sync
    /// comes every `syncInterval`. Both of a partition's long runs had a majority refuse writes for a
    /// whole split, each member knowing only the old uids of others that had rejoined just before it
    /// (docs/partitions.md). So this node offers its view at once, and the stranger's answer brings
    /// its own; views that contradict each other meet the split rule, as through any sync. Once per
    /// `probeInterval` per stranger.
    mutating func askStranger(_ stranger: MemberID, about payload: SWIM.Payload, at now: Duration) {
        switch payload {
        case .join, .sync, .declaredDown: return
        case .ping, .pingRequest, .ack, .nack, .gossip: break
        }
        guard status == .up else { return }
        strangersAsked = strangersAsked.filter { now - $0.value < settings.probeInterval }
        guard strangersAsked[stranger] == nil else { return }
        strangersAsked[stranger] = now
        send(.sync(members: members, isReply: false), to: stranger, gossip: [])
    }

    /// A uid this node has buried is still talking: it missed its own death (it was paused, or on
    /// the other side of a partition). Tell it, so it rejoins as a new uid.
    mutating func receiveFromTombstone(_ message: SWIM.Message, at now: Duration) {
        switch message.payload {
        case .declaredDown:
            // Both sides buried each other; the sync exchange below decides who yields.
            return
        case .sync(let entries, let isReply):
            receiveSync(entries, isReply: isReply, from: message.sender, at: now)
        default:
            send(.declaredDown, to: message.sender, gossip: [])
        }
    }

    /// Full-state exchange. It also heals splits: two views that diverged (each buried members the
    /// other still counts alive) meet here through the seeds, and the smaller one rejoins the
    /// larger under new uids.
    mutating func receiveSync(
        _ entries: [SWIM.Member], isReply: Bool, from sender: MemberID, at now: Duration
    ) {
        // A joining node takes the cluster's state from the answer to its join and nowhere else:
        // a seed re-contact from the other side of a split would otherwise hand it a second view.
        if status == .joining && !isReply { return }
        let buriedMe = entries.contains {
            $0.id == myself && ($0.status == .left || ($0.status == .down && $0.incarnation >= incarnation))
        }
        let senderStatus = records[sender]?.member.status
        let senderBuried = senderStatus?.isTerminal ?? false
        // A member that this view still counts alive buried this node: a verdict, not a split.
        if buriedMe && senderStatus != nil && !senderBuried {
            rejoin(through: sender.address)
            return
        }
        // A sender this view buried, or never heard of, whose view contradicts this one: the views
        // split. Both ends apply the same rule, so exactly one side yields.
        if (senderBuried || senderStatus == nil) && (buriedMe || contradicts(entries)) {
            let theirs = entries.count(where: { !$0.status.isTerminal })
            if liveMemberCount > theirs || (liveMemberCount == theirs && myself < sender) {
                if !isReply { send(.sync(members: members, isReply: true), to: sender, gossip: []) }
            } else {
                rejoin(through: sender.address)
            }
            return
        }
        if senderBuried {
            if isReply {
                send(.declaredDown, to: sender, gossip: [])
            } else {
                send(.sync(members: members, isReply: true), to: sender, gossip: [])
            }
            return
        }
        guard started else { return }
        for entry in entries {
            apply(
                SWIM.Update(member: entry, reporter: entry.status == .suspect ? sender : nil), from: sender,
                at: now)
            if status.isTerminal { return }
        }
        if isReply {
            if status == .joining { becomeUp() }
        } else {
            send(.sync(members: members, isReply: true), to: sender, gossip: [])
        }
    }

    /// Whether another view buried a member this one counts alive, or the other way round.
    func contradicts(_ entries: [SWIM.Member]) -> Bool {
        entries.contains { entry in
            guard entry.id != myself, let mine = records[entry.id]?.member else { return false }
            return entry.status.isTerminal != mine.status.isTerminal
        }
    }

    /// The cluster declared this uid dead. Its decision is final: say goodbye to the members this
    /// node still sees, so they need not time it out, and let the shell start a new uid.
    mutating func rejoin(through contact: MemberAddress) {
        guard !status.isTerminal else { return }
        let previous = status
        status = .down
        emit(
            SWIM.MembershipChange(
                member: myself, previous: previous, status: .down, incarnation: incarnation))
        announceDeparture()
        output.append(.rejoin(contact: contact))
    }
}
