/// How one AI workload's cost moves when one of its figures changes (docs/sizing.md, "Sensitivity").
package struct SensitivityRow: Codable, Sendable, Equatable {
    package let workload: String
    /// requests_per_second, context_tokens, avg_output_tokens, training_tokens_billion or precision.
    package let parameter: String
    /// "-50%", "+50%", or "bf16 → fp8".
    package let change: String
    package let instanceType: String?
    package let instances: Int?
    /// Monthly for serving, once for a training job; nil when the change cannot be placed.
    package let costUSD: Double?
    package let baselineUSD: Double
    /// (cost − baseline) ÷ baseline; nil when either is unknown or the baseline is zero.
    package let changeRatio: Double?
    package let meetsLatencyTarget: Bool?
}

enum Sensitivity {
    static let factors: [(String, Double)] = [("-50%", 0.5), ("+50%", 1.5)]

    /// One precision step each way, keeping the family the serving stacks pair: fp32 ↔ bf16 ↔ fp8 ↔
    /// int4, and fp16 ↔ int8 ↔ int4.
    static func steps(from p: Precision) -> [Precision] {
        switch p {
        case .fp32: return [.bf16]
        case .bf16: return [.fp32, .fp8]
        case .fp16: return [.fp32, .int8]
        case .fp8: return [.bf16, .int4]
        case .int8: return [.fp16, .int4]
        case .int4: return [.int8]
        }
    }

    /// Every workload of the recommended plan re-placed in its region with one figure changed.
    static func rows(_ request: AssessmentRequest, plan: ProviderPlan, catalog: Catalog) -> [SensitivityRow] {
        var out: [SensitivityRow] = []
        for w in request.technical.aiWorkloads {
            guard let base = plan.gpuPlan.first(where: { $0.workload == w.name && $0.region == plan.region }) else {
                continue
            }
            let baseline = cost(base)
            var variants: [(String, String, AIWorkload)] = []
            func vary(_ name: String, _ change: (inout AIWorkload, Double) -> Void) {
                for (label, f) in factors {
                    var v = w
                    change(&v, f)
                    variants.append((name, label, v))
                }
            }
            if w.mode == .inference {
                vary("requests_per_second") { $0.requestsPerSecond *= $1 }
                vary("avg_output_tokens") {
                    $0.avgOutputTokens = max(1, Int((Double($0.avgOutputTokens) * $1).rounded()))
                }
            } else if w.trainingTokensBillion != nil {
                vary("training_tokens_billion") { w, f in
                    w.trainingTokensBillion = w.trainingTokensBillion.map { $0 * f }
                }
            }
            vary("context_tokens") { $0.contextTokens = max(1, Int((Double($0.contextTokens) * $1).rounded())) }
            for p in steps(from: w.precision) {
                var v = w
                v.precision = p
                variants.append(("precision", "\(w.precision.rawValue) → \(p.rawValue)", v))
            }
            for (parameter, change, v) in variants {
                var varied = request
                if let i = varied.technical.aiWorkloads.firstIndex(where: { $0.name == w.name }) {
                    varied.technical.aiWorkloads[i] = v
                }
                let estimate = GPUMemoryModel.estimate(v, rules: catalog.sizing.gpu)
                let placed = try? CapacityPlanner.placeGPU(
                    estimate, workload: v, provider: plan.provider, region: plan.region, request: varied,
                    catalog: catalog
                ).get()
                let c = placed.map(cost)
                out.append(
                    SensitivityRow(
                        workload: w.name, parameter: parameter, change: change, instanceType: placed?.instanceType,
                        instances: placed?.instances, costUSD: c, baselineUSD: baseline,
                        changeRatio: c.flatMap { baseline > 0 ? Numbers.ratio(($0 - baseline) / baseline) : nil },
                        meetsLatencyTarget: placed?.meetsLatencyTarget))
            }
        }
        return out
    }

    static func cost(_ row: GPUPlacement) -> Double { row.training?.costOnDemandUSD ?? row.monthlyOnDemandUSD }
}
