import Foundation
import Testing

@testable import Assessment

/// The examples' reports are checked in; any change to a formula, a table or the
/// rendering shows up here as a diff to review. Regenerate with INFRAMIND_UPDATE_GOLDEN=1.
@Suite("Golden reports")
struct GoldenReportTests {
    @Test func thereAreAtLeastFiveExamples() {
        #expect(Fixtures.exampleNames.count >= 5)
    }

    @Test(arguments: Fixtures.exampleNames)
    func reportMatchesGolden(name: String) async throws {
        let data = try await LocalAssessment.run(
            requestJSON: try Fixtures.exampleData(name), format: .json, assessmentID: "example-\(name)")
        let golden = Fixtures.goldenDirectory.appendingPathComponent(name + ".report.json")
        if ProcessInfo.processInfo.environment["INFRAMIND_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Fixtures.goldenDirectory, withIntermediateDirectories: true)
            try data.write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(String(decoding: data, as: UTF8.self) == expected, "\(name): report differs from \(golden.path)")
    }

    @Test func examplesShowWhatTheIssueAsksFor() async throws {
        let catalog = try Fixtures.catalog()
        func report(_ name: String) throws -> AssessmentReport {
            let request = try RequestValidator.validate(try Fixtures.exampleData(name))
            return AssessmentEngine.assessSequentially(request, catalog: catalog, assessmentID: name)
        }
        // Healthcare under HIPAA.
        let health = try report("healthcare-startup-7b")
        guard case .compliance(let hc)? = health.agents["compliance"]?.data else { throw Failure.missing }
        #expect(hc.frameworks.map(\.id).contains(.hipaa))
        // The bank in the EU stays in an EU region and is assessed against PCI DSS and SOC 2.
        let bank = try report("bank-eu-70b-fine-tuning")
        guard case .compliance(let bc)? = bank.agents["compliance"]?.data else { throw Failure.missing }
        #expect(Set(bc.frameworks.map(\.id)).isSuperset(of: [.pciDSS, .soc2, .gdpr]))
        #expect(bc.residency.regionJurisdiction == "eu")
        // The retailer has no GPUs at all.
        let retail = try report("retailer-web-analytics")
        guard case .infrastructure(let ri)? = retail.agents["infrastructure"]?.data else { throw Failure.missing }
        #expect(ri.gpuPlan.isEmpty && !ri.cpuPlan.isEmpty)
        // The 405B model spans several GPUs per replica, on several replicas.
        let big = try report("enterprise-405b-serving")
        guard case .infrastructure(let bi)? = big.agents["infrastructure"]?.data else { throw Failure.missing }
        #expect(bi.gpuPlan.allSatisfy { $0.gpusPerReplica >= 8 && $0.replicas > 1 })
        // The non-profit's plan fits its small budget.
        let small = try report("nonprofit-tight-budget")
        guard case .cto(let sc)? = small.agents["cto"]?.data else { throw Failure.missing }
        #expect(sc.budget.status == "within budget")
    }

    enum Failure: Error { case missing }
}
