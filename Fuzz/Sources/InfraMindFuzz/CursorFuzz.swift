import FoundationEssentials
import FuzzSupport
import Storage

/// The listing's cursor tokens (Sources/Storage/ListCursor.swift), which clients hand back as they
/// please: any text parses to a cursor or to nothing, a parsed cursor's own token parses to the same
/// cursor, and a cursor made from any time and id survives its token.
enum CursorFuzz {
    static let target = FuzzTarget(name: "cursor") { input in
        let text = String(decoding: input, as: UTF8.self)
        if let cursor = ListCursor(token: text) {
            checkRoundTrip(cursor)
        }
        var reader = FuzzReader(input)
        let bits: UInt64 = reader.integer()
        let id = String(decoding: reader.rest(), as: UTF8.self)
        checkRoundTrip(ListCursor(createdAt: Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits)), id: id))
    }

    static func checkRoundTrip(_ cursor: ListCursor) {
        guard let again = ListCursor(token: cursor.token) else {
            fatalError("a cursor's own token does not parse: \(cursor.token.debugDescription)")
        }
        require(again.id == cursor.id, "the id changes through the token: \(cursor.token.debugDescription)")
        require(
            again.createdAt.timeIntervalSinceReferenceDate.bitPattern
                == cursor.createdAt.timeIntervalSinceReferenceDate.bitPattern,
            "the time changes through the token: \(cursor.token.debugDescription)")
    }
}
