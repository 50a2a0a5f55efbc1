import NIOCore
import Wire

/// A call written (or about to be written) on a connection, waiting for its reply.
struct OutgoingCall: Sendable {
    let id: UInt64
    let frame: ByteBuffer
    let recipient: ActorID
    let target: String
    let timeout: Duration
    let continuation: CheckedContinuation<ByteBuffer, any Error>
}

/// The connection stopped taking new calls (it lost a duplicate-dial tie-break or is
/// draining); the caller should pick the connection that replaced it.
struct ConnectionRetired: Error {}

/// A thread-safe handle on one established, authenticated connection. Everything it does
/// runs on the connection's event loop: inline when the caller is already there (the fast
/// path the benchmark's callers take), otherwise by one hop.
final class Connection: Sendable {
    let channel: any Channel
    let peer: NodeID
    let lane: Lane
    let dialedByUs: Bool
    private let handler: NIOLoopBound<ConnectionHandler>

    init(channel: any Channel, peer: NodeID, lane: Lane, dialedByUs: Bool, handler: ConnectionHandler) {
        self.channel = channel
        self.peer = peer
        self.lane = lane
        self.dialedByUs = dialedByUs
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    var allocator: ByteBufferAllocator { channel.allocator }
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Runs `body` on the connection's event loop. Once the connection is closed its loop may
    /// already be shut down, so `ifClosed` runs instead, right here: a call must still get its
    /// answer, the rest has nothing left to do.
    private func onLoop(
        _ body: @escaping @Sendable (ConnectionHandler) -> Void, ifClosed: @Sendable () -> Void = {}
    ) {
        if channel.eventLoop.inEventLoop {
            body(handler.value)
        } else if channel.isActive {
            let handler = self.handler
            channel.eventLoop.execute { body(handler.value) }
        } else {
            ifClosed()
        }
    }

    func start(_ call: OutgoingCall) {
        onLoop({ $0.start(call) }, ifClosed: { call.continuation.resume(throwing: ConnectionRetired()) })
    }
    func cancel(callID: UInt64) { onLoop { $0.cancel(callID: callID) } }
    func reply(_ frame: Frame) { onLoop { $0.reply(frame) } }
    func retire(reason: String) { onLoop { $0.retire(reason: reason) } }
    func dispatch(_ call: CallFrame) { onLoop { $0.dispatch(call) } }
}
