/// The non-price tables of the catalog. They are InfraMind's own judgements and
/// mappings (source `INFRAMIND-EDITORIAL`), shipped beside the prices so that every
/// recommendation can cite the row it came from.

public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case high, medium, low

    var rank: Int {
        switch self {
        case .high: return 0
        case .medium: return 1
        case .low: return 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

public struct SecurityMeasure: Codable, Sendable, Equatable {
    public let id: String
    /// A `security_requirements` field name, or `eu_data_residency` (derived from the plan).
    public let measure: String
    public let name: String
    public let remediation: String
}

public struct ComplianceControl: Codable, Sendable, Equatable {
    public let id: String
    public let reference: String
    public let title: String
    /// Satisfied only when every listed measure is in place.
    public let requires: [String]
    public let severity: Severity
}

public struct FrameworkSpec: Codable, Sendable, Equatable {
    public let id: ComplianceFramework
    public let name: String
    /// How large the published framework is, so that coverage of the controls the catalog
    /// evaluates is never read as coverage of the framework; nil where it has no countable unit.
    public let scope: FrameworkScope?
    public let controls: [ComplianceControl]
}

public struct FrameworkScope: Codable, Sendable, Equatable {
    public let count: Int
    public let unit: String
}

struct ComplianceTable: Codable, Sendable {
    let measures: [SecurityMeasure]
    let frameworks: [FrameworkSpec]
}

public struct MLPlatform: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    /// Nil for platforms that run on any provider.
    public let provider: Provider?
    public let ease: Double
    public let scalability: Double
    public let cost: Double
    public let integration: Double
}

public struct PlatformWeights: Codable, Sendable, Equatable {
    public let ease: Double
    public let scalability: Double
    public let cost: Double
    public let integration: Double
}

public struct MLOpsTable: Codable, Sendable, Equatable {
    public let note: String
    public let weights: PlatformWeights
    /// The integration rating a provider-bound platform gets on another provider.
    public let integrationOnOtherProvider: Double
    public let platforms: [MLPlatform]
}

public struct UseCaseSpec: Codable, Sendable, Equatable {
    public let id: String
    public let title: String
    public let industries: [String]
    /// Lower-case fragments matched against the request's `ai_use_cases`.
    public let keywords: [String]
    public let roiPotential: Severity
    public let complexity: Severity
    public let timeToValueMonths: [Int]
}

struct UseCaseTable: Codable, Sendable {
    let note: String
    let useCases: [UseCaseSpec]
}

public struct WorkloadSizing: Codable, Sendable, Equatable {
    public let id: String
    public let workload: WorkloadType
    public let familyClass: String
    public let rpsPerVcpu: Double?
    public let gbDataPerVcpu: Double?
    public let memoryGibPerVcpu: Double
    public let minVcpus: Int
}

public struct GPUSizingRules: Codable, Sendable, Equatable {
    /// Sequences one replica decodes at once at most (the serving stack's batch limit).
    public let maxSequencesPerReplica: Int
    /// Query heads per KV head assumed (grouped-query attention).
    public let kvGqaFactor: Double
    public let memoryOverheadFactor: Double
    /// Share of the data-sheet memory bandwidth a decode step reaches (docs/sizing.md, "Throughput and latency").
    public let memoryBandwidthUtilization: Double
    /// Share of the data-sheet tensor rate a prefill (and a decode step that is compute-bound) reaches.
    public let prefillMfu: Double
    /// Model FLOPs utilisation assumed for a training job.
    public let trainingMfu: Double
    /// Share of the summed bandwidth and compute of a replica's GPUs that tensor parallelism keeps,
    /// by the link its all-reduces cross.
    public let tensorParallelEfficiency: TensorParallelEfficiency
    /// Activation bytes per token, layer and hidden unit kept for the backward pass (micro-batch 1,
    /// flash attention, no recomputation).
    public let activationBytesPerTokenLayerHidden: Double
    /// Mixed-precision Adam: 2 (weights) + 4 (fp32 master) + 2 (grads) + 8 (moments).
    public let trainingBytesPerParameter: Double
    public let loraTrainableFraction: Double
    public let nPlusOneUptimePercentage: Double
    /// A replica or a training job may span instances only over NVLink inside them and at least this
    /// much RDMA-class fabric between them (`gpu_interconnect.csv`).
    public let multiNodeMinFabricGbps: Double
    /// The largest training cluster offered, in instances.
    public let trainingMaxInstances: Int
    /// A plan that meets the latency target is preferred while it costs at most this many times the
    /// cheapest plan that holds the model.
    public let latencyCostPremiumMax: Double
}

public struct TensorParallelEfficiency: Codable, Sendable, Equatable {
    public let nvlink: Double
    public let pcie: Double
    public let multiNode: Double
}

public struct SizingTable: Codable, Sendable, Equatable {
    public let note: String
    public let workloads: [WorkloadSizing]
    public let responseKbPerRequest: Double
    public let bytesPerOutputToken: Double
    /// Monthly volumes (egress) are computed at this fraction of the stated peak rates.
    public let averageToPeakLoadRatio: Double
    /// Memory a concurrent user's session and connections take in the serving tier.
    public let sessionMibPerConcurrentUser: Double
    /// CPU configurations within this fraction of the cheapest count as equally cheap,
    /// and the one with the fewest instances wins (fewer, larger machines are easier to run).
    public let cpuNearCheapestTolerance: Double
    public let gpu: GPUSizingRules
}
