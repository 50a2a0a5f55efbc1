import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// `Data` (request and report JSON, agent results) in one copy instead of one `Codable` call per
// byte. The layout is the one `Data`'s own `Codable` conformance gives through this codec — a
// `UInt32` count, then the bytes — so the wire format does not change. Byte by byte, encoding and
// decoding `Data` was two thirds of a node's CPU under load (perf during scripts/bench).

extension Data: BinarySpecialEncodable {
    func binaryEncode(into state: BinaryEncodingState) throws {
        guard count <= Int(UInt32.max) else {
            throw EncodingError.invalidValue(
                self, .init(codingPath: [], debugDescription: "\(count) bytes do not fit a UInt32 count"))
        }
        state.buffer.writeInteger(UInt32(count))
        withUnsafeBytes { _ = state.buffer.writeBytes($0) }
    }
}

extension Data: BinarySpecialDecodable {
    static func binaryDecode(from state: BinaryDecodingState) throws -> Data {
        let count = try state.readCount()  // checked against the bytes that remain
        guard let slice = state.buffer.readSlice(length: count) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(count) bytes missing"))
        }
        return slice.withUnsafeReadableBytes { Data($0) }
    }
}
