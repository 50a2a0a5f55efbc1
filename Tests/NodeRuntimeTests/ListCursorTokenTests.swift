import Foundation
import Storage
import Testing

@testable import NodeRuntime

/// `GET /v1/assessments?cursor=` reaches the other members as a `PageCursor`, and the cluster's codec
/// carries finite times only (WireTests/BinaryCodecTests.nonFiniteNumbersAreNotEncoded): a token
/// whose time is a NaN or an infinity is refused as one the node never issued (a 400).
@Suite struct ListCursorTokenTests {
    @Test(arguments: [Double.nan, -Double.nan, .signalingNaN, .infinity, -.infinity])
    func aTokenWithANonFiniteTimeIsRefused(time: Double) {
        let token = String(time.bitPattern, radix: 16) + ".id"
        #expect(ListCursor(token: token) != nil, "the token itself parses: the time is any bit pattern")
        #expect(ClusterAssessmentService.pageCursor(token: token) == nil)
    }

    @Test func anIssuedTokenIsTaken() throws {
        let issued = ListCursor(createdAt: Date(timeIntervalSinceReferenceDate: 786_000_000.25), id: "a-1")
        let cursor = try #require(ClusterAssessmentService.pageCursor(token: issued.token))
        #expect(cursor.createdAt == issued.createdAt)
        #expect(cursor.id == "a-1")
        #expect(ClusterAssessmentService.pageCursor(token: "not-a-cursor") == nil)
        #expect(ClusterAssessmentService.pageCursor(token: "0.a-1")?.id == "a-1")
    }

    /// Only what `ListCursor.token` writes: lowercase hex digits without a sign, at most 16 of them,
    /// then a dot (openapi.json's pattern for `cursor`, which schemathesis checks the API against).
    @Test(arguments: ["+1f.a", "-0.a", "1F.a", "00000000000000001.a", ".a", "1f", "0x1f.a", " 1f.a"])
    func onlyIssuedTokenShapesAreTaken(token: String) {
        #expect(ClusterAssessmentService.pageCursor(token: token) == nil)
    }
}
