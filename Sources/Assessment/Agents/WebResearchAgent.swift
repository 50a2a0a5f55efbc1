package struct GPUGenerationSignal: Codable, Sendable, Equatable {
    package let gpuModel: String
    package let architecture: String
    package let memoryGB: Double
    /// Lowest on-demand USD per GPU-hour per GB of GPU memory in the catalog.
    package let usdPerGPUHourPerGB: Double
    package let usdPerGPUHour: Double
    package let catalogID: String
}

package struct ProviderPrice: Codable, Sendable, Equatable {
    package let provider: Provider
    package let usdPerGPUHour: Double
}

package struct ProviderGap: Codable, Sendable, Equatable {
    package let gpuModel: String
    /// Cheapest on-demand USD per GPU-hour per provider, in provider order. An array,
    /// not a dictionary, so every encoding of a result is byte-stable.
    package let cheapestByProvider: [ProviderPrice]
    package let citations: [String]
    /// (dearest − cheapest) ÷ cheapest over the providers' cheapest offers.
    package let gap: Double
}

package struct WebResearchData: Codable, Sendable, Equatable {
    package let offline: Bool
    package let statement: String
    package let snapshotDate: String
    package let catalogVersion: String
    package let pricePerformance: [GPUGenerationSignal]
    package let providerGaps: [ProviderGap]
}

/// There is no web at run time. This agent reports the market signals the shipped
/// knowledge base holds, and says so.
enum WebResearchAgent {
    /// NVIDIA architecture of each GPU model in the catalog, oldest first.
    static let architectures: [(prefix: String, name: String, order: Int)] = [
        ("V100", "Volta (2017)", 0), ("T4", "Turing (2018)", 1), ("A10", "Ampere (2020-21)", 2),
        ("A100", "Ampere (2020-21)", 2), ("L4", "Ada Lovelace (2023)", 3), ("L40S", "Ada Lovelace (2023)", 3),
        ("H100", "Hopper (2022-23)", 4), ("H200", "Hopper (2022-23)", 4), ("B200", "Blackwell (2025)", 5),
    ]

    static func architecture(_ model: String) -> (String, Int) {
        let match = architectures.filter { model.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }
        return match.map { ($0.name, $0.order) } ?? ("unknown", 99)
    }

    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let gpus = catalog.gpuInstances
        var signals: [GPUGenerationSignal] = []
        for model in Set(gpus.map(\.gpuModel)) {
            let rows = gpus.filter { $0.gpuModel == model }
            guard
                let best = rows.min(by: {
                    ($0.onDemandHourly / Double($0.gpuCount), $0.id) < ($1.onDemandHourly / Double($1.gpuCount), $1.id)
                })
            else { continue }
            let perGPU = best.onDemandHourly / Double(best.gpuCount)
            signals.append(
                GPUGenerationSignal(
                    gpuModel: model, architecture: architecture(model).0, memoryGB: best.gpuMemoryGB,
                    usdPerGPUHourPerGB: Numbers.ratio(perGPU / best.gpuMemoryGB), usdPerGPUHour: Numbers.ratio(perGPU),
                    catalogID: best.id))
        }
        signals.sort { (architecture($0.gpuModel).1, $0.gpuModel) < (architecture($1.gpuModel).1, $1.gpuModel) }

        var gaps: [ProviderGap] = []
        for model in Set(gpus.map(\.gpuModel)).sorted() {
            var cheapest: [ProviderPrice] = []
            var ids: [String] = []
            for provider in Provider.allCases {
                let rows = gpus.filter { $0.gpuModel == model && $0.provider == provider }
                guard
                    let best = rows.min(by: {
                        ($0.onDemandHourly / Double($0.gpuCount), $0.id) < (
                            $1.onDemandHourly / Double($1.gpuCount), $1.id
                        )
                    })
                else { continue }
                cheapest.append(
                    ProviderPrice(
                        provider: provider, usdPerGPUHour: Numbers.ratio(best.onDemandHourly / Double(best.gpuCount))))
                ids.append(best.id)
            }
            guard cheapest.count >= 2, let low = cheapest.map(\.usdPerGPUHour).min(),
                let high = cheapest.map(\.usdPerGPUHour).max(), low > 0
            else {
                continue
            }
            gaps.append(
                ProviderGap(
                    gpuModel: model, cheapestByProvider: cheapest, citations: ids,
                    gap: Numbers.ratio((high - low) / low)))
        }

        let statement =
            "Offline data: InfraMind does not browse the web at run time. These signals come from catalog \(catalog.version), whose newest price snapshot is \(catalog.snapshotDate); check current list prices before buying."
        var recommendations: [Recommendation] = []
        // GPU market advice only for teams that will rent GPUs.
        let rentsGPUs = !request.technical.aiWorkloads.isEmpty
        if rentsGPUs,
            let value = signals.min(by: { ($0.usdPerGPUHourPerGB, $0.gpuModel) < ($1.usdPerGPUHourPerGB, $1.gpuModel) })
        {
            recommendations.append(
                Recommendation(
                    title: "\(value.gpuModel) gives the most GPU memory per dollar in the catalog", priority: .low,
                    impact:
                        "\(Numbers.text(value.usdPerGPUHourPerGB, digits: 4)) USD per GPU-hour per GB (\(value.architecture))",
                    rationale:
                        "Memory capacity bounds which models fit; cost per GB of it compares generations on that axis.",
                    evidence: [value.catalogID, "formula.usd_per_gpu_hour_per_gb"]))
        }
        if rentsGPUs, let widest = gaps.max(by: { ($0.gap, $1.gpuModel) < ($1.gap, $0.gpuModel) }), widest.gap >= 0.2 {
            recommendations.append(
                Recommendation(
                    title:
                        "Shop \(widest.gpuModel) across providers: cheapest offers differ by \(Numbers.percent(widest.gap, digits: 0))",
                    priority: .low,
                    impact: widest.cheapestByProvider.map {
                        "\($0.provider.rawValue) \(Numbers.usd($0.usdPerGPUHour))/GPU-hour"
                    }
                    .joined(separator: ", "),
                    rationale: "Same GPU model, cheapest on-demand offer per provider.", evidence: widest.citations))
        }
        let summary =
            "Offline market signals from the catalog (snapshot \(catalog.snapshotDate)): \(signals.count) GPU models ranked by price per GB of memory, \(gaps.count) models offered by several providers."
        return AgentResult(
            agent: .webResearch, summary: summary, recommendations: recommendations,
            citations: signals.map(\.catalogID) + gaps.flatMap(\.citations),
            data: .webResearch(
                WebResearchData(
                    offline: true, statement: statement, snapshotDate: catalog.snapshotDate,
                    catalogVersion: catalog.version, pricePerformance: signals, providerGaps: gaps)))
    }
}
