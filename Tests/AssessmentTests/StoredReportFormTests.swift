import Foundation
import Testing

@testable import Assessment

/// A finished report is kept, replicated and handed to the archive in gzip (`StoredReport`,
/// docs/performance.md "The data path"); the API inflates it for whoever does not take gzip.
@Suite struct StoredReportFormTests {
    static func reportJSON(_ example: String) throws -> Data {
        let report = AssessmentEngine.assessSequentially(
            try Fixtures.example(example), catalog: try Fixtures.catalog(), assessmentID: "stored-report-test")
        return try ReportRenderer.json(report)
    }

    @Test(arguments: ["healthcare-startup-7b", "enterprise-405b-serving", "pretraining-13b"])
    func everyReportComesBackByteForByte(example: String) throws {
        let json = try Self.reportJSON(example)
        let stored = try StoredReport.pack(json: json)
        #expect(StoredReport.isCompressed(stored))
        #expect(try StoredReport.json(stored: stored) == json)
        // What the record keeps is smaller by far than the JSON: the point of keeping it so.
        #expect(stored.count * 3 < json.count, "\(stored.count) of \(json.count) bytes")
    }

    @Test func equalReportsPackToEqualBytes() throws {
        // The owner compares digests of a repeated generator's output (determinism faults).
        let json = try Self.reportJSON("healthcare-startup-7b")
        #expect(try StoredReport.pack(json: json) == StoredReport.pack(json: Data(json)))
    }

    @Test func aReportStoredAsJSONBeforeCompressionIsReadAsItIs() throws {
        let json = try Self.reportJSON("healthcare-startup-7b")
        #expect(!StoredReport.isCompressed(json))
        #expect(try StoredReport.json(stored: json) == json)
    }

    @Test func aCorruptReportIsAnErrorNotAnEmptyReport() throws {
        var stored = try StoredReport.pack(json: try Self.reportJSON("healthcare-startup-7b"))
        stored[stored.count / 2] ^= 0xFF
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: stored) }
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: Data(stored.prefix(40))) }
    }

    @Test func aReportThatInflatesPastTheLimitIsRefused() throws {
        // A few hundred KB that would inflate to more than the limit: refused, not allocated.
        let bomb = try StoredReport.pack(json: Data(repeating: 0x20, count: StoredReport.maximumJSONSize + 1))
        #expect(bomb.count < 1 << 20)
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: bomb) }
    }
}
