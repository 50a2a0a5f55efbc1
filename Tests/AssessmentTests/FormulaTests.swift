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

    /// (7·16) × 1.2 = 134.4 GB of training state for full training; LoRA on bf16: (14 + 0.07·16) × 1.2
    /// = 18.144 GB; both plus one sequence's activations.
    @Test func trainingAndLoRAMemory() {
        let full = GPUMemoryModel.estimate(
            AIWorkload(name: "t", parametersBillion: 7, precision: .bf16, mode: .training), rules: rules)
        #expect(Numbers.quantity(full.requiredGB - full.activationsGB) == 134.4)
        #expect(full.weightsGB + full.trainingStateGB == 112)
        let lora = GPUMemoryModel.estimate(
            AIWorkload(name: "l", parametersBillion: 7, precision: .bf16, mode: .fineTuning, fineTuningMethod: .lora),
            rules: rules)
        #expect(abs(lora.requiredGB - lora.activationsGB - 18.144) < 0.011)
        let fullFT = GPUMemoryModel.estimate(
            AIWorkload(name: "f", parametersBillion: 7, precision: .bf16, mode: .fineTuning, fineTuningMethod: .full),
            rules: rules)
        #expect(fullFT.requiredGB == full.requiredGB)
    }

    /// Llama-2-7B (32 layers, hidden 4096) at 4,096 tokens keeps 34 × 32 × 4096 × 4096 =
    /// 18,253,611,008 bytes of activations for one sequence.
    @Test func activationsFollowTheArchitecture() throws {
        var w = AIWorkload(name: "a", parametersBillion: 6.74, mode: .training, contextTokens: 4096)
        w.architecture = try #require(ModelTable.model("llama-2-7b")).architecture
        #expect(TrainingModel.activationBytes(w, rules: rules) == 18_253_611_008)
        #expect(GPUMemoryModel.estimate(w, rules: rules).activationsGB == 18.25)
    }

    /// Llama-3-70B's real KV cache is 2 · 80 layers · 8 KV heads · 128 dims · 2 bytes = 327,680 bytes per
    /// token; the cube-root rule must land within 15% of it.
    @Test func kvCachePerTokenIsRealisticForSeventyBillion() {
        let perToken = GPUMemoryModel.kvBytesPerToken(parametersBillion: 70, precision: .bf16, rules: rules)
        #expect(abs(perToken - 327_680) / 327_680 < 0.15)
    }

    /// Llama-3.1-8B in bf16 on one A100-80GB (2.039 TB/s × 0.7, 312 TFLOPS × 0.5), 4,096-token
    /// context, 256-token answers, 10 rps, a one-minute target that does not bind. By hand:
    /// weights 16.06e9 B; KV 131,072 B/token; prompt 3,840; average context while decoding 3,968.
    /// Prefill = (2 × 8.03e9 × 3840 + 2 × 32 layers × 4096 × 3840²) ÷ 156e12 = (6.167e13 + 3.865e12)
    /// ÷ 156e12 = 420.10 ms (compute-bound). Memory holds
    /// (80/1.2 − 16.06) GB ÷ 0.537 GB = 94 sequences, capped at 64. Step(64) = (16.06e9 + 64 × 3968 ×
    /// 131072) ÷ 1.4273e12 = 34.57 ms → 1,851 tokens/s per replica; 2,560 tokens/s wanted → 2
    /// replicas. Little's law at 5 rps per replica settles at 31 sequences: step = (16.06e9 + 31 ×
    /// 0.52009e9) ÷ 1.4273e12 = 22.55 ms per token.
    @Test func rooflineMatchesHandComputedFigures() throws {
        var w = AIWorkload(
            name: "m", parametersBillion: 8.03, requestsPerSecond: 10, avgOutputTokens: 256, contextTokens: 4096)
        w.model = "llama-3.1-8b"
        w.architecture = try #require(ModelTable.model("llama-3.1-8b")).architecture
        let catalog = try Fixtures.catalog()
        let gpu = try #require(catalog.gpus["A100-80GB"])
        let load = ServingModel.Load(w, kvBytesPerToken: 131_072, responseTargetMs: 60_000)
        let replica = ServingModel.Replica(gpu: gpu, gpus: 1, link: .none, precision: .bf16, rules: rules)
        let p = try #require(ServingModel.evaluate(load, replica, rules: rules))
        #expect(p.prefillMs == 420.1)
        #expect(p.timeToFirstTokenMs == 420.1)
        #expect(p.maxBatch == 64)
        #expect(abs(p.decodeTokensPerSecondPerReplica - 1851.1) < 0.5)
        #expect(p.replicas == 2)
        #expect(p.batch == 31)
        #expect(abs(p.timePerOutputTokenMs - 22.55) < 0.01)
        #expect(p.meetsLatencyTarget)
        // The same model with a 20 ms per-token target: the batch is capped where a step takes 20 ms,
        // (20e-3 × 1.4273e12 − 16.06e9) ÷ 0.52009e9 = 24 sequences, so more replicas carry the load.
        w.timePerOutputTokenMs = 20
        let strict = try #require(
            ServingModel.evaluate(
                ServingModel.Load(w, kvBytesPerToken: 131_072, responseTargetMs: 60_000), replica, rules: rules))
        #expect(strict.timePerOutputTokenMs <= 20)
        #expect(strict.meetsLatencyTarget)
        #expect(strict.replicas == 3)
    }

    /// Decode is bandwidth-bound: 70B in bf16 on L4s reads 140 GB of weights per step, so even eight
    /// L4s over PCIe (8 × 0.3 TB/s × 0.7 × 0.7) give at most 1.176e12 ÷ 140e9 = 8.4 steps a second.
    @Test func cheapCardsCannotDecodeALargeModelFast() throws {
        let catalog = try Fixtures.catalog()
        let gpu = try #require(catalog.gpus["L4"])
        let w = AIWorkload(name: "m", parametersBillion: 70, avgOutputTokens: 256, contextTokens: 1024)
        let load = ServingModel.Load(w, kvBytesPerToken: 327_680, responseTargetMs: 60_000)
        let replica = ServingModel.Replica(gpu: gpu, gpus: 8, link: .pcie, precision: .bf16, rules: rules)
        let p = try #require(ServingModel.evaluate(load, replica, rules: rules))
        #expect(p.timePerOutputTokenMs > 1000 / 8.4)
    }

    /// A mixture of experts holds every expert but computes with the routed ones: Mixtral-8x7B's
    /// prefill counts 12.9B active parameters, not 46.7B.
    @Test func mixtureOfExpertsComputesWithActiveParameters() throws {
        var w = AIWorkload(name: "m", parametersBillion: 46.7, contextTokens: 4096)
        w.architecture = try #require(ModelTable.model("mixtral-8x7b")).architecture
        let load = ServingModel.Load(w, kvBytesPerToken: 131_072, responseTargetMs: 60_000)
        #expect(load.weightsBytes == 46.7e9 * 2)
        #expect(load.activeParameters == 12.9e9)
    }

    /// Llama-2-13B pre-trained on 100B tokens: 6 × 13.02e9 × 100e9 = 7.812e21 FLOPs; on eight A100s
    /// (312 TFLOPS bf16) at 40 % MFU: 7.812e21 ÷ (312e12 × 0.4) ÷ 3600 = 17,387.82 GPU-hours, ÷ 8 GPUs
    /// ÷ 24 = 90.56 days. LoRA fine-tuning of the same counts 4·N·D.
    @Test func aTrainingJobMatchesHandComputedFigures() throws {
        var w = AIWorkload(name: "p", parametersBillion: 13.02, mode: .training, trainingTokensBillion: 100)
        w.architecture = try #require(ModelTable.model("llama-2-13b")).architecture
        let counted = try #require(TrainingModel.flops(w))
        #expect(abs(counted.flops - 7.812e21) < 1e9)
        let gpu = try #require(try Fixtures.catalog().gpus["A100-40GB"])
        let time = try #require(
            TrainingModel.duration(flops: counted.flops, gpu: gpu, gpus: 8, precision: .bf16, rules: rules))
        #expect(Numbers.quantity(time.gpuHours) == 17_387.82)
        #expect(Numbers.quantity(time.hours / 24) == 90.56)
        w.mode = .fineTuning
        w.fineTuningMethod = .lora
        #expect(abs(try #require(TrainingModel.flops(w)).flops - 4 * 13.02e9 * 100e9) < 1e9)
        // The pre-training example's plan carries the same job, charged once.
        let request = try Fixtures.example("pretraining-13b")
        let plan = PlanBuilder.build(request, catalog: try Fixtures.catalog()).recommended
        let job = try #require(plan.gpuPlan.first?.training)
        #expect(job.options.count == 2)
        #expect(job.options[1].days < job.options[0].days)
        #expect(plan.cost.trainingJobsUSD == job.costOnDemandUSD)
        #expect(plan.cost.gpuUSD == 0)
    }

    @Test func trainingFlopsAreSixND() {
        let e = GPUMemoryModel.estimate(
            AIWorkload(name: "m", parametersBillion: 7, mode: .training, trainingTokensBillion: 100), rules: rules)
        #expect(e.trainingFlops == 6 * 7e9 * 100e9)
    }

    @Test func gpuMonthlyCostIsInstancesTimesHourlyTimes730() throws {
        let catalog = try Fixtures.catalog()
        let request = Fixtures.minimal(workloads: [AIWorkload(name: "m", parametersBillion: 7)], uptime: 99.9)
        let plan = PlanBuilder.build(request, catalog: catalog)
        for p in plan.providers {
            let g = try #require(p.gpuPlan.first)
            let offer = try #require(catalog.instances.first { $0.id == g.catalogID })
            #expect(g.spareInstances == 1)
            #expect(g.monthlyOnDemandUSD == Numbers.money(Double(g.instances) * offer.onDemandHourly * 730))
            // No other shape in that region is cheaper and meets the target; a plan that misses it
            // has no shape meeting it within the allowed premium.
            let estimate = try #require(plan.estimates.first)
            let rows = catalog.instances(provider: p.provider, region: p.region).filter(\.isGPU).flatMap { o in
                catalog.gpus[o.gpuModel].map {
                    CapacityPlanner.inferenceRows(
                        estimate, request.technical.aiWorkloads[0], offer: o, gpu: $0, request: request,
                        catalog: catalog)
                } ?? []
            }
            let meeting = rows.filter { $0.meetsLatencyTarget == true }.map(\.monthlyOnDemandUSD)
            if g.meetsLatencyTarget == true {
                #expect(g.monthlyOnDemandUSD <= meeting.min()!)
            } else {
                let cheapest = rows.map(\.monthlyOnDemandUSD).min()!
                #expect(g.monthlyOnDemandUSD == cheapest)
                #expect(meeting.allSatisfy { $0 > cheapest * rules.latencyCostPremiumMax })
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
