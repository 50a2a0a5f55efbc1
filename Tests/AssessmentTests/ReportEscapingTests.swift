import Foundation
import Testing

@testable import Assessment

/// What the report fuzz target (docs/fuzzing.md) asks of the HTML report: text from the request never
/// opens a tag. Checked on UTF-8 bytes, since a combining mark makes `<` part of another character.
@Suite struct ReportEscapingTests {
    static func html(title: String) throws -> [UInt8] {
        var request = Fixtures.minimal()
        request.title = title
        let report = AssessmentEngine.assessSequentially(request, catalog: try Fixtures.catalog(), assessmentID: "e")
        return Array(ReportRenderer.html(report).utf8)
    }

    static func holds(_ html: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        return (0...(html.count - needle.count)).contains { html[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// The fuzz target's input Fuzz/findings/report/title-starting-with-a-combining-mark: a title
    /// that starts with U+034C, which joins the `>` of `<title>` before it. Its `<` and `>` are
    /// escaped; the target's first check compared characters and took the joined `>` for text.
    @Test func aTitleThatStartsWithACombiningMarkIsEscaped() throws {
        let html = try Self.html(title: "\u{34C}cript>alert(1)</qcript>")
        #expect(!Self.holds(html, "</qcript>"))
        #expect(Self.holds(html, "&lt;/qcript&gt;"))
    }

    /// The report fuzz target's Fuzz/findings/report/a-text-of-one-less-than-sign: a text of just "<"
    /// was taken for one shown unescaped, since the page holds `<` in its own tags (a harness error).
    /// It is escaped like any other.
    @Test func aTitleOfOneLessThanSignIsEscaped() throws {
        let html = try Self.html(title: "<")
        let plain = try Self.html(title: "x")
        #expect(Self.holds(html, "&lt;"))
        // No `<` more than the page has with a title without one: each `<` is the renderer's.
        #expect(html.filter { $0 == UInt8(ascii: "<") }.count == plain.filter { $0 == UInt8(ascii: "<") }.count)
    }

    @Test func aScriptTagInTheTitleIsEscaped() throws {
        let html = try Self.html(title: "<script>alert(1)</script>")
        #expect(!Self.holds(html, "<script>"))
        #expect(Self.holds(html, "&lt;script&gt;"))
    }

    /// A finding of the report fuzz target: `<` followed by a combining mark (U+0338) is the one
    /// character "≮", so an escape that compares characters lets its `<` through; `MarkdownHTML.escape`
    /// works on scalars.
    @Test func aLessThanSignBeforeACombiningMarkIsEscaped() throws {
        let html = try Self.html(title: "<\u{338}script>alert(1)")
        #expect(!Self.holds(html, "<\u{338}"))
    }

    /// The report fuzz target's Fuzz/findings/report/a-company-of-asterisks-beside-a-bold-name: a
    /// company `**TTTTTTTTTTT` and a workload `TTT…` that the Markdown sets in bold (`**TTT…`) was
    /// taken for the company shown raw (a harness error). The company is escaped; the bold is the
    /// renderer's.
    @Test func aCompanyOfAsterisksIsEscapedBesideAWorkloadSetInBold() throws {
        let workload = String(repeating: "T", count: 60)
        var request = Fixtures.minimal(
            workloads: [AIWorkload(name: workload, parametersBillion: 7, precision: .bf16, requestsPerSecond: 1)])
        request.business.companyName = "**TTTTTTTTTTT"
        let report = AssessmentEngine.assessSequentially(request, catalog: try Fixtures.catalog(), assessmentID: "e")
        let markdown = ReportRenderer.markdown(report)
        #expect(markdown.contains("\\*\\*TTTTTTTTTTT"))
        #expect(!markdown.contains("**TTTTTTTTTTT ") && !markdown.contains("**TTTTTTTTTTT\n"))
        #expect(markdown.contains("**\(workload)"))
    }

    /// The report fuzz target's Fuzz/findings/report/a-workload-starting-with-a-combining-mark: a
    /// workload named with a combining mark first (U+0316) and a raw `>` after it was quoted
    /// unescaped in an agent's text ("Run <name> on …"): the mark joined the space before it into
    /// one character, so a character-wise search for the name missed it. `MarkdownText.literal`
    /// works on scalars.
    @Test func aWorkloadStartingWithACombiningMarkIsEscapedWhereAnAgentQuotesIt() throws {
        let name = "\u{316}mg src=x>"
        let request = Fixtures.minimal(
            workloads: [AIWorkload(name: name, parametersBillion: 7, precision: .bf16, requestsPerSecond: 4)])
        let report = AssessmentEngine.assessSequentially(request, catalog: try Fixtures.catalog(), assessmentID: "e")
        let markdown = Array(ReportRenderer.markdown(report).utf8)
        #expect(Self.holds(markdown, "\u{316}mg src=x\\>"))
        #expect(!Self.holds(markdown, "mg src=x> "))
    }

    /// The report fuzz target's Fuzz/findings/report/a-use-case-in-backticks: a use case `` `code`… ``
    /// was taken for input shown raw (a harness error: the plain request, with letters for its
    /// backticks, no longer matched the catalog's code assistant and its page differed). The report
    /// shows the catalog's use case it matched, and no raw backtick of the input.
    @Test func aUseCaseInBackticksIsMatchedByItsWordAndNotShownRaw() throws {
        var request = Fixtures.minimal()
        request.technical.aiUseCases = ["`code`\u{7DC}ase"]
        let report = AssessmentEngine.assessSequentially(request, catalog: try Fixtures.catalog(), assessmentID: "e")
        let markdown = ReportRenderer.markdown(report)
        // Matched by its word "code" to the catalog's use case, which the report shows.
        #expect(markdown.contains("Internal code and engineering assistant"))
        #expect(!markdown.contains("`code`"))
    }
}
