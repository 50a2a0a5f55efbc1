import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Wire

/// One TLS connection to a peer, after the frame decoder. It authenticates the peer (hello
/// against certificate), then multiplexes calls both ways: replies are matched to pending
/// calls by id, incoming calls go to the system. All state is confined to the event loop.
///
/// Closing is driven by the goodbye exchange: a side that sends `goodbye` sends no further
/// calls, and the connection closes once both sides said it and nothing is in flight, so a
/// connection retired by the duplicate-dial tie-break loses no call.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = Frame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Role {
        case dialer(expected: NodeAddress, lane: Lane)
        case acceptor
    }

    private enum State {
        case handshaking
        case awaitingHello(certifiedName: String)
        case ready(Connection)
        case closed
    }

    private struct PendingCall {
        let continuation: CheckedContinuation<ByteBuffer, any Error>
        let deadline: NIODeadline
        let timeout: Duration
        let recipient: ActorID
        let target: String
    }

    private let role: Role
    private let system: ClusterSystem
    private var state: State = .handshaking
    private var context: ChannelHandlerContext?
    private var pending: [UInt64: PendingCall] = [:]
    private var waitingForRoom = CircularBuffer<OutgoingCall>()
    private struct IncomingCall {
        var task: Task<Void, Never>?
        let bytes: Int
    }

    /// Incoming calls still executing, with their task once it has suspended (a call that
    /// completes inside `Task.immediate` never needs one). Cancelled if the connection dies.
    private var incoming: [UInt64: IncomingCall] = [:]
    /// The frame bytes of `incoming`, which bound reading as their number does.
    private var incomingBytes = 0
    private var readHeld = false
    private var goodbyeSent = false
    private var goodbyeReceived = false
    private var inReadBatch = false
    private var needsFlush = false
    private var flushScheduled = false
    private var handshakeTimer: Scheduled<Void>?
    private var deadlineSweep: Scheduled<Void>?
    private var closeReason: String?

    init(role: Role, system: ClusterSystem) {
        self.role = role
        self.system = system
    }

    private var logger: Logger { system.logger }

    private var peerDescription: String {
        switch state {
        case .ready(let connection): return connection.peer.description
        case .awaitingHello(let name): return name
        default:
            if case .dialer(let expected, _) = role { return expected.description }
            return context?.remoteAddress?.description ?? "unknown peer"
        }
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let timeout = TimeAmount(system.settings.connectTimeout)
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            if case .ready = self.state { return }
            self.close(reason: "no authenticated hello within \(timeout)")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        deadlineSweep?.cancel()
        let reason = closeReason ?? "connection closed by peer"
        let error: ClusterError =
            system.isShuttingDown ? .shutDown : .peerUnreachable(node: peerDescription, reason: reason)
        let calls = pending
        pending.removeAll()
        system.transportMetrics.callsConnection.increment(by: calls.count)
        for (_, call) in calls {
            call.continuation.resume(throwing: error)
        }
        // Every call waiting for room is also in `pending` (resumed just above), or was resumed and
        // removed from it by the deadline sweep or a cancellation: resuming it here again would be a
        // second resume of the same continuation (a crash seen under scripts/bench at 64 in flight).
        waitingForRoom.removeAll()
        // Nobody can receive these replies any more: stop the work.
        for case .some(let task) in incoming.values.map(\.task) { task.cancel() }
        incoming.removeAll()
        incomingBytes = 0
        switch state {
        case .ready(let connection):
            system.connectionClosed(connection, reason: reason, graceful: goodbyeSent || goodbyeReceived)
        default:
            if case .dialer(let expected, let lane) = role {
                system.dialFailed(name: expected.name, lane: lane, reason: reason)
            }
        }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Every refusal is logged with its reason on this side; the peer sees the TLS alert.
        let reason: String
        switch error {
        case let wire as WireError: reason = "malformed frame: \(wire)"
        case let tls as NIOSSLError: reason = "TLS: \(tls)"
        default: reason = "\(error)"
        }
        close(reason: reason)
    }

    private func close(reason: String) {
        guard closeReason == nil, let context else { return }
        closeReason = reason
        logger.notice("closing connection", metadata: ["peer": "\(peerDescription)", "reason": "\(reason)"])
        context.close(promise: nil)
    }

    // MARK: Authentication

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            do {
                guard let certificate = try context.pipeline.syncOperations.nioSSL_peerCertificate() else {
                    throw PeerIdentityError.noCertificate
                }
                let name = try ClusterTLS.nodeName(of: certificate)
                if let allowed = system.settings.allowedPeers, !allowed.contains(name) {
                    system.transportMetrics.peersNotAllowed.increment()
                    throw PeerIdentityError.notAllowed(certificate: name)
                }
                if case .dialer(let expected, let lane) = role {
                    guard name == expected.name else {
                        throw PeerIdentityError.unexpectedPeer(expected: expected.name, certificate: name)
                    }
                    writeAndFlush(.hello(Hello(node: system.node, lane: lane)))
                }
                state = .awaitingHello(certifiedName: name)
            } catch {
                close(reason: "peer identity: \(error)")
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func receiveHello(_ hello: Hello, certifiedName: String) {
        guard hello.version == wireProtocolVersion else {
            return close(reason: "peer speaks wire version \(hello.version), this node \(wireProtocolVersion)")
        }
        // The certificate authenticates; the hello only adds the incarnation (uid) and the
        // address the peer listens on. A name in a frame is never trusted on its own.
        guard hello.node.name == certifiedName else {
            return close(
                reason: "\(PeerIdentityError.nameMismatch(certificate: certifiedName, hello: hello.node.name))")
        }
        let lane: Lane
        let dialedByUs: Bool
        switch role {
        case .dialer(_, let ourLane):
            guard hello.lane == ourLane else { return close(reason: "peer answered on lane \(hello.lane)") }
            lane = ourLane
            dialedByUs = true
        case .acceptor:
            lane = hello.lane
            dialedByUs = false
            writeAndFlush(.hello(Hello(node: system.node, lane: lane)))
        }
        handshakeTimer?.cancel()
        let connection = Connection(
            channel: context!.channel, peer: hello.node, lane: lane, dialedByUs: dialedByUs, handler: self)
        state = .ready(connection)
        system.connectionReady(connection)
    }

    // MARK: Inbound frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        inReadBatch = true
        switch state {
        case .awaitingHello, .ready:
            // Only authenticated peers move the counters: a peer refused after the handshake (not on
            // the allow-list) may have sent its hello already, and it is never read.
            system.framesRead.add(1, ordering: .relaxed)
            system.transportMetrics.framesReceived.increment()
        case .handshaking, .closed:
            break
        }
        switch state {
        case .awaitingHello(let name):
            guard case .hello(let hello) = frame else {
                return close(reason: "\(frame.type) frame before hello")
            }
            receiveHello(hello, certifiedName: name)
        case .ready(let connection):
            switch frame {
            case .call(let call):
                guard !goodbyeReceived else { return close(reason: "call after goodbye") }
                system.transportMetrics.callsReceived.increment()
                dispatch(call)
            case .reply(let reply):
                guard let call = pending.removeValue(forKey: reply.callID) else { return }
                call.continuation.resume(returning: reply.value)
                closeIfDrained()
            case .failure(let failure):
                guard let call = pending.removeValue(forKey: failure.callID) else { return }
                call.continuation.resume(throwing: ClusterError(failure: failure, recipient: call.recipient))
                closeIfDrained()
            case .heartbeat(let nonce):
                write(.heartbeatAck(nonce: nonce))
            case .heartbeatAck:
                break
            case .goodbye(let reason):
                goodbyeReceived = true
                logger.debug("peer said goodbye", metadata: ["peer": "\(connection.peer)", "reason": "\(reason)"])
                if !goodbyeSent {
                    sendGoodbye(reason: "acknowledging: \(reason)")
                    system.connectionRetired(connection)
                }
                closeIfDrained()
            case .hello:
                close(reason: "second hello")
            }
        case .handshaking, .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadBatch = false
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    // MARK: Outbound calls

    func start(_ call: OutgoingCall) {
        guard case .ready = state, !goodbyeSent, let context else {
            call.continuation.resume(throwing: ConnectionRetired())
            return
        }
        let callID = call.id
        pending[callID] = PendingCall(
            continuation: call.continuation, deadline: .now() + TimeAmount(call.timeout), timeout: call.timeout,
            recipient: call.recipient, target: call.target)
        armDeadlineSweep()
        system.transportMetrics.callsSent.increment()
        if waitingForRoom.isEmpty && context.channel.isWritable {
            system.transportMetrics.sent(bytes: call.frame.readableBytes)
            context.write(wrapOutboundOut(call.frame), promise: nil)
            scheduleFlush()
        } else if waitingForRoom.count < system.settings.maxWaitingCalls {
            // The frame stays with its suspended caller until the socket drains: backpressure
            // without an unbounded byte queue.
            waitingForRoom.append(call)
        } else {
            pending.removeValue(forKey: callID)
            system.transportMetrics.callsOverloaded.increment()
            call.continuation.resume(
                throwing: ClusterError.overloaded("\(waitingForRoom.count) calls already wait for \(peerDescription)"))
        }
    }

    /// Deadlines are enforced by one sweep per connection every `deadlineSweepInterval` while
    /// calls are pending, not by a timer per call: arming and cancelling a NIO timer per call
    /// cost more than the rest of the call's bookkeeping. A call fails at most one interval late.
    private static let deadlineSweepInterval = TimeAmount.milliseconds(10)

    private func armDeadlineSweep() {
        guard deadlineSweep == nil, let context else { return }
        deadlineSweep = context.eventLoop.assumeIsolated().scheduleTask(in: Self.deadlineSweepInterval) {
            self.deadlineSweep = nil
            self.sweepDeadlines()
        }
    }

    private func sweepDeadlines() {
        let now = NIODeadline.now()
        let expired = pending.filter { $0.value.deadline <= now }
        system.transportMetrics.callsDeadline.increment(by: expired.count)
        for (callID, call) in expired {
            pending.removeValue(forKey: callID)
            call.continuation.resume(
                throwing: ClusterError.deadlineExceeded(target: call.target, timeout: call.timeout))
        }
        if !pending.isEmpty { armDeadlineSweep() }
        if !expired.isEmpty { closeIfDrained() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        while context.channel.isWritable, let call = waitingForRoom.popFirst() {
            guard pending[call.id] != nil else { continue }  // timed out or cancelled while waiting
            system.transportMetrics.sent(bytes: call.frame.readableBytes)
            context.write(wrapOutboundOut(call.frame), promise: nil)
        }
        context.flush()
        context.fireChannelWritabilityChanged()
    }

    func cancel(callID: UInt64) {
        guard let call = pending.removeValue(forKey: callID) else { return }
        call.continuation.resume(throwing: CancellationError())
        closeIfDrained()
    }

    // MARK: Incoming calls and their replies

    func dispatch(_ call: CallFrame) {
        guard case .ready(let connection) = state else { return }
        // A call dispatched again once its actor type's method table is learnt is counted once.
        if incoming[call.callID] == nil {
            let bytes = call.arguments.readableBytes + call.target.utf8.count + 64
            incoming[call.callID] = IncomingCall(task: nil, bytes: bytes)
            incomingBytes += bytes
        }
        let task = system.handleIncoming(call, on: connection)
        if incoming[call.callID] != nil, let task { incoming[call.callID]?.task = task }
    }

    func reply(_ frame: Frame) {
        var frame = frame
        // A reply over the frame limit would make the caller drop the connection, and every call on
        // it; the caller gets this call's failure instead.
        if case .reply(let reply) = frame, reply.value.readableBytes + 64 > system.settings.maxFrameSize {
            frame = .failure(
                FailureFrame(
                    callID: reply.callID, kind: .remoteError, errorType: "ReplyTooLarge",
                    message:
                        "the reply of \(reply.value.readableBytes) bytes exceeds the frame limit of \(system.settings.maxFrameSize) bytes"
                ))
        }
        let callID: UInt64?
        switch frame {
        case .reply(let reply): callID = reply.callID
        case .failure(let failure): callID = failure.callID
        default: callID = nil
        }
        if let callID, let done = incoming.removeValue(forKey: callID) { incomingBytes -= done.bytes }
        write(frame)
        if readHeld && !incomingIsFull {
            readHeld = false
            context?.read()
        }
        closeIfDrained()
    }

    /// Calls or bytes: either bound stops reading. The byte bound never holds back a call alone,
    /// so a call as large as the frame limit still runs.
    private var incomingIsFull: Bool {
        incoming.count >= system.settings.maxConcurrentIncomingCalls
            || (!incoming.isEmpty && incomingBytes >= system.settings.maxIncomingCallBytes)
    }

    /// Holding back `read` is how the node stops reading from a peer whose calls it cannot
    /// keep up with; TCP flow control then pushes back on the sender.
    func read(context: ChannelHandlerContext) {
        if incomingIsFull {
            readHeld = true
        } else {
            context.read()
        }
    }

    // MARK: Goodbye

    func retire(reason: String) {
        guard case .ready = state, !goodbyeSent else { return }
        sendGoodbye(reason: reason)
        while let call = waitingForRoom.popFirst() {
            guard pending.removeValue(forKey: call.id) != nil else { continue }
            call.continuation.resume(throwing: ConnectionRetired())
        }
        closeIfDrained()
    }

    private func sendGoodbye(reason: String) {
        goodbyeSent = true
        writeAndFlush(.goodbye(reason: reason))
    }

    private func closeIfDrained() {
        if goodbyeSent && goodbyeReceived && pending.isEmpty && incoming.isEmpty {
            context?.flush()
            close(reason: "drained after goodbye")
        }
    }

    // MARK: Writing

    private func write(_ frame: Frame) {
        guard let context, case .ready = state else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeFrame(frame)
        system.transportMetrics.sent(bytes: buffer.readableBytes)
        context.write(wrapOutboundOut(buffer), promise: nil)
        scheduleFlush()
        // Replies and acks cannot wait for room as calls do (the peer's calls would stall behind its
        // own unread replies), so a peer that stops reading is cut off at the cap instead of being
        // buffered for without bound. Below the high watermark the count is not even looked at.
        if !context.channel.isWritable,
            let buffered = try? context.channel.syncOptions?.getOption(
                .bufferedWritableBytes), buffered > system.settings.maxOutboundBytes
        {
            system.transportMetrics.outboundOverflows.increment()
            close(
                reason:
                    "the peer does not read: \(buffered) bytes wait to be sent, above the cap of \(system.settings.maxOutboundBytes)"
            )
        }
    }

    private func writeAndFlush(_ frame: Frame) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        buffer.writeFrame(frame)
        system.transportMetrics.sent(bytes: buffer.readableBytes)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// One flush per event-loop turn, however many frames were written in it: with many
    /// callers in flight this is what turns one syscall per call into one per batch.
    private func scheduleFlush() {
        if inReadBatch {
            needsFlush = true
            return
        }
        guard !flushScheduled, let context else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.context?.flush()
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
