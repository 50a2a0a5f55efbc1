import Foundation
import Testing

@testable import Assessment

/// Properties that must hold for any valid request, checked over seeded random ones.
@Suite("Invariants over random valid requests")
struct InvariantTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test(arguments: seeds)
    func pipelineInvariants(seed: UInt64) async throws {
        let catalog = try Fixtures.catalog()
        var generator = RandomRequests(seed: seed)
        let request = generator.next()
        // The generator only makes requests the validator accepts.
        let validated = try RequestValidator.validate(JSONEncoder().encode(request))
        #expect(validated == request, "seed \(seed)")

        let report = try await AssessmentEngine.assess(request, catalog: catalog, assessmentID: "a")
        #expect(report.agents.count == 10)
        #expect(Set(report.agents.keys) == Set(AgentName.analysts.map(\.rawValue)))

        checkTotals(report, seed: seed)
        checkCitations(report, catalog: catalog, seed: seed)

        // Same request, same bytes, apart from the id.
        let again = try await AssessmentEngine.assess(request, catalog: catalog, assessmentID: "b")
        let first = String(decoding: try ReportRenderer.json(report), as: UTF8.self)
        let second = String(decoding: try ReportRenderer.json(again), as: UTF8.self)
        #expect(
            first.replacingOccurrences(of: "\"assessment_id\" : \"a\"", with: "")
                == second.replacingOccurrences(of: "\"assessment_id\" : \"b\"", with: ""))
        #expect(first.contains("\"assessment_id\" : \"a\""))

        // Results survive a Codable round trip (they travel between nodes and are stored).
        for result in report.agents.values {
            let decoded = try JSONDecoder().decode(AgentResult.self, from: JSONEncoder().encode(result))
            #expect(decoded == result)
        }
    }

    func checkTotals(_ report: AssessmentReport, seed: UInt64) {
        guard case .cloudEngineer(let cloud)? = report.agents["cloud_engineer"]?.data,
            case .cto(let cto)? = report.agents["cto"]?.data,
            case .infrastructure(let infra)? = report.agents["infrastructure"]?.data
        else {
            Issue.record("seed \(seed): missing typed results")
            return
        }
        for p in cloud.providers {
            let c = p.cost
            #expect(abs(c.totalUSD - ((c.computeUSD + c.gpuUSD + (c.storageUSD ?? 0) + (c.networkUSD ?? 0)))) < 0.005)
            #expect(c.storageUSD == nil || abs(c.storageUSD! - c.storageLines.reduce(0) { $0 + $1.monthlyUSD }) < 0.005)
            #expect(c.networkUSD == nil || abs(c.networkUSD! - c.networkLines.reduce(0) { $0 + $1.monthlyUSD }) < 0.005)
            let rows = infra.gpuPlan.filter { $0.provider == p.provider }
            let gpu = rows.filter { $0.training == nil }.reduce(0) { $0 + $1.monthlyOnDemandUSD }
            let jobs = rows.compactMap(\.training).reduce(0) { $0 + $1.costOnDemandUSD }
            #expect(abs(c.trainingJobsUSD - Numbers.money(jobs)) < 0.005, "seed \(seed) \(p.provider)")
            let cpu = infra.cpuPlan.filter { $0.provider == p.provider }.reduce(0) { $0 + $1.monthlyOnDemandUSD }
            // Rows of every planned region are in the plan, each priced at its own row.
            #expect(p.regions.count == c.plannedRegions)
            #expect(abs(c.gpuUSD - Numbers.money(gpu)) < 0.005, "seed \(seed) \(p.provider)")
            #expect(abs(c.computeUSD - Numbers.money(cpu)) < 0.005, "seed \(seed) \(p.provider)")
            #expect(c.reservedTotalUSD <= c.totalUSD + 0.005)
        }
        for t in [cto.oneYear, cto.threeYear] {
            #expect(
                abs(t.totalUSD - (t.computeUSD + t.gpuUSD + t.storageUSD + t.networkUSD + t.trainingUSD)) < 0.005)
            // A job is charged once, whatever the period.
            let rec = cloud.providers.first { $0.provider == cto.provider }
            #expect(t.trainingUSD <= (rec?.cost.trainingJobsUSD ?? 0) + 0.01 * Double(t.months))
        }
        #expect(report.summary.threeYearTcoUSD == cto.threeYear.totalUSD)
        #expect(cto.threeYear.totalUSD + 0.005 >= cto.oneYear.totalUSD)
        if case .simulation(let sim)? = report.agents["simulation"]?.data {
            for h in sim.horizons { #expect(h.p10USD <= h.p50USD && h.p50USD <= h.p90USD, "seed \(seed)") }
        }
    }

    /// Every priced line names a catalog row that exists, and every cited row id resolves.
    func checkCitations(_ report: AssessmentReport, catalog: Catalog, seed: UInt64) {
        let instanceIDs = Set(catalog.instances.map(\.id))
        let priceIDs = Set(catalog.storageNetwork.map(\.id))
        guard case .infrastructure(let infra)? = report.agents["infrastructure"]?.data,
            case .cloudEngineer(let cloud)? = report.agents["cloud_engineer"]?.data
        else { return }
        for g in infra.gpuPlan { #expect(instanceIDs.contains(g.catalogID), "seed \(seed): \(g.catalogID)") }
        for c in infra.cpuPlan { #expect(instanceIDs.contains(c.catalogID), "seed \(seed): \(c.catalogID)") }
        for p in cloud.providers {
            for line in p.cost.storageLines + p.cost.networkLines {
                #expect(priceIDs.contains(line.catalogID), "seed \(seed): \(line.catalogID)")
            }
        }
        let known =
            instanceIDs.union(priceIDs).union(catalog.regions.map(\.id)).union(catalog.sizing.workloads.map(\.id))
            .union(catalog.frameworks.flatMap { $0.controls.map(\.id) }).union(catalog.mlops.platforms.map(\.id))
            .union(catalog.useCases.map(\.id)).union(catalog.sources.map(\.id))
        for result in report.agents.values {
            for id in result.citations { #expect(known.contains(id), "seed \(seed): \(result.agent) cites \(id)") }
        }
    }
}

@Suite("Extreme requests")
struct ExtremeRequestTests {
    /// Every number at its schema maximum, then at its minimum: the pipeline must finish
    /// and keep its totals, not trap on an overflow.
    @Test(arguments: [true, false])
    func boundsOfEveryNumber(maximum: Bool) async throws {
        let catalog = try Fixtures.catalog()
        func pick<T>(_ high: T, _ low: T) -> T { maximum ? high : low }
        var security = SecurityRequirements()
        security.dlpRequired = maximum
        let workload = AIWorkload(
            name: "w", parametersBillion: pick(100_000, 0.001), precision: pick(.fp32, .int4), mode: .inference,
            requestsPerSecond: pick(10_000_000, 0), avgOutputTokens: pick(1_000_000, 1),
            contextTokens: pick(10_000_000, 1), trainingTokensBillion: pick(1_000_000, 0))
        let training = AIWorkload(
            name: "t", parametersBillion: pick(100_000, 0.001), precision: .bf16, mode: .training,
            trainingTokensBillion: pick(1_000_000, 0))
        let request = AssessmentRequest(
            title: "extreme",
            business: BusinessRequirements(
                companySize: .enterprise, industry: .finance, geographicRegions: Market.allCases,
                complianceRequirements: ComplianceFramework.allCases,
                budgetConstraints: BudgetConstraints(monthlyBudgetLimit: pick(1_000_000_000, 0)),
                growthProjection: GrowthProjection(
                    currentUsers: pick(0, 10_000_000_000), projectedUsers12m: pick(10_000_000_000, 0),
                    projectedUsers24m: pick(10_000_000_000, 0)),
                projectTimelineMonths: pick(36, 1), expectedAnnualAIValueUSD: pick(1_000_000_000_000, 0)),
            technical: TechnicalRequirements(
                workloadTypes: WorkloadType.allCases, aiWorkloads: [workload, training],
                performanceRequirements: PerformanceRequirements(
                    requestsPerSecond: pick(10_000_000, 0), apiResponseTimeMs: pick(600_000, 1),
                    concurrentUsers: pick(10_000_000_000, 0), uptimePercentage: pick(99.999, 90)),
                scalabilityRequirements: ScalabilityRequirements(
                    currentDataSizeGb: pick(1_000_000_000, 0), monthlyDataGrowthPercentage: pick(1000, 0),
                    plannedRegions: pick(20, 1)),
                securityRequirements: security))
        #expect(try RequestValidator.validate(JSONEncoder().encode(request)) == request)
        let report = try await AssessmentEngine.assess(request, catalog: catalog, assessmentID: "x")
        #expect(report.agents.count == 10)
        _ = try ReportRenderer.json(report)
        _ = ReportRenderer.html(report)
    }
}
