extension SWIM {
    /// The SWIM + Lifeguard failure detector of one node, as a pure state machine.
    ///
    /// Feed it events with the current time (`handle(_:at:)`) and it returns the messages to send
    /// and the membership changes it observed. It never reads a clock, never sleeps and never does
    /// I/O; randomness comes from the seed it was created with. The caller owns the timers: after
    /// each call, wake it at `nextWakeUp` with `.tick`.
    ///
    /// Time is a `Duration` since an origin the caller picks and keeps (a monotonic clock).
    package struct Instance: Sendable {
        package let settings: Settings
        package let myself: MemberID
        /// This node's own status: `joining` until it has the cluster's state, then `up`;
        /// `left` after a graceful leave, `down` once it learns the cluster declared it dead.
        package internal(set) var status: Status
        /// Raised only to refute suspicion of this node.
        package internal(set) var incarnation: UInt64 = 0
        /// Lifeguard's local health score; probe interval and timeouts are multiplied by `1 + score`.
        package internal(set) var localHealth: Int = 0

        /// What this node says about itself to every member (`Member.metadata`); nil when nothing.
        package let metadata: [String: String]?
        package let seeds: [MemberAddress]
        /// Addresses the periodic sync contacts when no live member has them, beyond `seeds`. A node
        /// that rejoined after a split joins through one contact only, but must keep looking for the
        /// cluster's configured seeds: if the contact was on the losing side too, that is the only way
        /// the two views ever meet again (the coordination simulation found such a split that never
        /// healed).
        package var healingSeeds: [MemberAddress] = []
        /// Addresses a rejoining node also sends its join to once its contact has left it unanswered
        /// for `Settings.joinFallbackDelay`: the members its previous uid still counted alive. The
        /// contact is tried alone first, as it belongs to the view that buried this node; but a
        /// contact cut off since (a partition that flapped, a bridge that went) would otherwise keep
        /// the node out of every view until the partition heals, and the side it belongs to one member
        /// short of its quorum all that time (docs/membership.md, "Rejoining").
        package var joinFallback: [MemberAddress] = []
        let isOwnSeed: Bool
        var random: SeededRandom

        var records: [MemberID: Record] = [:]
        /// The non-terminal members other than this node, for random choices (array, not set,
        /// so that choices replay from the seed).
        var peers: [MemberID] = []
        var peerPositions: [MemberID: Int] = [:]
        var probeOrder: [MemberID] = []
        var probePosition = 0

        var probes: [UInt64: Probe] = [:]
        var forwards: [UInt64: Forward] = [:]
        var suspicions: [MemberID: Suspicion] = [:]
        var dissemination = Dissemination()
        var sequence: UInt64 = 0

        var started = false
        /// When a message last arrived from each node, by name, whatever its uid: the direct
        /// contact a write's quorum asks for besides this view (`heard(within:at:)`).
        package internal(set) var lastHeard: [String: Duration] = [:]
        /// Senders this view has never heard of that it offered a sync lately (`askStranger`).
        var strangersAsked: [MemberID: Duration] = [:]
        var nextProbeAt: Duration?
        var nextGossipAt: Duration?
        var nextSyncAt: Duration?
        var nextRecontactAt: Duration?
        var nextJoinAt: Duration?
        /// From when joins go to `joinFallback` too.
        var joinFallbackFrom: Duration?
        var formAloneAt: Duration?

        var output: [Directive] = []

        struct Record: Sendable {
            var member: Member
            /// When the status last changed; tombstones are pruned relative to it.
            var since: Duration
        }

        struct Probe: Sendable {
            var target: MemberID
            var directDeadline: Duration
            var periodEnd: Duration
            var indirectSent = false
            var expectedNacks = 0
            var nacks = 0
        }

        /// A probe this node runs on behalf of another (an indirect probe).
        struct Forward: Sendable {
            var requester: MemberID
            var requesterSequence: UInt64
            var target: MemberID
            var nackAt: Duration
            var expiresAt: Duration
            var nacked = false
        }

        /// Creates the instance of a node that joins through `seeds` (addresses of any members;
        /// this node's own address may be among them, which lets it form a cluster). `metadata`
        /// travels with every record of this node that it sends (docs/membership.md).
        package init(
            settings: Settings = Settings(), myself: MemberID, seeds: [MemberAddress], randomSeed: UInt64,
            metadata: [String: String] = [:]
        ) {
            self.settings = settings
            self.myself = myself
            self.metadata = metadata.isEmpty ? nil : metadata
            var unique: [MemberAddress] = []
            for seed in seeds where seed != myself.address && !unique.contains(seed) {
                unique.append(seed)
            }
            self.seeds = unique
            self.isOwnSeed = seeds.contains(myself.address)
            self.random = SeededRandom(seed: randomSeed)
            self.status = .joining
        }

        /// Creates an instance that is already `up` and knows `members` as `up` at incarnation 0:
        /// the state a node reaches after joining and one full sync. Large simulations start from
        /// it rather than replaying thousands of joins; the protocol from there on is the same.
        package init(
            settings: Settings = Settings(), myself: MemberID, seeds: [MemberAddress], randomSeed: UInt64,
            formedWith members: [MemberID]
        ) {
            self.init(settings: settings, myself: myself, seeds: seeds, randomSeed: randomSeed)
            status = .up
            for id in members where id != myself {
                insert(Member(id: id, status: .up, incarnation: 0), at: .zero)
            }
        }

        // MARK: - The view

        /// This node's view: itself and every member it knows, tombstones included, sorted by id.
        package var members: [Member] {
            var all = records.values.map(\.member)
            all.append(selfMember)
            all.sort { $0.id < $1.id }
            return all
        }

        package func member(_ id: MemberID) -> Member? {
            id == myself ? selfMember : records[id]?.member
        }

        /// The nodes, by name, that a message came from within `lease` before `now`, this node
        /// included. Unlike the view, which a member keeps `up` until probes say otherwise (and a
        /// node whose probes Lifeguard has slowed probes seldom), this shrinks as soon as the others
        /// fall silent: a partition's minority sees it within the lease (docs/partitions.md).
        package func heard(within lease: Duration, at now: Duration) -> Set<String> {
            var names: Set<String> = [myself.address.name]
            for (name, at) in lastHeard where now - at <= lease { names.insert(name) }
            return names
        }

        /// Members that are not down or left, this node included.
        package var liveMemberCount: Int { peers.count + 1 }

        /// The addresses of the members other than this node that this view counts alive: where a
        /// rejoin's joins go once its contact stays silent (`joinFallback`).
        package var peerAddresses: [MemberAddress] { peers.map(\.address) }

        var selfMember: Member { Member(id: myself, status: status, incarnation: incarnation, metadata: metadata) }

        /// When the instance next needs a `.tick`, or nil when it has stopped.
        package var nextWakeUp: Duration? {
            guard started, !status.isTerminal else { return nil }
            var next: Duration? = nil
            func consider(_ time: Duration?) {
                guard let time else { return }
                if next.map({ time < $0 }) ?? true { next = time }
            }
            consider(nextProbeAt)
            consider(dissemination.isEmpty ? nil : nextGossipAt)
            consider(nextSyncAt)
            consider(nextRecontactAt)
            consider(nextJoinAt)
            consider(formAloneAt)
            for probe in probes.values {
                consider(probe.indirectSent ? probe.periodEnd : probe.directDeadline)
            }
            for forward in forwards.values {
                consider(forward.nacked ? forward.expiresAt : forward.nackAt)
            }
            for suspicion in suspicions.values {
                consider(suspicion.deadline)
            }
            return next
        }

        // MARK: - Driving

        /// Applies one event at time `now` and returns what to do, in order.
        package mutating func handle(_ event: Event, at now: Duration) -> [Directive] {
            output.removeAll(keepingCapacity: true)
            guard !status.isTerminal else { return [] }
            switch event {
            case .start:
                start(at: now)
            case .tick:
                break
            case .received(let message):
                receive(message, at: now)
            case .peerUnreachable(let id):
                if started { connectionLost(to: id, at: now) }
            case .peerRefused(let id):
                if started { connectionRefused(by: id, at: now) }
            case .leave:
                leave(at: now)
            }
            if started && !status.isTerminal {
                fireTimers(at: now)
            }
            return output
        }

        mutating func start(at now: Duration) {
            guard !started else { return }
            started = true
            nextProbeAt = now + settings.probeInterval * random.unit()
            nextSyncAt = now + settings.syncInterval(members: liveMemberCount) * random.unit()
            nextRecontactAt = now + settings.isolatedRecontactInterval
            if status == .up { return }
            emit(
                MembershipChange(member: myself, previous: nil, status: .joining, incarnation: incarnation))
            if seeds.isEmpty {
                becomeUp()
            } else {
                sendJoins(at: now)
                nextJoinAt = now + settings.joinRetryInterval
                if !joinFallback.isEmpty { joinFallbackFrom = now + settings.joinFallbackDelay }
                if isOwnSeed { formAloneAt = now + settings.joinTimeout }
            }
        }

        mutating func fireTimers(at now: Duration) {
            if let at = nextJoinAt, at <= now {
                if status == .joining {
                    sendJoins(at: now)
                    nextJoinAt = now + settings.joinRetryInterval
                } else {
                    nextJoinAt = nil
                }
            }
            if let at = formAloneAt, at <= now {
                formAloneAt = nil
                if status == .joining { becomeUp() }
            }
            fireProbeTimers(at: now)
            fireSuspicionTimers(at: now)
            if let at = nextProbeAt, at <= now {
                nextProbeAt = now + scaled(settings.probeInterval)
                if let target = nextProbeTarget() { startProbe(of: target, at: now) }
            }
            if let at = nextGossipAt, at <= now {
                gossipRound(at: now)
            }
            if let at = nextSyncAt, at <= now {
                nextSyncAt = now + settings.syncInterval(members: liveMemberCount)
                syncRound(at: now)
            }
            if let at = nextRecontactAt, at <= now {
                nextRecontactAt = now + settings.isolatedRecontactInterval
                recontactRound()
            }
        }

        mutating func leave(at now: Duration) {
            let previous = status
            status = .left
            emit(
                MembershipChange(
                    member: myself, previous: previous, status: .left, incarnation: incarnation))
            announceDeparture()
        }

        /// Tells every live member that this uid is gone, so they need not detect it.
        mutating func announceDeparture() {
            let farewell = Update(member: Member(id: myself, status: .left, incarnation: incarnation))
            for peer in peers {
                send(.gossip, to: peer, gossip: [farewell])
            }
        }

        // MARK: - Helpers

        /// A duration stretched by Lifeguard's local health multiplier.
        func scaled(_ duration: Duration) -> Duration {
            duration * (localHealth + 1)
        }

        mutating func adjustLocalHealth(by delta: Int) {
            localHealth = min(max(0, localHealth + delta), settings.maxLocalHealthMultiplier - 1)
        }

        mutating func nextSequence() -> UInt64 {
            sequence &+= 1
            return sequence
        }

        mutating func emit(_ change: MembershipChange) {
            output.append(.changed(change))
        }

        mutating func send(_ payload: Payload, to recipient: MemberID, gossip: [Update]) {
            let message = Message(sender: myself, recipient: recipient, payload: payload, gossip: gossip)
            output.append(.send(message, to: recipient.address))
        }

        /// Sends with as much pending gossip as fits.
        mutating func sendPiggybacked(_ payload: Payload, to recipient: MemberID, first: [Update] = []) {
            var gossip = first
            gossip += dissemination.take(
                limit: settings.maxPiggybackedUpdates - first.count,
                retransmitLimit: settings.retransmitLimit(members: liveMemberCount))
            send(payload, to: recipient, gossip: gossip)
        }

        /// Up to `count` distinct random peers, alive ones only unless `includeSuspect`.
        mutating func randomPeers(count: Int, excluding excluded: MemberID?, includeSuspect: Bool)
            -> [MemberID]
        {
            guard count > 0, !peers.isEmpty else { return [] }
            func eligible(_ id: MemberID) -> Bool {
                guard id != excluded, let status = records[id]?.member.status else { return false }
                return status.isAlive || (includeSuspect && status == .suspect)
            }
            if peers.count <= 4 * count + 8 {
                var candidates = peers.filter(eligible)
                let wanted = min(count, candidates.count)
                for index in 0..<wanted {
                    candidates.swapAt(index, Int.random(in: index..<candidates.count, using: &random))
                }
                return Array(candidates.prefix(wanted))
            }
            // Sampling with rejection avoids copying thousands of ids for three picks.
            var chosen: [MemberID] = []
            var attempts = 0
            while chosen.count < count && attempts < 16 * count {
                attempts += 1
                let id = peers[Int.random(in: 0..<peers.count, using: &random)]
                if eligible(id) && !chosen.contains(id) { chosen.append(id) }
            }
            return chosen
        }
    }
}
