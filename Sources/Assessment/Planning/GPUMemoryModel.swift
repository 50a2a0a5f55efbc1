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
    public let weightsGB: Double
    public let kvCacheGB: Double
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
        let kvBytes: Double = precision == .fp32 ? 4 : 2
        return 2 * dSquared / 128 / rules.kvGqaFactor * kvBytes
    }

    public static func estimate(_ w: AIWorkload, rules: GPUSizingRules) -> GPUMemoryEstimate {
        let weights = w.parametersBillion * w.precision.bytesPerParameter
        var kv = 0.0
        var state = 0.0
        var concurrency = 0
        var replicas = 1
        var base = weights
        var formula: String
        let flops = w.trainingTokensBillion.map { 6 * w.parametersBillion * 1e9 * $0 * 1e9 }

        switch w.mode {
        case .inference:
            concurrency = max(
                1,
                Numbers.ceilInt(
                    w.requestsPerSecond * Double(w.avgOutputTokens) / rules.decodeTokensPerSecondPerSequence))
            replicas = max(1, Numbers.ceilInt(Double(concurrency) / Double(rules.maxSequencesPerReplica)))
            let perReplica = Numbers.ceilInt(Double(concurrency) / Double(replicas))
            kv =
                Double(perReplica) * Double(w.contextTokens)
                * kvBytesPerToken(parametersBillion: w.parametersBillion, precision: w.precision, rules: rules) / 1e9
            formula =
                "required = (P×bytes(\(w.precision.rawValue)) + sequences×context×kv_bytes_per_token) × \(Numbers.text(rules.memoryOverheadFactor)); sequences = ceil(rps×output_tokens/\(Numbers.text(rules.decodeTokensPerSecondPerSequence)) tok/s), at most \(rules.maxSequencesPerReplica) per replica; kv_bytes_per_token = 2·d²/(128·\(Numbers.text(rules.kvGqaFactor)))·2 with d² = (P·128/12)^(2/3)"
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
            workload: w.name, mode: w.mode, weightsGB: Numbers.quantity(weights), kvCacheGB: Numbers.quantity(kv),
            trainingStateGB: Numbers.quantity(state), overheadGB: Numbers.quantity(required - base),
            requiredGB: Numbers.quantity(required), concurrentSequences: concurrency, replicasForLoad: replicas,
            trainingFlops: flops, formula: formula)
    }
}
