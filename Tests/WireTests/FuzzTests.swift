import NIOCore
import Testing
import Wire

/// Property tests: whatever bytes arrive, the parser returns frames, asks for more, or throws
/// a `WireError` — it never traps, and it never holds on to more than one frame's worth.
@Suite("Frame decoder under random input")
struct FuzzTests {
    @Test(arguments: 0..<200)
    func randomBytesNeverCrashTheParser(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var buffer = ByteBuffer()
        let count = Int(random.next() % 4096)
        for _ in 0..<count { buffer.writeInteger(UInt8(truncatingIfNeeded: random.next())) }
        // Make a plausible length prefix half of the time so bodies get parsed, not just lengths.
        if seed % 2 == 0, buffer.readableBytes > 4 {
            buffer.setInteger(UInt32(buffer.readableBytes - 4), at: 0)
            buffer.setInteger(UInt8(1 + random.next() % 7), at: 4)
        }
        let parser = FrameParser(maxFrameSize: 1 << 16)
        do {
            while try parser.nextFrame(from: &buffer) != nil {}
        } catch {
            // Any WireError is fine; the typed throw guarantees nothing else escapes.
        }
    }

    @Test(arguments: 0..<100)
    func everyTruncationOfAValidFrameAsksForMoreOrFailsCleanly(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let frame = FrameTests.everyKind[Int(random.next() % UInt64(FrameTests.everyKind.count))]
        var whole = ByteBuffer()
        whole.writeFrame(frame)
        let cut = Int(random.next() % UInt64(whole.readableBytes))
        var prefix = whole.getSlice(at: 0, length: cut)!
        #expect(try FrameParser().nextFrame(from: &prefix) == nil)
        // Corrupting one byte of the body must give a frame or a WireError, never a crash.
        var corrupted = whole
        let position = 4 + Int(random.next() % UInt64(whole.readableBytes - 4))
        corrupted.setInteger(UInt8(truncatingIfNeeded: random.next()), at: position)
        _ = try? FrameParser().nextFrame(from: &corrupted)
    }

    @Test(arguments: 0..<100)
    func randomBytesNeverCrashTheBinaryDecoder(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var buffer = ByteBuffer()
        for _ in 0..<Int(random.next() % 512) { buffer.writeInteger(UInt8(truncatingIfNeeded: random.next())) }
        _ = try? BinaryDecoder().decode(Sample.self, from: buffer)
        _ = try? BinaryDecoder().decode([String: [Int?]].self, from: buffer)
    }
}

struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x1234_5678 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
