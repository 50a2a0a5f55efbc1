import Testing

@testable import Assessment

/// One growth model for every agent, like-for-like provider comparisons, regions priced at their own
/// rows and databases as primaries with replicas (docs/sizing.md, "Growth" and "Comparisons").
@Suite("Growth and comparisons")
struct GrowthAndComparisonTests {
    let catalog: Catalog

    init() throws { catalog = try Fixtures.catalog() }

    func example(_ name: String) throws -> AssessmentRequest { try Fixtures.example(name) }

    @Test(arguments: Fixtures.exampleNames)
    func monthZeroIsTheCostOfThePlan(name: String) throws {
        let request = try example(name)
        let plan = PlanBuilder.build(request, catalog: catalog).recommended
        let growth = GrowthModel(request)
        let m0 = CostProjection.month(0, plan: plan, growth: growth, request: request, catalog: catalog)
        #expect(m0.computeUSD == plan.cost.computeUSD)
        #expect(m0.gpuUSD == plan.cost.gpuUSD)
        #expect(m0.storageUSD == plan.cost.storageUSD ?? 0)
        #expect(m0.networkUSD == plan.cost.networkUSD ?? 0)
    }

    /// Spares, minimum counts and machines sized by data do not follow the users: at twice the load
    /// a serving row's count is whole instances for twice the tokens, and the database is unchanged.
    @Test func growthReplansWholeInstancesAndKeepsFixedCosts() throws {
        let request = try example("healthcare-startup-7b")
        let plan = PlanBuilder.build(request, catalog: catalog).recommended
        let row = try #require(plan.gpuPlan.first)
        let offer = try #require(catalog.offer(row.catalogID))
        let w = request.technical.aiWorkloads[0]
        let twice = CostProjection.gpuInstances(row, offer: offer, request: request, load: 2)
        let replicas = Int(
            (2 * w.requestsPerSecond * Double(w.avgOutputTokens) / row.decodeTokensPerSecondPerReplica!)
                .rounded(.up))
        #expect(twice == Numbers.ceilInt(Double(replicas) / Double(offer.gpuCount / row.gpusPerReplica)) + 1)
        #expect(row.spareInstances == 1)
        // At a hundredth of the load the spare and the one replica stay.
        #expect(CostProjection.gpuInstances(row, offer: offer, request: request, load: 0.01) == 2)
        let db = try #require(plan.cpuPlan.first { $0.workload == .database })
        let dbOffer = try #require(catalog.offer(db.catalogID))
        let at = CostProjection.cost(plan: plan, request: request, catalog: catalog, load: 10, data: 1)
        let others = plan.cpuPlan.filter { $0.workload != .database }
        #expect(at.compute >= db.monthlyOnDemandUSD)
        #expect(
            abs(
                at.compute - db.monthlyOnDemandUSD
                    - others.reduce(0) { total, row in
                        let o = catalog.offer(row.catalogID)!
                        let s = catalog.sizing(for: row.workload)!
                        var scaled = request
                        scaled.technical.performanceRequirements.requestsPerSecond *= 10
                        scaled.technical.performanceRequirements.concurrentUsers *= 10
                        let serving = request.technical.workloadTypes.compactMap { catalog.sizing(for: $0) }
                            .filter { $0.rpsPerVcpu != nil }.count
                        let need = CapacityPlanner.cpuNeed(s, servingTypes: serving, request: scaled, catalog: catalog)
                        let n = CapacityPlanner.cpuInstances(
                            row.workload, vcpus: need.vcpus, memory: need.memory, offer: o, request: request,
                            catalog: catalog)
                        return total + Numbers.money(Double(n) * o.onDemandHourly * 730)
                    }) < 0.02)
        #expect(dbOffer.vcpus > 0)
    }

    /// The chatbot's "traffic doubles" and the projection agree: same rows, same whole-instance rule.
    @Test func doublingTrafficIsTheGrowthModelAtTwiceTheLoad() async throws {
        let request = try example("healthcare-startup-7b")
        let plan = PlanBuilder.build(request, catalog: catalog).recommended
        let twice = CostProjection.cost(plan: plan, request: request, catalog: catalog, load: 2, data: 1)
        let result = ChatbotAgent.run(request, catalog)
        guard case .chatbot(let data) = result.data else {
            Issue.record("no chatbot data")
            return
        }
        let answer = try #require(data.answers.first { $0.question == "What if our traffic doubles?" })
        #expect(
            answer.answer.contains(
                Numbers.usd(Numbers.total([twice.compute, twice.gpu, twice.storage, twice.network]))))
    }

    /// Reserved prices decide between near-equal providers only when each has a reserved price for
    /// every row; otherwise the report says the comparison is on demand.
    @Test func reservedPricesAreComparedLikeForLike() throws {
        for name in Fixtures.exampleNames {
            let full = PlanBuilder.build(try example(name), catalog: catalog)
            if full.recommendationReason.contains("lowest with 1-year reservations") {
                let peers = full.providers.filter {
                    $0.cost.comparableUSD <= full.recommended.cost.comparableUSD * 1.03
                }
                #expect(peers.allSatisfy { $0.cost.reservedCoverage >= 1 }, "\(name)")
            }
        }
    }

    /// Each planned region is priced at its own rows; a region the catalog lacks is said to be a copy.
    @Test func everyPlannedRegionIsPricedAtItsOwnRows() throws {
        var request = try example("bank-eu-70b-fine-tuning")
        request.technical.scalabilityRequirements.plannedRegions = 2
        let full = PlanBuilder.build(request, catalog: catalog)
        for p in full.providers {
            #expect(p.regions.count == 2)
            #expect(p.cost.plannedRegions == 2)
            for row in p.gpuPlan + [] { #expect(p.regions.contains(row.region)) }
            for row in p.cpuPlan {
                let offer = try #require(catalog.offer(row.catalogID))
                #expect(offer.region == row.region)
            }
            // Training runs once, in the primary.
            #expect(p.gpuPlan.filter { $0.training != nil }.allSatisfy { $0.region == p.region })
            if Set(p.regions).count == 1 {
                #expect(p.regionsNote?.contains("priced at") == true)
            }
        }
    }

    /// A database that fits one instance type is a primary and its replicas on that type, never
    /// spread over many small machines.
    @Test(arguments: Fixtures.exampleNames)
    func databasesArePrimariesWithReplicas(name: String) throws {
        let request = try example(name)
        let full = PlanBuilder.build(request, catalog: catalog)
        let copies = CapacityPlanner.databaseCopies(request, catalog)
        for p in full.providers {
            for row in p.cpuPlan where row.workload == .database {
                #expect(row.instances % copies == 0)
                let offer = try #require(catalog.offer(row.catalogID))
                let holdsAll = catalog.instances(provider: p.provider, region: row.region).contains {
                    $0.gpuCount == 0 && $0.familyClass == offer.familyClass && $0.vcpus >= row.vcpusNeeded
                        && $0.memoryGiB >= row.memoryGibNeeded
                }
                if holdsAll { #expect(row.instances == copies, "\(name) \(p.provider)") }
            }
        }
    }
}
