import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// GPU memory one replica of an AI workload needs, with the terms shown so a reader
/// can redo the arithmetic. Sizes are in GB of 10^9 bytes, the unit GPU vendors
/// state memory in (and the unit of the catalog's GPU memory columns).
package struct GPUMemoryEstimate: Codable, Sendable, Equatable {
    package let workload: String
    package let mode: AIWorkloadMode
    /// The shipped model's id when the request named one.
    package let model: String?
    /// The weights' precision: only GPUs that support it are placed (`GPUSpec.supports`).
    package let precision: Precision
    package let weightsGB: Double
    package let kvCacheGB: Double
    /// Bytes of KV cache per token of context, from the architecture when the request gave one
    /// (or named a model), else estimated from the parameter count.
    package let kvCacheBytesPerToken: Double
    /// True when no architecture was known and `kvCacheBytesPerToken` is the cube-root estimate;
    /// the formula then says how far that estimate is from the published models'.
    package let kvCacheEstimated: Bool
    /// Gradients, optimizer moments and master weights (training and fine-tuning only).
    package let trainingStateGB: Double
    package let overheadGB: Double
    /// Activations of one sequence kept for the backward pass (training and fine-tuning only).
    package let activationsGB: Double
    /// The least memory one replica needs: (weights + one sequence's KV cache at the full context,
    /// or weights + training state) × overhead factor, plus activations when training. A plan row
    /// states what its replica needs at the planned batch.
    package let requiredGB: Double
    /// Sequences decoding at once at peak over all replicas of the recommended plan (Little's law).
    package var concurrentSequences: Int
    /// Replicas the request rate needs before any spare, on the recommended plan.
    package var replicasForLoad: Int
    package let trainingFlops: Double?
    package let formula: String
    /// Where the recommended plan puts it, with that plan's throughput and latency (inference) or
    /// job (training); absent when no provider could place it.
    package var gpuModel: String?
    package var supportsPrecision: Bool?
    package var prefillMs: Double?
    package var decodeTokensPerSecondPerReplica: Double?
    package var timeToFirstTokenMs: Double?
    package var timePerOutputTokenMs: Double?
    package var meetsLatencyTarget: Bool?
    package var training: TrainingJob?

    /// This estimate with the figures of the row that places it.
    func placed(on row: GPUPlacement) -> GPUMemoryEstimate {
        var e = self
        e.gpuModel = row.gpuModel
        e.supportsPrecision = row.supportsPrecision
        e.prefillMs = row.prefillMs
        e.decodeTokensPerSecondPerReplica = row.decodeTokensPerSecondPerReplica
        e.timeToFirstTokenMs = row.timeToFirstTokenMs
        e.timePerOutputTokenMs = row.timePerOutputTokenMs
        e.meetsLatencyTarget = row.meetsLatencyTarget
        e.training = row.training
        if mode == .inference {
            e.replicasForLoad = row.replicas
            e.concurrentSequences = row.replicas * (row.batchPerReplica ?? 1)
        }
        return e
    }
}

package enum GPUMemoryModel {
    package static let formulaName = "formula.gpu_memory"

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

    /// The layers and hidden size the cube-root rule gives a dense transformer of this many
    /// parameters (d/L ≈ 128), for a model given only by its size.
    static func shapeEstimate(parametersBillion: Double) -> (layers: Double, hidden: Double) {
        let d = pow(pow(parametersBillion * 1e9 * 128 / 12, 2.0 / 3.0), 0.5)
        return (max(1, (d / 128).rounded()), d)
    }

    package static func estimate(_ w: AIWorkload, rules: GPUSizingRules) -> GPUMemoryEstimate {
        let weights = w.parametersBillion * w.precision.bytesPerParameter
        var kv = 0.0
        var state = 0.0
        var activations = 0.0
        var base = weights
        var formula: String
        let flops = TrainingModel.flops(w)?.flops
        let kvPerToken = kvBytesPerToken(w, rules: rules)
        let overhead = Numbers.text(rules.memoryOverheadFactor)

        switch w.mode {
        case .inference:
            kv = Double(w.contextTokens) * kvPerToken.bytes / 1e9
            formula =
                "required per replica = (P×bytes(\(w.precision.rawValue)) + batch×context×kv_bytes_per_token) × \(overhead), at least one sequence of the full context; the batch and the replicas come from the throughput and latency of each plan row (docs/sizing.md); "
                + kvFormula(w, rules: rules)
            base = weights + kv
        case .training:
            state = w.parametersBillion * rules.trainingBytesPerParameter - weights
            formula =
                "required = P × \(Numbers.text(rules.trainingBytesPerParameter)) bytes (mixed-precision Adam: weights, fp32 master copy, gradients, two moments) × \(overhead), sharded over the cluster's GPUs, + activations \(Numbers.text(rules.activationBytesPerTokenLayerHidden)) bytes × layers × hidden × context per GPU"
            base = weights + state
        case .fineTuning:
            switch w.fineTuningMethod {
            case .full:
                state = w.parametersBillion * rules.trainingBytesPerParameter - weights
                formula =
                    "required = P × \(Numbers.text(rules.trainingBytesPerParameter)) bytes (full fine-tuning with mixed-precision Adam) × \(overhead), sharded over the cluster's GPUs, + activations per GPU"
            case .lora:
                state = w.parametersBillion * rules.loraTrainableFraction * rules.trainingBytesPerParameter
                formula =
                    "required = (P×bytes(\(w.precision.rawValue)) frozen + \(Numbers.percent(rules.loraTrainableFraction, digits: 0)) of P trainable × \(Numbers.text(rules.trainingBytesPerParameter)) bytes) × \(overhead) + activations per GPU"
            }
            base = weights + state
        }
        if w.mode != .inference {
            activations = TrainingModel.activationBytes(w, rules: rules) / 1e9
        }
        let required = base * rules.memoryOverheadFactor + activations
        return GPUMemoryEstimate(
            workload: w.name, mode: w.mode, model: w.model, precision: w.precision,
            weightsGB: Numbers.quantity(weights),
            kvCacheGB: Numbers.quantity(kv), kvCacheBytesPerToken: Numbers.quantity(kvPerToken.bytes),
            kvCacheEstimated: kvPerToken.estimated,
            trainingStateGB: Numbers.quantity(state),
            overheadGB: Numbers.quantity(base * rules.memoryOverheadFactor - base),
            activationsGB: Numbers.quantity(activations),
            requiredGB: Numbers.quantity(required), concurrentSequences: 0, replicasForLoad: 1,
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
