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
public struct MonthlyCost: Codable, Sendable, Equatable {
    public let month: Int
    public let users: Int
    public let computeUSD: Double
    public let gpuUSD: Double
    public let storageUSD: Double
    public let networkUSD: Double
    public let totalUSD: Double
}

enum CostProjection {
    /// Compute, inference GPUs and egress grow with users; storage grows with data;
    /// training and fine-tuning GPUs stay as planned (the job does not grow with users).
    static func month(_ m: Int, plan: ProviderPlan, growth: GrowthModel, loadScale: Double = 1, dataScale: Double = 1)
        -> MonthlyCost
    {
        let load = pow(growth.loadFactor(atMonth: m), loadScale)
        let data = pow(growth.dataFactor(atMonth: m), dataScale)
        let inference = plan.gpuPlan.filter { $0.mode == .inference }.reduce(0.0) { $0 + $1.monthlyOnDemandUSD }
        let regions = Double(plan.cost.plannedRegions)
        let fixedGPU = plan.cost.gpuUSD - inference * regions
        let compute = Numbers.money(plan.cost.computeUSD * load)
        let gpu = Numbers.money(fixedGPU + inference * regions * load)
        let storage = Numbers.money((plan.cost.storageUSD ?? 0) * data)
        let network = Numbers.money((plan.cost.networkUSD ?? 0) * load)
        return MonthlyCost(
            month: m, users: Int(min(growth.users(atMonth: m), 1e15).rounded()), computeUSD: compute, gpuUSD: gpu,
            storageUSD: storage, networkUSD: network, totalUSD: Numbers.total([compute, gpu, storage, network]))
    }

}
