/// One priced instance type in one region, as in `instances.csv`.
/// `gpuMemoryGB` keeps the vendor's "GB" figure, exactly as the source states it.
public struct InstanceOffer: Codable, Sendable, Equatable {
    /// Stable citation id: `provider/region/instance_type`.
    public let id: String
    public let provider: Provider
    public let region: String
    public let instanceType: String
    public let familyClass: String
    public let vcpus: Int
    public let memoryGiB: Double
    public let gpuCount: Int
    public let gpuModel: String
    public let gpuMemoryGB: Double
    public let gpuMemoryTotalGB: Double
    public let onDemandHourly: Double
    public let reserved1yHourly: Double?
    public let spotHourly: Double?
    public let sourceID: String
    public let notes: String

    /// Inferentia2 rows carry accelerator memory but are not CUDA GPUs, so the
    /// capacity planner does not place GPU models on them.
    public var isGPU: Bool { gpuCount > 0 && gpuModel != "Inferentia2" }
}

/// What a GPU model can do, from its vendor's data sheet (`gpus.csv`). Precision support follows
/// the compute capability (docs/sizing.md): a serving or training stack runs bf16 from 8.0
/// (Ampere), fp8 from 8.9 (Ada, Hopper), and integer weights from 7.5 (Turing); Volta runs
/// fp32 and fp16 only.
public struct GPUSpec: Codable, Sendable, Equatable {
    public let gpuModel: String
    public let computeCapability: Double
    public let memoryGB: Double
    public let memoryBandwidthTBps: Double
    public let source: String

    public func supports(_ precision: Precision) -> Bool {
        switch precision {
        case .fp32, .fp16: return true
        case .bf16: return computeCapability >= 8.0
        case .fp8: return computeCapability >= 8.9
        case .int8, .int4: return computeCapability >= 7.5
        }
    }
}

/// A storage or network unit price (`storage_network.csv`).
public struct PriceItem: Codable, Sendable, Equatable {
    /// Stable citation id: `provider/region/item`.
    public let id: String
    public let provider: Provider
    public let region: String
    public let item: String
    public let usd: Double
    public let unit: String
    public let sourceID: String
    public let notes: String
}

public struct CatalogSource: Codable, Sendable, Equatable {
    public let id: String
    /// ISO date of the price snapshot; nil where the source gives none.
    public let snapshotDate: String?
    public let description: String
}

public struct CloudRegion: Codable, Sendable, Equatable {
    public let id: String
    public let provider: Provider
    public let region: String
    public let location: String
    /// `us`, `eu` or `apac`: where the data would legally sit.
    public let jurisdiction: String
}
