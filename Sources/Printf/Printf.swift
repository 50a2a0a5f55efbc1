#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// C's printf formatting, which `String(format:)` offered only through the whole of Foundation (and
/// its 8 MB of libraries in every node). Figures keep the exact text they had: both are C's
/// `vsnprintf` underneath.
extension String {
    package init(printf format: String, _ arguments: any CVarArg...) {
        var buffer = [UInt8](repeating: 0, count: 64)
        var length = Self.format(into: &buffer, format, arguments)
        if length >= buffer.count {
            // Too long for the first buffer: the call said how long, so the second one fits.
            buffer = [UInt8](repeating: 0, count: length + 1)
            length = Self.format(into: &buffer, format, arguments)
        }
        self = String(decoding: buffer.prefix(Swift.max(0, Swift.min(length, buffer.count - 1))), as: UTF8.self)
    }

    private static func format(into buffer: inout [UInt8], _ format: String, _ arguments: [any CVarArg]) -> Int {
        let count = buffer.count
        return buffer.withUnsafeMutableBufferPointer { bytes in
            withVaList(arguments) { list in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: count) {
                    Int(vsnprintf($0, count, format, list))
                }
            }
        }
    }

    /// This text padded with spaces, or cut, to `width` characters (a table column).
    package func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}
