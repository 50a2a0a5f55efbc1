import CompressNIO
import FoundationEssentials
import NIOCore

/// The finished report as a record holds it, replicas receive it and the archive is handed it: its
/// canonical JSON (`ReportRenderer.json`) in gzip. A report is about 111 KB of JSON and under a
/// quarter of that compressed; it is the largest thing a record holds, written on every replica and sent to
/// each of them (docs/performance.md, "The data path"). gzip rather than raw deflate so that the
/// API can serve these very bytes with `Content-Encoding: gzip` to a client that accepts it.
///
/// Records written before reports were compressed hold the JSON itself; canonical JSON starts with
/// `{`, never with gzip's magic bytes, so `json(stored:)` reads both.
package enum StoredReport {
    /// Level 3: on a 114 KB report, level 1 took 1.0 ms for 28.0 KB, level 3 1.2 ms for 25.7 KB,
    /// zlib's default (6) 2.4 ms for 22.7 KB (docs/performance.md, "The data path"). The time is
    /// the owner's, on every assessment; the bytes are paid for on every replica.
    static let algorithm = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: .compressionLevel3))

    /// Reports larger than this once inflated are refused as corrupt: the largest report the
    /// generator writes is far below it, and an inflated bomb must not take a node's memory.
    package static let maximumJSONSize = 64 << 20

    package struct Unreadable: Error, CustomStringConvertible {
        package let reason: String
        package var description: String { "the stored report does not inflate: \(reason)" }
    }

    /// The bytes to store and send for a report's canonical JSON. Deterministic for equal JSON
    /// (no file name or time in the gzip header), so a repeated generator run gives the same digest.
    package static func pack(json: Data) throws -> Data {
        var input = ByteBuffer(bytes: json)
        let output = try input.compress(with: algorithm)
        return Data(output.readableBytesView)
    }

    package static func isCompressed(_ stored: Data) -> Bool {
        stored.count >= 2 && stored[stored.startIndex] == 0x1f && stored[stored.startIndex + 1] == 0x8b
    }

    /// The canonical JSON of a stored report, whichever form it was stored in. The gzip trailer's
    /// length is checked before anything is inflated and against what was: zlib stops quietly on a
    /// stream cut short, and a short report must be an error, not a truncated answer.
    package static func json(stored: Data) throws(Unreadable) -> Data {
        guard isCompressed(stored) else { return stored }
        // A gzip member is at least a 10-byte header and an 8-byte trailer (CRC-32, then the length).
        guard stored.count >= 18 else { throw Unreadable(reason: "\(stored.count) bytes are no gzip stream") }
        let size = stored.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
        guard size > 0, size <= maximumJSONSize else {
            throw Unreadable(reason: "it claims \(size) bytes of JSON (at most \(maximumJSONSize))")
        }
        var input = ByteBuffer(bytes: stored)
        var output = ByteBufferAllocator().buffer(capacity: size)
        do {
            try input.decompress(to: &output, with: algorithm)
        } catch {
            throw Unreadable(reason: "\(error)")
        }
        guard output.readableBytes == size, input.readableBytes == 0 else {
            throw Unreadable(
                reason: "\(output.readableBytes) bytes inflated of the \(size) it claims, "
                    + "\(input.readableBytes) bytes left over")
        }
        return Data(output.readableBytesView)
    }
}
