import Distributed
import FoundationEssentials
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Wire

/// The distributed actor system of one InfraMind node: actors on this node are reachable from
/// every peer over mutually authenticated TLS 1.3, and calls to actors elsewhere travel as
/// frames (see `Wire`) on one connection per peer and lane.
package final class ClusterSystem: DistributedActorSystem, Sendable {
    package typealias ActorID = Wire.ActorID
    package typealias InvocationEncoder = ClusterInvocationEncoder
    package typealias InvocationDecoder = ClusterInvocationDecoder
    package typealias ResultHandler = ClusterResultHandler
    package typealias SerializationRequirement = any Codable

    /// Options of the calls made in a scope (deadline, lane).
    @TaskLocal package static var callOptions = CallOptions()
    @TaskLocal static var pendingWellKnownPath: String?
    /// The node that made the incoming call being executed, as its connection's certificate names it.
    @TaskLocal static var certifiedCaller: String?

    package let node: NodeID
    package let settings: Settings
    package let logger: Logger
    let group: any EventLoopGroup
    private let ownsGroup: Bool
    let tls: ClusterTLS
    let names = WireNames()
    let recordingProxyID: ActorID
    private let listener: any Channel
    private let slot: SystemSlot
    let nextCallID = Atomic<UInt64>(1)
    /// Frames read from authenticated peers; a refused peer never moves it.
    let framesRead = Atomic<Int>(0)
    let senderMismatches = Atomic<Int>(0)
    let transportMetrics = TransportMetrics()
    private let nextActorNumber = Atomic<UInt64>(1)
    let state = Mutex(SystemState())
    /// Every connection that closed without a goodbye, by peer. Not proof of death (a link can
    /// break), but a SIGKILLed peer shows up here within milliseconds. Newest kept if unread.
    /// One consumer; others call `subscribeToConnectionLosses()`.
    package let connectionLosses: AsyncStream<NodeID>

    struct SystemState {
        var actors: [String: WeakActor] = [:]
        var links: [LinkKey: Link] = [:]
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
        /// Peers this node pretends it cannot reach (tests only: see `partition(from:)`).
        var partitionedFrom: Set<String> = []
        /// Everyone told of connection losses (an `AsyncStream` has one consumer each).
        var lossSubscribers: [AsyncStream<NodeID>.Continuation] = []
        var expiryRefresh: RepeatedTask?
    }

    final class WeakActor {
        weak var actor: (any DistributedActor)?
        init(_ actor: any DistributedActor) { self.actor = actor }
    }

    /// Binds the listener, then returns the running system. Port 0 binds a free port, which
    /// then becomes part of this node's identity.
    package static func start(
        settings: Settings, group: (any EventLoopGroup)? = nil,
        logger: Logger = Logger(label: "inframind.cluster")
    ) async throws -> ClusterSystem {
        let tls = try ClusterTLS(files: settings.tls)
        let ownsGroup = group == nil
        let group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: settings.eventLoopThreads)
        let slot = SystemSlot()
        let listener: any Channel
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(
                    .writeBufferWaterMark,
                    value: .init(low: settings.outboundLowWatermark, high: settings.outboundHighWatermark)
                )
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard let system = slot.system else { throw ClusterError.shutDown }
                        try system.installHandlers(on: channel, role: .acceptor)
                    }
                }
                .bind(host: settings.host, port: settings.port).get()
        } catch {
            if ownsGroup { try? await group.shutdownGracefully() }
            throw error
        }
        let port = listener.localAddress?.port ?? settings.port
        let system = ClusterSystem(
            settings: settings, port: port, group: group, ownsGroup: ownsGroup, tls: tls, listener: listener,
            slot: slot, logger: logger)
        slot.system = system
        system.logger.info("node listening", metadata: ["node": "\(system.node)"])
        system.refreshCertificateExpiry()
        return system
    }

    private init(
        settings: Settings, port: Int, group: any EventLoopGroup, ownsGroup: Bool, tls: ClusterTLS,
        listener: any Channel, slot: SystemSlot, logger: Logger
    ) {
        var uid = UInt64.random(in: 1...UInt64.max)
        if uid == 0 { uid = 1 }
        self.node = NodeID(name: settings.name, host: settings.host, port: port, uid: uid)
        self.settings = settings
        self.group = group
        self.ownsGroup = ownsGroup
        self.tls = tls
        self.listener = listener
        self.slot = slot
        var logger = logger
        logger[metadataKey: "node"] = "\(settings.name)"
        self.logger = logger
        let (losses, continuation) = Self.makeLossStream()
        connectionLosses = losses
        self.recordingProxyID = ActorID(
            node: NodeID(name: "recording-proxy.invalid", host: "invalid", port: 0, uid: 0), path: "/recording")
        state.withLock { $0.lossSubscribers.append(continuation) }
    }

    func installHandlers(on channel: any Channel, role: ConnectionHandler.Role) throws {
        let sslHandler: NIOSSLHandler
        switch role {
        case .acceptor:
            sslHandler = NIOSSLServerHandler(context: tls.serverContext)
        case .dialer(let expected, _):
            sslHandler = try NIOSSLClientHandler(context: tls.clientContext, serverHostname: expected.name)
        }
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(sslHandler)
        try operations.addHandler(
            ByteToMessageHandler(
                FrameDecoder(parser: FrameParser(maxFrameSize: settings.maxFrameSize), metrics: transportMetrics),
                maximumBufferSize: settings.maxFrameSize + 4))
        try operations.addHandler(ConnectionHandler(role: role, system: self))
        let id = ObjectIdentifier(channel)
        state.withLock { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.channels.removeValue(forKey: id) }
        }
    }

    /// Seconds until this node's certificate expires, recorded every minute so that an alert can
    /// fire on a certificate nobody rotated (docs/operations.md, rotating certificates).
    private func refreshCertificateExpiry() {
        let notValidAfter = tls.notValidAfter
        let metrics = transportMetrics
        let task = group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(60)) { _ in
            metrics.certificateExpiry.record(notValidAfter.timeIntervalSinceNow)
        }
        state.withLock { $0.expiryRefresh = task }
    }

    /// When this node's transport certificate expires.
    package var certificateNotValidAfter: Date { tls.notValidAfter }

    package var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Number of open connections (handshaking, ready or draining), for tests and metrics.
    package var openConnectionCount: Int { state.withLock { $0.channels.count } }

    /// Frames this node has read since it started (hello included).
    package var framesReadCount: Int { framesRead.load(ordering: .relaxed) }

    /// Says goodbye on every connection to `nodeName`; each closes once its calls are done.
    /// Membership uses this when a node is declared down or has left.
    package func disconnect(from nodeName: String) {
        let connections = state.withLock { state -> [Connection] in
            Lane.allCases.flatMap { lane -> [Connection] in
                let key = LinkKey(name: nodeName, lane: lane)
                // New calls dial afresh while these drain.
                state.links[key]?.active = nil
                return state.links[key]?.ready ?? []
            }
        }
        for connection in connections { connection.retire(reason: "disconnect requested") }
    }

    /// A stream of its own of what `connectionLosses` reports, for a second consumer.
    package func subscribeToConnectionLosses() -> AsyncStream<NodeID> {
        let (losses, continuation) = Self.makeLossStream()
        let finished = state.withLock { state in
            if state.shuttingDown { return true }
            state.lossSubscribers.append(continuation)
            return false
        }
        if finished { continuation.finish() }
        return losses
    }

    /// Newest kept if unread: a slow consumer learns of the latest losses, never blocks the reporter.
    private static func makeLossStream() -> (AsyncStream<NodeID>, AsyncStream<NodeID>.Continuation) {
        AsyncStream.makeStream(of: NodeID.self, bufferingPolicy: .bufferingNewest(1024))
    }

    func reportConnectionLoss(_ peer: NodeID) {
        transportMetrics.connectionsLost.increment()
        for subscriber in state.withLock({ $0.lossSubscribers }) { subscriber.yield(peer) }
    }

    /// Cuts this node off from `names` as a network partition would: their connections drop at once
    /// without goodbye, and no new one opens either way until `heal()`. For in-process tests of the
    /// quorum rule; the multi-process tests cut nothing this way.
    @_spi(Testing) public func partition(from names: Set<String>) {
        let doomed = state.withLock { state -> [Connection] in
            state.partitionedFrom.formUnion(names)
            var doomed: [Connection] = []
            for (key, link) in state.links where names.contains(key.name) {
                doomed += link.ready
                state.links[key]?.ready.removeAll()
                state.links[key]?.active = nil
            }
            return doomed
        }
        for connection in doomed { connection.channel.close(promise: nil) }
    }

    /// What a SIGKILL looks like to peers: every connection drops without goodbye, then the node stops.
    @_spi(Testing) public func crash() async {
        closeAllConnectionsAbruptly()
        await shutdown()
    }

    @_spi(Testing) public func heal() {
        state.withLock { $0.partitionedFrom.removeAll() }
    }

    /// Closes every connection at once, without goodbye: what peers see when this process is
    /// killed. For failure tests.
    func closeAllConnectionsAbruptly() {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    // MARK: Peer identity

    /// Inside a distributed method called from another node: that node's name, as the certificate of
    /// the connection the call came on says it. Nil for a call made in this process.
    package static var callerName: String? { certifiedCaller }

    /// Whether a sender named in a message (`Envelope.from`, a SWIM message's sender) is the node the
    /// call carrying it came from. A mismatch is logged and counted: a node of the cluster CA claiming
    /// to speak for another (docs/security.md#peer-identity). A call made in this process matches.
    package func senderMatchesCaller(_ claimed: String, in what: String) -> Bool {
        guard let caller = Self.certifiedCaller, caller != claimed else { return true }
        senderMismatches.add(1, ordering: .relaxed)
        transportMetrics.senderMismatches.increment()
        logger.warning(
            "refused a message whose sender is not its connection's certified peer",
            metadata: ["certified": "\(caller)", "claimed": "\(claimed)", "in": "\(what)"])
        return false
    }

    /// Messages refused by `senderMatchesCaller` since the system started.
    package var senderMismatchCount: Int { senderMismatches.load(ordering: .relaxed) }

    // MARK: Actor lifecycle

    /// Creates an actor under a well-known path (`/coordinator`, `/membership`, …) that peers
    /// can address on any node without having been told its id.
    package func makeWellKnown<Act: DistributedActor>(_ path: String, _ make: () throws -> Act) rethrows -> Act
    where Act.ActorSystem == ClusterSystem {
        try Self.$pendingWellKnownPath.withValue(path) { try make() }
    }

    /// The id of the actor at `path` on `node`.
    package func wellKnownID(_ path: String, on node: NodeID) -> ActorID { ActorID(node: node, path: path) }

    package func assignID<Act>(_ actorType: Act.Type) -> ActorID where Act: DistributedActor, Act.ID == ActorID {
        if let path = Self.pendingWellKnownPath {
            return ActorID(node: node, path: path)
        }
        let number = nextActorNumber.add(1, ordering: .relaxed).newValue
        return ActorID(node: node, path: "/\(Act.self)/\(number)")
    }

    package func actorReady<Act>(_ actor: Act) where Act: DistributedActor, Act.ID == ActorID {
        // Weak: the registry must not keep actors alive, or `resignID` would never run.
        let replaced = state.withLock { state -> Bool in
            let live = state.actors[actor.id.path]?.actor != nil
            state.actors[actor.id.path] = WeakActor(actor)
            return live
        }
        if replaced {
            logger.warning(
                "actor path reused while its previous actor is alive", metadata: ["path": "\(actor.id.path)"])
        }
    }

    package func resignID(_ id: ActorID) {
        state.withLock { state in
            if let entry = state.actors[id.path], entry.actor.map({ ($0.id as? ActorID) == id }) ?? true {
                state.actors.removeValue(forKey: id.path)
            }
        }
    }

    package func resolve<Act>(id: ActorID, as actorType: Act.Type) throws -> Act?
    where Act: DistributedActor, Act.ID == ActorID {
        guard id.node.name == node.name else { return nil }  // remote: the runtime makes a proxy
        // Never return a proxy for our own name: it would call itself over the wire, and an
        // id of a previous incarnation of this node must fail rather than reach a new actor.
        guard id.node.uid == node.uid, let actor = localActor(at: id.path), let typed = actor as? Act else {
            throw ClusterError.unknownActor(id)
        }
        return typed
    }

    func localActor(at path: String) -> (any DistributedActor)? {
        state.withLock { $0.actors[path]?.actor }
    }

    /// Types a peer may name as a generic substitution in a call (an allowlist).
    package func allowGenericSubstitution<T>(_ type: T.Type, as name: String) {
        names.allow(type, as: name)
    }

    // MARK: Shutdown

    /// Stops accepting, says goodbye on every connection, waits up to the grace period for
    /// calls in flight, then closes what is left. Pending calls fail with `.shutDown`.
    package func shutdown() async {
        let alreadyShuttingDown = state.withLock { state -> Bool in
            defer { state.shuttingDown = true }
            return state.shuttingDown
        }
        guard !alreadyShuttingDown else { return }
        state.withLock { $0.expiryRefresh }?.cancel()
        try? await listener.close()
        let (connections, waiters) = state.withLock { state -> ([Connection], [LinkWaiter]) in
            var connections: [Connection] = []
            var waiters: [LinkWaiter] = []
            for key in state.links.keys {
                connections += state.links[key]!.ready
                waiters += state.links[key]!.waiters
                state.links[key]!.waiters.removeAll()
            }
            return (connections, waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: ClusterError.shutDown) }
        for connection in connections { connection.retire(reason: "node shutting down") }
        let deadline = ContinuousClock.now + settings.shutdownGracePeriod
        while openConnectionCount > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let remaining = state.withLock { Array($0.channels.values) }
        for channel in remaining { try? await channel.close() }
        slot.system = nil
        for subscriber in state.withLock({ $0.lossSubscribers }) { subscriber.finish() }
        if ownsGroup { try? await group.shutdownGracefully() }
        logger.info("node stopped")
    }
}

/// Lets the listener's channel initializer reach the system, which exists only after the
/// listener is bound (its port is part of the node's identity).
final class SystemSlot: Sendable {
    private let value = Mutex<ClusterSystem?>(nil)
    var system: ClusterSystem? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
