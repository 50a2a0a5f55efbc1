import Foundation
import Testing

@testable import Assessment

@Suite("Request schema")
struct SchemaTests {
    @Test func checkedInSchemaMatchesTheValidatorsRules() throws {
        let generated = String(decoding: RequestSchema.document, as: UTF8.self)
        if ProcessInfo.processInfo.environment["INFRAMIND_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                at: Fixtures.schemaFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            try RequestSchema.document.write(to: Fixtures.schemaFile)
        }
        let onDisk = try String(contentsOf: Fixtures.schemaFile, encoding: .utf8)
        #expect(
            onDisk == generated, "schema/assessment-request.schema.json is stale; rerun with INFRAMIND_UPDATE_GOLDEN=1")
    }

    /// Every field the Swift types encode is one the schema allows, and the reverse:
    /// a request with every optional field set encodes exactly the schema's member paths.
    @Test func swiftTypesAndSchemaNameTheSameFields() throws {
        var security = SecurityRequirements()
        security.mfaRequired = true
        // A model is given one of three ways, so three workloads between them name every field.
        var named = AIWorkload(name: "n", parametersBillion: 46.7)
        named.model = "mixtral-8x7b"
        named.architecture = ModelTable.model("mixtral-8x7b")?.architecture
        named.timeToFirstTokenMs = 500
        named.timePerOutputTokenMs = 50
        var shaped = AIWorkload(name: "s", parametersBillion: 671)
        shaped.architecture = ModelTable.model("deepseek-v3")?.architecture
        let full = AssessmentRequest(
            title: "t",
            business: BusinessRequirements(
                companyName: "c", companySize: .medium, industry: .finance, geographicRegions: [.eu],
                complianceRequirements: [.soc2], budgetConstraints: BudgetConstraints(monthlyBudgetLimit: 1),
                growthProjection: GrowthProjection(currentUsers: 1, projectedUsers12m: 2, projectedUsers24m: 3),
                cloudProviderPreference: .gcp, projectTimelineMonths: 3, processesCardPayments: true,
                expectedAnnualAIValueUSD: 5),
            technical: TechnicalRequirements(
                workloadTypes: [.iot], aiUseCases: ["x"], currentAIMaturity: .pilot,
                aiWorkloads: [AIWorkload(name: "m", parametersBillion: 1, trainingTokensBillion: 1), named, shaped],
                securityRequirements: security))
        let encoded = try JSONValue.parse(JSONEncoder().encode(full))
        #expect(Set(paths(encoded)) == Set(RequestShape.request.memberPaths()))
        // And it passes validation unchanged.
        #expect(try RequestValidator.validate(JSONEncoder().encode(full)) == full)
    }

    func paths(_ value: JSONValue, prefix: String = "") -> [String] {
        switch value {
        case .object(let members):
            return members.flatMap { m -> [String] in
                let p = prefix.isEmpty ? m.key : prefix + "." + m.key
                return [p] + paths(m.value, prefix: p)
            }
        case .array(let items):
            return items.flatMap { paths($0, prefix: prefix + "[]") }
        default:
            return []
        }
    }

    @Test func schemaListsEveryEnumCaseAndRequiredField() throws {
        let schema = try JSONValue.parse(RequestSchema.document)
        guard case .object(let root) = schema else {
            Issue.record("schema is not an object")
            return
        }
        #expect(root.first { $0.key == "required" }?.value == .strings(["business", "technical"]))
        let text = String(decoding: RequestSchema.document, as: UTF8.self)
        for value in Industry.allCases.map(\.rawValue) + Precision.allCases.map(\.rawValue) {
            #expect(text.contains("\"\(value)\""))
        }
        #expect(text.contains("\"additionalProperties\": false"))
    }

    @Test(arguments: Fixtures.exampleNames)
    func everyExampleIsAValidRequest(name: String) throws {
        _ = try RequestValidator.validate(try Fixtures.exampleData(name))
    }
}
