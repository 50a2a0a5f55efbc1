/// One priced instance type in one region, as in `instances.csv`.
/// `gpuMemoryGB` keeps the vendor's "GB" figure, exactly as the source states it.
package struct InstanceOffer: Codable, Sendable, Equatable {
    /// Stable citation id: `provider/region/instance_type`.
    package let id: String
    package let provider: Provider
    package let region: String
    package let instanceType: String
    package let familyClass: String
    package let vcpus: Int
    package let memoryGiB: Double
    package let gpuCount: Int
    package let gpuModel: String
    package let gpuMemoryGB: Double
    package let gpuMemoryTotalGB: Double
    package let onDemandHourly: Double
    package let reserved1yHourly: Double?
    package let spotHourly: Double?
    package let sourceID: String
    package let notes: String

    /// Inferentia2 rows carry accelerator memory but are not CUDA GPUs, so the
    /// capacity planner does not place GPU models on them.
    package var isGPU: Bool { gpuCount > 0 && gpuModel != "Inferentia2" }
}

/// What a GPU model can do, from its vendor's data sheet (`gpus.csv`). Precision support follows
/// the compute capability (docs/sizing.md): a serving or training stack runs bf16 from 8.0
/// (Ampere), fp8 from 8.9 (Ada, Hopper), and integer weights from 7.5 (Turing); Volta runs
/// fp32 and fp16 only.
package struct GPUSpec: Codable, Sendable, Equatable {
    package let gpuModel: String
    package let computeCapability: Double
    package let memoryGB: Double
    package let memoryBandwidthTBps: Double
    /// Dense (no structured sparsity) peak tensor rates by precision, TFLOPS; a precision the data
    /// sheet gives no rate for is absent.
    package let tflops: [TensorFormat: Double]
    /// GPU-to-GPU NVLink bandwidth per GPU (both directions), GB/s; 0 for cards without NVLink.
    package let nvlinkGBps: Double
    package let source: String

    /// The arithmetic the tensor cores run for weights of this precision. Weight-only quantised
    /// weights (int8, int4) are widened to 16 bits before the matrix multiply, as the serving stacks
    /// do by default, so they compute at the 16-bit rate; fp8 runs on fp8 tensor cores; fp32 models
    /// use TF32 where the GPU has it.
    package func computeTFLOPS(for precision: Precision) -> Double? {
        switch precision {
        case .fp32: return tflops[.tf32] ?? tflops[.fp32]
        case .bf16: return tflops[.bf16]
        case .fp16: return tflops[.fp16]
        case .fp8: return tflops[.fp8]
        case .int8, .int4: return tflops[.bf16] ?? tflops[.fp16]
        }
    }

    package func supports(_ precision: Precision) -> Bool {
        switch precision {
        case .fp32, .fp16: return true
        case .bf16: return computeCapability >= 8.0
        case .fp8: return computeCapability >= 8.9
        case .int8, .int4: return computeCapability >= 7.5
        }
    }
}

/// The number formats a data sheet rates tensor throughput in (`gpus.csv`'s `tflops_*` columns).
package enum TensorFormat: String, Codable, Sendable, CaseIterable, Comparable {
    case fp32, tf32, bf16, fp16, fp8, int8, int4

    package static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How the GPUs of one multi-GPU instance type talk to each other and to other instances
/// (`gpu_interconnect.csv`): what decides whether tensor parallelism may span the GPUs or the instances.
package struct GPUInterconnect: Codable, Sendable, Equatable {
    package enum Link: String, Codable, Sendable {
        case nvlink, pcie
        /// One GPU: nothing to split a replica over.
        case none
    }
    package let provider: Provider
    package let instanceType: String
    package let gpuLink: Link
    /// RDMA / GPUDirect fabric for collectives between instances (EFA, InfiniBand, GPUDirect-TCPX), Gbps;
    /// 0 when the instance type has none.
    package let clusterFabricGbps: Double
    package let source: String

    static func single(_ offer: InstanceOffer) -> GPUInterconnect {
        GPUInterconnect(
            provider: offer.provider, instanceType: offer.instanceType, gpuLink: .none, clusterFabricGbps: 0,
            source: "")
    }
}

/// A storage or network unit price (`storage_network.csv`).
package struct PriceItem: Codable, Sendable, Equatable {
    /// Stable citation id: `provider/region/item`.
    package let id: String
    package let provider: Provider
    package let region: String
    package let item: String
    package let usd: Double
    package let unit: String
    package let sourceID: String
    package let notes: String
}

package struct CatalogSource: Codable, Sendable, Equatable {
    package let id: String
    /// ISO date of the price snapshot; nil where the source gives none.
    package let snapshotDate: String?
    package let description: String
}

package struct CloudRegion: Codable, Sendable, Equatable {
    package let id: String
    package let provider: Provider
    package let region: String
    package let location: String
    /// `us`, `eu` or `apac`: where the data would legally sit.
    package let jurisdiction: String
}
