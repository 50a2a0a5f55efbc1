package struct PriceExtreme: Codable, Sendable, Equatable {
    package let catalogID: String
    package let provider: Provider
    package let region: String
    package let usdPerUnitHour: Double
}

package struct PriceSpread: Codable, Sendable, Equatable {
    /// A GPU model, or an instance class (`general`, `compute`, `memory`).
    package let subject: String
    /// `gpu-hour` or `vcpu-hour`.
    package let unit: String
    package let rows: Int
    package let providers: [Provider]
    package let cheapest: PriceExtreme
    package let dearest: PriceExtreme
    /// dearest ÷ cheapest.
    package let spread: Double
}

package struct RegionBasket: Codable, Sendable, Equatable {
    package let region: String
    package let usdPerHour: Double
}

package struct RegionRanking: Codable, Sendable, Equatable {
    package let provider: Provider
    package let cheapestRegion: String
    /// Instance types priced in every region of this provider, summed per region
    /// (in region order; an array so the encoding is byte-stable).
    package let basketSize: Int
    package let baskets: [RegionBasket]
}

package struct SourceFreshness: Codable, Sendable, Equatable {
    package let sourceID: String
    package let snapshotDate: String?
    /// Days between the snapshot and the catalog's assembly; nil when the source has no date.
    package let ageDaysAtAssembly: Int?
    package let description: String
}

package struct ResearchData: Codable, Sendable, Equatable {
    package let gpuSpreads: [PriceSpread]
    package let instanceClassSpreads: [PriceSpread]
    package let regionRankings: [RegionRanking]
    package let freshness: [SourceFreshness]
    package let notCovered: [String]
}

/// Provider comparison over the whole catalog, independent of the request's plan
/// except for which GPU models it highlights.
enum ResearchAgent {
    static func spread(_ subject: String, unit: String, _ rows: [(InstanceOffer, Double)]) -> PriceSpread? {
        let sorted = rows.sorted { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
        guard let low = sorted.first, let high = sorted.last else { return nil }
        func extreme(_ r: (InstanceOffer, Double)) -> PriceExtreme {
            PriceExtreme(
                catalogID: r.0.id, provider: r.0.provider, region: r.0.region, usdPerUnitHour: Numbers.ratio(r.1))
        }
        return PriceSpread(
            subject: subject, unit: unit, rows: rows.count, providers: Array(Set(rows.map(\.0.provider))).sorted(),
            cheapest: extreme(low), dearest: extreme(high), spread: Numbers.ratio(high.1 / low.1))
    }

    static func gpuSpreads(_ catalog: Catalog) -> [PriceSpread] {
        let gpus = catalog.instances.filter(\.isGPU)
        return Set(gpus.map(\.gpuModel)).sorted().compactMap { model in
            spread(
                model, unit: "gpu-hour",
                gpus.filter { $0.gpuModel == model }.map { ($0, $0.onDemandHourly / Double($0.gpuCount)) })
        }
    }

    static func freshness(_ catalog: Catalog) -> [SourceFreshness] {
        catalog.sources.map {
            SourceFreshness(
                sourceID: $0.id, snapshotDate: $0.snapshotDate,
                ageDaysAtAssembly: $0.snapshotDate.flatMap { CalendarDays.days(from: $0, to: catalog.assembledOn) },
                description: $0.description)
        }
    }

    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let gpu = gpuSpreads(catalog)
        let cpuRows = catalog.instances.filter { $0.gpuCount == 0 }
        let classes = ["compute", "general", "memory"].compactMap { cls in
            spread(
                cls, unit: "vcpu-hour",
                cpuRows.filter { $0.familyClass == cls }.map { ($0, $0.onDemandHourly / Double($0.vcpus)) })
        }
        var rankings: [RegionRanking] = []
        for provider in Provider.allCases {
            let regions = catalog.regions(of: provider).map(\.region).sorted()
            guard !regions.isEmpty else { continue }
            let typesPerRegion = regions.map { r in
                Set(catalog.instances(provider: provider, region: r).map(\.instanceType))
            }
            let common = typesPerRegion.dropFirst().reduce(typesPerRegion[0]) { $0.intersection($1) }
            let baskets = regions.map { r in
                RegionBasket(
                    region: r,
                    usdPerHour: Numbers.ratio(
                        catalog.instances(provider: provider, region: r).filter { common.contains($0.instanceType) }
                            .reduce(0.0) { $0 + $1.onDemandHourly }))
            }
            let cheapest = baskets.min { ($0.usdPerHour, $0.region) < ($1.usdPerHour, $1.region) }?.region ?? regions[0]
            rankings.append(
                RegionRanking(
                    provider: provider, cheapestRegion: cheapest, basketSize: common.count, baskets: baskets))
        }
        let fresh = freshness(catalog)
        let plan = PlanBuilder.build(request, catalog: catalog)
        let usedModels = Set(plan.recommended.gpuPlan.map(\.gpuModel))
        var recommendations: [Recommendation] = []
        for s in gpu where usedModels.contains(s.subject) && s.spread >= 1.25 {
            recommendations.append(
                Recommendation(
                    title:
                        "Compare \(s.subject) offers before buying: prices differ \(Numbers.text(s.spread))× across the catalog",
                    priority: .medium,
                    impact:
                        "\(Numbers.usd(s.cheapest.usdPerUnitHour)) per GPU-hour (\(s.cheapest.provider.rawValue) \(s.cheapest.region)) against \(Numbers.usd(s.dearest.usdPerUnitHour)) (\(s.dearest.provider.rawValue) \(s.dearest.region))",
                    rationale: "On-demand list prices per GPU for the same GPU model, across \(s.rows) catalog rows.",
                    evidence: [s.cheapest.catalogID, s.dearest.catalogID, "formula.price_per_gpu_hour"]))
        }
        let undated = fresh.filter { $0.snapshotDate == nil && $0.sourceID.hasPrefix("SKY") }
        if !undated.isEmpty {
            recommendations.append(
                Recommendation(
                    title: "Re-check prices from undated sources before signing", priority: .low,
                    impact: "Sources without a snapshot date: " + undated.map(\.sourceID).joined(separator: ", "),
                    rationale: "Their commit dates could not be recovered, so their age is unknown.",
                    evidence: undated.map(\.sourceID)))
        }
        let widest = gpu.max { ($0.spread, $1.subject) < ($1.spread, $0.subject) }
        let summary =
            "\(gpu.count) GPU models and \(classes.count) CPU classes compared over \(catalog.instances.count) catalog rows"
            + (widest.map { "; widest spread: \($0.subject) at \(Numbers.text($0.spread))×" } ?? "") + "."
        let citations =
            gpu.flatMap { [$0.cheapest.catalogID, $0.dearest.catalogID] }
            + classes.flatMap { [$0.cheapest.catalogID, $0.dearest.catalogID] }
        return AgentResult(
            agent: .research, summary: summary, recommendations: recommendations, citations: citations,
            data: .research(
                ResearchData(
                    gpuSpreads: gpu, instanceClassSpreads: classes, regionRankings: rankings, freshness: fresh,
                    notCovered: catalog.notCovered)))
    }
}
