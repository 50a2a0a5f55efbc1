import HTTPTypes

/// Reading `Authorization: Bearer <token>` and comparing secrets without leaking where they differ.
enum BearerToken {
    /// The token's bytes, or nil when the header is missing or not a bearer token.
    static func presented(_ fields: HTTPFields) -> [UInt8]? {
        guard let header = fields[.authorization] else { return nil }
        let scheme = "bearer "
        guard header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme else {
            return nil
        }
        return Array(header.utf8.dropFirst(scheme.utf8.count))
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
