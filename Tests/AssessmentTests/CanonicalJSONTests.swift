import Foundation
import Testing

@testable import Assessment

/// `CanonicalJSONEncoder` replaces Foundation's `JSONEncoder` for results and reports, whose bytes
/// are digested, compared across nodes and checked in as golden files: it must write exactly what
/// Foundation writes, on our own types and on the edge cases of the format.
@Suite("Canonical JSON encoder")
struct CanonicalJSONTests {
    static func foundation(pretty: Bool, snake: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        if snake { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    static func expectSame<T: Encodable>(_ value: T, pretty: Bool, snake: Bool, _ what: String) throws {
        let ours = try CanonicalJSONEncoder(prettyPrinted: pretty, snakeCaseKeys: snake).encode(value)
        let theirs = try foundation(pretty: pretty, snake: snake).encode(value)
        guard ours != theirs else { return }
        // The first difference with some context, not two whole reports.
        let at =
            zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(ours.count, theirs.count)
        func around(_ data: Data) -> String {
            String(decoding: data[max(0, at - 80)..<min(data.count, at + 80)], as: UTF8.self)
        }
        Issue.record(
            "\(what) (pretty: \(pretty), snake case: \(snake)) differs at byte \(at):\nours:   \(around(ours))\ntheirs: \(around(theirs))"
        )
    }

    @Test(arguments: Fixtures.exampleNames)
    func everyExamplesResultsAndReportEncodeAsFoundationDoes(name: String) async throws {
        let request = try RequestValidator.validate(try Fixtures.exampleData(name))
        let report = try await AssessmentEngine.assess(request, catalog: try Fixtures.catalog(), assessmentID: name)
        for pretty in [false, true] {
            for snake in [false, true] {
                try Self.expectSame(report, pretty: pretty, snake: snake, "\(name) report")
            }
        }
        for (agent, result) in report.agents {
            try Self.expectSame(result, pretty: false, snake: false, "\(name) \(agent)")
        }
    }

    @Test(arguments: Array(UInt64(1)...12))
    func randomRequestsReportsEncodeAsFoundationDoes(seed: UInt64) async throws {
        var generator = RandomRequests(seed: seed)
        let report = try await AssessmentEngine.assess(
            generator.next(), catalog: try Fixtures.catalog(), assessmentID: "seed-\(seed)")
        try Self.expectSame(report, pretty: true, snake: true, "seed \(seed) report")
        for (agent, result) in report.agents {
            try Self.expectSame(result, pretty: false, snake: false, "seed \(seed) \(agent)")
        }
    }

    struct Edges: Encodable {
        var emptyArray: [Int] = []
        var emptyObject: [String: Int] = [:]
        var nestedEmpty: [[Int]] = [[]]
        var integral = 1.0
        var large = 1e20
        var small = 1e-7
        var negativeZero = -0.0
        var fraction = 0.1
        var single: Float = 1.5
        var escapes = "\u{1}\u{8}\u{c}\n\r\t\"\\/\u{1f}é\u{7f} \u{1F600}"
        var missing: Int? = nil
        var present: Int? = 3
        var nulls: [Int?] = [nil, 1]
        var flags = [true, false]
        var extremes = [Int.min, Int.max]
        var unsigned = UInt64.max
        var camelCaseKeyedDictionary = ["someKey": 1, "B": 2, "a10": 3, "a9": 4, "_x": 5, "é": 6]
        var urlString = URL(string: "https://example.com/a/b?c=d")!
        var bytes = Data([0, 1, 2, 250])
        var useCaseID = "acronym"
        var xmlHTTPRequest = "mixed"
        var _leadingUnderscore = 1
        var trailing_ = 2
    }

    @Test func edgeCasesEncodeAsFoundationDoes() throws {
        for pretty in [false, true] {
            for snake in [false, true] {
                try Self.expectSame(Edges(), pretty: pretty, snake: snake, "edge cases")
            }
        }
        try Self.expectSame([Edges(), Edges()], pretty: true, snake: true, "top-level array")
        try Self.expectSame("top-level string", pretty: false, snake: false, "top-level string")
        try Self.expectSame(42, pretty: false, snake: false, "top-level number")
    }

    struct KeyTwice: Encodable {
        enum CodingKeys: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(1, forKey: .b)
            try container.encode(2, forKey: .a)
            try container.encode(3, forKey: .b)
        }
    }

    @Test func aKeyWrittenTwiceKeepsItsLastValue() throws {
        try Self.expectSame(KeyTwice(), pretty: false, snake: false, "key written twice")
    }

    /// The coding path of the `EncodingError` that `body` throws.
    static func refusedPath(_ body: () throws -> Data) -> [String] {
        do {
            _ = try body()
            return []
        } catch let error as EncodingError {
            guard case .invalidValue(_, let context) = error else { return ["\(error)"] }
            return context.codingPath.map(\.stringValue)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func aRefusedNumberNamesItsPathAsFoundationDoes() {
        struct Inner: Encodable { var value: Double }
        struct Outer: Encodable { var items: [Inner] }
        let value = Outer(items: [Inner(value: 1), Inner(value: .infinity)])
        let ours = Self.refusedPath { try CanonicalJSONEncoder().encode(value) }
        let theirs = Self.refusedPath { try JSONEncoder().encode(value) }
        #expect(ours == theirs)
        #expect(ours == ["items", "Index 1", "value"])
    }

    @Test func nonFiniteNumbersAreRefused() {
        #expect(throws: EncodingError.self) { try CanonicalJSONEncoder().encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try CanonicalJSONEncoder().encode([Double.infinity]) }
    }
}
