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
}
