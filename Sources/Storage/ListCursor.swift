import FoundationEssentials

/// Where a listing stopped: the sort key of the last record returned. Keyed on values rather than an
/// offset so records created or deleted between pages neither repeat nor skip others.
///
/// Opaque to clients: they get `token` and hand it back.
package struct ListCursor: Sendable, Hashable {
    package let createdAt: Date
    package let id: String

    package init(createdAt: Date, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    init(after record: AssessmentRecord) {
        self.init(createdAt: record.createdAt, id: record.id)
    }

    /// The bit pattern keeps the time exact, so the next page starts precisely after this record.
    package var token: String {
        String(createdAt.timeIntervalSinceReferenceDate.bitPattern, radix: 16) + "." + id
    }

    package init?(token: String) {
        guard let dot = token.firstIndex(of: "."),
            let bits = UInt64(token[..<dot], radix: 16)
        else { return nil }
        self.init(
            createdAt: Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits)),
            id: String(token[token.index(after: dot)...])
        )
    }

    /// True when `record` sorts after this cursor in newest-first order.
    func precedes(_ record: AssessmentRecord) -> Bool {
        record.createdAt < createdAt || (record.createdAt == createdAt && record.id < id)
    }
}
