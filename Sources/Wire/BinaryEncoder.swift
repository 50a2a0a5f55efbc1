import NIOCore

/// A positional binary encoding for `Codable` values: struct fields are written in declaration
/// order without their keys, integers fixed-width big-endian, strings and collections
/// length-prefixed. Both ends must run the same type definitions, which the cluster guarantees
/// by refusing peers of another wire version. Foundation's JSON coders cost several times more
/// per call on this machine (see README, "Serialization"), which is why this exists.
///
/// Keys are written only where the decoder must learn them from the data: the case of an enum
/// with associated values (a nested container opened for a key) and the keys of a dictionary.
package struct BinaryEncoder: Sendable {
    package init() {}

    package func encode<T: Encodable>(_ value: T, into buffer: inout ByteBuffer) throws {
        if T.self is any WireCodable.Type { return (value as! any WireCodable).write(wire: &buffer) }
        let state = BinaryEncodingState(buffer: buffer)
        buffer = ByteBuffer()  // hand over the storage so that appends do not copy it
        defer { buffer = state.buffer }
        try withExtendedLifetime(state) { try state.encodeValue(value) }
    }

    package func encode<T: Encodable>(_ value: T, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws
        -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: 64)
        try encode(value, into: &buffer)
        return buffer
    }
}

final class BinaryEncodingState {
    var buffer: ByteBuffer

    init(buffer: ByteBuffer) { self.buffer = buffer }

    @inline(__always) func writeString(_ string: String) { buffer.writeWireString(string) }

    /// The decoder refuses NaN and the infinities (`BinaryDecodingState.readDouble` says why);
    /// refusing them here as well makes a sender's bug fail at the sender, with its own error.
    @inline(__always) func writeDouble(_ value: Double) throws {
        guard value.isFinite else { throw notFinite(value) }
        buffer.writeInteger(value.bitPattern)
    }

    @inline(__always) func writeFloat(_ value: Float) throws {
        guard value.isFinite else { throw notFinite(value) }
        buffer.writeInteger(value.bitPattern)
    }

    private func notFinite(_ value: Any) -> EncodingError {
        EncodingError.invalidValue(
            value,
            .init(codingPath: [], debugDescription: "\(value) is not finite; the wire carries finite numbers only"))
    }

    func encodeValue<T: Encodable>(_ value: T) throws {
        // Fast paths for the leaf types that arrive generically (array elements, generic fields);
        // comparing metadata is far cheaper than a dynamic cast that fails.
        if T.self == Int.self {
            buffer.writeInteger(Int64(value as! Int))
            return
        }
        if T.self == String.self { return writeString(value as! String) }
        if T.self == Double.self { return try writeDouble(value as! Double) }
        if T.self == Bool.self {
            buffer.writeInteger((value as! Bool) ? 1 as UInt8 : 0)
            return
        }
        if T.self == UInt64.self {
            buffer.writeInteger(value as! UInt64)
            return
        }
        if T.self == Int64.self {
            buffer.writeInteger(value as! Int64)
            return
        }
        if T.self == UInt8.self {
            buffer.writeInteger(value as! UInt8)
            return
        }
        // One conformance check for both special shapes: it is the costliest test here.
        // (Checked on the metatype: casting the value itself would box every struct.)
        if T.self is any BinarySpecialEncodable.Type {
            return try (value as! any BinarySpecialEncodable).binaryEncode(into: self)
        }
        try value.encode(to: BinaryEncoderImpl(state: self))
    }
}

/// Values that are not written the way their own `Codable` conformance would: optionals carry
/// a presence byte so a positional decoder knows whether a value follows, and `[String: V]`,
/// whose keys only the data can tell, is written as a count followed by key/value pairs.
protocol BinarySpecialEncodable {
    func binaryEncode(into state: BinaryEncodingState) throws
}

extension Optional: BinarySpecialEncodable where Wrapped: Encodable {
    func binaryEncode(into state: BinaryEncodingState) throws {
        if let wrapped = self {
            state.buffer.writeInteger(UInt8(1))
            try state.encodeValue(wrapped)
        } else {
            state.buffer.writeInteger(UInt8(0))
        }
    }
}

/// Keys in sorted order: a dictionary's own order depends on the process's hash seed and on its
/// capacity and history, and equal values must give equal bytes wherever they are encoded, since
/// digests of encoded agent results compare attempts run on different nodes (the messages fuzz
/// target found two equal dictionaries in one process encoding differently, docs/fuzzing.md;
/// BinaryCodecTests.equalDictionariesEncodeToTheSameBytes).
extension Dictionary: BinarySpecialEncodable where Key == String, Value: Encodable {
    func binaryEncode(into state: BinaryEncodingState) throws {
        state.buffer.writeInteger(UInt32(count))
        for (key, value) in sorted(by: { $0.key < $1.key }) {
            state.writeString(key)
            try state.encodeValue(value)
        }
    }
}

struct BinaryEncoderImpl: Encoder {
    unowned(unsafe) let state: BinaryEncodingState
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(BinaryKeyedEncoder<Key>(state: state))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { BinaryUnkeyedEncoder(state: state) }

    func singleValueContainer() -> any SingleValueEncodingContainer { BinarySingleValueEncoder(state: state) }
}

struct BinaryKeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    // Unowned: `BinaryEncoder.encode` keeps the state alive for the whole encode, and the
    // retain/release pairs of every container copy were a tenth of encoding time.
    unowned(unsafe) let state: BinaryEncodingState
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { state.buffer.writeInteger(UInt8(0)) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { state.buffer.writeInteger(value ? 1 as UInt8 : 0) }
    mutating func encode(_ value: String, forKey key: Key) throws { state.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try state.writeDouble(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try state.writeFloat(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { state.buffer.writeInteger(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { state.buffer.writeInteger(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { state.buffer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try state.encodeValue(value) }

    // Synthesized conformances write optionals through these; the presence byte is what lets
    // the positional decoder's `decodeIfPresent` know whether a value follows.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOptional(value) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOptional(value) }

    /// Called directly, not through `encodeValue`: the conformance check is what it would cost.
    private func encodeOptional<T: Encodable>(_ value: T?) throws { try value.binaryEncode(into: state) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        state.writeString(key.stringValue)
        return KeyedEncodingContainer(BinaryKeyedEncoder<NestedKey>(state: state))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        state.writeString(key.stringValue)
        return BinaryUnkeyedEncoder(state: state)
    }

    mutating func superEncoder() -> any Encoder { BinaryEncoderImpl(state: state) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { BinaryEncoderImpl(state: state) }
}

/// Writes a `UInt32` element count first and keeps it current as elements arrive, because a
/// container is never told when it is complete.
struct BinaryUnkeyedEncoder: UnkeyedEncodingContainer {
    unowned(unsafe) let state: BinaryEncodingState
    let countIndex: Int
    private(set) var count: Int = 0
    var codingPath: [any CodingKey] { [] }

    init(state: BinaryEncodingState) {
        self.state = state
        self.countIndex = state.buffer.writerIndex
        state.buffer.writeInteger(UInt32(0))
    }

    private mutating func bump() {
        count += 1
        state.buffer.setInteger(UInt32(count), at: countIndex)
    }

    mutating func encodeNil() throws {
        state.buffer.writeInteger(UInt8(0))
        bump()
    }
    mutating func encode(_ value: String) throws {
        state.writeString(value)
        bump()
    }
    mutating func encode(_ value: Int) throws {
        state.buffer.writeInteger(Int64(value))
        bump()
    }
    mutating func encode(_ value: Double) throws {
        try state.writeDouble(value)
        bump()
    }
    mutating func encode(_ value: Bool) throws {
        state.buffer.writeInteger(value ? 1 as UInt8 : 0)
        bump()
    }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try state.encodeValue(value)
        bump()
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        bump()
        return KeyedEncodingContainer(BinaryKeyedEncoder<NestedKey>(state: state))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        bump()
        return BinaryUnkeyedEncoder(state: state)
    }

    mutating func superEncoder() -> any Encoder {
        bump()
        return BinaryEncoderImpl(state: state)
    }
}

struct BinarySingleValueEncoder: SingleValueEncodingContainer {
    unowned(unsafe) let state: BinaryEncodingState
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { state.buffer.writeInteger(UInt8(0)) }
    mutating func encode(_ value: Bool) throws { state.buffer.writeInteger(value ? 1 as UInt8 : 0) }
    mutating func encode(_ value: String) throws { state.writeString(value) }
    mutating func encode(_ value: Double) throws { try state.writeDouble(value) }
    mutating func encode(_ value: Float) throws { try state.writeFloat(value) }
    mutating func encode(_ value: Int) throws { state.buffer.writeInteger(Int64(value)) }
    mutating func encode(_ value: Int8) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { state.buffer.writeInteger(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { state.buffer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { state.buffer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try state.encodeValue(value) }
}
