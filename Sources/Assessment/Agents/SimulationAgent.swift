import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

package struct ProjectionPoint: Codable, Sendable, Equatable {
    package let month: Int
    package let users: Int
    /// The deterministic projection from the stated growth.
    package let expected: MonthlyCost
    package let p10USD: Double
    package let p50USD: Double
    package let p90USD: Double
}

package struct SimulationData: Codable, Sendable, Equatable {
    package let provider: Provider
    package let seed: String
    package let runs: Int
    package let model: String
    package let baselineMonthlyUSD: Double
    package let horizons: [ProjectionPoint]
    package let monthlyBudgetUSD: Double?
    /// First month (0 = today) the expected cost exceeds the budget; nil if it never does within 36 months.
    package let budgetExceededMonth: Int?
    /// First month the p90 cost exceeds the budget.
    package let budgetAtRiskMonth: Int?
}

/// Growth and cost projection at 6/12/24/36 months, with a seeded Monte-Carlo
/// spread around the stated growth.
enum SimulationAgent {
    static let horizons = [6, 12, 24, 36]
    static let runs = 1000

    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let plan = PlanBuilder.build(request, catalog: catalog).recommended
        let growth = GrowthModel(request)
        let seed = SeededRandom.seed(for: request)
        var rng = SeededRandom(seed: seed)
        // Each run draws how far the stated growth over- or under-shoots (an exponent
        // on the load curve), the same for data growth, and a yearly price drift.
        var samples: [[Double]] = Array(repeating: [], count: horizons.count)
        for _ in 0..<runs {
            let loadScale = min(max(1 + 0.25 * rng.normal(), 0.25), 2)
            let dataScale = min(max(1 + 0.25 * rng.normal(), 0.25), 2)
            let drift = min(max(0.05 * rng.normal(), -0.3), 0.3)
            for (i, m) in horizons.enumerated() {
                let cost = CostProjection.month(
                    m, plan: plan, growth: growth, request: request, catalog: catalog, loadScale: loadScale,
                    dataScale: dataScale)
                samples[i].append(cost.totalUSD * pow(1 + drift, Double(m) / 12))
            }
        }
        func percentile(_ sorted: [Double], _ p: Double) -> Double {
            sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
        }
        let points = horizons.enumerated().map { i, m in
            let sorted = samples[i].sorted()
            let expected = CostProjection.month(m, plan: plan, growth: growth, request: request, catalog: catalog)
            return ProjectionPoint(
                month: m, users: expected.users, expected: expected, p10USD: Numbers.money(percentile(sorted, 0.1)),
                p50USD: Numbers.money(percentile(sorted, 0.5)), p90USD: Numbers.money(percentile(sorted, 0.9)))
        }
        let budget = request.business.budgetConstraints.monthlyBudgetLimit
        var exceeded: Int?
        var atRisk: Int?
        if let budget {
            exceeded = (0...36).first {
                CostProjection.month($0, plan: plan, growth: growth, request: request, catalog: catalog).totalUSD
                    > budget
            }
            // p90 path: the 90th-percentile growth draw (z = 1.2816) with no price drift.
            atRisk = (0...36).first {
                CostProjection.month(
                    $0, plan: plan, growth: growth, request: request, catalog: catalog, loadScale: 1 + 0.25 * 1.2816,
                    dataScale: 1 + 0.25 * 1.2816
                )
                .totalUSD > budget
            }
        }
        var recommendations: [Recommendation] = []
        // A plan over budget from month 0 is the CTO's budget-fit finding; this agent speaks to growth.
        if let budget, let month = exceeded, month > 0 {
            recommendations.append(
                Recommendation(
                    title: "Plan for the budget to be exceeded in month \(month)", priority: .high,
                    impact:
                        "Expected cost \(Numbers.usd(CostProjection.month(month, plan: plan, growth: growth, request: request, catalog: catalog).totalUSD))/month against a \(Numbers.usd(budget)) limit",
                    rationale: "Projection from the stated user and data growth on the recommended plan.",
                    evidence: ["formula.growth_projection", plan.regionID]))
        } else if budget != nil, exceeded == nil, let month = atRisk {
            recommendations.append(
                Recommendation(
                    title: "Faster-than-stated growth would exceed the budget in month \(month)", priority: .medium,
                    impact: "The 90th-percentile growth path crosses the monthly limit",
                    rationale: "Monte-Carlo over growth and price drift, seeded from the request.",
                    evidence: ["formula.monte_carlo"]))
        }
        if let last = points.last, last.p90USD > 2 * max(plan.cost.totalUSD, 0.01) {
            recommendations.append(
                Recommendation(
                    title:
                        "Design for at least \(Numbers.text(last.p90USD / max(plan.cost.totalUSD, 0.01), digits: 1))× today's spend by month 36",
                    priority: .medium, impact: "p90 cost in 36 months: \(Numbers.usd(last.p90USD))/month",
                    rationale:
                        "Autoscaling limits, quotas and reserved commitments should be sized for the growth range.",
                    evidence: ["formula.monte_carlo"]))
        }
        let model =
            "users grow geometrically from current_users to projected_users_12m and then to projected_users_24m (the 12-24 month rate continues to 36); at each point the plan keeps its instance types and re-plans their counts in whole instances: serving GPUs and CPU services for the load, databases and analytics for the data (monthly_data_growth_percentage); spares and minimum counts stay; storage follows the data and egress the load; a training job is charged once, in the months it runs (docs/sizing.md, Growth). Monte Carlo: \(runs) runs; per run, growth exponents ~ N(1, 0.25) clipped to [0.25, 2] for load and data, yearly price drift ~ N(0, 0.05) clipped to ±30%."
        let data = SimulationData(
            provider: plan.provider, seed: String(seed, radix: 16), runs: runs, model: model,
            baselineMonthlyUSD: plan.cost.totalUSD, horizons: points, monthlyBudgetUSD: budget,
            budgetExceededMonth: exceeded, budgetAtRiskMonth: atRisk)
        let at36 =
            points.last.map {
                "\(Numbers.usd($0.p50USD)) (p10 \(Numbers.usd($0.p10USD)), p90 \(Numbers.usd($0.p90USD)))"
            } ?? "n/a"
        let summary =
            "Monthly cost today \(Numbers.usd(plan.cost.totalUSD)); at 36 months \(at36)"
            + (exceeded.map { "; budget exceeded in month \($0)" } ?? "") + "."
        return AgentResult(
            agent: .simulation, summary: summary, recommendations: recommendations, citations: plan.citations,
            data: .simulation(data))
    }
}
