import NIOCore

/// A hand-written positional encoding, for the few types that cross the cluster often and
/// are large: generic `Codable` pays for every field through existential containers (about
/// 150 ns a field here), this pays only for the bytes. `BinaryEncoder`/`BinaryDecoder` use it
/// when the value they are given conforms; nested values keep using `Codable`.
package protocol WireCodable: Codable {
    init(wire buffer: inout ByteBuffer) throws
    func write(wire buffer: inout ByteBuffer)
}

/// The reading and writing primitives a `WireCodable` conformance is built from; they use the
/// same layout as `BinaryEncoder`.
extension ByteBuffer {
    package mutating func writeWire(_ value: Int) { writeInteger(Int64(value)) }

    package mutating func writeWire(_ value: Double) { writeInteger(value.bitPattern) }

    package mutating func writeWire(_ value: Bool) { writeInteger(value ? 1 as UInt8 : 0) }

    package mutating func writeWire(_ value: String) { writeWireString(value) }

    package mutating func writeWire(_ value: String?) {
        if let value {
            writeInteger(UInt8(1))
            writeWireString(value)
        } else {
            writeInteger(UInt8(0))
        }
    }

    package mutating func writeWireCount(_ count: Int) { writeInteger(UInt32(count)) }

    package mutating func readWireInt() throws -> Int {
        guard let value = readInteger(as: Int64.self) else { throw WireDecodingError.truncated("Int") }
        return Int(value)
    }

    /// Refuses NaN and the infinities, as `BinaryDecoder` does (see `BinaryDecodingState.readDouble`).
    package mutating func readWireDouble() throws -> Double {
        guard let bits = readInteger(as: UInt64.self) else { throw WireDecodingError.truncated("Double") }
        let value = Double(bitPattern: bits)
        guard value.isFinite else { throw WireDecodingError.notFinite("Double") }
        return value
    }

    package mutating func readWireBool() throws -> Bool {
        switch readInteger(as: UInt8.self) {
        case 0: return false
        case 1: return true
        default: throw WireDecodingError.truncated("Bool")
        }
    }

    package mutating func readWireString() throws -> String {
        guard let length = readInteger(as: UInt32.self), Int(length) <= readableBytes,
            let string = readString(length: Int(length))
        else { throw WireDecodingError.truncated("String") }
        return string
    }

    package mutating func readWireOptionalString() throws -> String? {
        switch readInteger(as: UInt8.self) {
        case 0: return nil
        case 1: return try readWireString()
        default: throw WireDecodingError.truncated("String?")
        }
    }

    /// A collection count, bounded by the bytes that remain (see `BinaryDecoder`).
    package mutating func readWireCount() throws -> Int {
        guard let count = readInteger(as: UInt32.self), Int(count) <= readableBytes else {
            throw WireDecodingError.truncated("count")
        }
        return Int(count)
    }
}

package enum WireDecodingError: Error, Equatable {
    case truncated(String)
    case notFinite(String)
}
