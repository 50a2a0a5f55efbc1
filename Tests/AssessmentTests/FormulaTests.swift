import Foundation
import Testing

@testable import Assessment

/// Hand-checked cases for the formulas the agents rest on.
@Suite("Formulas")
struct FormulaTests {
    let rules: GPUSizingRules

    init() throws { rules = try Fixtures.catalog().sizing.gpu }

    @Test func seventyBillionBf16NeedsAtLeast140GBAndNeverOneEightyGBGPU() throws {
        let w = AIWorkload(name: "llm70", parametersBillion: 70, precision: .bf16, requestsPerSecond: 1)
        let e = GPUMemoryModel.estimate(w, rules: rules)
        #expect(e.weightsGB == 140)
        #expect(e.requiredGB >= 140 * 1.2)
        let catalog = try Fixtures.catalog()
        let plan = PlanBuilder.build(Fixtures.minimal(workloads: [w]), catalog: catalog)
        for p in plan.providers {
            let placement = try #require(p.gpuPlan.first)
            let offer = try #require(catalog.instances.first { $0.id == placement.catalogID })
            // Whatever was chosen, one replica spans more than one 80 GB GPU.
            #expect(placement.gpusPerReplica >= 2)
            #expect(Double(placement.gpusPerReplica) * offer.gpuMemoryGB >= e.requiredGB)
        }
    }

    @Test func weightsFollowBytesPerParameter() {
        let cases: [(Precision, Double)] = [(.fp32, 28), (.bf16, 14), (.fp16, 14), (.fp8, 7), (.int8, 7), (.int4, 3.5)]
        for (precision, weights) in cases {
            let e = GPUMemoryModel.estimate(
                AIWorkload(name: "m", parametersBillion: 7, precision: precision), rules: rules)
            #expect(e.weightsGB == weights)
        }
    }

    /// (7·16) × 1.2 = 134.4 GB for full training; LoRA on bf16: (14 + 0.07·16) × 1.2 = 18.144 GB.
    @Test func trainingAndLoRAMemory() {
        let full = GPUMemoryModel.estimate(
            AIWorkload(name: "t", parametersBillion: 7, precision: .bf16, mode: .training), rules: rules)
        #expect(full.requiredGB == 134.4)
        #expect(full.weightsGB + full.trainingStateGB == 112)
        let lora = GPUMemoryModel.estimate(
            AIWorkload(name: "l", parametersBillion: 7, precision: .bf16, mode: .fineTuning, fineTuningMethod: .lora),
            rules: rules)
        #expect(lora.requiredGB == 18.14)
        let fullFT = GPUMemoryModel.estimate(
            AIWorkload(name: "f", parametersBillion: 7, precision: .bf16, mode: .fineTuning, fineTuningMethod: .full),
            rules: rules)
        #expect(fullFT.requiredGB == full.requiredGB)
    }

    /// Llama-3-70B's real KV cache is 2 · 80 layers · 8 KV heads · 128 dims · 2 bytes = 327,680 bytes per
    /// token; the cube-root rule must land within 15% of it.
    @Test func kvCachePerTokenIsRealisticForSeventyBillion() {
        let perToken = GPUMemoryModel.kvBytesPerToken(parametersBillion: 70, precision: .bf16, rules: rules)
        #expect(abs(perToken - 327_680) / 327_680 < 0.15)
    }

    /// 10 rps × 300 tokens ÷ 30 tok/s = 100 sequences → 2 replicas of 50.
    @Test func littlesLawSetsSequencesAndReplicas() {
        let e = GPUMemoryModel.estimate(
            AIWorkload(
                name: "m", parametersBillion: 7, requestsPerSecond: 10, avgOutputTokens: 300, contextTokens: 1000),
            rules: rules)
        #expect(e.concurrentSequences == 100)
        #expect(e.replicasForLoad == 2)
        let perToken = GPUMemoryModel.kvBytesPerToken(parametersBillion: 7, precision: .bf16, rules: rules)
        #expect(abs(e.kvCacheGB - 50 * 1000 * perToken / 1e9) < 0.01)
        #expect(e.trainingFlops == nil)
    }

    @Test func trainingFlopsAreSixND() {
        let e = GPUMemoryModel.estimate(
            AIWorkload(name: "m", parametersBillion: 7, mode: .training, trainingTokensBillion: 100), rules: rules)
        #expect(e.trainingFlops == 6 * 7e9 * 100e9)
    }

    @Test func gpuMonthlyCostIsInstancesTimesHourlyTimes730() throws {
        let catalog = try Fixtures.catalog()
        let plan = PlanBuilder.build(
            Fixtures.minimal(workloads: [AIWorkload(name: "m", parametersBillion: 7)], uptime: 99.9), catalog: catalog)
        for p in plan.providers {
            let g = try #require(p.gpuPlan.first)
            let offer = try #require(catalog.instances.first { $0.id == g.catalogID })
            #expect(g.spareInstances == 1)
            #expect(g.monthlyOnDemandUSD == Numbers.money(Double(g.instances) * offer.onDemandHourly * 730))
            // The cheapest fitting single-GPU row in that region, at 2 instances (1 + spare).
            let fitting = catalog.instances(provider: p.provider, region: p.region).filter {
                $0.isGPU && $0.gpuCount == 1 && $0.gpuMemoryGB >= g.requiredGpuMemoryGB
            }
            if let cheapest = fitting.map(\.onDemandHourly).min() {
                #expect(g.monthlyOnDemandUSD <= Numbers.money(2 * cheapest * 730))
            }
        }
    }

    /// GCP us-central1 egress: 2048 GB = 1024 × 0.12 + 1024 × 0.11 = 235.52 USD.
    @Test func egressIsPricedByTier() throws {
        let catalog = try Fixtures.catalog()
        var request = Fixtures.minimal()
        // rps such that egress is exactly 2048 GB: rps × 20 kB × 730 h × 3600 s × 0.5 = 2048e9 bytes.
        request.technical.performanceRequirements.requestsPerSecond = 2048e9 / (20_000 * 730 * 3600 * 0.5)
        let plan = PlanBuilder.build(request, catalog: catalog)
        let gcp = try #require(plan.plan(for: .gcp))
        #expect(gcp.cost.egressGBPerMonth == 2048)
        #expect(gcp.cost.networkUSD == 235.52)
        #expect(plan.plan(for: .aws)?.cost.networkUSD == nil)
        #expect(plan.plan(for: .aws)?.cost.unpriced.isEmpty == false)
    }

    @Test func growthHitsTheStatedFigures() throws {
        var r = Fixtures.minimal()
        r.business.growthProjection = GrowthProjection(
            currentUsers: 1000, projectedUsers12m: 4000, projectedUsers24m: 8000)
        let g = GrowthModel(r)
        #expect(abs(g.users(atMonth: 12) - 4000) < 1e-6)
        #expect(abs(g.users(atMonth: 24) - 8000) < 1e-6)
        #expect(abs(g.users(atMonth: 6) - 2000) < 1e-6)
        #expect(abs(g.users(atMonth: 36) - 16000) < 1e-6)
    }

    @Test func impliedFrameworks() throws {
        var r = Fixtures.minimal(industry: .healthcare, markets: [.eu, .us])
        r.business.companySize = .large
        #expect(ApplicableFrameworks.resolve(r).map(\.id) == [.ccpa, .gdpr, .hipaa])
        let retail = Fixtures.minimal(industry: .retail)
        #expect(ApplicableFrameworks.resolve(retail).map(\.id) == [.pciDSS])
        var noCards = retail
        noCards.business.processesCardPayments = false
        #expect(ApplicableFrameworks.resolve(noCards).isEmpty)
        #expect(ApplicableFrameworks.requiredJurisdiction(r, frameworks: ApplicableFrameworks.resolve(r)) == "eu")
    }

    /// HIPAA has 7 controls; encryption at rest + in transit + MFA satisfy exactly 164.312(a)(2)(iv),
    /// (d) and (e)(1): coverage 3/7.
    @Test func complianceCoverageCountsSatisfiedControls() throws {
        let catalog = try Fixtures.catalog()
        var r = Fixtures.minimal(industry: .healthcare)
        r.technical.securityRequirements.encryptionAtRestRequired = true
        r.technical.securityRequirements.encryptionInTransitRequired = true
        r.technical.securityRequirements.mfaRequired = true
        let plan = PlanBuilder.build(r, catalog: catalog)
        let hipaa = try #require(
            ComplianceEvaluator.evaluate(r, catalog: catalog, plan: plan).first { $0.id == .hipaa })
        #expect(hipaa.satisfiedControls == ["hipaa.164.312.a.2.iv", "hipaa.164.312.d", "hipaa.164.312.e.1"])
        #expect(hipaa.coverage == Numbers.ratio(3.0 / 7.0))
        #expect(hipaa.missingControls.map(\.id).contains("hipaa.164.312.b"))
    }

    @Test func gdprResidencyFollowsTheRegion() throws {
        let catalog = try Fixtures.catalog()
        var r = Fixtures.minimal(markets: [.eu])
        r.business.cloudProviderPreference = .azure
        let plan = PlanBuilder.build(r, catalog: catalog)
        // Azure has no EU region in the catalog, so the preference cannot be met without breaking residency.
        #expect(plan.plan(for: .azure)?.residencyOK == false)
        #expect(plan.recommended.jurisdiction == "eu")
        #expect(plan.recommended.provider != .azure)
    }

    @Test func budgetFitPercent() throws {
        let catalog = try Fixtures.catalog()
        var r = Fixtures.minimal()
        let monthly = PlanBuilder.build(r, catalog: catalog).recommended.cost.totalUSD
        r.business.budgetConstraints.monthlyBudgetLimit = monthly / 2
        guard case .cto(let cto) = CTOAgent.run(r, catalog).data else {
            Issue.record("cto returned other data")
            return
        }
        #expect(cto.budget.status == "over budget")
        #expect(abs((cto.budget.overUnderPercent ?? 0) - 100) < 0.01)
    }

    @Test func formattingHelpers() {
        #expect(Numbers.usd(1_234_567.891) == "$1,234,567.89")
        #expect(Numbers.usd(-5) == "-$5.00")
        #expect(Numbers.text(2.50) == "2.5")
        #expect(Numbers.percent(0.4286) == "42.9%")
        #expect(CalendarDays.days(from: "2025-12-19", to: "2026-11-29") == 345)
        #expect(CalendarDays.days(from: "2024-02-28", to: "2024-03-01") == 2)
    }
}
