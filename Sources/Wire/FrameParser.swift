import NIOCore

/// Cuts a byte stream into frames. Pure: it never touches a channel, so a fuzzer can drive it
/// with arbitrary bytes. The length prefix is checked against `maxFrameSize` before anything is
/// buffered for the body, so a hostile length cannot make the node allocate.
package struct FrameParser: Sendable {
    package static let defaultMaxFrameSize = 8 * 1024 * 1024

    package let maxFrameSize: Int

    package init(maxFrameSize: Int = FrameParser.defaultMaxFrameSize) {
        precondition(maxFrameSize > 0)
        self.maxFrameSize = maxFrameSize
    }

    /// Returns the next frame, or `nil` when `buffer` does not yet hold a whole frame.
    /// Throws on a malformed or oversized frame; the stream is then unusable.
    package func nextFrame(from buffer: inout ByteBuffer) throws(WireError) -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let frameLength = Int(length)
        if frameLength > maxFrameSize { throw .frameTooLarge(declared: frameLength, limit: maxFrameSize) }
        if frameLength == 0 { throw .emptyFrame }
        guard buffer.readableBytes >= 4 + frameLength else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        var body = buffer.readSlice(length: frameLength)!
        return try Self.decodeBody(&body)
    }

    /// Decodes one frame body (type byte first); every byte must be consumed.
    package static func decodeBody(_ body: inout ByteBuffer) throws(WireError) -> Frame {
        let rawType: UInt8 = try body.readWire("frame type")
        guard let type = FrameType(rawValue: rawType) else { throw .unknownFrameType(rawType) }
        let frame: Frame
        switch type {
        case .hello:
            let version: UInt16 = try body.readWire("hello.version")
            let node = try body.readNodeID("hello.node")
            let rawLane: UInt8 = try body.readWire("hello.lane")
            guard let lane = Lane(rawValue: rawLane) else {
                throw .invalidValue(field: "hello.lane", value: UInt64(rawLane))
            }
            frame = .hello(Hello(version: version, node: node, lane: lane))
        case .call:
            let callID: UInt64 = try body.readWire("call.id")
            let node = try body.readNodeID("call.recipient.node")
            let path = try body.readWireString("call.recipient.path")
            let target = try body.readWireString("call.target")
            let substitutionCount: UInt16 = try body.readWire("call.generics.count")
            var substitutions: [String] = []
            // Each name takes at least its 4-byte length, which bounds the count by the frame size.
            guard Int(substitutionCount) * 4 <= body.readableBytes else {
                throw .lengthOutOfRange(
                    field: "call.generics", declared: Int(substitutionCount) * 4, available: body.readableBytes)
            }
            substitutions.reserveCapacity(Int(substitutionCount))
            for _ in 0..<substitutionCount { substitutions.append(try body.readWireString("call.generics")) }
            let timeout: UInt64 = try body.readWire("call.timeout")
            let arguments = try body.readWireBytes("call.arguments")
            frame = .call(
                CallFrame(
                    callID: callID, recipient: ActorID(node: node, path: path), target: target,
                    genericSubstitutions: substitutions, arguments: arguments, timeoutMicros: timeout))
        case .reply:
            let callID: UInt64 = try body.readWire("reply.id")
            let value = try body.readWireBytes("reply.value")
            frame = .reply(ReplyFrame(callID: callID, value: value))
        case .failure:
            let callID: UInt64 = try body.readWire("failure.id")
            let rawKind: UInt8 = try body.readWire("failure.kind")
            guard let kind = FailureKind(rawValue: rawKind) else {
                throw .invalidValue(field: "failure.kind", value: UInt64(rawKind))
            }
            let errorType = try body.readWireString("failure.errorType")
            let message = try body.readWireString("failure.message")
            frame = .failure(FailureFrame(callID: callID, kind: kind, errorType: errorType, message: message))
        case .heartbeat:
            frame = .heartbeat(nonce: try body.readWire("heartbeat.nonce"))
        case .heartbeatAck:
            frame = .heartbeatAck(nonce: try body.readWire("heartbeatAck.nonce"))
        case .goodbye:
            frame = .goodbye(reason: try body.readWireString("goodbye.reason"))
        }
        if body.readableBytes != 0 {
            throw .trailingBytes(frameType: "\(type)", count: body.readableBytes)
        }
        return frame
    }
}

extension ByteBuffer {
    mutating func readWire<T: FixedWidthInteger>(_ field: String, as: T.Type = T.self) throws(WireError) -> T {
        guard let value = readInteger(as: T.self) else { throw .truncated(field: field) }
        return value
    }

    mutating func readWireBytes(_ field: String) throws(WireError) -> ByteBuffer {
        let length = Int(try readWire(field, as: UInt32.self))
        guard let slice = readSlice(length: length) else {
            throw .lengthOutOfRange(field: field, declared: length, available: readableBytes)
        }
        return slice
    }

    mutating func readWireString(_ field: String) throws(WireError) -> String {
        let length = Int(try readWire(field, as: UInt32.self))
        guard length <= readableBytes else {
            throw .lengthOutOfRange(field: field, declared: length, available: readableBytes)
        }
        guard let string = try? readUTF8ValidatedString(length: length) else { throw .invalidUTF8(field: field) }
        return string
    }

    mutating func readNodeID(_ field: String) throws(WireError) -> NodeID {
        let name = try readWireString(field + ".name")
        let host = try readWireString(field + ".host")
        let port: UInt16 = try readWire(field + ".port")
        let uid: UInt64 = try readWire(field + ".uid")
        return NodeID(name: name, host: host, port: Int(port), uid: uid)
    }
}
