package struct ProviderCost: Codable, Sendable, Equatable {
    package let provider: Provider
    package let region: String
    package let location: String
    package let regionReason: String
    /// Every planned region, the primary first, each priced at its own rows.
    package let regions: [String]
    package let regionsNote: String?
    package let residencyOK: Bool
    package let feasible: Bool
    package let cost: CostBreakdown
}

package struct CloudEngineerData: Codable, Sendable, Equatable {
    package let recommendedProvider: Provider
    package let recommendedRegion: String
    package let reason: String
    package let providers: [ProviderCost]
    package let hoursPerMonth: Double
}

/// Prices the plan on every provider in the region that best serves the markets and
/// picks one, honouring the preference when that provider can host the plan.
enum CloudEngineerAgent {
    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let plan = PlanBuilder.build(request, catalog: catalog)
        let rec = plan.recommended
        let providers = plan.providers.map {
            ProviderCost(
                provider: $0.provider, region: $0.region, location: $0.location, regionReason: $0.regionReason,
                regions: $0.regions, regionsNote: $0.regionsNote,
                residencyOK: $0.residencyOK, feasible: $0.isFeasible, cost: $0.cost)
        }
        var recommendations: [Recommendation] = [
            Recommendation(
                title: "Deploy on \(rec.provider.rawValue) in \(rec.region) (\(rec.location))", priority: .high,
                impact: "\(Numbers.usd(rec.cost.totalUSD))/month on demand for the priced categories",
                rationale: plan.recommendationReason + "; region: " + rec.regionReason + ".",
                evidence: [rec.regionID] + rec.gpuPlan.map(\.catalogID) + rec.cpuPlan.map(\.catalogID))
        ]
        let saving = rec.cost.totalUSD - rec.cost.reservedTotalUSD
        if saving > 0 {
            recommendations.append(
                Recommendation(
                    title: "Commit to 1-year reserved capacity for the steady base load", priority: .medium,
                    impact:
                        "Saves \(Numbers.usd(saving))/month (\(Numbers.percent(saving / max(rec.cost.totalUSD, 0.01)))) on the rows that have a reserved price",
                    rationale:
                        "\(Numbers.percent(rec.cost.reservedCoverage)) of the compute and GPU spend has a 1-year reserved price in the catalog; the rest stays on demand.",
                    evidence: rec.gpuPlan.filter { $0.monthlyReservedUSD != nil }.map(\.catalogID)
                        + rec.cpuPlan.filter { $0.monthlyReservedUSD != nil }.map(\.catalogID)))
        }
        if !rec.residencyOK {
            recommendations.append(
                Recommendation(
                    title: "Choose a provider with a region in the required jurisdiction", priority: .high,
                    impact: "The recommended region breaks the data-residency requirement",
                    rationale: rec.regionReason + ".", evidence: [rec.regionID]))
        }
        if !rec.cost.unpriced.isEmpty {
            recommendations.append(
                Recommendation(
                    title: "Price storage and egress for \(rec.provider.rawValue) before committing", priority: .low,
                    impact: "The monthly estimate leaves out: " + rec.cost.unpriced.joined(separator: "; "),
                    rationale: "The shipped catalog has storage and egress prices for GCP only.",
                    evidence: [rec.regionID]))
        }
        let data = CloudEngineerData(
            recommendedProvider: rec.provider, recommendedRegion: rec.region, reason: plan.recommendationReason,
            providers: providers, hoursPerMonth: catalog.hoursPerMonth)
        let others = plan.providers.filter { $0.provider != rec.provider }.map {
            "\($0.provider.rawValue) \(Numbers.usd($0.cost.comparableUSD))"
        }
        let summary =
            "\(rec.provider.rawValue) in \(rec.region): \(Numbers.usd(rec.cost.totalUSD))/month on demand (compute \(Numbers.usd(rec.cost.computeUSD)), GPU \(Numbers.usd(rec.cost.gpuUSD))); compute + GPU elsewhere: "
            + (others.isEmpty ? "none" : others.joined(separator: ", ")) + "."
        return AgentResult(
            agent: .cloudEngineer, summary: summary, recommendations: recommendations,
            citations: plan.providers.flatMap(\.citations), data: .cloudEngineer(data))
    }
}
