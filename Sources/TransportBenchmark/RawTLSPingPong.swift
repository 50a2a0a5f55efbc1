import NIOCore
import NIOPosix
import NIOSSL

/// The floor: the same mutual-TLS connection on loopback with no actor machinery at all,
/// driven entirely from the event loop. 64-byte frames (4-byte length + 60 bytes).
enum RawTLSPingPong {
    struct Result {
        var latenciesNanos: [UInt64]
        var elapsedNanos: UInt64
    }

    /// `depth` frames in flight at once: 1 is sequential ping-pong, more is pipelined.
    static func run(
        server: NIOSSLContext, client: NIOSSLContext, serverName: String, group: any EventLoopGroup,
        roundTrips: Int, depth: Int
    ) async throws -> Result {
        let listener = try await ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: server))
                    try sync.addHandler(ByteToMessageHandler(LengthPrefixedDecoder()))
                    try sync.addHandler(EchoBack())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let done = group.next().makePromise(of: Result.self)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(try NIOSSLClientHandler(context: client, serverHostname: serverName))
                    try sync.addHandler(ByteToMessageHandler(LengthPrefixedDecoder()))
                    try sync.addHandler(Pinger(total: roundTrips, depth: depth, done: done))
                }
            }
            .connect(host: "127.0.0.1", port: listener.localAddress!.port!).get()
        let result = try await done.futureResult.get()
        try await channel.close()
        try await listener.close()
        return result
    }

    struct LengthPrefixedDecoder: ByteToMessageDecoder {
        typealias InboundOut = ByteBuffer
        mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
            guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
                buffer.readableBytes >= 4 + Int(length)
            else { return .needMoreData }
            context.fireChannelRead(Self.wrapInboundOut(buffer.readSlice(length: 4 + Int(length))!))
            return .continue
        }
    }

    final class EchoBack: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.write(data, promise: nil)
        }
        func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    }

    final class Pinger: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let total: Int
        let depth: Int
        let done: EventLoopPromise<Result>
        var sent = 0
        var received = 0
        var sentAt: [UInt64]
        var latencies: [UInt64] = []
        var startedAt: UInt64 = 0
        let frame: ByteBuffer

        init(total: Int, depth: Int, done: EventLoopPromise<Result>) {
            self.total = total
            self.depth = depth
            self.done = done
            self.sentAt = Array(repeating: 0, count: total)
            latencies.reserveCapacity(total)
            var frame = ByteBuffer()
            frame.writeInteger(UInt32(60))
            frame.writeRepeatingByte(0x2A, count: 60)
            self.frame = frame
        }

        func channelActive(context: ChannelHandlerContext) {
            startedAt = NIODeadline.now().uptimeNanoseconds
            for _ in 0..<min(depth, total) { send(context: context) }
            context.flush()
        }

        private func send(context: ChannelHandlerContext) {
            sentAt[sent] = NIODeadline.now().uptimeNanoseconds
            sent += 1
            context.write(wrapOutboundOut(frame), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = NIODeadline.now().uptimeNanoseconds
            latencies.append(now - sentAt[received])
            received += 1
            if received == total {
                done.succeed(Result(latenciesNanos: latencies, elapsedNanos: now - startedAt))
            } else if sent < total {
                send(context: context)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            done.fail(error)
            context.close(promise: nil)
        }
    }
}
