import Foundation
import Testing

@testable import Assessment

@Suite("Engine and rendering")
struct EngineTests {
    func request() throws -> AssessmentRequest {
        try RequestValidator.validate(try Fixtures.exampleData("healthcare-startup-7b"))
    }

    @Test func parallelAndSequentialRunsAgree() async throws {
        let catalog = try Fixtures.catalog()
        let r = try request()
        let parallel = try await AssessmentEngine.assess(r, catalog: catalog, assessmentID: "x")
        let sequential = AssessmentEngine.assessSequentially(r, catalog: catalog, assessmentID: "x")
        #expect(try ReportRenderer.json(parallel) == ReportRenderer.json(sequential))
    }

    @Test func slowdownNeverChangesTheResult() async throws {
        let catalog = try Fixtures.catalog()
        let r = try request()
        let plain = try await AssessmentEngine.runAgent(.cto, request: r, catalog: catalog)
        let burned = try await AssessmentEngine.runAgent(
            .cto, request: r, catalog: catalog, options: AgentRunOptions(loadTestSlowdown: .cpuWork(iterations: 10_000))
        )
        let slept = try await AssessmentEngine.runAgent(
            .cto, request: r, catalog: catalog, options: AgentRunOptions(loadTestSlowdown: .sleep(milliseconds: 5)))
        #expect(plain == burned && plain == slept)
        #expect(AgentRunOptions.standard.loadTestSlowdown == .none)
    }

    @Test func cancelledSlowAgentStops() async throws {
        let catalog = try Fixtures.catalog()
        let r = try request()
        let task = Task {
            try await AssessmentEngine.runAgent(
                .research, request: r, catalog: catalog,
                options: AgentRunOptions(loadTestSlowdown: .sleep(milliseconds: 60_000)))
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func reportGeneratorMarksMissingAgents() throws {
        let catalog = try Fixtures.catalog()
        let r = try request()
        let partial = AgentName.analysts.filter { $0 != .compliance && $0 != .simulation }.map {
            AssessmentEngine.compute($0, request: r, catalog: catalog)
        }
        let generator = AssessmentEngine.compute(.reportGenerator, request: r, catalog: catalog, results: partial)
        guard case .reportGenerator(let data) = generator.data else {
            Issue.record("report generator returned other data")
            return
        }
        #expect(data.missingAgents == [.compliance, .simulation])
        #expect(data.summary.complianceScore == nil)
        #expect(data.sections.first { $0.title == "Compliance" }?.markdown.contains("is missing") == true)
        let report = try #require(
            AssessmentReport.assemble(assessmentID: "p", catalog: catalog, results: partial, generator: generator))
        #expect(report.agents.count == 8)
    }

    @Test func recommendationsAreDeduplicatedAndRanked() throws {
        let rec = { (title: String, p: Priority) in
            Recommendation(title: title, priority: p, impact: "i", rationale: "r", evidence: [title])
        }
        let a = AgentResult(
            agent: .cto, summary: "", recommendations: [rec("Do X", .low), rec("Do Y", .medium)], citations: [],
            data: .chatbot(ChatbotData(answers: [])))
        let b = AgentResult(
            agent: .mlops, summary: "", recommendations: [rec("do x!", .high)], citations: [],
            data: .chatbot(ChatbotData(answers: [])))
        let ranked = ReportGenerator.rank([a, b])
        #expect(ranked.map(\.title) == ["Do X", "Do Y"])
        #expect(ranked[0].priority == .high)
        #expect(ranked[0].agents == [.cto, .mlops])
        #expect(ranked[0].evidence == ["Do X", "do x!"])
        #expect(ranked.map(\.rank) == [1, 2])
    }

    @Test func renderingsCarryEverySection() throws {
        let catalog = try Fixtures.catalog()
        let report = AssessmentEngine.assessSequentially(try request(), catalog: catalog, assessmentID: "id-1")
        let markdown = ReportRenderer.markdown(report)
        let html = ReportRenderer.html(report)
        let required = [
            "Executive Summary", "Recommended Architecture", "Cost", "Compliance", "ML Operations", "Growth", "Risks",
            "Roadmap", "Assumptions and Sources",
        ]
        for title in required {
            #expect(markdown.contains("\n## \(title)\n"))
            #expect(html.contains("<h2>\(title)</h2>"))
        }
        // Self-contained: no scripts, no external stylesheets or images.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        #expect(html.contains("<table>") && html.contains("<style>"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(markdown.contains(report.catalogVersion) && html.contains(report.catalogSnapshotDate))
    }

    @Test func markdownToHTMLEscapesAndStructures() {
        let html = MarkdownHTML.render(
            "Hello <b> & **bold** `a|b`\n\n- one\n- two\n\n1. first\n\n| h1 | h2 |\n| --- | --- |\n| x \\| y | z |")
        #expect(html.contains("<p>Hello &lt;b&gt; &amp; <strong>bold</strong> <code>a|b</code></p>"))
        #expect(html.contains("<ul>\n<li>one</li>\n<li>two</li>\n</ul>"))
        #expect(html.contains("<ol>\n<li>first</li>\n</ol>"))
        #expect(html.contains("<td>x | y</td><td>z</td>"))
    }

    @Test func localAssessmentReportsValidationErrors() async throws {
        await #expect(throws: ValidationFailure.self) {
            _ = try await LocalAssessment.run(requestJSON: Data("{}".utf8), format: .markdown)
        }
        let markdown = try await LocalAssessment.run(
            requestJSON: try Fixtures.exampleData("nonprofit-tight-budget"), format: .markdown)
        let text = String(decoding: markdown, as: UTF8.self)
        #expect(text.hasPrefix("# Volunteer helpdesk for a small non-profit"))
        #expect(text.contains("local-"))
    }
}

@Suite("Result encoding")
struct ResultEncodingTests {
    /// Results are digested on different nodes; their canonical bytes must survive a
    /// round trip through Codable unchanged.
    @Test func canonicalBytesSurviveARoundTrip() throws {
        let catalog = try Fixtures.catalog()
        let request = try RequestValidator.validate(try Fixtures.exampleData("enterprise-405b-serving"))
        for agent in AgentName.analysts {
            let result = AssessmentEngine.compute(agent, request: request, catalog: catalog)
            let decoded = try JSONDecoder().decode(AgentResult.self, from: try result.canonicalData())
            #expect(try decoded.canonicalData() == result.canonicalData(), "\(agent)")
        }
    }
}

@Suite("Stored reports")
struct StoredReportTests {
    /// Nodes keep the JSON rendering; Markdown and HTML made from it later must equal
    /// those made from the report itself.
    @Test(arguments: Fixtures.exampleNames)
    func markdownAndHTMLFromStoredJSON(name: String) throws {
        let catalog = try Fixtures.catalog()
        let request = try RequestValidator.validate(try Fixtures.exampleData(name))
        let report = AssessmentEngine.assessSequentially(request, catalog: catalog, assessmentID: "stored-\(name)")
        let stored = try ReportRenderer.json(report)
        #expect(
            try ReportRenderer.render(reportJSON: stored, as: .markdown) == Data(ReportRenderer.markdown(report).utf8))
        #expect(try ReportRenderer.render(reportJSON: stored, as: .html) == Data(ReportRenderer.html(report).utf8))
        #expect(try ReportRenderer.render(reportJSON: stored, as: .json) == stored)
    }

    @Test func malformedStoredJSONIsAnError() {
        #expect(throws: (any Error).self) { try ReportRenderer.render(reportJSON: Data("{}".utf8), as: .markdown) }
        #expect(throws: (any Error).self) { try ReportRenderer.render(reportJSON: Data("[".utf8), as: .html) }
    }
}
