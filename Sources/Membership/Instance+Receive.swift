extension SWIM.Instance {
    mutating func receive(_ message: SWIM.Message, at now: Duration) {
        // A restarted process never answers for its predecessor's uid.
        if let recipient = message.recipient, recipient != myself { return }
        let sender = message.sender
        guard sender != myself else { return }
        if let old = records[sender]?.member, old.status.isTerminal {
            receiveFromTombstone(message, at: now)
            return
        }
        guard started else { return }
        for update in message.gossip {
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

    /// Full-state exchange. It also heals splits: two views that each buried the other meet here
    /// (through the seeds), and the smaller one rejoins the larger under new uids.
    mutating func receiveSync(
        _ entries: [SWIM.Member], isReply: Bool, from sender: MemberID, at now: Duration
    ) {
        let buriedMe = entries.contains {
            $0.id == myself && ($0.status == .left || ($0.status == .down && $0.incarnation >= incarnation))
        }
        let senderBuried = records[sender]?.member.status.isTerminal ?? false
        if buriedMe {
            if senderBuried && !isReply {
                let theirs = entries.count(where: { !$0.status.isTerminal })
                if liveMemberCount > theirs || (liveMemberCount == theirs && myself < sender) {
                    send(.sync(members: members, isReply: true), to: sender, gossip: [])
                    return
                }
            }
            rejoin(through: sender.address)
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
