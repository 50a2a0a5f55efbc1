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
    /// Dense (no structured sparsity) peak tensor rates by precision, TFLOPS; a precision the data
    /// sheet gives no rate for is absent.
    public let tflops: [TensorFormat: Double]
    /// GPU-to-GPU NVLink bandwidth per GPU (both directions), GB/s; 0 for cards without NVLink.
    public let nvlinkGBps: Double
    public let source: String

    /// The arithmetic the tensor cores run for weights of this precision. Weight-only quantised
    /// weights (int8, int4) are widened to 16 bits before the matrix multiply, as the serving stacks
    /// do by default, so they compute at the 16-bit rate; fp8 runs on fp8 tensor cores; fp32 models
    /// use TF32 where the GPU has it.
    public func computeTFLOPS(for precision: Precision) -> Double? {
        switch precision {
        case .fp32: return tflops[.tf32] ?? tflops[.fp32]
        case .bf16: return tflops[.bf16]
        case .fp16: return tflops[.fp16]
        case .fp8: return tflops[.fp8]
        case .int8, .int4: return tflops[.bf16] ?? tflops[.fp16]
        }
    }

    public func supports(_ precision: Precision) -> Bool {
        switch precision {
        case .fp32, .fp16: return true
        case .bf16: return computeCapability >= 8.0
        case .fp8: return computeCapability >= 8.9
        case .int8, .int4: return computeCapability >= 7.5
        }
    }
}

/// The number formats a data sheet rates tensor throughput in (`gpus.csv`'s `tflops_*` columns).
public enum TensorFormat: String, Codable, Sendable, CaseIterable, Comparable {
    case fp32, tf32, bf16, fp16, fp8, int8, int4

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How the GPUs of one multi-GPU instance type talk to each other and to other instances
/// (`gpu_interconnect.csv`): what decides whether tensor parallelism may span the GPUs or the instances.
public struct GPUInterconnect: Codable, Sendable, Equatable {
    public enum Link: String, Codable, Sendable {
        case nvlink, pcie
        /// One GPU: nothing to split a replica over.
        case none
    }
    public let provider: Provider
    public let instanceType: String
    public let gpuLink: Link
    /// RDMA / GPUDirect fabric for collectives between instances (EFA, InfiniBand, GPUDirect-TCPX), Gbps;
    /// 0 when the instance type has none.
    public let clusterFabricGbps: Double
    public let source: String

    static func single(_ offer: InstanceOffer) -> GPUInterconnect {
        GPUInterconnect(
            provider: offer.provider, instanceType: offer.instanceType, gpuLink: .none, clusterFabricGbps: 0,
            source: "")
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
