import ClusterSystem
import Logging
import Membership
import NIOCore
import NIOPosix
import Wire

/// The shell around `SWIM.Instance`: it owns the clock and the timer, carries the instance's
/// messages over the cluster's control lane, turns a lost connection into evidence for the
/// failure detector, and publishes the membership changes.
package actor MembershipService {
    /// Membership runs on a thread of its own, not on Swift's cooperative pool: when agents, replication
    /// and HTTP keep the pool's threads busy, a probe answered late looks like a dead node (found by
    /// the HTTP load test: healthy nodes declared down at 16 submissions per second). One thread
    /// serves every membership instance of the process; the protocol's work is small.
    static let thread = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()

    package nonisolated var unownedExecutor: UnownedSerialExecutor {
        Self.thread.executor.asUnownedSerialExecutor()
    }

    package let system: ClusterSystem
    package let settings: SWIM.Settings
    /// What this node tells every member about itself (`SWIM.Member.metadata`), kept across rejoins.
    package let metadata: [String: String]
    /// Messages delivered by peers, waiting for the state machine (bounded; see `MembershipInbox`).
    package nonisolated let inbox: MembershipInbox
    /// Every change of this node's view, in order. Buffered (newest kept) so that a slow or
    /// absent consumer never holds the failure detector back.
    package nonisolated let changes: AsyncStream<SWIM.MembershipChange>
    private let changesContinuation: AsyncStream<SWIM.MembershipChange>.Continuation
    private var instance: SWIM.Instance
    private let origin = ContinuousClock.now
    private var timer: Task<Void, Never>?
    private var lossWatcher: Task<Void, Never>?
    private var inboxReader: Task<Void, Never>?
    private var endpoint: MembershipEndpoint?
    private var logger: Logger

    package init(
        system: ClusterSystem, seeds: [NodeAddress], settings: SWIM.Settings = SWIM.Settings(),
        metadata: [String: String] = [:], inboxCapacity: Int = 1024
    ) {
        self.system = system
        self.settings = settings
        self.metadata = metadata
        self.inbox = MembershipInbox(capacity: inboxCapacity)
        self.logger = system.logger
        (changes, changesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let node = system.node
        instance = SWIM.Instance(
            settings: settings,
            myself: MemberID(name: node.name, host: node.host, port: node.port, uid: node.uid),
            seeds: seeds.map { MemberAddress(name: $0.name, host: $0.host, port: $0.port) },
            randomSeed: UInt64.random(in: .min ... .max), metadata: metadata)
    }

    /// Registers `/membership` and starts joining through the seeds.
    package func start() {
        let endpoint = system.makeWellKnown(MembershipEndpoint.path) {
            MembershipEndpoint(service: self, actorSystem: system)
        }
        self.endpoint = endpoint
        watchConnectionLosses()
        let messages = inbox.messages
        inboxReader = Task { [weak self] in
            for await message in messages {
                guard let self else { return }
                await self.receive(message)
            }
        }
        handle(.start)
    }

    /// Tells every member this node leaves, waits (briefly) for those messages to go out, and
    /// stops the failure detector. Others mark this node `left` without a suspicion timeout.
    package func leave() async {
        let sends = handle(.leave)
        timer?.cancel()
        timer = nil
        lossWatcher?.cancel()
        inbox.finish()
        inboxReader?.cancel()
        for send in sends { _ = await send.result }
        changesContinuation.finish()
    }

    package var view: [SWIM.Member] { instance.members }
    package var myself: MemberID { instance.myself }
    package var status: SWIM.Status { instance.status }

    /// The nodes, by name, a message came from within `lease(live members, probe interval)`, this
    /// one included (`SWIM.Instance.heard(within:at:)`).
    package func heard(lease: @Sendable (_ liveMembers: Int, _ probeInterval: Duration) -> Duration) -> Set<String> {
        instance.heard(within: lease(instance.liveMemberCount, instance.settings.probeInterval), at: now)
    }

    func receive(_ message: SWIM.Message) {
        handle(.received(message))
    }

    private var now: Duration { ContinuousClock.now - origin }

    @discardableResult
    private func handle(_ event: SWIM.Event) -> [Task<Void, Never>] {
        let directives = instance.handle(event, at: now)
        var sends: [Task<Void, Never>] = []
        for directive in directives {
            switch directive {
            case .send(let message, let address):
                sends.append(send(message, to: address))
            case .changed(let change):
                logger.info("membership: \(change)")
                changesContinuation.yield(change)
            case .rejoin(let contact):
                rejoin(through: contact)
            }
        }
        schedule()
        return sends
    }

    /// One call per message on the control lane; its deadline is the ping timeout, since a later
    /// answer is worthless to the protocol. A refused connection is evidence, fed back at once.
    private func send(_ message: SWIM.Message, to address: MemberAddress) -> Task<Void, Never> {
        let system = self.system
        let timeout = settings.pingTimeout
        return Task {
            do {
                let remote = try MembershipEndpoint.at(address, using: system)
                try await ClusterSystem.$callOptions.withValue(.init(timeout: timeout, lane: .control)) {
                    try await remote.deliver(message)
                }
            } catch ClusterError.peerUnreachable {
                guard let recipient = message.recipient else { return }
                if system.refusesConnections(recipient.address.name) {
                    self.peerRefused(recipient)
                } else {
                    self.peerUnreachable(recipient)
                }
            } catch {
                // Deadlines and remote failures: SWIM's own timeouts decide what they mean.
            }
        }
    }

    private func peerUnreachable(_ member: MemberID) {
        handle(.peerUnreachable(member))
    }

    /// Calls to the node named `name` went unanswered past their deadline: probe it out of turn.
    package func peerUnresponsive(_ name: String) {
        for member in instance.members where member.id.address.name == name && !member.status.isTerminal {
            handle(.peerUnreachable(member.id))
        }
    }

    private func peerRefused(_ member: MemberID) {
        handle(.peerRefused(member))
    }

    /// A connection that closed without a goodbye is reason to probe its peer now; a SIGKILLed
    /// peer then refuses the probe's dial, which declares it down within milliseconds.
    private func watchConnectionLosses() {
        let losses = system.subscribeToConnectionLosses()
        lossWatcher = Task { [weak self] in
            for await peer in losses {
                await self?.peerUnreachable(
                    MemberID(name: peer.name, host: peer.host, port: peer.port, uid: peer.uid))
            }
        }
    }

    /// The cluster declared this incarnation down; it can never come back. Start over as a new
    /// member (new uid) through a member of the view that prevailed.
    private func rejoin(through contact: MemberAddress) {
        let node = system.node
        let fresh = MemberID(name: node.name, host: node.host, port: node.port, uid: UInt64.random(in: 1 ... .max))
        logger.warning("membership: this node was declared down; rejoining as \(fresh) through \(contact)")
        let configured = instance.seeds + instance.healingSeeds
        let alive = instance.peerAddresses
        instance = SWIM.Instance(
            settings: settings, myself: fresh, seeds: [contact], randomSeed: UInt64.random(in: .min ... .max),
            metadata: metadata)
        instance.healingSeeds = configured
        instance.joinFallback = alive
        _ = instance.handle(.start, at: now)
    }

    private func schedule() {
        timer?.cancel()
        guard let wake = instance.nextWakeUp else {
            timer = nil
            return
        }
        let delay = max(.zero, wake - now)
        timer = Task {
            try? await Task.sleep(for: delay)
            guard !Task.isCancelled else { return }
            self.tick()
        }
    }

    private func tick() {
        timer = nil
        handle(.tick)
    }
}
