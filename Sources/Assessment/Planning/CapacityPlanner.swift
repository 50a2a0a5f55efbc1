#if canImport(Glibc)
    import Glibc
#endif

/// One AI workload placed on the cheapest catalog instance type that fits it in a region.
package struct GPUPlacement: Codable, Sendable, Equatable {
    package let workload: String
    package let mode: AIWorkloadMode
    package let provider: Provider
    package let region: String
    package let instanceType: String
    package let catalogID: String
    package let gpuModel: String
    /// GPUs rented (instances × GPUs per instance).
    package let gpus: Int
    package let gpusPerReplica: Int
    /// GPU memory of one replica (its GPUs × memory per GPU); for training, of the whole cluster.
    package let totalGpuMemoryGB: Double
    /// What one replica needs at the planned batch (`GPUMemoryModel`); for training, the whole job
    /// before it is sharded over the cluster.
    package let requiredGpuMemoryGB: Double
    package let weightsGB: Double
    package let kvCacheBytesPerToken: Double
    package let kvCacheEstimated: Bool
    /// The GPU runs the workload's precision natively; the planner places no other (kept in the
    /// row so that a reader of the JSON need not look the GPU up).
    package let supportsPrecision: Bool
    package let replicas: Int
    /// Instances added so one can fail without losing capacity (N+1).
    package let spareInstances: Int
    package let instances: Int
    package let monthlyOnDemandUSD: Double
    /// Nil when the catalog has no reserved price for this row.
    package let monthlyReservedUSD: Double?
    /// How a replica's GPUs are joined: tensor parallelism over `pcie` or `nvlink` inside an
    /// instance, or `multi_node` across instances over an RDMA-class fabric.
    package let tensorParallel: TensorParallelLink
    /// Inference: the roofline figures at the planned load (`ServingModel`).
    package let batchPerReplica: Int?
    package let prefillMs: Double?
    package let decodeTokensPerSecondPerReplica: Double?
    package let timeToFirstTokenMs: Double?
    package let timePerOutputTokenMs: Double?
    /// First token plus every further token of an average answer.
    package let responseMs: Double?
    package let meetsLatencyTarget: Bool?
    package let latencyTarget: String?
    /// When the target is missed: what meeting it would take, or that nothing in the region does.
    package var latencyNote: String?
    /// Training and fine-tuning with a token count: the job this row runs; its cost is one-time,
    /// not monthly (`CostBreakdown.trainingJobsUSD`).
    package var training: TrainingJob?
}

package struct CPUPlacement: Codable, Sendable, Equatable {
    package let workload: WorkloadType
    package let provider: Provider
    package let region: String
    package let instanceType: String
    package let catalogID: String
    package let sizingRule: String
    package let formula: String
    package let vcpusNeeded: Int
    package let memoryGibNeeded: Double
    package let instances: Int
    package let monthlyOnDemandUSD: Double
    package let monthlyReservedUSD: Double?
}

package struct Unplaced: Error, Codable, Sendable, Equatable {
    package let workload: String
    package let provider: Provider
    package let reason: String
}

/// Turns requirements into instance counts in one region. Pure arithmetic over the
/// catalog rows; the documented rules live in `sizing.json`.
enum CapacityPlanner {
    static func needsSpare(_ request: AssessmentRequest, _ rules: GPUSizingRules) -> Bool {
        request.technical.performanceRequirements.uptimePercentage >= rules.nPlusOneUptimePercentage
    }

    /// Tensor-parallel degrees are powers of two, so a replica takes 1, 2, 4 or 8 GPUs.
    static func tensorParallelDegrees(upTo available: Int) -> [Int] {
        var out: [Int] = []
        var g = 1
        while g <= available {
            out.append(g)
            g *= 2
        }
        return out
    }

    /// True when a replica or job may span instances of this offer (NVLink inside, RDMA-class fabric between).
    static func spansInstances(_ link: GPUInterconnect, rules: GPUSizingRules) -> Bool {
        link.gpuLink == .nvlink && link.clusterFabricGbps >= rules.multiNodeMinFabricGbps
    }

    static func placeGPU(
        _ estimate: GPUMemoryEstimate, workload: AIWorkload, provider: Provider, region: String,
        request: AssessmentRequest, catalog: Catalog
    ) -> Result<GPUPlacement, Unplaced> {
        var refusedPrecision: Set<String> = []
        var best: (key: PlacementKey, row: GPUPlacement)?
        var cheapest: (key: PlacementKey, row: GPUPlacement)?
        for offer in catalog.instances(provider: provider, region: region) where offer.isGPU {
            guard let gpu = catalog.gpus[offer.gpuModel], gpu.supports(estimate.precision) else {
                refusedPrecision.insert(offer.gpuModel)
                continue
            }
            let candidates =
                estimate.mode == .inference
                ? inferenceRows(estimate, workload, offer: offer, gpu: gpu, request: request, catalog: catalog)
                : trainingRows(estimate, workload, offer: offer, gpu: gpu, catalog: catalog)
            for row in candidates {
                let key = PlacementKey(row)
                if best == nil || key < best!.key { best = (key, row) }
                let byCost = PlacementKey(row, ignoringLatency: true)
                if cheapest == nil || byCost < cheapest!.key { cheapest = (byCost, row) }
            }
        }
        // Meeting the latency target is worth up to `latency_cost_premium_max` × the cheapest plan;
        // beyond that the cheapest plan is kept and the row says what meeting the target would take.
        if let fast = best, let low = cheapest, fast.row.meetsLatencyTarget == true,
            low.row.meetsLatencyTarget == false,
            fast.key.cost > low.key.cost * catalog.sizing.gpu.latencyCostPremiumMax
        {
            best = low
            best?.row.latencyNote =
                "meeting the target takes \(fast.row.instances)× \(fast.row.instanceType) (\(fast.row.gpusPerReplica) GPUs per replica) at \(Numbers.usd(fast.row.monthlyOnDemandUSD))/month, \(Numbers.text(fast.key.cost / max(low.key.cost, 0.01), digits: 1))× this plan"
        } else if best?.row.meetsLatencyTarget == false {
            best?.row.latencyNote = "no \(provider.rawValue) configuration in \(region) meets it"
        }
        if var row = best?.row {
            if let job = row.training, workload.mode != .inference {
                row.training = withTrainingOptions(
                    job, estimate, workload, provider: provider, region: region, request: request, catalog: catalog)
            }
            return .success(row)
        }
        let skipped =
            refusedPrecision.isEmpty
            ? ""
            : " (\(refusedPrecision.sorted().joined(separator: ", ")) left out: no native \(estimate.precision.rawValue))"
        return .failure(
            Unplaced(
                workload: estimate.workload, provider: provider,
                reason:
                    "no \(provider.rawValue) instance in \(region) in the catalog with a GPU that runs \(estimate.precision.rawValue) holds \(Numbers.text(estimate.requiredGB)) GB per replica, alone or as a multi-node group joined by NVLink and an RDMA-class fabric\(skipped)"
            ))
    }

    /// The order rows are preferred in: meeting the latency target first, then the lower monthly
    /// (or job) cost, then the catalog id so that ties resolve the same way on every node.
    struct PlacementKey: Comparable {
        let misses: Int
        let cost: Double
        let id: String
        let gpus: Int

        init(_ row: GPUPlacement, ignoringLatency: Bool = false) {
            misses = !ignoringLatency && row.meetsLatencyTarget == false ? 1 : 0
            cost = row.training?.costOnDemandUSD ?? row.monthlyOnDemandUSD
            id = row.catalogID
            gpus = row.gpusPerReplica
        }

        static func < (a: Self, b: Self) -> Bool { (a.misses, a.cost, a.id, a.gpus) < (b.misses, b.cost, b.id, b.gpus) }
    }

    /// Every replica shape of one offer that holds the model: 1, 2, 4 or 8 of its GPUs, or, when
    /// none does and the offer may span instances, the fewest whole instances that do.
    static func inferenceRows(
        _ estimate: GPUMemoryEstimate, _ w: AIWorkload, offer: InstanceOffer, gpu: GPUSpec,
        request: AssessmentRequest, catalog: Catalog
    ) -> [GPUPlacement] {
        let rules = catalog.sizing.gpu
        let link = catalog.interconnect(offer)
        let load = ServingModel.Load(
            w, kvBytesPerToken: estimate.kvCacheBytesPerToken,
            responseTargetMs: Double(request.technical.performanceRequirements.apiResponseTimeMs))
        let spare = needsSpare(request, rules) ? 1 : 0
        var shapes: [(gpus: Int, link: TensorParallelLink, nodes: Int)] = tensorParallelDegrees(upTo: offer.gpuCount)
            .map { ($0, $0 == 1 ? .none : (link.gpuLink == .nvlink ? .nvlink : .pcie), 0) }
        if spansInstances(link, rules: rules) {
            let need = load.weightsBytes + load.contextTokens * load.kvBytesPerToken
            let perInstance = Double(offer.gpuCount) * gpu.memoryGB * 1e9 / rules.memoryOverheadFactor
            let nodes = max(2, Int((need / perInstance).rounded(.up)))
            shapes.append((nodes * offer.gpuCount, .multiNode, nodes))
        }
        var rows: [GPUPlacement] = []
        for shape in shapes {
            let replica = ServingModel.Replica(
                gpu: gpu, gpus: shape.gpus, link: shape.link, precision: w.precision, rules: rules)
            guard let perf = ServingModel.evaluate(load, replica, rules: rules) else { continue }
            let instances: Int
            let spareInstances: Int
            if shape.nodes > 0 {
                spareInstances = spare * shape.nodes
                instances = perf.replicas * shape.nodes + spareInstances
            } else {
                spareInstances = spare
                instances = Numbers.ceilInt(Double(perf.replicas) / Double(offer.gpuCount / shape.gpus)) + spare
            }
            let kvGB = Double(perf.batch) * load.contextTokens * load.kvBytesPerToken / 1e9
            rows.append(
                row(
                    estimate, offer: offer, gpu: gpu, catalog: catalog, instances: instances,
                    gpusPerReplica: shape.gpus,
                    requiredGB: Numbers.quantity((estimate.weightsGB + kvGB) * rules.memoryOverheadFactor),
                    replicas: perf.replicas, spare: spareInstances, link: shape.link, perf: perf, training: nil))
        }
        return rows
    }

    /// A training or fine-tuning job on the fewest GPUs of one offer that hold it: the training state
    /// is sharded over every GPU (ZeRO-3 / FSDP), each GPU keeps the activations of its own sequence
    /// (shared over an NVLink instance by tensor parallelism), and more than one instance needs
    /// NVLink inside and an RDMA-class fabric between.
    static func trainingRows(
        _ estimate: GPUMemoryEstimate, _ w: AIWorkload, offer: InstanceOffer, gpu: GPUSpec, catalog: Catalog
    ) -> [GPUPlacement] {
        guard let instances = trainingInstances(estimate, offer: offer, gpu: gpu, catalog: catalog) else { return [] }
        return [trainingRow(estimate, w, offer: offer, gpu: gpu, instances: instances, catalog: catalog)]
    }

    static func trainingInstances(
        _ estimate: GPUMemoryEstimate, offer: InstanceOffer, gpu: GPUSpec, catalog: Catalog
    ) -> Int? {
        let rules = catalog.sizing.gpu
        let link = catalog.interconnect(offer)
        let activationShare = estimate.activationsGB / Double(link.gpuLink == .nvlink ? offer.gpuCount : 1)
        let perGPU = gpu.memoryGB / rules.memoryOverheadFactor - activationShare
        guard perGPU > 0 else { return nil }
        let sharded = estimate.weightsGB + estimate.trainingStateGB
        let gpus = max(1, Int((sharded / perGPU).rounded(.up)))
        let instances = Numbers.ceilInt(Double(gpus) / Double(offer.gpuCount))
        if instances > 1 && !spansInstances(link, rules: rules) { return nil }
        return instances
    }

    static func trainingRow(
        _ estimate: GPUMemoryEstimate, _ w: AIWorkload, offer: InstanceOffer, gpu: GPUSpec, instances: Int,
        catalog: Catalog
    ) -> GPUPlacement {
        let rules = catalog.sizing.gpu
        let gpus = instances * offer.gpuCount
        let link: TensorParallelLink =
            instances > 1
            ? .multiNode
            : (offer.gpuCount == 1 ? .none : (catalog.interconnect(offer).gpuLink == .nvlink ? .nvlink : .pcie))
        var job: TrainingJob?
        if let counted = TrainingModel.flops(w),
            let time = TrainingModel.duration(
                flops: counted.flops, gpu: gpu, gpus: gpus, precision: w.precision, rules: rules)
        {
            let option = trainingOption(
                "cheapest", offer: offer, instances: instances, gpuHours: time.gpuHours, hours: time.hours)
            job = TrainingJob(
                flops: counted.flops, flopsFormula: counted.formula, gpuHours: option.gpuHours, days: option.days,
                mfu: rules.trainingMfu, gpus: gpus, costOnDemandUSD: option.costOnDemandUSD,
                costSpotUSD: option.costSpotUSD, checkpointing: TrainingModel.checkpointing, options: [option])
        }
        return row(
            estimate, offer: offer, gpu: gpu, catalog: catalog, instances: instances, gpusPerReplica: gpus,
            requiredGB: estimate.requiredGB, replicas: 1, spare: 0, link: link, perf: nil, training: job)
    }

    static func trainingOption(_ label: String, offer: InstanceOffer, instances: Int, gpuHours: Double, hours: Double)
        -> TrainingOption
    {
        TrainingOption(
            label: label, instanceType: offer.instanceType, catalogID: offer.id, gpuModel: offer.gpuModel,
            instances: instances, gpus: instances * offer.gpuCount, gpuHours: Numbers.quantity(gpuHours),
            days: Numbers.quantity(hours / 24),
            costOnDemandUSD: Numbers.money(hours * Double(instances) * offer.onDemandHourly),
            costSpotUSD: offer.spotHourly.map { Numbers.money(hours * Double(instances) * $0) })
    }

    /// The second cluster size: the shortest job over every offer and cluster size (in whole
    /// instances, up to `training_max_instances`) whose rent for a whole month stays within the
    /// monthly budget; with no budget stated, the shortest job of all. Perfect scaling is assumed, so
    /// a bigger cluster costs the same per job and only shortens it (docs/sizing.md).
    static func withTrainingOptions(
        _ job: TrainingJob, _ estimate: GPUMemoryEstimate, _ w: AIWorkload, provider: Provider, region: String,
        request: AssessmentRequest, catalog: Catalog
    ) -> TrainingJob {
        let rules = catalog.sizing.gpu
        let budget = request.business.budgetConstraints.monthlyBudgetLimit
        var fastest: TrainingOption?
        for offer in catalog.instances(provider: provider, region: region) where offer.isGPU {
            guard let gpu = catalog.gpus[offer.gpuModel], gpu.supports(w.precision),
                let least = trainingInstances(estimate, offer: offer, gpu: gpu, catalog: catalog)
            else { continue }
            let most = spansInstances(catalog.interconnect(offer), rules: rules) ? rules.trainingMaxInstances : least
            var n = least
            while n <= most {
                if let budget, Double(n) * offer.onDemandHourly * catalog.hoursPerMonth > budget { break }
                if let time = TrainingModel.duration(
                    flops: job.flops, gpu: gpu, gpus: n * offer.gpuCount, precision: w.precision, rules: rules)
                {
                    let option = trainingOption(
                        "fastest within budget", offer: offer, instances: n, gpuHours: time.gpuHours, hours: time.hours)
                    if fastest == nil
                        || (option.days, option.costOnDemandUSD, option.catalogID)
                            < (fastest!.days, fastest!.costOnDemandUSD, fastest!.catalogID)
                    {
                        fastest = option
                    }
                }
                n *= 2
            }
        }
        var extended = job
        if let fastest, fastest.days < job.days { extended.options.append(fastest) }
        return extended
    }

    static func row(
        _ estimate: GPUMemoryEstimate, offer: InstanceOffer, gpu: GPUSpec, catalog: Catalog, instances: Int,
        gpusPerReplica: Int, requiredGB: Double, replicas: Int, spare: Int, link: TensorParallelLink,
        perf: ServingPerformance?, training: TrainingJob?
    ) -> GPUPlacement {
        let hours = catalog.hoursPerMonth
        return GPUPlacement(
            workload: estimate.workload, mode: estimate.mode, provider: offer.provider, region: offer.region,
            instanceType: offer.instanceType, catalogID: offer.id, gpuModel: offer.gpuModel,
            gpus: instances * offer.gpuCount, gpusPerReplica: gpusPerReplica,
            totalGpuMemoryGB: Numbers.quantity(Double(gpusPerReplica) * offer.gpuMemoryGB),
            requiredGpuMemoryGB: requiredGB, weightsGB: estimate.weightsGB,
            kvCacheBytesPerToken: estimate.kvCacheBytesPerToken, kvCacheEstimated: estimate.kvCacheEstimated,
            supportsPrecision: gpu.supports(estimate.precision), replicas: replicas, spareInstances: spare,
            instances: instances, monthlyOnDemandUSD: Numbers.money(Double(instances) * offer.onDemandHourly * hours),
            monthlyReservedUSD: offer.reserved1yHourly.map { Numbers.money(Double(instances) * $0 * hours) },
            tensorParallel: link, batchPerReplica: perf?.batch, prefillMs: perf?.prefillMs,
            decodeTokensPerSecondPerReplica: perf?.decodeTokensPerSecondPerReplica,
            timeToFirstTokenMs: perf?.timeToFirstTokenMs, timePerOutputTokenMs: perf?.timePerOutputTokenMs,
            responseMs: perf?.responseMs, meetsLatencyTarget: perf?.meetsLatencyTarget,
            latencyTarget: perf?.latencyTarget, latencyNote: nil,
            training: training)
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
        return sizings.map { s in
            let need = cpuNeed(s, servingTypes: serving, request: request, catalog: catalog)
            var rule = ""
            if let perVcpu = s.rpsPerVcpu {
                let share = rps / Double(max(serving, 1))
                rule =
                    "vcpus = max(\(s.minVcpus), ceil(\(Numbers.text(share)) rps / \(Numbers.text(perVcpu)) rps per vCPU)); memory = max(vcpus × \(Numbers.text(s.memoryGibPerVcpu)) GiB, \(Numbers.text(users / Double(max(serving, 1)))) concurrent users × \(Numbers.text(catalog.sizing.sessionMibPerConcurrentUser)) MiB)"
            } else if let perData = s.gbDataPerVcpu {
                rule =
                    "vcpus = max(\(s.minVcpus), ceil(\(Numbers.text(data)) GB / \(Numbers.text(perData)) GB per vCPU)); memory = vcpus × \(Numbers.text(s.memoryGibPerVcpu)) GiB"
            }
            return (s, need.vcpus, need.memory, rule)
        }
    }

    /// The vCPUs and memory one workload type needs, as `cpuNeeds` computes them, without the rule
    /// text: what the growth projection re-plans at every point.
    static func cpuNeed(_ s: WorkloadSizing, servingTypes: Int, request: AssessmentRequest, catalog: Catalog) -> (
        vcpus: Int, memory: Double
    ) {
        let serving = Double(max(servingTypes, 1))
        if let perVcpu = s.rpsPerVcpu {
            let share = request.technical.performanceRequirements.requestsPerSecond / serving
            let vcpus = max(s.minVcpus, Numbers.ceilInt(share / perVcpu))
            let users = Double(request.technical.performanceRequirements.concurrentUsers)
            let sessions = users / serving * catalog.sizing.sessionMibPerConcurrentUser / 1024
            return (vcpus, Numbers.quantity(max(Double(vcpus) * s.memoryGibPerVcpu, sessions)))
        }
        if let perData = s.gbDataPerVcpu {
            let data = request.technical.scalabilityRequirements.currentDataSizeGb
            let vcpus = max(s.minVcpus, Numbers.ceilInt(data / perData))
            return (vcpus, Numbers.quantity(Double(vcpus) * s.memoryGibPerVcpu))
        }
        return (s.minVcpus, 0)
    }

    /// Instances of one offer that carry a CPU need: enough vCPUs and memory, never below the minimum.
    /// A database is not spread over many small machines: each shard is a primary and its replicas,
    /// every copy on one instance that holds the shard's whole need (docs/sizing.md, "Databases").
    static func cpuInstances(
        _ workload: WorkloadType, vcpus: Int, memory: Double, offer: InstanceOffer, request: AssessmentRequest,
        catalog: Catalog
    ) -> Int {
        let machines = max(
            Numbers.ceilInt(Double(vcpus) / Double(offer.vcpus)), Numbers.ceilInt(memory / offer.memoryGiB))
        if workload == .database { return max(1, machines) * databaseCopies(request, catalog) }
        return max(needsSpare(request, catalog.sizing.gpu) ? 2 : 1, machines)
    }

    /// The primary alone (with its backups) up to 99.5% uptime, what one machine is sold for; a
    /// replica to fail over to above that; a second replica where the target calls for N+1.
    static func databaseCopies(_ request: AssessmentRequest, _ catalog: Catalog) -> Int {
        if needsSpare(request, catalog.sizing.gpu) { return 3 }
        return request.technical.performanceRequirements.uptimePercentage > 99.5 ? 2 : 1
    }

    static func placeCPU(
        _ need: (WorkloadSizing, vcpus: Int, memory: Double, rule: String), provider: Provider, region: String,
        request: AssessmentRequest, catalog: Catalog
    ) -> Result<CPUPlacement, Unplaced> {
        var candidates: [CPUPlacement] = []
        let copies = databaseCopies(request, catalog)
        for offer in catalog.instances(provider: provider, region: region)
        where offer.gpuCount == 0 && offer.familyClass == need.0.familyClass {
            let count = cpuInstances(
                need.0.workload, vcpus: need.vcpus, memory: need.memory, offer: offer, request: request,
                catalog: catalog)
            var formula = need.rule
            if need.0.workload == .database {
                let shards = count / copies
                formula +=
                    (copies == 1
                        ? "; one primary per shard with encrypted backups (uptime target 99.5% or less)"
                        : "; a primary and \(copies - 1) replica(s) per shard, each copy on one instance holding the shard")
                    + (shards > 1 ? "; \(shards) shards, as no single instance type holds it all" : "")
            }
            candidates.append(
                CPUPlacement(
                    workload: need.0.workload, provider: provider, region: region, instanceType: offer.instanceType,
                    catalogID: offer.id, sizingRule: need.0.id, formula: formula, vcpusNeeded: need.vcpus,
                    memoryGibNeeded: need.memory,
                    instances: count,
                    monthlyOnDemandUSD: Numbers.money(Double(count) * offer.onDemandHourly * catalog.hoursPerMonth),
                    monthlyReservedUSD: offer.reserved1yHourly.map {
                        Numbers.money(Double(count) * $0 * catalog.hoursPerMonth)
                    }))
        }
        // A database goes on instances that each hold a whole copy when the region has one that does.
        if need.0.workload == .database, candidates.contains(where: { $0.instances == copies }) {
            candidates = candidates.filter { $0.instances == copies }
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
