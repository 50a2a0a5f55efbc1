#if canImport(Glibc)
    import Glibc
#endif

/// How the GPUs of one replica (or one training cluster) are joined, which decides how much of
/// their summed bandwidth and compute tensor parallelism keeps (`sizing.json`'s
/// `tensor_parallel_efficiency`).
package enum TensorParallelLink: String, Codable, Sendable, Equatable {
    /// One GPU: no tensor parallelism.
    case none
    case nvlink
    case pcie
    /// Across instances over an RDMA-class fabric, NVLink inside each.
    case multiNode = "multi_node"

    func efficiency(_ rules: GPUSizingRules) -> Double {
        switch self {
        case .none: return 1
        case .nvlink: return rules.tensorParallelEfficiency.nvlink
        case .pcie: return rules.tensorParallelEfficiency.pcie
        case .multiNode: return rules.tensorParallelEfficiency.multiNode
        }
    }
}

/// Throughput and latency of one inference replica at the planned load, by the roofline model of
/// docs/sizing.md ("Throughput and latency"): a prefill is compute-bound, a decode step is
/// bandwidth-bound (the weights once per step for the whole batch, plus every sequence's KV cache),
/// and whichever bound is slower sets the time.
package struct ServingPerformance: Codable, Sendable, Equatable {
    /// Sequences one replica's memory holds at once (at most `max_sequences_per_replica`).
    package let maxBatch: Int
    /// Sequences decoding at once per replica at the planned load (Little's law).
    package let batch: Int
    package let replicas: Int
    package let prefillMs: Double
    /// Generated tokens per second one replica sustains at its largest allowed batch.
    package let decodeTokensPerSecondPerReplica: Double
    package let timeToFirstTokenMs: Double
    package let timePerOutputTokenMs: Double
    /// First token plus every further output token.
    package let responseMs: Double
    package let meetsLatencyTarget: Bool
    /// The target this replica was held to, in words.
    package let latencyTarget: String
}

enum ServingModel {
    /// What the roofline needs to know of a workload, resolved once per workload.
    struct Load: Sendable {
        let weightsBytes: Double
        let kvBytesPerToken: Double
        let activeParameters: Double
        /// 2 × layers × (attention heads × head dim): a causal prefill's attention FLOPs per prompt
        /// token squared (QKᵀ and AV, half the square each).
        let attentionFlopsPerTokenSquared: Double
        let promptTokens: Double
        let outputTokens: Double
        let contextTokens: Double
        let requestsPerSecond: Double
        let precision: Precision
        let ttftTargetMs: Double?
        let tpotTargetMs: Double?
        let responseTargetMs: Double

        init(_ w: AIWorkload, kvBytesPerToken: Double, responseTargetMs: Double) {
            weightsBytes = w.parametersBillion * 1e9 * w.precision.bytesPerParameter
            self.kvBytesPerToken = kvBytesPerToken
            activeParameters = (w.architecture?.activeParametersBillion ?? w.parametersBillion) * 1e9
            if let a = w.architecture {
                attentionFlopsPerTokenSquared = 2 * Double(a.layers) * Double(a.attentionHeads * a.headDim)
            } else {
                let shape = GPUMemoryModel.shapeEstimate(parametersBillion: w.parametersBillion)
                attentionFlopsPerTokenSquared = 2 * shape.layers * shape.hidden
            }
            // The context window holds the prompt and the answer; the prompt is what is left of it.
            outputTokens = Double(w.avgOutputTokens)
            contextTokens = Double(w.contextTokens)
            promptTokens = max(1, Double(w.contextTokens - w.avgOutputTokens))
            requestsPerSecond = w.requestsPerSecond
            precision = w.precision
            ttftTargetMs = w.timeToFirstTokenMs
            tpotTargetMs = w.timePerOutputTokenMs
            self.responseTargetMs = responseTargetMs
        }

        var target: String {
            if ttftTargetMs != nil || tpotTargetMs != nil {
                return [
                    ttftTargetMs.map { "time to first token ≤ \(Numbers.text($0)) ms" },
                    tpotTargetMs.map { "time per output token ≤ \(Numbers.text($0)) ms" },
                ].compactMap { $0 }.joined(separator: ", ")
            }
            return "whole answer ≤ \(Numbers.text(responseTargetMs)) ms (api_response_time_ms)"
        }
    }

    /// The replica's GPUs as the roofline sees them: summed bandwidth (bytes/s) and compute
    /// (FLOP/s) at the achievable fractions, and the memory left for KV cache.
    struct Replica: Sendable {
        let bandwidth: Double
        let compute: Double
        let usableBytes: Double

        init(gpu: GPUSpec, gpus: Int, link: TensorParallelLink, precision: Precision, rules: GPUSizingRules) {
            let keep = link.efficiency(rules)
            bandwidth = Double(gpus) * gpu.memoryBandwidthTBps * 1e12 * rules.memoryBandwidthUtilization * keep
            compute = Double(gpus) * (gpu.computeTFLOPS(for: precision) ?? 0) * 1e12 * rules.prefillMfu * keep
            usableBytes = Double(gpus) * gpu.memoryGB * 1e9 / rules.memoryOverheadFactor
        }
    }

    /// Seconds of one decode step for `batch` sequences: weights read once, plus each sequence's
    /// KV cache at its average length during the answer, or the batch's matrix multiplies if slower.
    static func stepSeconds(_ load: Load, _ r: Replica, batch: Int) -> Double {
        let b = Double(batch)
        let averageContext = load.promptTokens + load.outputTokens / 2
        let bytes = load.weightsBytes + b * averageContext * load.kvBytesPerToken
        let flops = 2 * load.activeParameters * b
        return max(bytes / r.bandwidth, flops / r.compute)
    }

    /// Seconds to process the prompt: its matrix multiplies (2·N_active per token, plus attention,
    /// which grows with the square of the prompt), or reading the weights once if slower.
    static func prefillSeconds(_ load: Load, _ r: Replica) -> Double {
        let s = load.promptTokens
        let flops = 2 * load.activeParameters * s + load.attentionFlopsPerTokenSquared * s * s
        return max(flops / r.compute, load.weightsBytes / r.bandwidth)
    }

    /// The replica's figures at the planned load, or nil when one sequence of the full context does
    /// not fit beside the weights.
    static func evaluate(_ load: Load, _ r: Replica, rules: GPUSizingRules) -> ServingPerformance? {
        let perSequence = load.contextTokens * load.kvBytesPerToken
        let room = r.usableBytes - load.weightsBytes
        guard room >= perSequence, r.compute > 0 else { return nil }
        let memoryBatch = min(rules.maxSequencesPerReplica, Int(room / max(perSequence, 1)))
        let prefill = prefillSeconds(load, r)
        // The largest batch whose step time still lets the answer meet its target: beyond it,
        // more replicas (not a bigger batch) carry the load.
        var cap = memoryBatch
        if let stepBudget = stepBudgetSeconds(load, prefill: prefill) {
            while cap > 1 && stepSeconds(load, r, batch: cap) > stepBudget { cap -= 1 }
            // Not even one sequence at a time meets it: the replica cannot, so it runs at its
            // cheapest batch and the row says the target is missed.
            if stepSeconds(load, r, batch: cap) > stepBudget { cap = memoryBatch }
        }
        let perReplicaRate = Double(cap) / stepSeconds(load, r, batch: cap)
        let demand = load.requestsPerSecond * load.outputTokens
        let replicas = max(1, Int((demand / perReplicaRate).rounded(.up)))
        // Little's law per replica: sequences in flight = arrival rate × time in the system, which
        // itself grows with the batch; a few rounds reach the fixed point.
        var batch = 1
        for _ in 0..<8 {
            let seconds = prefill + load.outputTokens * stepSeconds(load, r, batch: batch)
            let next = min(cap, max(1, Int((load.requestsPerSecond / Double(replicas) * seconds).rounded(.up))))
            if next == batch { break }
            batch = next
        }
        let tpot = stepSeconds(load, r, batch: batch)
        let ttft = prefill
        let response = ttft + max(0, load.outputTokens - 1) * tpot
        let meets: Bool
        if load.ttftTargetMs != nil || load.tpotTargetMs != nil {
            meets =
                load.ttftTargetMs.map { ttft * 1000 <= $0 } ?? true
                && load.tpotTargetMs.map { tpot * 1000 <= $0 } ?? true
        } else {
            meets = response * 1000 <= load.responseTargetMs
        }
        return ServingPerformance(
            maxBatch: memoryBatch, batch: batch, replicas: replicas, prefillMs: Numbers.quantity(prefill * 1000),
            decodeTokensPerSecondPerReplica: Numbers.quantity(perReplicaRate),
            timeToFirstTokenMs: Numbers.quantity(ttft * 1000), timePerOutputTokenMs: Numbers.quantity(tpot * 1000),
            responseMs: Numbers.quantity(response * 1000), meetsLatencyTarget: meets, latencyTarget: load.target)
    }

    /// The longest decode step the target allows, nil when no target limits it or the prefill alone
    /// already misses it (then no batch size helps).
    static func stepBudgetSeconds(_ load: Load, prefill: Double) -> Double? {
        if load.ttftTargetMs != nil || load.tpotTargetMs != nil {
            return load.tpotTargetMs.map { $0 / 1000 }
        }
        let left = load.responseTargetMs / 1000 - prefill
        guard left > 0 else { return nil }
        return left / max(1, load.outputTokens - 1)
    }
}
