import NIOCore
import Wire

/// Adapts the pure `FrameParser` to a channel. A parse error propagates as `errorCaught`,
/// which closes the connection; `ByteToMessageHandler` then stops feeding us.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame
    let parser: FrameParser
    let metrics: TransportMetrics

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let start = buffer.readerIndex
        guard let frame = try parser.nextFrame(from: &buffer) else { return .needMoreData }
        metrics.bytesReceived.increment(by: buffer.readerIndex - start)
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
