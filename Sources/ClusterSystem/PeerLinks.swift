import NIOCore
import NIOPosix
import Wire

/// Connections are keyed by peer name and lane: the certificate makes names unique in a
/// cluster, and a restarted peer (new uid) reuses its name.
struct LinkKey: Hashable {
    let name: String
    let lane: Lane
}

private enum NextStep {
    case use(Connection)
    case fail(ClusterError)
    case wait(dial: Bool)
}

struct LinkWaiter {
    let node: NodeID
    let continuation: CheckedContinuation<Connection, any Error>
}

/// The state of our connectivity to one peer on one lane.
struct Link {
    var ready: [Connection] = []
    var active: Connection?
    var dialing = false
    var waiters: [LinkWaiter] = []
    var consecutiveFailures = 0
    var retryAt = NIODeadline.uptimeNanoseconds(0)
    var lastFailure = ""
    /// The last dial was refused (RST to our SYN): nothing listens at the peer's address.
    var refused = false
}

extension ClusterSystem {
    /// The connection to use for a call to `node`, dialling if there is none. Fails at once
    /// while the peer is in reconnect backoff, so callers learn of a dead peer immediately.
    nonisolated(nonsending) func connection(to node: NodeID, lane: Lane) async throws -> Connection {
        let key = LinkKey(name: node.name, lane: lane)
        let fast = state.withLock { state -> NextStep? in
            guard !state.shuttingDown else { return .fail(.shutDown) }
            if state.partitionedFrom.contains(node.name) {
                return .fail(.peerUnreachable(node: node.description, reason: "partitioned (test)"))
            }
            guard let active = state.links[key]?.active else { return nil }
            return Self.check(active, for: node)
        }
        if let fast {
            switch fast {
            case .use(let connection): return connection
            case .fail(let error): throw error
            case .wait: break
            }
        }
        return try await withCheckedThrowingContinuation { continuation in
            let next = state.withLock { state -> NextStep in
                guard !state.shuttingDown else { return .fail(.shutDown) }
                var link = state.links[key] ?? Link()
                defer { state.links[key] = link }
                if let active = link.active { return Self.check(active, for: node) }
                if !link.dialing && NIODeadline.now() < link.retryAt {
                    return .fail(
                        .peerUnreachable(
                            node: node.description, reason: "reconnecting after: \(link.lastFailure)"))
                }
                link.waiters.append(LinkWaiter(node: node, continuation: continuation))
                let dial = !link.dialing
                link.dialing = true
                return .wait(dial: dial)
            }
            switch next {
            case .use(let connection): continuation.resume(returning: connection)
            case .fail(let error): continuation.resume(throwing: error)
            case .wait(let dial): if dial { self.dial(node.address, lane: lane) }
            }
        }
    }

    /// uid 0 addresses whichever incarnation answers (joining through a seed address).
    private static func check(_ connection: Connection, for node: NodeID) -> NextStep {
        guard node.uid != 0, connection.peer.uid != node.uid else { return .use(connection) }
        return .fail(
            .peerUnreachable(
                node: node.description,
                reason:
                    "that incarnation is gone; \(node.name) now runs as uid \(String(connection.peer.uid, radix: 16))"))
    }

    func dial(_ address: NodeAddress, lane: Lane) {
        let settings = self.settings
        ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(
                .writeBufferWaterMark,
                value: .init(low: settings.outboundLowWatermark, high: settings.outboundHighWatermark)
            )
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.installHandlers(on: channel, role: .dialer(expected: address, lane: lane))
                }
            }
            .connect(host: address.host, port: address.port)
            .whenFailure { error in
                self.dialFailed(
                    name: address.name, lane: lane, reason: "connect to \(address): \(error)",
                    refused: Self.isRefusal(error))
            }
    }

    /// A refusal is the peer's kernel answering that no process listens on the port: unlike a
    /// timeout, it cannot come from a slow or cut-off peer.
    static func isRefusal(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        if let error = error as? NIOConnectionError {
            return !error.connectionErrors.isEmpty && error.connectionErrors.allSatisfy { isRefusal($0.error) }
        }
        return false
    }

    /// Whether the last attempt to reach `name` was refused and nothing has connected since: the
    /// process that served that address is gone (SIGKILLed, crashed or stopped listening).
    package func refusesConnections(_ name: String) -> Bool {
        state.withLock { state in
            Lane.allCases.contains { lane in
                guard let link = state.links[LinkKey(name: name, lane: lane)] else { return false }
                return link.refused && link.active == nil
            }
        }
    }

    func dialFailed(name: String, lane: Lane, reason: String, refused: Bool = false) {
        let key = LinkKey(name: name, lane: lane)
        let waiters = state.withLock { state -> [LinkWaiter] in
            guard var link = state.links[key], link.dialing else { return [] }
            link.dialing = false
            link.consecutiveFailures += 1
            link.lastFailure = reason
            link.refused = refused
            // A refusal is answered in one round trip and says nothing about how soon a new process
            // will listen, so the next call dials again: its answer is never a stale one.
            link.retryAt = refused ? .now() : .now() + TimeAmount(backoff(afterFailures: link.consecutiveFailures))
            let waiters = link.waiters
            link.waiters.removeAll()
            state.links[key] = link
            return waiters
        }
        if !waiters.isEmpty { logger.debug("dial failed", metadata: ["peer": "\(name)", "reason": "\(reason)"]) }
        for waiter in waiters {
            waiter.continuation.resume(throwing: ClusterError.peerUnreachable(node: name, reason: reason))
        }
    }

    /// Capped exponential backoff with jitter in [0.5, 1], so peers that lost the same node do
    /// not redial it in lockstep.
    func backoff(afterFailures failures: Int) -> Duration {
        let exponent = min(failures - 1, 20)
        let raw = settings.reconnectInitialBackoff * (1 << exponent)
        let capped = min(raw, settings.reconnectMaxBackoff)
        return capped * Double.random(in: 0.5...1.0)
    }

    func connectionReady(_ connection: Connection) {
        let key = LinkKey(name: connection.peer.name, lane: connection.lane)
        if state.withLock({ $0.partitionedFrom.contains(connection.peer.name) }) {
            connection.channel.close(promise: nil)
            return
        }
        transportMetrics.connectionsOpened.increment()
        let (waiters, kept, loser) = state.withLock { state -> ([LinkWaiter], Connection, Connection?) in
            var link = state.links[key] ?? Link()
            defer { state.links[key] = link }
            link.ready.append(connection)
            if connection.dialedByUs {
                link.dialing = false
                link.consecutiveFailures = 0
            }
            link.refused = false
            var loser: Connection?
            if let active = link.active, active !== connection {
                let keep = preferred(active, connection)
                loser = keep === active ? connection : active
                link.active = keep
            } else {
                link.active = connection
            }
            let waiters = link.waiters
            link.waiters.removeAll()
            return (waiters, link.active!, loser)
        }
        logger.debug(
            "connection ready",
            metadata: [
                "peer": "\(connection.peer)", "lane": "\(connection.lane)", "dialed": "\(connection.dialedByUs)",
            ])
        loser?.retire(reason: "duplicate connection")
        // Waiters get the connection that stays, not one the tie-break just retired.
        for waiter in waiters {
            switch Self.check(kept, for: waiter.node) {
            case .use(let connection): waiter.continuation.resume(returning: connection)
            case .fail(let error): waiter.continuation.resume(throwing: error)
            case .wait: preconditionFailure("check never asks to wait")
            }
        }
    }

    /// Both ends apply the same rule, without talking: keep the connection dialled by the
    /// node that sorts first. So simultaneous dials end with one connection.
    private func preferred(_ a: Connection, _ b: Connection) -> Connection {
        guard a.dialedByUs != b.dialedByUs else { return a }
        let weAreFirst = (node.name, node.uid) < (a.peer.name, a.peer.uid)
        return a.dialedByUs == weAreFirst ? a : b
    }

    /// The peer said goodbye on `connection`: send new calls elsewhere.
    func connectionRetired(_ connection: Connection) {
        let key = LinkKey(name: connection.peer.name, lane: connection.lane)
        state.withLock { state in
            guard var link = state.links[key], link.active === connection else { return }
            link.active = link.ready.first { $0 !== connection }
            state.links[key] = link
        }
    }

    func connectionClosed(_ connection: Connection, reason: String, graceful: Bool) {
        let key = LinkKey(name: connection.peer.name, lane: connection.lane)
        state.withLock { state in
            guard var link = state.links[key] else { return }
            link.ready.removeAll { $0 === connection }
            if link.active === connection { link.active = link.ready.first }
            state.links[key] = link
        }
        logger.debug("connection closed", metadata: ["peer": "\(connection.peer)", "reason": "\(reason)"])
        // Without a goodbye the peer may be dead: a killed process closes its sockets at once, which
        // is the fastest evidence there is. Whoever holds work on that peer wants to know now.
        if !graceful { reportConnectionLoss(connection.peer) }
    }
}
