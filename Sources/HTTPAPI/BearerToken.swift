import HTTPTypes

/// Checks `Authorization: Bearer <token>` against the configured token.
struct BearerToken: Sendable {
    private let expected: [UInt8]

    init(_ token: String) {
        expected = Array(token.utf8)
    }

    func accepts(_ fields: HTTPFields) -> Bool {
        guard let header = fields[.authorization] else { return false }
        let scheme = "bearer "
        guard header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme else {
            return false
        }
        return Self.constantTimeEqual(Array(header.utf8.dropFirst(scheme.utf8.count)), expected)
    }

    /// Looks at every byte whatever the first difference, so response time does not reveal how much of a
    /// guessed token was right. Only the length leaks, which the token's own randomness must cover.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }
}
