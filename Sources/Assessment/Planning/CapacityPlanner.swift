#if canImport(Glibc)
    import Glibc
#endif

/// One AI workload placed on the cheapest catalog instance type that fits it in a region.
public struct GPUPlacement: Codable, Sendable, Equatable {
    public let workload: String
    public let mode: AIWorkloadMode
    public let provider: Provider
    public let region: String
    public let instanceType: String
    public let catalogID: String
    public let gpuModel: String
    /// GPUs rented (instances × GPUs per instance).
    public let gpus: Int
    public let gpusPerReplica: Int
    public let totalGpuMemoryGB: Double
    /// Per replica, from `GPUMemoryModel`.
    public let requiredGpuMemoryGB: Double
    public let weightsGB: Double
    public let kvCacheBytesPerToken: Double
    public let kvCacheEstimated: Bool
    /// The GPU runs the workload's precision natively; the planner places no other (kept in the
    /// row so that a reader of the JSON need not look the GPU up).
    public let supportsPrecision: Bool
    public let replicas: Int
    /// Instances added so one can fail without losing capacity (N+1).
    public let spareInstances: Int
    public let instances: Int
    public let monthlyOnDemandUSD: Double
    /// Nil when the catalog has no reserved price for this row.
    public let monthlyReservedUSD: Double?
}

public struct CPUPlacement: Codable, Sendable, Equatable {
    public let workload: WorkloadType
    public let provider: Provider
    public let region: String
    public let instanceType: String
    public let catalogID: String
    public let sizingRule: String
    public let formula: String
    public let vcpusNeeded: Int
    public let memoryGibNeeded: Double
    public let instances: Int
    public let monthlyOnDemandUSD: Double
    public let monthlyReservedUSD: Double?
}

public struct Unplaced: Error, Codable, Sendable, Equatable {
    public let workload: String
    public let provider: Provider
    public let reason: String
}

/// Turns requirements into instance counts in one region. Pure arithmetic over the
/// catalog rows; the documented rules live in `sizing.json`.
enum CapacityPlanner {
    static func needsSpare(_ request: AssessmentRequest, _ rules: GPUSizingRules) -> Bool {
        request.technical.performanceRequirements.uptimePercentage >= rules.nPlusOneUptimePercentage
    }

    /// Tensor-parallel degrees are powers of two, so a replica takes 1, 2, 4 or 8 GPUs.
    static func gpusPerReplica(requiredGB: Double, perGPU: Double, available: Int) -> Int? {
        var g = 1
        while g <= available {
            if Double(g) * perGPU >= requiredGB { return g }
            g *= 2
        }
        return nil
    }

    static func placeGPU(
        _ estimate: GPUMemoryEstimate, provider: Provider, region: String, request: AssessmentRequest, catalog: Catalog
    ) -> Result<GPUPlacement, Unplaced> {
        let rules = catalog.sizing.gpu
        let hours = catalog.hoursPerMonth
        let spareWanted = estimate.mode == .inference && needsSpare(request, rules)
        var best: GPUPlacement?
        var refusedPrecision: Set<String> = []
        for offer in catalog.instances(provider: provider, region: region) where offer.isGPU {
            guard catalog.gpus[offer.gpuModel]?.supports(estimate.precision) == true else {
                refusedPrecision.insert(offer.gpuModel)
                continue
            }
            let instances: Int
            let perReplica: Int
            let spare: Int
            if let g = gpusPerReplica(
                requiredGB: estimate.requiredGB, perGPU: offer.gpuMemoryGB, available: offer.gpuCount)
            {
                let replicasPerInstance = offer.gpuCount / g
                perReplica = g
                let forLoad = Numbers.ceilInt(Double(estimate.replicasForLoad) / Double(replicasPerInstance))
                spare = spareWanted ? 1 : 0
                instances = forLoad + spare
            } else if offer.gpuCount >= rules.multiNodeMinGpus,
                rules.multiNodeGpuModelPrefixes.contains(where: { offer.gpuModel.hasPrefix($0) })
            {
                let nodes = Numbers.ceilInt(estimate.requiredGB / offer.gpuMemoryTotalGB)
                perReplica = nodes * offer.gpuCount
                spare = spareWanted ? nodes : 0
                instances = Numbers.ceilInt(Double(estimate.replicasForLoad) * Double(nodes)) + spare
            } else {
                continue
            }
            let monthly = Numbers.money(Double(instances) * offer.onDemandHourly * hours)
            let reserved = offer.reserved1yHourly.map { Numbers.money(Double(instances) * $0 * hours) }
            let candidate = GPUPlacement(
                workload: estimate.workload, mode: estimate.mode, provider: provider, region: region,
                instanceType: offer.instanceType,
                catalogID: offer.id, gpuModel: offer.gpuModel, gpus: instances * offer.gpuCount,
                gpusPerReplica: perReplica,
                totalGpuMemoryGB: Numbers.quantity(Double(instances) * offer.gpuMemoryTotalGB),
                requiredGpuMemoryGB: estimate.requiredGB, weightsGB: estimate.weightsGB,
                kvCacheBytesPerToken: estimate.kvCacheBytesPerToken, kvCacheEstimated: estimate.kvCacheEstimated,
                supportsPrecision: true,
                replicas: estimate.replicasForLoad, spareInstances: spare,
                instances: instances, monthlyOnDemandUSD: monthly, monthlyReservedUSD: reserved)
            if let current = best {
                if (candidate.monthlyOnDemandUSD, candidate.catalogID) < (current.monthlyOnDemandUSD, current.catalogID)
                {
                    best = candidate
                }
            } else {
                best = candidate
            }
        }
        if let best { return .success(best) }
        let skipped =
            refusedPrecision.isEmpty
            ? ""
            : " (\(refusedPrecision.sorted().joined(separator: ", ")) left out: no native \(estimate.precision.rawValue))"
        return .failure(
            Unplaced(
                workload: estimate.workload, provider: provider,
                reason:
                    "no \(provider.rawValue) instance in \(region) in the catalog with a GPU that runs \(estimate.precision.rawValue) holds \(Numbers.text(estimate.requiredGB)) GB per replica, alone or as a multi-node group of NVLink-class GPUs\(skipped)"
            ))
    }

    /// Workload types that serve the stated request rate share it equally; data-bound
    /// types are sized from the stored data. Machine learning gets CPU for its data
    /// pipelines here; its GPUs come from `ai_workloads`.
    static func cpuNeeds(_ request: AssessmentRequest, catalog: Catalog) -> [(
        WorkloadSizing, vcpus: Int, memory: Double, rule: String
    )] {
        let types = request.technical.workloadTypes.sorted()
        let sizings = types.compactMap { catalog.sizing(for: $0) }
        let serving = sizings.filter { $0.rpsPerVcpu != nil }.count
        let rps = request.technical.performanceRequirements.requestsPerSecond
        let data = request.technical.scalabilityRequirements.currentDataSizeGb
        let users = Double(request.technical.performanceRequirements.concurrentUsers)
        let sessionGiB = catalog.sizing.sessionMibPerConcurrentUser / 1024
        return sizings.map { s in
            var vcpus = s.minVcpus
            var rule = ""
            var memory = 0.0
            if let perVcpu = s.rpsPerVcpu {
                let share = rps / Double(max(serving, 1))
                vcpus = max(s.minVcpus, Numbers.ceilInt(share / perVcpu))
                // Sessions and connections of the concurrent users live in the serving tier's memory.
                let sessions = users / Double(max(serving, 1)) * sessionGiB
                memory = max(Double(vcpus) * s.memoryGibPerVcpu, sessions)
                rule =
                    "vcpus = max(\(s.minVcpus), ceil(\(Numbers.text(share)) rps / \(Numbers.text(perVcpu)) rps per vCPU)); memory = max(vcpus × \(Numbers.text(s.memoryGibPerVcpu)) GiB, \(Numbers.text(users / Double(max(serving, 1)))) concurrent users × \(Numbers.text(catalog.sizing.sessionMibPerConcurrentUser)) MiB)"
            } else if let perData = s.gbDataPerVcpu {
                vcpus = max(s.minVcpus, Numbers.ceilInt(data / perData))
                memory = Double(vcpus) * s.memoryGibPerVcpu
                rule =
                    "vcpus = max(\(s.minVcpus), ceil(\(Numbers.text(data)) GB / \(Numbers.text(perData)) GB per vCPU)); memory = vcpus × \(Numbers.text(s.memoryGibPerVcpu)) GiB"
            }
            return (s, vcpus, Numbers.quantity(memory), rule)
        }
    }

    static func placeCPU(
        _ need: (WorkloadSizing, vcpus: Int, memory: Double, rule: String), provider: Provider, region: String,
        request: AssessmentRequest, catalog: Catalog
    ) -> Result<CPUPlacement, Unplaced> {
        let minimum = needsSpare(request, catalog.sizing.gpu) ? 2 : 1
        var candidates: [CPUPlacement] = []
        for offer in catalog.instances(provider: provider, region: region)
        where offer.gpuCount == 0 && offer.familyClass == need.0.familyClass {
            let count = max(
                minimum, Numbers.ceilInt(Double(need.vcpus) / Double(offer.vcpus)),
                Numbers.ceilInt(need.memory / offer.memoryGiB))
            candidates.append(
                CPUPlacement(
                    workload: need.0.workload, provider: provider, region: region, instanceType: offer.instanceType,
                    catalogID: offer.id, sizingRule: need.0.id, formula: need.rule, vcpusNeeded: need.vcpus,
                    memoryGibNeeded: need.memory,
                    instances: count,
                    monthlyOnDemandUSD: Numbers.money(Double(count) * offer.onDemandHourly * catalog.hoursPerMonth),
                    monthlyReservedUSD: offer.reserved1yHourly.map {
                        Numbers.money(Double(count) * $0 * catalog.hoursPerMonth)
                    }))
        }
        let cheapest = candidates.map(\.monthlyOnDemandUSD).min() ?? 0
        let limit = cheapest * (1 + catalog.sizing.cpuNearCheapestTolerance)
        let best = candidates.filter { $0.monthlyOnDemandUSD <= limit }.min {
            ($0.instances, $0.monthlyOnDemandUSD, $0.catalogID) < ($1.instances, $1.monthlyOnDemandUSD, $1.catalogID)
        }
        if let best { return .success(best) }
        return .failure(
            Unplaced(
                workload: need.0.workload.rawValue, provider: provider,
                reason: "no \(need.0.familyClass) instance type for \(provider.rawValue) in \(region) in the catalog"))
    }
}
