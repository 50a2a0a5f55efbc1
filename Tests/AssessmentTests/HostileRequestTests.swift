import Foundation
import Testing

@testable import Assessment

/// Bodies built to make validation or its answer expensive, and text built to break the report
/// (docs/security.md, "Request bodies" and "Reports").
@Suite("Hostile requests")
struct HostileRequestTests {
    static let minimal =
        #"{"business":{"company_size":"small","industry":"retail"},"technical":{"workload_types":["web_application"]}}"#

    /// The minimal request with `business.<field>` set to the raw JSON `value`.
    static func business(_ field: String, _ value: String) -> String {
        minimal.replacingOccurrences(of: #""industry":"retail""#, with: #""industry":"retail","\#(field)":\#(value)"#)
    }

    func failure(_ json: String) -> ValidationFailure? {
        do {
            _ = try RequestValidator.validate(Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    /// The review's probe: ten thousands of equal items in a `uniqueItems` array with `maxItems` 7.
    /// Each was checked against every earlier one and reported with the whole list of markets.
    @Test func anArrayOverItsMaxItemsIsOneProblemAndItsItemsAreNotChecked() throws {
        let items = Array(repeating: "0", count: 100_000).joined(separator: ",")
        let found = try #require(failure(Self.business("geographic_regions", "[\(items)]")))
        #expect(
            found.errors == [
                FieldError(field: "business.geographic_regions", problem: "must have at most 7 items (got 100000)")
            ])
        #expect(found.total == 1)
    }

    @Test func duplicatesAreFoundWithASetAndNumbersCompareByValue() throws {
        let found = try #require(failure(Self.business("geographic_regions", #"["eu","us","eu","us"]"#)))
        #expect(found.errors.map(\.field) == ["business.geographic_regions[2]", "business.geographic_regions[3]"])
        #expect(found.errors.allSatisfy { $0.problem == "duplicates an earlier item" })
        // Equal values hash alike, whatever their spelling, so the Set agrees with `==`.
        let one = JSONValue.number(literal: "1", value: 1)
        let onePointZero = JSONValue.number(literal: "1.0", value: 1)
        #expect(one == onePointZero)
        #expect(Set([one, onePointZero]).count == 1)
        let a = JSONValue.object([(key: "a", value: one)])
        let b = JSONValue.object([(key: "a", value: .number(literal: "1e0", value: 1))])
        #expect(Set([a, b, .array([one]), .array([onePointZero])]).count == 2)
    }

    @Test func problemsAreCappedAtFiftyWithACountOfTheRest() throws {
        let unknown = (0..<200).map { #""extra_\#($0)":1"# }.joined(separator: ",")
        let json = Self.minimal.replacingOccurrences(of: #"{"business""#, with: #"{\#(unknown),"business""#)
        let found = try #require(failure(json))
        #expect(found.total == 200)
        #expect(found.errors.count == 51)
        #expect(found.errors.prefix(50).allSatisfy { $0.problem == "is not a known field" })
        #expect(found.errors.last == FieldError(field: "$", problem: "and 150 more problems"))
    }

    @Test func anEnumerationsValuesAreListedOnceAPass() throws {
        let found = try #require(failure(Self.business("geographic_regions", #"["mars","venus",3]"#)))
        #expect(
            found.errors.map(\.problem) == [
                "must be one of: us, canada, eu, uk, apac, latam, mea (got \"mars\")",
                "must be one of the values listed for business.geographic_regions[0] (got \"venus\")",
                "must be one of the values listed for business.geographic_regions[0] (got number)",
            ])
    }

    @Test func echoedValuesAndKeysAreCutTo64Characters() throws {
        let long = String(repeating: "x", count: 10_000)
        let json = Self.minimal.replacingOccurrences(of: #""small""#, with: "\"\(long)\"").replacingOccurrences(
            of: #"{"business""#, with: #"{"\#(long)":1,"business""#)
        let found = try #require(failure(json))
        let cut = String(repeating: "x", count: 64) + "…"
        #expect(
            found.errors == [
                FieldError(field: cut, problem: "is not a known field"),
                FieldError(
                    field: "business.company_size",
                    problem: "must be one of: startup, small, medium, large, enterprise (got \"\(cut)\")"),
            ])
    }

    @Test(arguments: ["\\u0000", "\\n", "\\t", "\\u007f", "\\u0085"])
    func controlCharactersInTextAreRefused(escaped: String) throws {
        let found = try #require(failure(Self.business("company_name", "\"Acme\(escaped)Corp\"")))
        #expect(found.errors.count == 1)
        #expect(found.errors.first?.field == "business.company_name")
        #expect(found.errors.first?.problem.hasPrefix("must not contain control characters (U+00") == true)
        #expect(found.errors.first?.problem.hasSuffix("at character 5)") == true)
        // A use case is free text too.
        let useCase = Self.minimal.replacingOccurrences(
            of: #""workload_types":["web_application"]"#,
            with: #""workload_types":["web_application"],"ai_use_cases":["ok","bad\#(escaped)"]"#)
        #expect(failure(useCase)?.errors.map(\.field) == ["technical.ai_use_cases[1]"])
    }

    /// One letter with 120,000 combining marks is one Character; JSON Schema counts code points.
    @Test func lengthsAreCountedInUnicodeScalars() throws {
        let marks = String(repeating: "\\u0301", count: 120_000)
        let found = try #require(failure(Self.business("company_name", "\"T\(marks)\"")))
        #expect(
            found.errors == [FieldError(field: "business.company_name", problem: "must have at most 200 characters")])
        // 200 scalars that are fewer Characters still fit.
        let fits = "\"" + String(repeating: "e\\u0301", count: 100) + "\""
        #expect(failure(Self.business("company_name", fits)) == nil)
    }

    // MARK: the report

    static let heading = "# Heading <script>x</script>"

    func hostileReport() async throws -> AssessmentReport {
        let name = #""- **item** [a](javascript:x) <b>_1_</b> | \\ `c`""#
        let json = Self.business("company_name", "\"\(Self.heading)\"")
            .replacingOccurrences(of: #"{"business""#, with: #"{"title":"\#(Self.heading)","business""#)
            .replacingOccurrences(
                of: #""workload_types":["web_application"]"#,
                with:
                    #""workload_types":["machine_learning"],"ai_workloads":[{"name":\#(name),"parameters_billion":7}]"#)
        let request = try RequestValidator.validate(Data(json.utf8))
        return AssessmentEngine.assessSequentially(request, catalog: try Fixtures.catalog(), assessmentID: "hostile")
    }

    @Test func userTextIsLiteralInTheMarkdownReport() async throws {
        let markdown = ReportRenderer.markdown(try await hostileReport())
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == ##"# \# Heading \<script\>x\</script\>"##)
        // The executive summary's first line starts with the company name: a line of text.
        #expect(lines.contains { $0.hasPrefix(##"\# Heading \<script\>x\</script\>, a small retail"##) })
        #expect(!markdown.contains("<script>"))
        #expect(!markdown.contains("<b>"))
        // Headings are the report's own: its title and its sections.
        #expect(lines.filter { $0.hasPrefix("# ") }.count == 1)
        // The workload's name, wherever it is shown, starts no list and opens no emphasis.
        #expect(markdown.contains(##"\- \*\*item\*\* \[a\](javascript:x) \<b\>\_1\_\</b\> \| \\ \`c\`"##))
    }

    @Test func userTextIsLiteralInTheHTMLReport() async throws {
        let html = ReportRenderer.html(try await hostileReport())
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("<h1># Heading &lt;script&gt;x&lt;/script&gt;</h1>"))
        // The backslash escapes of the Markdown are read, not shown: the text reads as typed.
        #expect(html.contains("<p>&#35; Heading &#60;script&#62;x&#60;/script&#62;, a small retail"))
        #expect(!html.contains("<strong>item"))
        #expect(!html.contains("<em>1"))
        #expect(!html.contains("<li>**item"))
    }
}
