import Foundation
import Storage
import Testing

/// Cursor tokens that clients hand back (docs/fuzzing.md, the cursor fuzz target).
@Suite struct ListCursorTests {
    /// The cursor fuzz target's first finding (Fuzz/findings/cursor/combining-mark-after-the-dot):
    /// the time is the input's first 8 bytes, the id the rest, which starts with U+030D, a combining
    /// mark. Split at the first "." character, the token did not parse: the dot and the mark are one
    /// character.
    static let combiningMarkAfterTheDot: [UInt8] =
        [0x30, 0x3f, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0x8d] + Array(repeating: 0xcc, count: 33)
        + [0x2e, 0x30, 0x3f, 0x30, 0x3f, 0x2e, 0x2e]

    @Test func aTokenParsesBackWhateverTheIdStartsWith() throws {
        let input = Self.combiningMarkAfterTheDot
        let bits = input.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let id = String(decoding: input.dropFirst(8), as: UTF8.self)
        let cursor = ListCursor(createdAt: Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits)), id: id)
        let again = try #require(ListCursor(token: cursor.token))
        #expect(again == cursor)
        #expect(again.createdAt.timeIntervalSinceReferenceDate.bitPattern == bits)
    }

    @Test(arguments: ["\u{301}x", "\u{20DD}", "..", ".", "a.b.c", "\u{FFFD}\u{301}"])
    func idsWithCombiningMarksAndDotsSurviveTheirToken(id: String) throws {
        let cursor = ListCursor(createdAt: Date(timeIntervalSinceReferenceDate: 786_000_000.5), id: id)
        #expect(try #require(ListCursor(token: cursor.token)) == cursor)
    }
}
