import NIOCore

/// Reads what `BinaryEncoder` wrote. Every length is checked against the bytes that remain
/// before anything is allocated, so a hostile or corrupt buffer fails with a `DecodingError`
/// instead of exhausting memory.
package struct BinaryDecoder: Sendable {
    package init() {}

    package func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        if let wire = T.self as? any WireCodable.Type {
            var buffer = buffer
            let value = try wire.init(wire: &buffer)
            guard buffer.readableBytes == 0 else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [], debugDescription: "\(buffer.readableBytes) bytes left after \(T.self)"))
            }
            return value as! T
        }
        let state = BinaryDecodingState(buffer: buffer)
        // Containers hold the state unowned (see BinaryKeyedEncoder); keep it alive here.
        let value = try withExtendedLifetime(state) { try state.decodeValue(T.self) }
        if state.buffer.readableBytes != 0 {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "\(state.buffer.readableBytes) bytes left after \(T.self)"))
        }
        return value
    }

    /// Decodes a value from the front of `buffer`, leaving what follows it unread.
    package func decodePrefix<T: Decodable>(_ type: T.Type, from buffer: inout ByteBuffer) throws -> T {
        let state = BinaryDecodingState(buffer: buffer)
        let value = try withExtendedLifetime(state) { try state.decodeValue(T.self) }
        buffer = state.buffer
        return value
    }
}

final class BinaryDecodingState {
    var buffer: ByteBuffer

    init(buffer: ByteBuffer) { self.buffer = buffer }

    func corrupted(_ what: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: what))
    }

    @inline(__always) func read<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard let value = buffer.readInteger(as: I.self) else { throw corrupted("truncated \(I.self)") }
        return value
    }

    /// NaN and the infinities are refused wherever a `Double`, a `Float` or a `Date` stands: no
    /// sender of ours writes one (times are clock readings, figures are finite), a NaN is unequal to
    /// itself, so a value holding one is not the value that was sent, and FoundationEssentials'
    /// `Date.description` traps on a NaN time, so one logged would stop the node (docs/transport.md,
    /// "Serialization"; BinaryCodecTests.nonFiniteNumbersAreRefusedWhereverTheyStand).
    func readDouble() throws -> Double {
        let bits = try read(UInt64.self)
        let value = Double(bitPattern: bits)
        guard value.isFinite else { throw notFinite("Double", bits: String(bits, radix: 16)) }
        return value
    }

    func readFloat() throws -> Float {
        let bits = try read(UInt32.self)
        let value = Float(bitPattern: bits)
        guard value.isFinite else { throw notFinite("Float", bits: String(bits, radix: 16)) }
        return value
    }

    private func notFinite(_ type: String, bits: String) -> DecodingError {
        corrupted("\(type) with bit pattern 0x\(bits) is not finite (NaN or infinity); none is ever sent")
    }

    func readBool() throws -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw corrupted("invalid Bool byte \(other)")
        }
    }

    func readString() throws -> String {
        let length = Int(try read(UInt32.self))
        guard length <= buffer.readableBytes else {
            throw corrupted("string of \(length) bytes with \(buffer.readableBytes) remaining")
        }
        // Invalid UTF-8 is repaired (U+FFFD), not refused: peers are authenticated nodes, and
        // validating every string cost a third of decoding time.
        return buffer.readString(length: length)!
    }

    func peekString() throws -> String {
        let saved = buffer
        defer { buffer = saved }
        return try readString()
    }

    func readCount() throws -> Int {
        let count = Int(try read(UInt32.self))
        // Every element takes at least one byte except zero-sized ones, which no wire type has;
        // this bound is what stops a forged count from driving a huge loop or reservation.
        guard count <= buffer.readableBytes else {
            throw corrupted("count \(count) exceeds the \(buffer.readableBytes) bytes remaining")
        }
        return count
    }

    func readPresence() throws -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw corrupted("invalid presence byte \(other)")
        }
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Int.self { return Int(try read(Int64.self)) as! T }
        if T.self == String.self { return try readString() as! T }
        if T.self == Double.self { return try readDouble() as! T }
        if T.self == Bool.self { return try readBool() as! T }
        if T.self == UInt64.self { return try read(UInt64.self) as! T }
        if T.self == Int64.self { return try read(Int64.self) as! T }
        if T.self == UInt8.self { return try read(UInt8.self) as! T }
        if let special = T.self as? any BinarySpecialDecodable.Type {
            return try special.binaryDecode(from: self) as! T
        }
        return try T(from: BinaryDecoderImpl(state: self))
    }
}

/// The decoding side of `BinarySpecialEncodable`.
protocol BinarySpecialDecodable {
    static func binaryDecode(from state: BinaryDecodingState) throws -> Self
}

extension Optional: BinarySpecialDecodable where Wrapped: Decodable {
    static func binaryDecode(from state: BinaryDecodingState) throws -> Self {
        try state.readPresence() ? .some(try state.decodeValue(Wrapped.self)) : .none
    }
}

/// A key twice is refused: the encoder never writes one, and taking the last would make the count
/// on the wire a lie about the value.
extension Dictionary: BinarySpecialDecodable where Key == String, Value: Decodable {
    static func binaryDecode(from state: BinaryDecodingState) throws -> Self {
        let count = try state.readCount()
        var result: [String: Value] = [:]
        result.reserveCapacity(count)
        for _ in 0..<count {
            let key = try state.readString()
            guard result.updateValue(try state.decodeValue(Value.self), forKey: key) == nil else {
                throw state.corrupted("dictionary key \"\(key)\" given twice")
            }
        }
        return result
    }
}

struct BinaryDecoderImpl: Decoder {
    unowned(unsafe) let state: BinaryDecodingState
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(BinaryKeyedDecoder<Key>(state: state))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try BinaryUnkeyedDecoder(state: state)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecoder(state: state)
    }
}

struct BinaryKeyedDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    unowned(unsafe) let state: BinaryDecodingState
    var codingPath: [any CodingKey] { [] }

    /// Only an enum's case key is ever on the wire (see `BinaryEncoder`); it is what
    /// synthesized enum decoding asks for here.
    var allKeys: [Key] {
        guard let name = try? state.peekString(), let key = Key(stringValue: name) else { return [] }
        return [key]
    }

    func contains(_ key: Key) -> Bool { true }

    func decodeNil(forKey key: Key) throws -> Bool { !(try state.readPresence()) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try state.readBool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try state.readString() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try state.readDouble() }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try state.readFloat() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { Int(try state.read(Int64.self)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try state.read(Int8.self) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try state.read(Int16.self) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try state.read(Int32.self) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try state.read(Int64.self) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { UInt(try state.read(UInt64.self)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try state.read(UInt8.self) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try state.read(UInt16.self) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try state.read(UInt32.self) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try state.read(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try state.decodeValue(T.self) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try optional(type) }

    private func optional<T: Decodable>(_ type: T.Type) throws -> T? {
        try state.readPresence() ? try state.decodeValue(T.self) : nil
    }

    private func expectKey(_ key: Key) throws {
        let name = try state.readString()
        guard name == key.stringValue else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: [], debugDescription: "found case '\(name)' instead"))
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try expectKey(key)
        return KeyedDecodingContainer(BinaryKeyedDecoder<NestedKey>(state: state))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try expectKey(key)
        return try BinaryUnkeyedDecoder(state: state)
    }

    func superDecoder() throws -> any Decoder { BinaryDecoderImpl(state: state) }
    func superDecoder(forKey key: Key) throws -> any Decoder { BinaryDecoderImpl(state: state) }
}

struct BinaryUnkeyedDecoder: UnkeyedDecodingContainer {
    unowned(unsafe) let state: BinaryDecodingState
    let count: Int?
    private(set) var currentIndex: Int = 0
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= count! }

    init(state: BinaryDecodingState) throws {
        self.state = state
        self.count = try state.readCount()
    }

    private mutating func next() throws {
        guard currentIndex < count! else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: [], debugDescription: "unkeyed container is at its end"))
        }
        currentIndex += 1
    }

    mutating func decodeNil() throws -> Bool {
        // Only a nil consumes its marker; a present value is left for the decode that follows.
        guard currentIndex < count!, state.buffer.getInteger(at: state.buffer.readerIndex, as: UInt8.self) == 0
        else { return false }
        try next()
        state.buffer.moveReaderIndex(forwardBy: 1)
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try next()
        return try state.readBool()
    }
    mutating func decode(_ type: String.Type) throws -> String {
        try next()
        return try state.readString()
    }
    mutating func decode(_ type: Int.Type) throws -> Int {
        try next()
        return Int(try state.read(Int64.self))
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        try next()
        return try state.readDouble()
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next()
        return try state.decodeValue(T.self)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next()
        return KeyedDecodingContainer(BinaryKeyedDecoder<NestedKey>(state: state))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next()
        return try BinaryUnkeyedDecoder(state: state)
    }

    mutating func superDecoder() throws -> any Decoder {
        try next()
        return BinaryDecoderImpl(state: state)
    }
}

struct BinarySingleValueDecoder: SingleValueDecodingContainer {
    unowned(unsafe) let state: BinaryDecodingState
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool {
        guard state.buffer.getInteger(at: state.buffer.readerIndex, as: UInt8.self) == 0 else { return false }
        state.buffer.moveReaderIndex(forwardBy: 1)
        return true
    }
    func decode(_ type: Bool.Type) throws -> Bool { try state.readBool() }
    func decode(_ type: String.Type) throws -> String { try state.readString() }
    func decode(_ type: Double.Type) throws -> Double { try state.readDouble() }
    func decode(_ type: Float.Type) throws -> Float { try state.readFloat() }
    func decode(_ type: Int.Type) throws -> Int { Int(try state.read(Int64.self)) }
    func decode(_ type: Int8.Type) throws -> Int8 { try state.read(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try state.read(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try state.read(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try state.read(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { UInt(try state.read(UInt64.self)) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try state.read(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try state.read(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try state.read(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try state.read(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try state.decodeValue(T.self) }
}
