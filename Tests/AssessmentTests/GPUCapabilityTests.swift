import Foundation
import Testing

@testable import Assessment

/// GPUs are placed only where they run the workload's precision (gpus.csv, docs/sizing.md).
@Suite("GPU capabilities")
struct GPUCapabilityTests {
    @Test func precisionSupportFollowsTheDataSheets() throws {
        let gpus = try Fixtures.catalog().gpus
        let t4 = try #require(gpus["T4"])
        #expect(!t4.supports(.bf16) && !t4.supports(.fp8) && t4.supports(.fp16) && t4.supports(.int8))
        let a100 = try #require(gpus["A100-80GB"])
        #expect(a100.supports(.bf16) && !a100.supports(.fp8))
        let h100 = try #require(gpus["H100-80GB"])
        #expect(h100.supports(.fp8) && h100.supports(.bf16))
        let v100 = try #require(gpus["V100"])
        #expect(!v100.supports(.bf16) && !v100.supports(.int4) && v100.supports(.fp16))
        #expect(try #require(gpus["L4"]).supports(.fp8))
    }

    @Test func everyGPUOfTheCatalogHasASourcedRow() throws {
        let catalog = try Fixtures.catalog()
        for offer in catalog.instances where offer.isGPU {
            let spec = try #require(catalog.gpus[offer.gpuModel], "\(offer.id)")
            #expect(spec.source.hasPrefix("https://"))
            #expect(spec.memoryBandwidthTBps > 0)
        }
    }

    /// A bf16 7B model is no longer put on T4s (Turing has no bf16).
    @Test func bf16IsNeverPlacedOnATuringOrVoltaGPU() throws {
        let catalog = try Fixtures.catalog()
        let w = AIWorkload(name: "m", parametersBillion: 7, precision: .bf16, requestsPerSecond: 0.1)
        let plan = PlanBuilder.build(Fixtures.minimal(workloads: [w]), catalog: catalog)
        for p in plan.providers {
            for row in p.gpuPlan {
                #expect(!["T4", "V100", "V100-32GB"].contains(row.gpuModel), "\(row.catalogID)")
            }
        }
    }

    /// Property: over many seeded random requests, every placed GPU runs its workload's precision.
    @Test(arguments: Array(UInt64(1)...200))
    func noPlanPlacesAPrecisionOnAGPUThatLacksIt(seed: UInt64) throws {
        let catalog = try Fixtures.catalog()
        var generator = RandomRequests(seed: seed)
        let request = generator.next()
        let plan = PlanBuilder.build(request, catalog: catalog)
        let precision = Dictionary(
            request.technical.aiWorkloads.map { ($0.name, $0.precision) }, uniquingKeysWith: { a, _ in a })
        for p in plan.providers {
            for row in p.gpuPlan {
                let spec = try #require(catalog.gpus[row.gpuModel])
                let wanted = try #require(precision[row.workload])
                #expect(spec.supports(wanted), "seed \(seed): \(row.catalogID) given \(wanted.rawValue)")
                #expect(row.supportsPrecision)
            }
        }
    }
}
