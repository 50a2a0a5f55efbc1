import Foundation
import Testing

@testable import Assessment

/// The KV cache from real model shapes (models.csv), checked against values worked out by hand
/// from each model's config.json: 2 × layers × kv_heads × head_dim × 2 bytes at bf16.
@Suite("Model architectures")
struct ModelArchitectureTests {
    let rules: GPUSizingRules

    init() throws { rules = try Fixtures.catalog().sizing.gpu }

    func kvBytes(_ id: String) throws -> Double {
        try #require(ModelTable.model(id)).architecture.kvBytesPerToken(bytesPerValue: 2)
    }

    @Test func kvBytesPerTokenMatchesHandComputedValues() throws {
        #expect(try kvBytes("llama-3.1-8b") == 131_072)  // 2·32·8·128·2
        #expect(try kvBytes("llama-2-7b") == 524_288)  // 2·32·32·128·2: full multi-head attention
        #expect(try kvBytes("llama-3.1-405b") == 516_096)  // 2·126·8·128·2
        #expect(try kvBytes("mixtral-8x7b") == 131_072)  // 2·32·8·128·2: experts do not add KV
        #expect(try kvBytes("llama-3.1-70b") == 327_680)  // 2·80·8·128·2
        #expect(try kvBytes("deepseek-v3") == 70_272)  // 61 layers · (512 latent + 64 RoPE) · 2
    }

    @Test func everyShippedRowIsSourcedAndConsistent() {
        #expect(ModelTable.shipped.count >= 17)
        #expect(Set(ModelTable.ids).count == ModelTable.ids.count)
        for m in ModelTable.shipped {
            let a = m.architecture
            #expect(m.source.hasPrefix("https://"), "\(m.id)")
            #expect(a.kvHeads <= a.attentionHeads, "\(m.id)")
            #expect(a.activeParametersBillion <= a.totalParametersBillion, "\(m.id)")
            #expect((m.experts == nil) == (a.activeParametersBillion == a.totalParametersBillion), "\(m.id)")
        }
    }

    func request(workload: String) throws -> AssessmentRequest {
        let json = """
            {"business": {"company_name": "Acme", "industry": "technology", "company_size": "startup"},
             "technical": {"workload_types": ["machine_learning"], "ai_workloads": [\(workload)]}}
            """
        return try RequestValidator.validate(Data(json.utf8))
    }

    func problems(workload: String) -> [FieldError] {
        do {
            _ = try request(workload: workload)
            return []
        } catch let failure as ValidationFailure {
            return failure.errors
        } catch {
            return [FieldError(field: "?", problem: "\(error)")]
        }
    }

    @Test func aNamedModelSizesTheKVCacheExactly() throws {
        let r = try request(workload: #"{"name": "chat", "model": "llama-3.1-8b", "context_tokens": 8192}"#)
        let w = try #require(r.technical.aiWorkloads.first)
        #expect(w.parametersBillion == 8.03)
        let e = GPUMemoryModel.estimate(w, rules: rules)
        #expect(e.kvCacheBytesPerToken == 131_072)
        #expect(!e.kvCacheEstimated)
        #expect(e.model == "llama-3.1-8b")
        // One sequence of the full context: 8192 tokens × 131,072 B.
        #expect(e.kvCacheGB == Numbers.quantity(8192 * 131_072 / 1e9))
    }

    @Test func anArchitectureSizesTheKVCacheAndMixtureOfExpertsTrainsOnActiveParameters() throws {
        let r = try request(
            workload: """
                {"name": "moe", "mode": "training", "training_tokens_billion": 100,
                 "architecture": {"layers": 32, "hidden_size": 4096, "attention_heads": 32, "kv_heads": 8,
                  "head_dim": 128, "total_parameters_billion": 46.7, "active_parameters_billion": 12.9}}
                """)
        let w = try #require(r.technical.aiWorkloads.first)
        let e = GPUMemoryModel.estimate(w, rules: rules)
        #expect(e.weightsGB == Numbers.quantity(46.7 * 2))  // memory holds every expert
        #expect(e.kvCacheBytesPerToken == 131_072)
        let flops = try #require(e.trainingFlops)
        #expect(abs(flops - 6 * 12.9e9 * 100e9) / flops < 1e-12)  // 6·N(active)·D = 7.74e21
    }

    /// The pretraining example's arithmetic: 6 · 13e9 parameters · 100e9 tokens = 7.8e21 FLOPs.
    @Test func sixNDForThirteenBillionOnHundredBillionTokens() throws {
        let e = GPUMemoryModel.estimate(
            AIWorkload(name: "pt", parametersBillion: 13, mode: .training, trainingTokensBillion: 100), rules: rules)
        #expect(e.trainingFlops == 7.8e21)
    }

    @Test func withoutAnArchitectureTheEstimateSaysSoAndHowFarOffItCanBe() throws {
        let r = try request(workload: #"{"name": "old", "parameters_billion": 7}"#)
        let e = GPUMemoryModel.estimate(try #require(r.technical.aiWorkloads.first), rules: rules)
        #expect(e.kvCacheEstimated)
        #expect(e.formula.contains("ESTIMATE"))
        let spread = GPUMemoryModel.estimateSpread(rules: rules)
        // A model without grouped-query attention is where the GQA-8 guess is furthest below the truth.
        let lowest = try #require(ModelTable.shipped.first { $0.name == spread.lowModel })
        #expect(lowest.architecture.kvHeads == lowest.architecture.attentionHeads)
        #expect(spread.low < 0.2 && spread.high > 1)
    }

    @Test func anUnknownModelIsRefusedWithTheKnownOnesListed() throws {
        let errors = problems(workload: #"{"name": "x", "model": "gpt-9"}"#)
        let error = try #require(errors.first { $0.field == "technical.ai_workloads[0].model" })
        #expect(error.problem.contains("llama-3.1-8b"))
        #expect(error.problem.contains("deepseek-v3"))
    }

    @Test func theModelIsGivenExactlyOneWay() {
        #expect(
            problems(workload: #"{"name": "x"}"#).map(\.field) == ["technical.ai_workloads[0]"])
        #expect(
            problems(workload: #"{"name": "x", "parameters_billion": 8, "model": "llama-3.1-8b"}"#).map(\.problem)
                == [
                    "must give exactly one of parameters_billion, model or architecture (got parameters_billion, model)"
                ])
    }

    @Test func anImpossibleArchitectureIsRefused() {
        let errors = problems(
            workload: """
                {"name": "x", "architecture": {"layers": 2, "hidden_size": 64, "attention_heads": 6, "kv_heads": 4,
                 "head_dim": 16, "total_parameters_billion": 1, "active_parameters_billion": 2}}
                """)
        #expect(
            errors.map(\.field) == [
                "technical.ai_workloads[0].architecture.kv_heads",
                "technical.ai_workloads[0].architecture.active_parameters_billion",
            ])
    }

    /// A request that names a model encodes back to the same form, so it validates again (requests
    /// are stored and re-read as JSON).
    @Test func aNamedModelRoundTrips() throws {
        let r = try request(workload: #"{"name": "chat", "model": "mixtral-8x7b"}"#)
        let again = try RequestValidator.validate(try JSONEncoder().encode(r))
        #expect(again == r)
        #expect(again.technical.aiWorkloads[0].architecture == ModelTable.model("mixtral-8x7b")?.architecture)
    }
}
