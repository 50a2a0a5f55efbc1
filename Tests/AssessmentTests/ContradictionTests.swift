import Foundation
import Testing

@testable import Assessment

/// No report says a thing and its negation: each check below pairs a statement the report can make
/// with the figure or sentence that would contradict it. Every example and every seeded request of
/// "Invariants over random valid requests" is rendered and checked.
@Suite("No statement beside its negation")
struct ContradictionTests {
    struct Rendered: Sendable {
        let name: String
        let report: AssessmentReport
        let markdown: String
    }

    /// Each returns the contradiction it finds, or nil.
    static let checks: [(String, @Sendable (Rendered) -> String?)] = [
        (
            "payback beside a three-year loss",
            { r in
                guard case .cto(let cto)? = r.report.agents["cto"]?.data else { return nil }
                let v = cto.value
                if let roi = v.threeYearROILow, roi < 0, v.paybackMonthsLow != nil {
                    return "low case: ROI \(roi) but paid back by month \(v.paybackMonthsLow!)"
                }
                if let roi = v.threeYearROIHigh, roi < 0, v.paybackMonthsHigh != nil {
                    return "high case: ROI \(roi) but paid back by month \(v.paybackMonthsHigh!)"
                }
                if let roi = v.threeYearROIHigh, roi >= 0, v.paybackMonthsHigh == nil {
                    return "high case: ROI \(roi) but never paid back"
                }
                return nil
            }
        ),
        (
            "within and over budget at once",
            { r in
                let lines = r.markdown.split(separator: "\n").filter { $0.hasPrefix("- Budget:") }
                return lines.contains { $0.contains("within budget") && $0.contains("over budget") }
                    ? "\(lines)" : nil
            }
        ),
        (
            "N+1 advice without a served model",
            { r in
                guard case .infrastructure(let infra)? = r.report.agents["infrastructure"]?.data else { return nil }
                let advises = r.report.agents["infrastructure"]?.recommendations.contains {
                    $0.title.hasPrefix("Keep one spare GPU instance per inference service")
                }
                return advises == true && !infra.gpuPlan.contains { $0.mode == .inference } ? "advised" : nil
            }
        ),
        (
            "a missed latency target called met",
            { r in
                guard case .infrastructure(let infra)? = r.report.agents["infrastructure"]?.data else { return nil }
                for e in infra.gpuMemory where e.meetsLatencyTarget == false {
                    let says = r.report.agents["infrastructure"]?.recommendations.contains {
                        $0.title.hasPrefix("Run \(e.workload) on") && $0.rationale.contains("meets the latency target")
                    }
                    if says == true { return e.workload }
                }
                return nil
            }
        ),
        (
            "full coverage of a framework evaluated in part",
            { r in
                guard case .compliance(let c)? = r.report.agents["compliance"]?.data else { return nil }
                for f in c.frameworks where f.coverage == 1 {
                    if !f.scope.contains("controls evaluated") { return f.name }
                }
                return r.markdown.contains("coverage 100%") ? "coverage 100% stated" : nil
            }
        ),
        (
            "reservations compared with on-demand prices",
            { r in
                guard case .cloudEngineer(let cloud)? = r.report.agents["cloud_engineer"]?.data else { return nil }
                guard cloud.reason.contains("lowest with 1-year reservations") else { return nil }
                let rec = cloud.providers.first { $0.provider == cloud.recommendedProvider }!
                let tied = cloud.providers.filter { $0.cost.comparableUSD <= rec.cost.comparableUSD * 1.03 }
                return tied.allSatisfy { $0.cost.reservedCoverage >= 1 } ? nil : cloud.reason
            }
        ),
        (
            "a workload both placed and not placed on the recommended provider",
            { r in
                guard case .infrastructure(let infra)? = r.report.agents["infrastructure"]?.data,
                    case .cloudEngineer(let cloud)? = r.report.agents["cloud_engineer"]?.data
                else { return nil }
                let p = cloud.recommendedProvider
                let placed = Set(infra.gpuPlan.filter { $0.provider == p }.map(\.workload))
                let unplaced = Set(infra.unplaced.filter { $0.provider == p }.map(\.workload))
                return placed.isDisjoint(with: unplaced) ? nil : "\(placed.intersection(unplaced))"
            }
        ),
        (
            "a training job longer than its roadmap phase",
            { r in
                guard case .infrastructure(let infra)? = r.report.agents["infrastructure"]?.data,
                    case .cloudEngineer(let cloud)? = r.report.agents["cloud_engineer"]?.data,
                    let roadmap = r.report.sections.first(where: { $0.title == "Roadmap" })?.markdown
                else { return nil }
                let jobs = infra.gpuPlan.filter { $0.provider == cloud.recommendedProvider }.compactMap(\.training)
                guard let longest = jobs.map(\.days).max() else { return nil }
                // "### Months a-b: build and pilot"
                guard let line = roadmap.split(separator: "\n").first(where: { $0.hasSuffix(": build and pilot") }),
                    let range = line.split(separator: " ").dropFirst(2).first?.dropLast(),
                    case let bounds = range.split(separator: "-").compactMap({ Int($0) }), bounds.count == 2
                else { return "no build phase" }
                let months = Double(bounds[1] - bounds[0])
                return longest * 24 / cloud.hoursPerMonth > months + 1e-9 ? "\(longest) days in \(months) months" : nil
            }
        ),
        (
            "a plan that breaks residency called kept",
            { r in
                guard case .compliance(let c)? = r.report.agents["compliance"]?.data else { return nil }
                return c.residency.requiredJurisdiction != nil
                    && c.residency.satisfied != (c.residency.regionJurisdiction == c.residency.requiredJurisdiction)
                    ? c.residency.note : nil
            }
        ),
        (
            "training GPUs charged every month",
            { r in
                guard case .cto(let cto)? = r.report.agents["cto"]?.data,
                    case .cloudEngineer(let cloud)? = r.report.agents["cloud_engineer"]?.data
                else { return nil }
                let rec = cloud.providers.first { $0.provider == cloud.recommendedProvider }!
                return cto.threeYear.trainingUSD > rec.cost.trainingJobsUSD + 0.5 ? "\(cto.threeYear.trainingUSD)" : nil
            }
        ),
    ]

    static func render(_ name: String, _ request: AssessmentRequest) async throws -> Rendered {
        let report = try await AssessmentEngine.assess(request, catalog: try Fixtures.catalog(), assessmentID: "c")
        let markdown = ReportRenderer.markdown(report)
        return Rendered(name: name, report: report, markdown: markdown)
    }

    static var requests: [(String, AssessmentRequest)] {
        var out = Fixtures.exampleNames.compactMap { name in (try? Fixtures.example(name)).map { (name, $0) } }
        for seed in InvariantTests.seeds {
            var generator = RandomRequests(seed: seed)
            out.append(("seed \(seed)", generator.next()))
        }
        return out
    }

    @Test func noReportContradictsItself() async throws {
        var checked = 0
        for (name, request) in Self.requests {
            let r = try await Self.render(name, request)
            for (what, check) in Self.checks {
                if let found = check(r) { Issue.record("\(name): \(what): \(found)") }
            }
            checked += 1
        }
        #expect(checked >= Fixtures.exampleNames.count + InvariantTests.seeds.count)
    }

    /// The checks are not vacuous: a report doctored to say a thing and its negation is caught.
    @Test func aDoctoredReportIsCaught() async throws {
        let r = try await Self.render("bank", try Fixtures.example("bank-eu-70b-fine-tuning"))
        let doctored = Rendered(
            name: "doctored", report: r.report,
            markdown: r.markdown + "\n- Budget: within budget, over budget\n")
        let found = Self.checks.compactMap { what, check in check(doctored).map { _ in what } }
        #expect(found == ["within and over budget at once"])
    }
}
