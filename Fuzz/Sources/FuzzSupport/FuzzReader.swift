/// Reads structured values from the front of a fuzzer's input, so that the fuzzer steers choices
/// (cut points, field contents) through bytes it can mutate. Past the end every read gives zero or
/// empty, so any input is a complete description.
package struct FuzzReader {
    private let input: [UInt8]
    private var position = 0

    package init(_ buffer: UnsafeRawBufferPointer) { input = Array(buffer) }

    package var isAtEnd: Bool { position >= input.count }

    package mutating func byte() -> UInt8 {
        guard position < input.count else { return 0 }
        defer { position += 1 }
        return input[position]
    }

    package mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        var value = T.zero
        for _ in 0..<MemoryLayout<T>.size { value = value << 8 | T(truncatingIfNeeded: byte()) }
        return value
    }

    /// Up to `maxLength` bytes, as the length byte before them says.
    package mutating func bytes(maxLength: Int = 255) -> [UInt8] {
        let count = min(Int(byte()), maxLength, input.count - min(position, input.count))
        defer { position += count }
        return Array(input[position..<position + count])
    }

    /// A string from length-prefixed bytes; invalid UTF-8 is repaired, as every reader of ours does.
    package mutating func string(maxLength: Int = 255) -> String {
        String(decoding: bytes(maxLength: maxLength), as: UTF8.self)
    }

    /// Everything not read yet.
    package mutating func rest() -> [UInt8] {
        defer { position = input.count }
        return position < input.count ? Array(input[position...]) : []
    }
}
