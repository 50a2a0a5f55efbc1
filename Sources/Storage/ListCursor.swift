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

    init(after record: AssessmentSummary) {
        self.init(createdAt: record.createdAt, id: record.id)
    }

    /// The bit pattern keeps the time exact, so the next page starts precisely after this record.
    package var token: String {
        String(createdAt.timeIntervalSinceReferenceDate.bitPattern, radix: 16) + "." + id
    }

    /// Split at the first "." scalar, not the first "." character: an id that starts with a combining
    /// mark joins the dot into one character, and the token would not parse back (found by the cursor
    /// fuzz target, docs/fuzzing.md; ListCursorTests).
    package init?(token: String) {
        let scalars = token.unicodeScalars
        guard let dot = scalars.firstIndex(of: "."),
            let bits = UInt64(Substring(scalars[..<dot]), radix: 16)
        else { return nil }
        self.init(
            createdAt: Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits)),
            id: String(Substring(scalars[scalars.index(after: dot)...]))
        )
    }

    /// True when `record` sorts after this cursor in newest-first order.
    func precedes(_ record: AssessmentSummary) -> Bool {
        record.createdAt < createdAt || (record.createdAt == createdAt && record.id < id)
    }
}
