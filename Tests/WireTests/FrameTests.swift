import NIOCore
import Testing
import Wire

@Suite("Frames")
struct FrameTests {
    static let node = NodeID(name: "node-1", host: "127.0.0.1", port: 7101, uid: 0xDEAD_BEEF)

    static let everyKind: [Frame] = {
        var arguments = ByteBuffer()
        arguments.writeInteger(UInt32(3))
        arguments.writeBytes([1, 2, 3])
        return [
            .hello(Hello(node: node, lane: .control)),
            .call(
                CallFrame(
                    callID: 42, recipient: ActorID(node: node, path: "/worker"), target: "run",
                    genericSubstitutions: ["Int", "[String]"], arguments: arguments, timeoutMicros: 5_000_000)),
            .reply(ReplyFrame(callID: 42, value: ByteBuffer(bytes: [9, 8, 7]))),
            .reply(ReplyFrame(callID: 43, value: ByteBuffer())),
            .failure(FailureFrame(callID: 42, kind: .remoteError, errorType: "Mod.Err", message: "boom ✓")),
            .heartbeat(nonce: 1),
            .heartbeatAck(nonce: 2),
            .goodbye(reason: "shutting down"),
        ]
    }()

    @Test(arguments: everyKind)
    func everyFrameTypeRoundTrips(frame: Frame) throws {
        var buffer = ByteBuffer()
        buffer.writeFrame(frame)
        #expect(Int(buffer.getInteger(at: 0, as: UInt32.self)!) == buffer.readableBytes - 4)
        let decoded = try FrameParser().nextFrame(from: &buffer)
        #expect(decoded == frame)
        #expect(buffer.readableBytes == 0)
    }

    @Test func framesArriveInPiecesAndBackToBack() throws {
        var stream = ByteBuffer()
        for frame in Self.everyKind { stream.writeFrame(frame) }
        let bytes = Array(stream.readableBytesView)
        // Feed one byte at a time: the parser must wait, never misparse.
        var pending = ByteBuffer()
        var decoded: [Frame] = []
        for byte in bytes {
            pending.writeInteger(byte)
            while let frame = try FrameParser().nextFrame(from: &pending) { decoded.append(frame) }
        }
        #expect(decoded == Self.everyKind)
    }

    @Test func anOversizedLengthIsRefusedBeforeTheBodyArrives() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1_000_001))
        #expect(throws: WireError.frameTooLarge(declared: 1_000_001, limit: 1_000_000)) {
            _ = try FrameParser(maxFrameSize: 1_000_000).nextFrame(from: &buffer)
        }
    }

    @Test func specificDefectsHaveSpecificErrors() {
        func parse(_ bytes: [UInt8]) throws -> Frame? {
            var buffer = ByteBuffer(bytes: bytes)
            return try FrameParser().nextFrame(from: &buffer)
        }
        #expect(throws: WireError.emptyFrame) { try parse([0, 0, 0, 0]) }
        #expect(throws: WireError.unknownFrameType(0x7F)) { try parse([0, 0, 0, 1, 0x7F]) }
        #expect(throws: WireError.truncated(field: "heartbeat.nonce")) { try parse([0, 0, 0, 2, 0x05, 1]) }
        #expect(throws: WireError.trailingBytes(frameType: "heartbeat", count: 1)) {
            try parse([0, 0, 0, 10, 0x05, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF])
        }
        #expect(throws: WireError.lengthOutOfRange(field: "goodbye.reason", declared: 100, available: 0)) {
            try parse([0, 0, 0, 5, 0x07, 0, 0, 0, 100])
        }
        #expect(throws: WireError.invalidUTF8(field: "goodbye.reason")) {
            try parse([0, 0, 0, 7, 0x07, 0, 0, 0, 2, 0xC3, 0x28])
        }
        #expect(throws: WireError.invalidValue(field: "hello.lane", value: 9)) {
            var buffer = ByteBuffer()
            buffer.writeFrame(.hello(Hello(node: Self.node, lane: .calls)))
            buffer.setInteger(UInt8(9), at: buffer.writerIndex - 1)
            _ = try FrameParser().nextFrame(from: &buffer)
        }
    }
}
