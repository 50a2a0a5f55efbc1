import Foundation
import NIOCore
import Testing
import Wire

struct Sample: Codable, Equatable {
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case rectangle(width: Double, height: Double)
        case none
    }
    enum Level: String, Codable { case low, high }

    var id: UUID
    var name: String
    var count: Int
    var small: Int8
    var ratio: Float
    var flag: Bool
    var optionalPresent: String?
    var optionalAbsent: Int?
    var list: [Int]
    var optionals: [Int?]
    var nested: [[String]]
    var map: [String: Double]
    var shapes: [Shape]
    var level: Level
    var date: Date
    var unicode: String

    static let example = Sample(
        id: UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!, name: "assessment", count: -42, small: -3,
        ratio: 0.25, flag: true, optionalPresent: "here", optionalAbsent: nil, list: [1, 2, 3],
        optionals: [1, nil, 3], nested: [["a"], [], ["b", "c"]], map: ["x": 1.5, "y": -2],
        shapes: [.circle(radius: 2), .rectangle(width: 1, height: 3), .none], level: .high,
        date: Date(timeIntervalSince1970: 1_700_000_000), unicode: "Grüße, 世界 🚀")
}

@Suite("Binary Codable codec")
struct BinaryCodecTests {
    @Test func aRichValueRoundTrips() throws {
        let buffer = try BinaryEncoder().encode(Sample.example)
        #expect(try BinaryDecoder().decode(Sample.self, from: buffer) == Sample.example)
    }

    @Test func topLevelScalarsAndOptionalsRoundTrip() throws {
        func roundTrip<T: Codable & Equatable>(_ value: T) throws {
            #expect(try BinaryDecoder().decode(T.self, from: try BinaryEncoder().encode(value)) == value)
        }
        try roundTrip(7)
        try roundTrip("text")
        try roundTrip(Int?.none)
        try roundTrip(Int?.some(5))
        try roundTrip([String: Int]())
        try roundTrip([Int?.none, 2])
        try roundTrip(UInt64.max)
        try roundTrip(Double.nan.isNaN)
    }

    @Test func dataKeepsTheLayoutOfItsCodableConformance() throws {
        struct Blob: Codable, Equatable { var data: Data }
        struct Bytes: Codable, Equatable { var data: [UInt8] }
        for bytes in [[], [0], Array("{\"report\": true}".utf8), (0..<70_000).map { UInt8(truncatingIfNeeded: $0) }] {
            let fast = try BinaryEncoder().encode(Blob(data: Data(bytes)))
            // [UInt8] still goes through the unkeyed container one byte at a time: the old layout
            let slow = try BinaryEncoder().encode(Bytes(data: bytes))
            #expect(fast == slow)
            #expect(try BinaryDecoder().decode(Blob.self, from: slow) == Blob(data: Data(bytes)))
            #expect(try BinaryDecoder().decode(Bytes.self, from: fast) == Bytes(data: bytes))
            if fast.readableBytes > 1 {
                let cut = fast.getSlice(at: 0, length: fast.readableBytes - 1)!
                #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode(Blob.self, from: cut) }
            }
        }
    }

    @Test func itIsSmallerThanJSON() throws {
        let binary = try BinaryEncoder().encode(Sample.example).readableBytes
        let json = try JSONEncoder().encode(Sample.example).count
        #expect(binary < json)
    }

    @Test func truncatedInputFailsWithADecodingError() throws {
        let whole = try BinaryEncoder().encode(Sample.example)
        for cut in 0..<whole.readableBytes {
            let prefix = whole.getSlice(at: 0, length: cut)!
            #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode(Sample.self, from: prefix) }
        }
    }

    @Test func aForgedCountCannotDriveAHugeAllocation() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32.max)  // claims four billion elements
        #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode([Int].self, from: buffer) }
    }

    @Test func trailingBytesAreRefused() throws {
        var buffer = try BinaryEncoder().encode(5)
        buffer.writeInteger(UInt8(0))
        #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode(Int.self, from: buffer) }
    }

    /// NaN and the infinities in every place a number reaches the codec: a top-level `Double`, a
    /// field, an array element, an optional, a dictionary value, an enum's associated value, a `Date`
    /// and a `Float`. The messages fuzz target found a `TaskAssignment` whose result's `recordedAt` was
    /// a NaN (Fuzz/findings/messages/): unequal to itself, it changed through a round trip, and
    /// printing it trapped in `Date.description`.
    static let nonFinite: [UInt64] = [
        Double.nan.bitPattern, (-Double.nan).bitPattern, Double.signalingNaN.bitPattern,
        Double.infinity.bitPattern, (-Double.infinity).bitPattern, 0xfff9_0000_0000_0000,
    ]

    struct Holder: Codable, Equatable {
        var value: Double
        var optional: Double?
        var date: Date
    }

    @Test(arguments: nonFinite)
    func nonFiniteNumbersAreRefusedWhereverTheyStand(bits: UInt64) throws {
        func refused<T: Decodable>(_: T.Type, _ place: String, _ write: (inout ByteBuffer) -> Void) {
            var buffer = ByteBuffer()
            write(&buffer)
            #expect(throws: DecodingError.self, "\(place)") { _ = try BinaryDecoder().decode(T.self, from: buffer) }
        }
        let finite = (1.5).bitPattern
        refused(Double.self, "Double") { $0.writeInteger(bits) }
        refused(Date.self, "Date") { $0.writeInteger(bits) }
        refused(Holder.self, "field") {
            $0.writeInteger(bits); $0.writeInteger(UInt8(0)); $0.writeInteger(finite)
        }
        refused(Holder.self, "optional field") {
            $0.writeInteger(finite); $0.writeInteger(UInt8(1)); $0.writeInteger(bits); $0.writeInteger(finite)
        }
        refused(Holder.self, "Date field") {
            $0.writeInteger(finite); $0.writeInteger(UInt8(0)); $0.writeInteger(bits)
        }
        refused([Double].self, "[Double]") {
            $0.writeInteger(UInt32(1)); $0.writeInteger(bits)
        }
        refused([String: Double].self, "[String: Double]") {
            $0.writeInteger(UInt32(1)); $0.writeWireString("k"); $0.writeInteger(bits)
        }
        refused(Sample.Shape.self, "associated value") {
            $0.writeWireString("circle"); $0.writeInteger(bits)
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(bits)
        #expect(throws: WireDecodingError.notFinite("Double")) { _ = try buffer.readWireDouble() }
    }

    @Test(arguments: [Float.nan, -Float.infinity, Float.infinity])
    func nonFiniteFloatsAreRefused(value: Float) {
        var buffer = ByteBuffer()
        buffer.writeInteger(value.bitPattern)
        #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode(Float.self, from: buffer) }
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode(value) }
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode([value]) }
    }

    /// The encoder refuses what the decoder would, so a sender's bug fails where it is made.
    @Test(arguments: nonFinite)
    func nonFiniteNumbersAreNotEncoded(bits: UInt64) {
        let value = Double(bitPattern: bits)
        let date = Date(timeIntervalSinceReferenceDate: value)
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode(value) }
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode(date) }
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode([value]) }
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode(["k": value]) }
        #expect(throws: EncodingError.self) {
            _ = try BinaryEncoder().encode(Holder(value: 1, optional: value, date: .now))
        }
        #expect(throws: EncodingError.self) { _ = try BinaryEncoder().encode(Sample.Shape.circle(radius: value)) }
    }

    /// A dictionary iterates in an order that depends on its capacity and history, so two equal ones
    /// could encode to different bytes: the messages fuzz target's members-with-a-key-given-twice
    /// (Fuzz/findings/messages/) decoded to one dictionary and, encoded and decoded, to an equal one
    /// that encoded differently. Keys go out sorted.
    @Test func equalDictionariesEncodeToTheSameBytes() throws {
        let keys = (0..<50).map { "key-\($0)" }
        var grown: [String: Int] = [:]
        grown.reserveCapacity(1000)
        for key in keys { grown[key] = 1 }
        var small: [String: Int] = [:]
        for key in keys.reversed() { small[key] = 1 }
        #expect(grown == small)
        #expect(try BinaryEncoder().encode(grown) == BinaryEncoder().encode(small))
    }

    /// The same finding's dictionary held one key many times (twelve entries on the wire, two kept).
    @Test func aDictionaryKeyGivenTwiceIsRefused() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(2))
        for value in [1, 2] {
            buffer.writeWireString("k")
            buffer.writeInteger(Int64(value))
        }
        #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode([String: Int].self, from: buffer) }
    }

    /// Every finite number still crosses, the extremes and both zeros included.
    @Test func finiteExtremesRoundTrip() throws {
        let values: [Double] = [
            0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
            -.greatestFiniteMagnitude, .ulpOfOne,
        ]
        for value in values {
            let again = try BinaryDecoder().decode(Double.self, from: try BinaryEncoder().encode(value))
            #expect(again.bitPattern == value.bitPattern)
        }
        for date in [Date.distantPast, Date.distantFuture, Date(timeIntervalSinceReferenceDate: 786_000_000.25)] {
            #expect(try BinaryDecoder().decode(Date.self, from: try BinaryEncoder().encode(date)) == date)
        }
    }
}
