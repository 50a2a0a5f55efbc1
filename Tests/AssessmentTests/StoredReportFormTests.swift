import Foundation
import Testing

@testable import Assessment

/// A finished report is kept, replicated and handed to the archive as the typed report's binary form
/// in gzip (`StoredReport`, docs/performance.md "The data path"); its JSON is rendered where it is
/// read, and must be the very bytes the generator's own rendering gives.
@Suite struct StoredReportFormTests {
    static func report(_ example: String, title: String? = nil) throws -> AssessmentReport {
        var request = try Fixtures.example(example)
        if let title { request.title = title }
        return AssessmentEngine.assessSequentially(
            request, catalog: try Fixtures.catalog(), assessmentID: "stored-report-test")
    }

    @Test(arguments: Fixtures.exampleNames)
    func everyReportRendersFromItsStoredFormByteForByte(example: String) throws {
        let report = try Self.report(example)
        let json = try ReportRenderer.json(report)
        let stored = try StoredReport.pack(report)
        #expect(StoredReport.isCompressed(stored))
        #expect(try StoredReport.json(stored: stored) == json)
        // What the record keeps is smaller by far than the JSON: the point of keeping it so.
        #expect(stored.count * 4 < json.count, "\(stored.count) of \(json.count) bytes")
    }

    @Test func equalReportsPackToEqualBytes() throws {
        // The owner compares digests of a repeated generator's output (determinism faults): two runs
        // give two values, whose dictionaries need not have been built in the same order.
        #expect(
            try StoredReport.pack(Self.report("healthcare-startup-7b"))
                == StoredReport.pack(Self.report("healthcare-startup-7b")))
        #expect(
            try StoredReport.pack(Self.report("healthcare-startup-7b"))
                != StoredReport.pack(Self.report("healthcare-startup-7b", title: "Another title")))
    }

    @Test func reportsStoredByEarlierVersionsAreReadAsTheyAre() throws {
        let json = try ReportRenderer.json(Self.report("healthcare-startup-7b"))
        // The JSON itself, from before reports were compressed.
        #expect(!StoredReport.isCompressed(json))
        #expect(try StoredReport.json(stored: json) == json)
        // The JSON in gzip, from before reports were kept typed.
        #expect(try StoredReport.json(stored: StoredReport.gzip(json)) == json)
    }

    @Test func aCorruptReportIsAnErrorNotAnEmptyReport() throws {
        var stored = try StoredReport.pack(Self.report("healthcare-startup-7b"))
        stored[stored.count / 2] ^= 0xFF
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: stored) }
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: Data(stored.prefix(40))) }
        // Intact gzip around a binary form cut short.
        let binary = try BinaryForm.encode(Self.report("healthcare-startup-7b"))
        let cut = try StoredReport.gzip(Data(binary.prefix(binary.count / 2)))
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: cut) }
    }

    @Test func aReportThatInflatesPastTheLimitIsRefused() throws {
        // A few hundred KB that would inflate to more than the limit: refused, not allocated.
        let bomb = try StoredReport.gzip(Data(repeating: 0x20, count: StoredReport.maximumJSONSize + 1))
        #expect(bomb.count < 1 << 20)
        #expect(throws: StoredReport.Unreadable.self) { try StoredReport.json(stored: bomb) }
    }
}
