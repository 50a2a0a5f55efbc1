import FoundationEssentials
import NIOCore
import Wire

/// The form in which a validated request and the analysts' results cross the cluster and sit in a
/// node's store: the wire's positional binary codec behind one marker byte. The request is parsed
/// and validated once, where it arrives over HTTP; workers, the report generator and replicas only
/// decode it (docs/performance.md, "The data path").
///
/// The marker tells this form from JSON, which records and journals written by earlier versions
/// hold: JSON text never starts with a control character, so a stored value is read either way.
/// Binary bytes are deterministic for equal values (fields in declaration order, no dictionaries
/// inside these types), so digests of results still compare attempts across nodes.
package enum BinaryForm {
    /// The first byte of every binary form; JSON text starts with `{`, `[` or whitespace.
    package static let marker: UInt8 = 0x01

    /// Throws for a value the codec cannot carry (a NaN or an infinity): an agent whose result held
    /// one fails its attempt, as it did when results were canonical JSON, which has no such numbers.
    package static func encode<T: Encodable>(_ value: T) throws -> Data {
        var buffer = ByteBufferAllocator().buffer(capacity: 1024)
        buffer.writeInteger(marker)
        try BinaryEncoder().encode(value, into: &buffer)
        return Data(buffer.readableBytesView)
    }

    /// Whether `data` is in the binary form rather than JSON.
    package static func isBinary(_ data: Data) -> Bool { data.first == marker }

    /// Decodes the binary form; `json` reads a value stored before this form existed.
    package static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, json: (Data) throws -> T
    ) throws -> T {
        guard isBinary(data) else { return try json(data) }
        var buffer = ByteBufferAllocator().buffer(capacity: data.count - 1)
        buffer.writeBytes(data.dropFirst())
        return try BinaryDecoder().decode(T.self, from: buffer)
    }
}

extension AssessmentRequest {
    /// The validated request as replicas store it and workers receive it. (Validation refuses
    /// numbers JSON cannot carry, so a validated request always has one.)
    package func binaryForm() throws -> Data { try BinaryForm.encode(self) }

    /// A request stored or sent in `binaryForm`, or JSON as records of earlier versions hold it
    /// (validated then, since it has not been).
    package init(storedForm data: Data) throws {
        self = try BinaryForm.decode(AssessmentRequest.self, from: data) { json in
            try RequestValidator.validate(json)
        }
    }

    /// The request as JSON, for the edges that serve or archive it.
    package static func json(storedForm data: Data) throws -> Data {
        guard BinaryForm.isBinary(data) else { return data }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(AssessmentRequest(storedForm: data))
    }
}

extension AgentResult {
    /// An analyst's result as it travels to the owner and is journaled; its SHA-256 is the digest
    /// that compares attempts.
    package func binaryForm() throws -> Data { try BinaryForm.encode(self) }

    /// A result in `binaryForm`, or as the canonical JSON journals of earlier versions hold.
    package init(storedForm data: Data) throws {
        self = try BinaryForm.decode(AgentResult.self, from: data) { json in
            try JSONDecoder().decode(AgentResult.self, from: json)
        }
    }
}
