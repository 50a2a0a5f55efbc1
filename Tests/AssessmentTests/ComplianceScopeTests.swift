import Foundation
import Testing

@testable import Assessment

/// Coverage is of the controls the catalog evaluates, and every report says how much of the
/// framework that is, so a full score on nine ISO 27001 controls never reads as 100 % of ISO 27001.
@Suite("Compliance scope")
struct ComplianceScopeTests {
    @Test func everyFrameworkStatesWhatWasEvaluatedAgainstItsPublishedSize() throws {
        let catalog = try Fixtures.catalog()
        let iso = try #require(catalog.frameworks.first { $0.id == .iso27001 })
        #expect(iso.scope == FrameworkScope(count: 93, unit: "Annex A controls"))
        #expect(try #require(catalog.frameworks.first { $0.id == .pciDSS }).scope?.count == 12)
        for f in catalog.frameworks where f.id != .ccpa {
            #expect(f.scope != nil, "\(f.id)")
            #expect(f.controls.count < (f.scope?.count ?? 0) || f.id == .pciDSS, "\(f.id)")
        }
    }

    @Test(arguments: Fixtures.exampleNames)
    func reportsGiveTheDenominator(name: String) async throws {
        let request = try RequestValidator.validate(try Fixtures.exampleData(name))
        let report = try await AssessmentEngine.assess(request, catalog: try Fixtures.catalog(), assessmentID: "c")
        guard case .compliance(let data)? = report.agents["compliance"]?.data else {
            Issue.record("no compliance result")
            return
        }
        let markdown = ReportRenderer.markdown(report)
        for f in data.frameworks {
            let spec = try #require(try Fixtures.catalog().frameworks.first { $0.id == f.id })
            #expect(f.evaluatedControls == spec.controls.count)
            #expect(f.scope.hasPrefix("\(spec.controls.count) controls evaluated"))
            #expect(markdown.contains(f.scope))
        }
        if report.summary.complianceScore != nil {
            #expect(markdown.contains("controls evaluated (a part of each framework"))
        }
    }
}
