import Foundation
import Testing

@testable import Assessment

@Suite("Request validation")
struct ValidationTests {
    func errors(_ json: String) -> [FieldError] {
        do {
            _ = try RequestValidator.validate(Data(json.utf8))
            return []
        } catch {
            return error.errors
        }
    }

    @Test func minimalRequestGetsEveryDocumentedDefault() throws {
        let request = try RequestValidator.validate(
            Data(
                #"{"business":{"company_size":"small","industry":"retail"},"technical":{"workload_types":["web_application"]}}"#
                    .utf8))
        #expect(request.title == "Untitled assessment")
        #expect(request.business.geographicRegions == [.us])
        #expect(request.business.cloudProviderPreference == .noPreference)
        #expect(request.business.projectTimelineMonths == 12)
        #expect(request.business.growthProjection.currentUsers == 1000)
        #expect(request.business.growthProjection.projectedUsers12m == nil)
        #expect(request.business.budgetConstraints.monthlyBudgetLimit == nil)
        #expect(request.technical.performanceRequirements.uptimePercentage == 99.5)
        #expect(request.technical.performanceRequirements.requestsPerSecond == 10)
        #expect(request.technical.scalabilityRequirements.currentDataSizeGb == 100)
        #expect(request.technical.securityRequirements == SecurityRequirements())
        #expect(request.technical.deploymentModel == .noPreference)
        #expect(request.technical.aiWorkloads.isEmpty)
    }

    @Test func missingRequiredFieldsAreAllReported() {
        let found = errors(#"{"business":{},"technical":{}}"#)
        #expect(
            found == [
                FieldError(field: "business.company_size", problem: "is required"),
                FieldError(field: "business.industry", problem: "is required"),
                FieldError(field: "technical.workload_types", problem: "is required"),
            ])
        let top = errors("{}")
        #expect(top.map(\.field) == ["business", "technical"])
    }

    @Test func everyKindOfProblemIsCollectedInOnePass() {
        let json = #"""
            {
              "title": "",
              "colour": "blue",
              "business": {
                "company_size": "huge",
                "industry": "healthcare",
                "geographic_regions": ["eu", "mars", "eu"],
                "budget_constraints": {"monthly_budget_limit": -5},
                "growth_projection": {"current_users": 10.5},
                "project_timeline_months": 48,
                "processes_card_payments": "yes"
              },
              "technical": {
                "workload_types": [],
                "ai_workloads": [
                  {"name": "llm", "parameters_billion": 7, "precision": "fp4", "mode": "inference"},
                  {"parameters_billion": "seventy"}
                ],
                "performance_requirements": {"uptime_percentage": 100, "concurrent_users": true},
                "security_requirements": {"mfa_required": 1, "laser_grid_required": true}
              }
            }
            """#
        let found = errors(json)
        let expected: [(String, String)] = [
            ("title", "must have at least 1 character(s)"),
            ("colour", "is not a known field"),
            ("business.company_size", "must be one of: startup, small, medium, large, enterprise (got \"huge\")"),
            ("business.geographic_regions[1]", "must be one of: us, canada, eu, uk, apac, latam, mea (got \"mars\")"),
            ("business.geographic_regions[2]", "duplicates an earlier item"),
            ("business.budget_constraints.monthly_budget_limit", "must be between 0 and 1000000000"),
            ("business.growth_projection.current_users", "must be an integer"),
            ("business.project_timeline_months", "must be between 1 and 36"),
            ("business.processes_card_payments", "must be a boolean, not string"),
            ("technical.workload_types", "must have at least 1 item(s)"),
            ("technical.ai_workloads[0].precision", "must be one of: fp32, bf16, fp16, fp8, int8, int4 (got \"fp4\")"),
            ("technical.ai_workloads[1].parameters_billion", "must be a number, not string"),
            ("technical.ai_workloads[1].name", "is required"),
            ("technical.performance_requirements.uptime_percentage", "must be between 90 and 99.999"),
            ("technical.performance_requirements.concurrent_users", "must be an integer, not boolean"),
            ("technical.security_requirements.mfa_required", "must be a boolean, not number"),
            ("technical.security_requirements.laser_grid_required", "is not a known field"),
        ]
        #expect(found.count == expected.count)
        for (error, want) in zip(found, expected) {
            #expect(error.field == want.0)
            #expect(error.problem == want.1)
        }
    }

    @Test func wrongContainerTypesAndDuplicateKeys() {
        #expect(errors("[]") == [FieldError(field: "$", problem: "must be an object, not array")])
        let found = errors(
            #"{"business":{"company_size":"small","company_size":"large","industry":"other"},"technical":{"workload_types":"iot"}}"#
        )
        #expect(
            found == [
                FieldError(field: "business.company_size", problem: "appears more than once"),
                FieldError(field: "technical.workload_types", problem: "must be an array, not string"),
            ])
    }

    @Test func syntaxErrorsAreReportedAtTheRoot() {
        let found = errors(#"{"business": {"#)
        #expect(found.count == 1)
        #expect(found.first?.field == "$")
        #expect(found.first?.problem.hasPrefix("invalid JSON at byte") == true)
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(errors(deep).first?.problem.contains("nesting deeper") == true)
    }

    @Test func integralNumbersAreAcceptedInAnySpelling() throws {
        let request = try RequestValidator.validate(
            Data(
                #"{"business":{"company_size":"small","industry":"retail","growth_projection":{"current_users":2e3}},"technical":{"workload_types":["iot"],"performance_requirements":{"api_response_time_ms":250.0}}}"#
                    .utf8))
        #expect(request.business.growthProjection.currentUsers == 2000)
        #expect(request.technical.performanceRequirements.apiResponseTimeMs == 250)
    }
}

/// A seeded mutation fuzzer over the examples: whatever the bytes, validation
/// returns a request or a list of field errors; it never traps.
@Suite("Request parser robustness")
struct ParserRobustnessTests {
    @Test(arguments: Fixtures.exampleNames)
    func mutatedExamplesNeverCrash(name: String) throws {
        let original = [UInt8](try Fixtures.exampleData(name))
        var rng = SeededRandom(seed: UInt64(original.count))
        let alphabet = Array("{}[]\":,0123456789.-eE truefalsn\\u".utf8) + [0x00, 0xFF, 0xC3]
        var rejected = 0
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                }
            }
            do {
                _ = try RequestValidator.validate(Data(bytes))
            } catch {
                rejected += 1
                #expect(!error.errors.isEmpty)
            }
        }
        // Most random edits break the document; if none did, the mutator is not mutating.
        #expect(rejected > 150)
    }
}
