import FuzzSupport
import NIOCore
import Wire

/// The transport's frame parser (Sources/Wire/FrameParser.swift) on a stream cut at fuzzer-chosen
/// points, as TCP delivers it.
///
/// The first byte picks the mode. Even: the rest is a raw stream, parsed whole and in pieces; both
/// must give the same frames and end the same way (the same `WireError`, or a wait for more bytes),
/// and each frame must encode back to exactly the bytes it was parsed from. Odd: the rest describes
/// frames, which are encoded, concatenated, cut into pieces and parsed back to the very same frames.
/// The cut sizes come from the input too, before the stream.
enum FrameFuzz {
    static let target = FuzzTarget(name: "frames", seeds: seeds) { input in
        var reader = FuzzReader(input)
        let mode = reader.byte()
        let cuts = (0..<Int(reader.byte() % 8)).map { _ in Int(reader.byte()) }
        if mode % 2 == 0 {
            parseGarbage(reader.rest(), cuts: cuts)
        } else {
            roundTrip(&reader, cuts: cuts)
        }
    }

    /// A connection's first frames as a node sends them, in a few cuts; and one of each kind.
    @Sendable static func seeds() -> [[UInt8]] {
        let node = NodeID(name: "node-1", host: "127.0.0.1", port: 7101, uid: 0xfeed)
        let frames: [Frame] = [
            .hello(Hello(node: node, lane: .calls)),
            .call(
                CallFrame(
                    callID: 1, recipient: ActorID(node: node, path: "/coordinator"), target: "deliver",
                    genericSubstitutions: [], arguments: ByteBuffer(bytes: [0, 0, 0, 4, 0, 0, 0, 0]),
                    timeoutMicros: 5_000_000)),
            .reply(ReplyFrame(callID: 1, value: ByteBuffer())),
            .failure(FailureFrame(callID: 2, kind: .remoteError, errorType: "StoreError", message: "disk full")),
            .heartbeat(nonce: 7), .heartbeatAck(nonce: 7), .goodbye(reason: "shutting down"),
        ]
        var stream = ByteBuffer()
        for frame in frames { stream.writeFrame(frame) }
        let bytes = Array(stream.readableBytesView)
        var seeds = [[0, 3, 5, 1, 17] + bytes, [0, 0] + bytes]
        for frame in frames {
            var one = ByteBuffer()
            one.writeFrame(frame)
            seeds.append([0, 1, 3] + Array(one.readableBytesView))
        }
        return seeds
    }

    /// A small limit, so that the fuzzer reaches `frameTooLarge` with lengths it can write.
    static let parser = FrameParser(maxFrameSize: 1 << 16)

    struct Outcome: Equatable {
        var frames: [Frame] = []
        /// The bytes of each frame as they arrived, length prefix included.
        var encodings: [[UInt8]] = []
        var error: WireError?
    }

    /// Feeds `stream` to the parser in pieces of the sizes in `cuts`, taken in turn (an empty `cuts`
    /// or a zero size means the whole rest at once), and parses after each piece as the channel does.
    static func parse(_ stream: [UInt8], cuts: [Int]) -> Outcome {
        var outcome = Outcome()
        var pending = ByteBuffer()
        var offset = 0
        var turn = 0
        repeat {
            let size = cuts.isEmpty || cuts[turn % cuts.count] == 0 ? stream.count - offset : cuts[turn % cuts.count]
            let end = min(stream.count, offset + size)
            pending.writeBytes(stream[offset..<end])
            offset = end
            turn += 1
            do {
                while true {
                    // A copy (it shares the storage): bytes before the reader index are not readable.
                    let before = pending
                    guard let frame = try parser.nextFrame(from: &pending) else { break }
                    outcome.frames.append(frame)
                    let length = pending.readerIndex - before.readerIndex
                    outcome.encodings.append(before.getBytes(at: before.readerIndex, length: length) ?? [])
                }
            } catch {
                outcome.error = error
                return outcome
            }
        } while offset < stream.count
        return outcome
    }

    static func parseGarbage(_ stream: [UInt8], cuts: [Int]) {
        let whole = parse(stream, cuts: [])
        let pieces = parse(stream, cuts: cuts)
        require(whole == pieces, "the frames depend on where the stream was cut: \(whole) vs \(pieces)")
        for (frame, bytes) in zip(whole.frames, whole.encodings) {
            var encoded = ByteBuffer()
            encoded.writeFrame(frame)
            require(
                Array(encoded.readableBytesView) == bytes,
                "\(frame) does not encode to the bytes it was read from: \(bytes) became \(Array(encoded.readableBytesView))"
            )
        }
    }

    static func roundTrip(_ reader: inout FuzzReader, cuts: [Int]) {
        var frames: [Frame] = []
        while !reader.isAtEnd && frames.count < 16 { frames.append(frame(&reader)) }
        var stream = ByteBuffer()
        for frame in frames { stream.writeFrame(frame) }
        let parsed = parse(Array(stream.readableBytesView), cuts: cuts)
        require(parsed.error == nil, "encoded frames fail to parse: \(parsed.error!) in \(frames)")
        require(parsed.frames == frames, "frames do not survive encoding: \(frames) became \(parsed.frames)")
    }

    static func frame(_ reader: inout FuzzReader) -> Frame {
        switch reader.byte() % 7 {
        case 0:
            return .hello(
                Hello(version: reader.integer(), node: node(&reader), lane: reader.byte() % 2 == 0 ? .calls : .control))
        case 1:
            let recipient = ActorID(node: node(&reader), path: reader.string())
            let target = reader.string()
            let substitutions = (0..<Int(reader.byte() % 4)).map { _ in reader.string() }
            return .call(
                CallFrame(
                    callID: reader.integer(), recipient: recipient, target: target,
                    genericSubstitutions: substitutions, arguments: ByteBuffer(bytes: reader.bytes()),
                    timeoutMicros: reader.integer()))
        case 2:
            return .reply(ReplyFrame(callID: reader.integer(), value: ByteBuffer(bytes: reader.bytes())))
        case 3:
            let kinds = FailureKind.allCases
            return .failure(
                FailureFrame(
                    callID: reader.integer(), kind: kinds[Int(reader.byte()) % kinds.count],
                    errorType: reader.string(), message: reader.string()))
        case 4: return .heartbeat(nonce: reader.integer())
        case 5: return .heartbeatAck(nonce: reader.integer())
        default: return .goodbye(reason: reader.string())
        }
    }

    static func node(_ reader: inout FuzzReader) -> NodeID {
        // The port travels as a UInt16: a wider one is not a value the transport ever holds.
        NodeID(
            name: reader.string(), host: reader.string(), port: Int(reader.integer(UInt16.self)), uid: reader.integer())
    }
}
