import CompressNIO
import FoundationEssentials
import NIOCore

/// The finished report as a record holds it, replicas receive it and the archive is handed it: the
/// typed report in its binary form (`BinaryForm`), in gzip. Its canonical JSON
/// (`ReportRenderer.json`, about 140 KB) is rendered only where a report is read — by the API, the
/// archive — not on every assessment by its owner; the binary form is under 80 KB and about 24 KB
/// compressed, the largest thing a record holds, written on every replica and sent to each of them
/// (docs/performance.md, "The data path").
///
/// Records written by earlier versions hold the report's JSON in gzip, or the JSON itself.
/// Canonical JSON starts with `{`, never with gzip's magic bytes, and inflated JSON never starts
/// with the binary form's marker byte, so `json(stored:)` reads all three.
package enum StoredReport {
    /// Level 3: on the 65 KB binary form of a report whose JSON is 114 KB, level 1 took 0.38 ms for
    /// 20.1 KB, level 3 0.53 ms for 18.6 KB, zlib's default (6) 1.24 ms for 16.5 KB
    /// (docs/performance.md, "The data path"). The time is the owner's, on every assessment; the
    /// bytes are paid for on every replica.
    static let algorithm = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: .compressionLevel3))

    /// Reports larger than this once inflated (binary form or JSON) are refused as corrupt: the
    /// largest report the generator writes is far below it, and an inflated bomb must not take a
    /// node's memory.
    package static let maximumJSONSize = 64 << 20

    package struct Unreadable: Error, CustomStringConvertible {
        package let reason: String
        package var description: String { "the stored report does not inflate: \(reason)" }
    }

    /// The bytes to store and send for a finished report. Deterministic for equal reports (the
    /// binary form writes dictionaries in key order, and the gzip header holds no file name or
    /// time), so a repeated generator run gives the same digest.
    package static func pack(_ report: AssessmentReport) throws -> Data {
        try gzip(BinaryForm.encode(report))
    }

    /// `bytes` in gzip at this form's level: the typed report here, the JSON the API sends a client
    /// that takes gzip, and the JSON in gzip that records written by earlier versions hold.
    package static func gzip(_ bytes: Data) throws -> Data {
        var input = ByteBuffer(bytes: bytes)
        let output = try input.compress(with: algorithm)
        return Data(output.readableBytesView)
    }

    package static func isCompressed(_ stored: Data) -> Bool {
        stored.count >= 2 && stored[stored.startIndex] == 0x1f && stored[stored.startIndex + 1] == 0x8b
    }

    /// The canonical JSON of a stored report, whichever form it was stored in: rendered from the
    /// typed report, or as an earlier version stored it.
    package static func json(stored: Data) throws(Unreadable) -> Data {
        let inflated = try inflate(stored)
        guard BinaryForm.isBinary(inflated) else { return inflated }
        do {
            let report = try BinaryForm.decode(AssessmentReport.self, from: inflated) { _ in
                throw Unreadable(reason: "no binary form")
            }
            return try ReportRenderer.json(report)
        } catch {
            throw Unreadable(reason: "its binary form does not decode: \(error)")
        }
    }

    /// What a stored report holds, inflated when it is in gzip. The gzip trailer's length is checked
    /// before anything is inflated and against what was: zlib stops quietly on a stream cut short,
    /// and a short report must be an error, not a truncated answer.
    static func inflate(_ stored: Data) throws(Unreadable) -> Data {
        guard isCompressed(stored) else { return stored }
        // A gzip member is at least a 10-byte header and an 8-byte trailer (CRC-32, then the length).
        guard stored.count >= 18 else { throw Unreadable(reason: "\(stored.count) bytes are no gzip stream") }
        let size = stored.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
        guard size > 0, size <= maximumJSONSize else {
            throw Unreadable(reason: "it claims \(size) bytes inflated (at most \(maximumJSONSize))")
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
