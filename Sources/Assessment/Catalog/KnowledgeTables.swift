/// The non-price tables of the catalog. They are InfraMind's own judgements and
/// mappings (source `INFRAMIND-EDITORIAL`), shipped beside the prices so that every
/// recommendation can cite the row it came from.

package enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case high, medium, low

    var rank: Int {
        switch self {
        case .high: return 0
        case .medium: return 1
        case .low: return 2
        }
    }

    package static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

package struct SecurityMeasure: Codable, Sendable, Equatable {
    package let id: String
    /// A `security_requirements` field name, or `eu_data_residency` (derived from the plan).
    package let measure: String
    package let name: String
    package let remediation: String
}

package struct ComplianceControl: Codable, Sendable, Equatable {
    package let id: String
    package let reference: String
    package let title: String
    /// Satisfied only when every listed measure is in place.
    package let requires: [String]
    package let severity: Severity
}

package struct FrameworkSpec: Codable, Sendable, Equatable {
    package let id: ComplianceFramework
    package let name: String
    /// How large the published framework is, so that coverage of the controls the catalog
    /// evaluates is never read as coverage of the framework; nil where it has no countable unit.
    package let scope: FrameworkScope?
    package let controls: [ComplianceControl]
}

package struct FrameworkScope: Codable, Sendable, Equatable {
    package let count: Int
    package let unit: String
}

struct ComplianceTable: Codable, Sendable {
    let measures: [SecurityMeasure]
    let frameworks: [FrameworkSpec]
}

package struct MLPlatform: Codable, Sendable, Equatable {
    package let id: String
    package let name: String
    /// Nil for platforms that run on any provider.
    package let provider: Provider?
    package let ease: Double
    package let scalability: Double
    package let cost: Double
    package let integration: Double
}

package struct PlatformWeights: Codable, Sendable, Equatable {
    package let ease: Double
    package let scalability: Double
    package let cost: Double
    package let integration: Double
}

package struct MLOpsTable: Codable, Sendable, Equatable {
    package let note: String
    package let weights: PlatformWeights
    /// The integration rating a provider-bound platform gets on another provider.
    package let integrationOnOtherProvider: Double
    package let platforms: [MLPlatform]
}

package struct UseCaseSpec: Codable, Sendable, Equatable {
    package let id: String
    package let title: String
    package let industries: [String]
    /// Lower-case fragments matched against the request's `ai_use_cases`.
    package let keywords: [String]
    package let roiPotential: Severity
    package let complexity: Severity
    package let timeToValueMonths: [Int]
}

struct UseCaseTable: Codable, Sendable {
    let note: String
    let useCases: [UseCaseSpec]
}

package struct WorkloadSizing: Codable, Sendable, Equatable {
    package let id: String
    package let workload: WorkloadType
    package let familyClass: String
    package let rpsPerVcpu: Double?
    package let gbDataPerVcpu: Double?
    package let memoryGibPerVcpu: Double
    package let minVcpus: Int
}

package struct GPUSizingRules: Codable, Sendable, Equatable {
    /// Sequences one replica decodes at once at most (the serving stack's batch limit).
    package let maxSequencesPerReplica: Int
    /// Query heads per KV head assumed (grouped-query attention).
    package let kvGqaFactor: Double
    package let memoryOverheadFactor: Double
    /// Share of the data-sheet memory bandwidth a decode step reaches (docs/sizing.md, "Throughput and latency").
    package let memoryBandwidthUtilization: Double
    /// Share of the data-sheet tensor rate a prefill (and a decode step that is compute-bound) reaches.
    package let prefillMfu: Double
    /// Model FLOPs utilisation assumed for a training job.
    package let trainingMfu: Double
    /// Share of the summed bandwidth and compute of a replica's GPUs that tensor parallelism keeps,
    /// by the link its all-reduces cross.
    package let tensorParallelEfficiency: TensorParallelEfficiency
    /// Activation bytes per token, layer and hidden unit kept for the backward pass (micro-batch 1,
    /// flash attention, no recomputation).
    package let activationBytesPerTokenLayerHidden: Double
    /// Mixed-precision Adam: 2 (weights) + 4 (fp32 master) + 2 (grads) + 8 (moments).
    package let trainingBytesPerParameter: Double
    package let loraTrainableFraction: Double
    package let nPlusOneUptimePercentage: Double
    /// A replica or a training job may span instances only over NVLink inside them and at least this
    /// much RDMA-class fabric between them (`gpu_interconnect.csv`).
    package let multiNodeMinFabricGbps: Double
    /// The largest training cluster offered, in instances.
    package let trainingMaxInstances: Int
    /// A plan that meets the latency target is preferred while it costs at most this many times the
    /// cheapest plan that holds the model.
    package let latencyCostPremiumMax: Double
}

package struct TensorParallelEfficiency: Codable, Sendable, Equatable {
    package let nvlink: Double
    package let pcie: Double
    package let multiNode: Double
}

package struct SizingTable: Codable, Sendable, Equatable {
    package let note: String
    package let workloads: [WorkloadSizing]
    package let responseKbPerRequest: Double
    package let bytesPerOutputToken: Double
    /// Monthly volumes (egress) are computed at this fraction of the stated peak rates.
    package let averageToPeakLoadRatio: Double
    /// Memory a concurrent user's session and connections take in the serving tier.
    package let sessionMibPerConcurrentUser: Double
    /// CPU configurations within this fraction of the cheapest count as equally cheap,
    /// and the one with the fewest instances wins (fewer, larger machines are easier to run).
    package let cpuNearCheapestTolerance: Double
    package let gpu: GPUSizingRules
}
