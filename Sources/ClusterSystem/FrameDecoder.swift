import NIOCore
import Wire

/// Adapts the pure `FrameParser` to a channel. A parse error propagates as `errorCaught`,
/// which closes the connection; `ByteToMessageHandler` then stops feeding us.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame
    let parser: FrameParser

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try parser.nextFrame(from: &buffer) else { return .needMoreData }
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
