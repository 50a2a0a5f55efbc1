import Foundation
import Testing

@testable import Assessment

/// Valid but implausible requests still get a report, with what is implausible at its top.
@Suite("Report warnings")
struct ReportWarningTests {
    func report(workload: String, budget: String = "") async throws -> AssessmentReport {
        let json = """
            {"business": {"industry": "technology", "company_size": "startup"\(budget)},
             "technical": {"workload_types": ["machine_learning"], "ai_workloads": [\(workload)]}}
            """
        let request = try RequestValidator.validate(Data(json.utf8))
        return try await AssessmentEngine.assess(request, catalog: try Fixtures.catalog(), assessmentID: "w")
    }

    /// The review's probe: a 100T-parameter model at 10M requests per second.
    @Test func aHundredTrillionParametersAtTenMillionRPSIsFlagged() async throws {
        let r = try await report(
            workload: #"{"name": "huge", "parameters_billion": 100000, "requests_per_second": 10000000}"#)
        #expect(r.warnings.contains { $0.contains("huge has 100000 B parameters") })
        #expect(r.warnings.contains { $0.contains("huge is asked to serve 10000000 requests per second") })
        #expect(r.sections.first?.title == "Warnings")
        let markdown = ReportRenderer.markdown(r)
        #expect(markdown.contains("## Warnings"))
    }

    @Test func aPlanOfThousandsOfInstancesIsFlagged() async throws {
        let r = try await report(
            workload: #"{"name": "busy", "model": "llama-3.1-70b", "requests_per_second": 100000}"#)
        #expect(r.warnings.contains { $0.contains("busy needs") && $0.contains("check the request rate") })
    }

    @Test func servicesBeyondAnyKnownRateAreFlagged() async throws {
        let json = """
            {"business": {"industry": "retail", "company_size": "startup"},
             "technical": {"workload_types": ["web_application"],
                           "performance_requirements": {"requests_per_second": 5000000}}}
            """
        let request = try RequestValidator.validate(Data(json.utf8))
        let r = try await AssessmentEngine.assess(request, catalog: try Fixtures.catalog(), assessmentID: "w")
        #expect(r.warnings.contains { $0.hasPrefix("The services are asked to take 5000000 requests per second") })
    }

    @Test func aZeroBudgetWithGPUsIsFlagged() async throws {
        let r = try await report(
            workload: #"{"name": "chat", "model": "llama-3.1-8b"}"#,
            budget: #", "budget_constraints": {"monthly_budget_limit": 0}"#)
        #expect(r.warnings.contains { $0.hasPrefix("The monthly budget is $0") })
    }

    @Test func aContextBeyondTheModelsMaximumIsFlagged() async throws {
        let r = try await report(workload: #"{"name": "long", "model": "llama-2-7b", "context_tokens": 32768}"#)
        #expect(r.warnings.contains { $0.contains("beyond Llama-2-7B's maximum of 4096") })
    }

    @Test(arguments: Fixtures.exampleNames)
    func theExamplesHaveNoWarnings(name: String) async throws {
        let request = try RequestValidator.validate(try Fixtures.exampleData(name))
        let r = try await AssessmentEngine.assess(request, catalog: try Fixtures.catalog(), assessmentID: "e")
        #expect(r.warnings.isEmpty, "\(r.warnings)")
        #expect(r.sections.first?.title != "Warnings")
    }
}
