/// One way to run a training or fine-tuning job: a cluster of one instance type, how long the job
/// takes on it and what it costs (docs/sizing.md, "Training as a job").
package struct TrainingOption: Codable, Sendable, Equatable {
    /// "cheapest" or "fastest within budget".
    package let label: String
    package let instanceType: String
    package let catalogID: String
    package let gpuModel: String
    package let instances: Int
    package let gpus: Int
    package let gpuHours: Double
    package let days: Double
    package let costOnDemandUSD: Double
    /// Nil when the catalog has no spot price for the instance type.
    package let costSpotUSD: Double?

    enum CodingKeys: String, CodingKey {
        case label, instanceType, catalogID, gpuModel, instances, gpus, gpuHours, days, costOnDemandUSD, costSpotUSD
    }

    /// A missing spot price is written as null, not left out: a reader should see that spot was looked for.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(instanceType, forKey: .instanceType)
        try c.encode(catalogID, forKey: .catalogID)
        try c.encode(gpuModel, forKey: .gpuModel)
        try c.encode(instances, forKey: .instances)
        try c.encode(gpus, forKey: .gpus)
        try c.encode(gpuHours, forKey: .gpuHours)
        try c.encode(days, forKey: .days)
        try c.encode(costOnDemandUSD, forKey: .costOnDemandUSD)
        try c.encodeOrNull(costSpotUSD, forKey: .costSpotUSD)
    }
}

/// A training or fine-tuning run priced as a job of a stated length, never as GPUs rented for
/// the whole projection. The plan row carrying it is the cheapest option.
package struct TrainingJob: Codable, Sendable, Equatable {
    package let flops: Double
    /// How the FLOPs were counted (6·N·D, or 4·N·D for LoRA) and why.
    package let flopsFormula: String
    package let gpuHours: Double
    package let days: Double
    /// Model FLOPs utilisation assumed (`sizing.json` `training_mfu`).
    package let mfu: Double
    package let gpus: Int
    package let costOnDemandUSD: Double
    package let costSpotUSD: Double?
    /// Spot capacity can be taken back at any time: what a spot run needs.
    package let checkpointing: String
    /// The cheapest cluster and the fastest one whose monthly rent stays within the budget.
    package var options: [TrainingOption]

    enum CodingKeys: String, CodingKey {
        case flops, flopsFormula, gpuHours, days, mfu, gpus, costOnDemandUSD, costSpotUSD, checkpointing, options
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(flops, forKey: .flops)
        try c.encode(flopsFormula, forKey: .flopsFormula)
        try c.encode(gpuHours, forKey: .gpuHours)
        try c.encode(days, forKey: .days)
        try c.encode(mfu, forKey: .mfu)
        try c.encode(gpus, forKey: .gpus)
        try c.encode(costOnDemandUSD, forKey: .costOnDemandUSD)
        try c.encodeOrNull(costSpotUSD, forKey: .costSpotUSD)
        try c.encode(checkpointing, forKey: .checkpointing)
        try c.encode(options, forKey: .options)
    }
}

enum TrainingModel {
    /// Training FLOPs: 6·N·D for pre-training and full fine-tuning (forward 2·N·D, backward 4·N·D);
    /// LoRA freezes the base weights, so the backward pass computes the activations' gradients
    /// (2·N·D) but not the weights' (another 2·N·D): 4·N·D. N counts active parameters.
    static func flops(_ w: AIWorkload) -> (flops: Double, formula: String)? {
        guard let tokens = w.trainingTokensBillion, tokens > 0 else { return nil }
        let n = (w.architecture?.activeParametersBillion ?? w.parametersBillion) * 1e9
        let d = tokens * 1e9
        if w.mode == .fineTuning && w.fineTuningMethod == .lora {
            return (
                4 * n * d,
                "4·N·D = 4 × \(Numbers.text(n / 1e9))e9 × \(Numbers.text(tokens))e9: LoRA freezes the base weights, so the backward pass skips their gradients (a third of 6·N·D)"
            )
        }
        return (
            6 * n * d, "6·N·D = 6 × \(Numbers.text(n / 1e9))e9 active parameters × \(Numbers.text(tokens))e9 tokens"
        )
    }

    /// Activation memory of one sequence for the backward pass: bytes per token, layer and hidden
    /// unit × layers × hidden × context (Korthikanti et al., "Reducing Activation Recomputation in
    /// Large Transformer Models", with flash attention removing the s² term). Without an
    /// architecture the shape comes from the cube-root rule of `GPUMemoryModel`.
    static func activationBytes(_ w: AIWorkload, rules: GPUSizingRules) -> Double {
        let (layers, hidden): (Double, Double)
        if let a = w.architecture {
            (layers, hidden) = (Double(a.layers), Double(a.hiddenSize))
        } else {
            (layers, hidden) = GPUMemoryModel.shapeEstimate(parametersBillion: w.parametersBillion)
        }
        return rules.activationBytesPerTokenLayerHidden * layers * hidden * Double(w.contextTokens)
    }

    /// GPU-hours and wall-clock of `flops` on `gpus` GPUs of `gpu` at the stated MFU.
    static func duration(flops: Double, gpu: GPUSpec, gpus: Int, precision: Precision, rules: GPUSizingRules) -> (
        gpuHours: Double, hours: Double
    )? {
        guard let peak = gpu.computeTFLOPS(for: precision), peak > 0 else { return nil }
        let gpuHours = flops / (peak * 1e12 * rules.trainingMfu) / 3600
        return (gpuHours, gpuHours / Double(gpus))
    }

    static let checkpointing =
        "Spot capacity can be reclaimed with two minutes' notice or less: checkpoint the weights and optimizer state at least hourly to durable storage and resume from the last checkpoint; the spot cost assumes no lost work"
}

extension KeyedEncodingContainer {
    /// Writes null for a missing value instead of leaving the key out. A present value goes through
    /// `encodeIfPresent`, as the synthesized decoder reads it: the same JSON, and in the binary form
    /// the presence byte that the decoder expects (BinaryFormTests).
    mutating func encodeOrNull<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encodeIfPresent(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
