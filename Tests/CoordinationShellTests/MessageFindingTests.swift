import Coordination
import Foundation
import Membership
import NIOCore
import Storage
import Testing
import Wire

/// The messages fuzz target's findings (Fuzz/findings/messages/, docs/fuzzing.md), decoded as the
/// target decodes them: the first byte picks the type by its place in `MessageFuzz.types`, the rest
/// is the value.
@Suite struct MessageFindingTests {
    static func finding(_ name: String) throws -> (selector: UInt8, body: ByteBuffer) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let bytes = try Data(contentsOf: root.appendingPathComponent("Fuzz/findings/messages/\(name)"))
        return (try #require(bytes.first), ByteBuffer(bytes: bytes.dropFirst()))
    }

    /// Selector 17, `[SWIM.Member]`: a member whose metadata lists twelve entries, the empty key and
    /// "\0" over and over. Decoded, the dictionary kept two; encoded (two entries) and decoded again it
    /// was equal but, built with another capacity, iterated in another order and encoded to other
    /// bytes. A key given twice is refused now, and keys are written sorted
    /// (WireTests/BinaryCodecTests.aDictionaryKeyGivenTwiceIsRefused, equalDictionariesEncodeToTheSameBytes).
    @Test func membersWithAMetadataKeyGivenTwiceAreRefused() throws {
        let (selector, body) = try Self.finding("members-with-a-key-given-twice")
        #expect(selector == 17)
        #expect(throws: DecodingError.self) { _ = try BinaryDecoder().decode([SWIM.Member].self, from: body) }
    }

    /// Selector 4, `TaskAssignment`, with one input result whose `recordedAt` is the input's last
    /// eight bytes, 0xfff9000000000000: a NaN. The value was unequal to its own round trip (a NaN is
    /// unequal to itself; the target's `value == value` guard let it through because two arrays
    /// sharing storage compare equal without comparing elements), and printing it trapped in
    /// FoundationEssentials' `Date.description`.
    @Test func aTaskAssignmentWithANaNTimeIsRefused() throws {
        let (selector, body) = try Self.finding("task-assignment-changes-through-encoding")
        #expect(selector == 4)
        #expect(Self.refusal(TaskAssignment.self, body).contains("is not finite"))
        // The rest of it is well formed: with a finite time in those eight bytes it decodes, and
        // round-trips to an equal value.
        var finite = body
        finite.setInteger(Double(1).bitPattern, at: finite.writerIndex - 8)
        let assignment = try BinaryDecoder().decode(TaskAssignment.self, from: finite)
        #expect(assignment.inputs.map(\.recordedAt) == [Date(timeIntervalSinceReferenceDate: 1)])
        let again = try BinaryDecoder().decode(TaskAssignment.self, from: try BinaryEncoder().encode(assignment))
        #expect(again == assignment)
    }

    /// Selector 0, `[Envelope]`, the seeds' seven envelopes mutated: the submit's `createdAt` is
    /// 0xffff002c40200000, a NaN (bytes 0x44–0x4b of the file), which the codec now refuses
    /// (WireTests/BinaryCodecTests.nonFiniteNumbersAreRefusedWhereverTheyStand). The submit has
    /// carried a title since (wire version 6), so the bytes after it no longer line up: what is
    /// checked is that decoding stops at the time, for being a NaN.
    @Test func aSubmitWithANaNTimeIsRefused() throws {
        let (selector, body) = try Self.finding("second-from-the-20s-run")
        #expect(selector == 0)
        #expect(body.getInteger(at: 0x44 - 1, as: UInt64.self) == 0xffff_002c_4020_0000)
        #expect(Self.refusal([Envelope].self, body).contains("is not finite"))
    }

    /// The description of the `DecodingError` that decoding `body` as `type` throws, or "" if none.
    static func refusal<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) -> String {
        do {
            _ = try BinaryDecoder().decode(T.self, from: body)
            return ""
        } catch let DecodingError.dataCorrupted(context) {
            return context.debugDescription
        } catch {
            return "\(error)"
        }
    }
}
