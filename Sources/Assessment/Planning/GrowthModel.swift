import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Users and monthly cost over time, from the request's growth figures. Piecewise
/// geometric: a constant monthly rate from today to 12 months, another from 12 to 24
/// months, and the 12-24 rate continued to 36 months.
struct GrowthModel: Sendable {
    let current: Double
    let at12: Double
    let at24: Double
    let dataGrowthPerMonth: Double
    /// Monthly growth rates before and after month 12, computed once because the
    /// Monte Carlo asks for thousands of points.
    let earlyRate: Double
    let lateRate: Double

    init(_ request: AssessmentRequest) {
        let g = request.business.growthProjection
        // A zero user count has no growth ratio; one user stands in for it.
        current = Double(max(g.currentUsers, 1))
        at12 = Double(max(g.projectedUsers12m ?? g.currentUsers, 1))
        at24 = Double(max(g.projectedUsers24m ?? g.projectedUsers12m ?? g.currentUsers, 1))
        dataGrowthPerMonth = request.technical.scalabilityRequirements.monthlyDataGrowthPercentage / 100
        earlyRate = pow(at12 / current, 1.0 / 12)
        lateRate = pow(at24 / at12, 1.0 / 12)
    }

    func users(atMonth m: Int) -> Double {
        if m <= 12 { return current * pow(earlyRate, Double(m)) }
        return at12 * pow(lateRate, Double(m - 12))
    }

    /// Load relative to today.
    func loadFactor(atMonth m: Int) -> Double { users(atMonth: m) / current }

    func dataFactor(atMonth m: Int) -> Double { pow(1 + dataGrowthPerMonth, Double(m)) }
}

/// A month's cost split as the plan splits it.
package struct MonthlyCost: Codable, Sendable, Equatable {
    package let month: Int
    package let users: Int
    package let computeUSD: Double
    package let gpuUSD: Double
    package let storageUSD: Double
    package let networkUSD: Double
    /// The share of one-time training jobs that runs in this month.
    package let trainingUSD: Double
    package let totalUSD: Double
}

/// The one growth model every agent prices the future with (docs/sizing.md, "Growth"): at a point
/// of the projection the plan's rows keep their instance types, and their counts are re-planned in
/// whole instances for the load and data of that point; spares, minimum counts and machines sized by
/// data do not follow the users. Storage follows the data, egress the load (priced by its tiers),
/// and a training job is charged once, in the months it runs.
enum CostProjection {
    static func month(
        _ m: Int, plan: ProviderPlan, growth: GrowthModel, request: AssessmentRequest, catalog: Catalog,
        loadScale: Double = 1, dataScale: Double = 1
    ) -> MonthlyCost {
        let load = pow(growth.loadFactor(atMonth: m), loadScale)
        let data = pow(growth.dataFactor(atMonth: m), dataScale)
        let at = cost(plan: plan, request: request, catalog: catalog, load: load, data: data)
        let training = Numbers.money(plan.cost.trainingJobs.reduce(0.0) { $0 + share(of: $1, inMonth: m) })
        return MonthlyCost(
            month: m, users: Int(min(growth.users(atMonth: m), 1e15).rounded()), computeUSD: at.compute,
            gpuUSD: at.gpu, storageUSD: at.storage, networkUSD: at.network, trainingUSD: training,
            totalUSD: Numbers.total([at.compute, at.gpu, at.storage, at.network, training]))
    }

    /// The plan's recurring monthly cost at `load` × today's request rates and users and `data` ×
    /// today's data. At 1 and 1 it is the plan's own cost.
    static func cost(plan: ProviderPlan, request: AssessmentRequest, catalog: Catalog, load: Double, data: Double)
        -> (compute: Double, gpu: Double, storage: Double, network: Double, gpuInstances: Int, cpuInstances: Int)
    {
        let hours = catalog.hoursPerMonth
        var scaled = request
        scaled.technical.performanceRequirements.requestsPerSecond *= load
        scaled.technical.performanceRequirements.concurrentUsers = Int(
            min(Double(request.technical.performanceRequirements.concurrentUsers) * load, 1e15).rounded(.up))
        scaled.technical.scalabilityRequirements.currentDataSizeGb *= data

        var gpu = 0.0
        var gpuInstances = 0
        for row in plan.gpuPlan where row.training == nil {
            guard let offer = catalog.offer(row.catalogID) else { continue }
            let instances = Self.gpuInstances(row, offer: offer, request: request, load: load)
            gpuInstances += instances
            gpu += Numbers.money(Double(instances) * offer.onDemandHourly * hours)
        }

        let sizings = request.technical.workloadTypes.sorted().compactMap { catalog.sizing(for: $0) }
        let serving = sizings.filter { $0.rpsPerVcpu != nil }.count
        var compute = 0.0
        var cpuInstances = 0
        for row in plan.cpuPlan {
            guard let offer = catalog.offer(row.catalogID),
                let sizing = sizings.first(where: { $0.workload == row.workload })
            else { continue }
            let need = CapacityPlanner.cpuNeed(sizing, servingTypes: serving, request: scaled, catalog: catalog)
            let count = CapacityPlanner.cpuInstances(
                row.workload, vcpus: need.vcpus, memory: need.memory, offer: offer, request: request, catalog: catalog)
            cpuInstances += count
            compute += Numbers.money(Double(count) * offer.onDemandHourly * hours)
        }

        let storage = (plan.cost.storageUSD ?? 0) * data
        var network = 0.0
        if plan.cost.networkUSD != nil {
            // Every planned region is a full copy serving the whole load (`ProviderPlan.regions`).
            let egress = CostModel.egressGB(scaled, catalog: catalog, inferenceLoad: load)
            for region in plan.regions {
                let lines = CostModel.egressLines(
                    egress, provider: plan.provider, region: region, regions: 1, catalog: catalog)
                network += lines?.reduce(0) { $0 + $1.monthlyUSD } ?? 0
            }
        }
        return (
            Numbers.money(compute), Numbers.money(gpu), Numbers.money(storage), Numbers.money(network), gpuInstances,
            cpuInstances
        )
    }

    /// Whole instances of a serving row at `load` × today's rate: replicas for the tokens wanted at
    /// the row's tokens per second per replica, packed as the row packs them, plus its spares.
    static func gpuInstances(_ row: GPUPlacement, offer: InstanceOffer, request: AssessmentRequest, load: Double)
        -> Int
    {
        guard load != 1, let rate = row.decodeTokensPerSecondPerReplica, rate > 0,
            let w = request.technical.aiWorkloads.first(where: { $0.name == row.workload })
        else { return row.instances }
        let wanted = load * w.requestsPerSecond * Double(w.avgOutputTokens) / rate
        let replicas = max(1, Int(min(wanted, 1e12).rounded(.up)))
        if row.tensorParallel == .multiNode {
            let nodes = max(1, row.gpusPerReplica / max(offer.gpuCount, 1))
            return replicas * nodes + row.spareInstances
        }
        let perInstance = max(1, offer.gpuCount / max(row.gpusPerReplica, 1))
        return Numbers.ceilInt(Double(replicas) / Double(perInstance)) + row.spareInstances
    }

    /// The part of a job's cost that falls in month `m` (months 0 … ceil(months) − 1).
    static func share(of job: TrainingCharge, inMonth m: Int) -> Double {
        guard job.months > 0 else { return m == 0 ? job.costUSD : 0 }
        let inMonth = min(max(job.months - Double(m), 0), 1)
        return job.costUSD * inMonth / job.months
    }
}
