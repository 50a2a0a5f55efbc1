import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// GPU memory one replica of an AI workload needs, with the terms shown so a reader
/// can redo the arithmetic. Sizes are in GB of 10^9 bytes, the unit GPU vendors
/// state memory in (and the unit of the catalog's GPU memory columns).
public struct GPUMemoryEstimate: Codable, Sendable, Equatable {
    public let workload: String
    public let mode: AIWorkloadMode
    /// The shipped model's id when the request named one.
    public let model: String?
    /// The weights' precision: only GPUs that support it are placed (`GPUSpec.supports`).
    public let precision: Precision
    public let weightsGB: Double
    public let kvCacheGB: Double
    /// Bytes of KV cache per token of context, from the architecture when the request gave one
    /// (or named a model), else estimated from the parameter count.
    public let kvCacheBytesPerToken: Double
    /// True when no architecture was known and `kvCacheBytesPerToken` is the cube-root estimate;
    /// the formula then says how far that estimate is from the published models'.
    public let kvCacheEstimated: Bool
    /// Gradients, optimizer moments and master weights (training and fine-tuning only).
    public let trainingStateGB: Double
    public let overheadGB: Double
    /// Per replica: (weights + kv cache + training state) × overhead factor.
    public let requiredGB: Double
    /// Sequences decoding at once at peak, from Little's law.
    public let concurrentSequences: Int
    /// Replicas the request rate needs before any spare.
    public let replicasForLoad: Int
    public let trainingFlops: Double?
    public let formula: String
}

public enum GPUMemoryModel {
    public static let formulaName = "formula.gpu_memory"

    /// The cube-root rule for a dense transformer: parameters ≈ 12·L·d² with d/L ≈ 128
    /// (Llama-class shapes), so d² = (P·128/12)^(2/3) and the KV cache per token is
    /// 2·L·(d/g)·b = 2·d²/(128·g)·b for g query heads per KV head and b bytes per value.
    static func kvBytesPerToken(parametersBillion: Double, precision: Precision, rules: GPUSizingRules) -> Double {
        let p = parametersBillion * 1e9
        let dSquared = pow(p * 128 / 12, 2.0 / 3.0)
        return 2 * dSquared / 128 / rules.kvGqaFactor * kvBytesPerValue(precision)
    }

    /// The KV cache stays in 16-bit floats when weights are quantised (weight-only quantisation
    /// is what the serving stacks do by default); fp32 weights keep fp32 keys and values.
    static func kvBytesPerValue(_ precision: Precision) -> Double { precision == .fp32 ? 4 : 2 }

    /// The KV cache per token of context and whether it is an estimate.
    static func kvBytesPerToken(_ w: AIWorkload, rules: GPUSizingRules) -> (bytes: Double, estimated: Bool) {
        if let a = w.architecture { return (a.kvBytesPerToken(bytesPerValue: kvBytesPerValue(w.precision)), false) }
        return (kvBytesPerToken(parametersBillion: w.parametersBillion, precision: w.precision, rules: rules), true)
    }

    /// How far the parameter-count estimate lands from the true KV cache of the shipped models
    /// (estimate ÷ truth, lowest and highest), so that a report built on the estimate can say so.
    static func estimateSpread(rules: GPUSizingRules) -> (
        low: Double, lowModel: String, high: Double, highModel: String
    ) {
        // The estimate assumes a dense transformer, so it is measured against the dense models only.
        let ratios = denseModels.map { m in
            let truth = m.architecture.kvBytesPerToken(bytesPerValue: 2)
            let guess = kvBytesPerToken(
                parametersBillion: m.architecture.totalParametersBillion, precision: .bf16, rules: rules)
            return (ratio: guess / truth, name: m.name)
        }
        let low = ratios.min { $0.ratio < $1.ratio }!
        let high = ratios.max { $0.ratio < $1.ratio }!
        return (low.ratio, low.name, high.ratio, high.name)
    }

    public static func estimate(_ w: AIWorkload, rules: GPUSizingRules) -> GPUMemoryEstimate {
        let weights = w.parametersBillion * w.precision.bytesPerParameter
        var kv = 0.0
        var state = 0.0
        var concurrency = 0
        var replicas = 1
        var base = weights
        var formula: String
        // A mixture of experts computes with the experts each token is routed to, not all of them.
        let activeBillion = w.architecture?.activeParametersBillion ?? w.parametersBillion
        let flops = w.trainingTokensBillion.map { 6 * activeBillion * 1e9 * $0 * 1e9 }
        let kvPerToken = kvBytesPerToken(w, rules: rules)

        switch w.mode {
        case .inference:
            concurrency = max(
                1,
                Numbers.ceilInt(
                    w.requestsPerSecond * Double(w.avgOutputTokens) / rules.decodeTokensPerSecondPerSequence))
            replicas = max(1, Numbers.ceilInt(Double(concurrency) / Double(rules.maxSequencesPerReplica)))
            let perReplica = Numbers.ceilInt(Double(concurrency) / Double(replicas))
            kv = Double(perReplica) * Double(w.contextTokens) * kvPerToken.bytes / 1e9
            formula =
                "required = (P×bytes(\(w.precision.rawValue)) + sequences×context×kv_bytes_per_token) × \(Numbers.text(rules.memoryOverheadFactor)); sequences = ceil(rps×output_tokens/\(Numbers.text(rules.decodeTokensPerSecondPerSequence)) tok/s), at most \(rules.maxSequencesPerReplica) per replica; "
                + kvFormula(w, rules: rules)
            base = weights + kv
        case .training:
            state = w.parametersBillion * rules.trainingBytesPerParameter - weights
            formula =
                "required = P × \(Numbers.text(rules.trainingBytesPerParameter)) bytes (mixed-precision Adam: weights, fp32 master copy, gradients, two moments) × \(Numbers.text(rules.memoryOverheadFactor)) for activations and buffers"
            base = weights + state
        case .fineTuning:
            switch w.fineTuningMethod {
            case .full:
                state = w.parametersBillion * rules.trainingBytesPerParameter - weights
                formula =
                    "required = P × \(Numbers.text(rules.trainingBytesPerParameter)) bytes (full fine-tuning with mixed-precision Adam) × \(Numbers.text(rules.memoryOverheadFactor))"
            case .lora:
                state = w.parametersBillion * rules.loraTrainableFraction * rules.trainingBytesPerParameter
                formula =
                    "required = (P×bytes(\(w.precision.rawValue)) frozen + \(Numbers.percent(rules.loraTrainableFraction, digits: 0)) of P trainable × \(Numbers.text(rules.trainingBytesPerParameter)) bytes) × \(Numbers.text(rules.memoryOverheadFactor))"
            }
            base = weights + state
        }
        let required = base * rules.memoryOverheadFactor
        return GPUMemoryEstimate(
            workload: w.name, mode: w.mode, model: w.model, precision: w.precision,
            weightsGB: Numbers.quantity(weights),
            kvCacheGB: Numbers.quantity(kv), kvCacheBytesPerToken: Numbers.quantity(kvPerToken.bytes),
            kvCacheEstimated: kvPerToken.estimated,
            trainingStateGB: Numbers.quantity(state), overheadGB: Numbers.quantity(required - base),
            requiredGB: Numbers.quantity(required), concurrentSequences: concurrency, replicasForLoad: replicas,
            trainingFlops: flops, formula: formula)
    }

    static var denseModels: [KnownModel] {
        ModelTable.shipped.filter { $0.experts == nil && $0.architecture.kvLatentDim == nil }
    }

    /// The KV term of the formula as this workload computes it; an estimate states its spread.
    static func kvFormula(_ w: AIWorkload, rules: GPUSizingRules) -> String {
        let b = Numbers.text(kvBytesPerValue(w.precision))
        if let a = w.architecture {
            let what = w.model.map { "\($0) (models.csv)" } ?? "the request's architecture"
            if let latent = a.kvLatentDim {
                return
                    "kv_bytes_per_token = layers×kv_latent_dim×\(b) = \(a.layers)×\(latent)×\(b) for \(what): latent attention caches one compressed vector per layer"
            }
            return
                "kv_bytes_per_token = 2×layers×kv_heads×head_dim×\(b) = 2×\(a.layers)×\(a.kvHeads)×\(a.headDim)×\(b) for \(what)"
        }
        let spread = estimateSpread(rules: rules)
        return
            "kv_bytes_per_token = 2·d²/(128·\(Numbers.text(rules.kvGqaFactor)))·\(b) with d² = (P·128/12)^(2/3), an ESTIMATE from the parameter count: on the \(denseModels.count) dense models of models.csv it gives \(Numbers.text(spread.low, digits: 2))× (\(spread.lowModel)) to \(Numbers.text(spread.high, digits: 2))× (\(spread.highModel)) of the true KV cache; give model or architecture for an exact figure"
    }
}
