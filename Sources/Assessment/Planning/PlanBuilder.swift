/// Everything one provider would run, in the region chosen for it, and what it costs.
package struct ProviderPlan: Codable, Sendable, Equatable {
    package let provider: Provider
    package let region: String
    package let regionID: String
    package let location: String
    package let jurisdiction: String
    package let regionReason: String
    /// Every planned region, the primary (`region`) first; each is a full copy of the serving plan,
    /// priced at its own rows. Training jobs run once, in the primary.
    package let regions: [String]
    /// Says how the regions after the first were chosen, or that the catalog has too few.
    package let regionsNote: String?
    /// False when data residency requires a jurisdiction this provider has no catalog region in.
    package let residencyOK: Bool
    package let gpuPlan: [GPUPlacement]
    package let cpuPlan: [CPUPlacement]
    package let unplaced: [Unplaced]
    package let cost: CostBreakdown

    package var isFeasible: Bool { unplaced.isEmpty }

    var citations: [String] {
        [regionID] + gpuPlan.map(\.catalogID) + cpuPlan.map(\.catalogID) + cpuPlan.map(\.sizingRule)
            + cost.storageLines.map(\.catalogID) + cost.networkLines.map(\.catalogID)
    }
}

/// The shared analysis several agents start from. Agents run in parallel and may
/// not read each other's results, so each that needs the plan rebuilds it; it is a
/// pure function of the request and catalog, so they all see the same plan.
package struct AssessmentPlan: Sendable, Equatable {
    package let estimates: [GPUMemoryEstimate]
    package let frameworks: [ApplicableFramework]
    package let requiredJurisdiction: String?
    package let providers: [ProviderPlan]
    package let recommended: ProviderPlan
    package let recommendationReason: String

    package func plan(for provider: Provider) -> ProviderPlan? { providers.first { $0.provider == provider } }
}

package enum PlanBuilder {
    /// Eight of the agents start from the plan of the same request; a node running several of them
    /// computes it once (`PlanMemo`).
    package static func build(_ request: AssessmentRequest, catalog: Catalog) -> AssessmentPlan {
        PlanMemo.plan(for: request, catalog: catalog) { compute(request, catalog: catalog) }
    }

    static func compute(_ request: AssessmentRequest, catalog: Catalog) -> AssessmentPlan {
        let estimates = request.technical.aiWorkloads.map { GPUMemoryModel.estimate($0, rules: catalog.sizing.gpu) }
        let frameworks = ApplicableFrameworks.resolve(request)
        let jurisdiction = ApplicableFrameworks.requiredJurisdiction(request, frameworks: frameworks)
        let providers = Provider.allCases.compactMap {
            planProvider(
                $0, request: request, catalog: catalog, estimates: estimates, requiredJurisdiction: jurisdiction)
        }
        let (recommended, reason) = recommend(providers, request: request)
        return AssessmentPlan(
            estimates: estimates, frameworks: frameworks, requiredJurisdiction: jurisdiction, providers: providers,
            recommended: recommended, recommendationReason: reason)
    }

    static func planProvider(
        _ provider: Provider, request: AssessmentRequest, catalog: Catalog, estimates: [GPUMemoryEstimate],
        requiredJurisdiction: String?
    ) -> ProviderPlan? {
        let all = catalog.regions(of: provider)
        guard !all.isEmpty else { return nil }
        let primary = request.business.geographicRegions.first ?? .us
        let preferred = catalog.marketJurisdictions[primary.rawValue] ?? []
        var candidates: [CloudRegion]
        var reason: String
        var residencyOK = true
        if let required = requiredJurisdiction {
            candidates = all.filter { $0.jurisdiction == required }
            reason = "data residency requires a region in the \(required.uppercased()) jurisdiction"
            if candidates.isEmpty {
                residencyOK = false
                candidates = all
                reason =
                    "the catalog has no \(provider.rawValue) region in the \(required.uppercased()) jurisdiction; priced in the cheapest available region, which breaks data residency"
            }
        } else {
            candidates = all.filter { preferred.contains($0.jurisdiction) }
            reason = "closest catalog region to the primary market (\(primary.rawValue))"
            if candidates.isEmpty {
                candidates = all
                reason =
                    "the catalog has no \(provider.rawValue) region near \(primary.rawValue); cheapest available region"
            }
        }
        let pairs = Array(zip(estimates, request.technical.aiWorkloads))
        let ranked = candidates.sorted(by: { $0.id < $1.id }).map {
            planRegion(
                $0, request: request, catalog: catalog, workloads: pairs, reason: reason, residencyOK: residencyOK)
        }.sorted {
            ($0.unplaced.count, $0.cost.comparableUSD, $0.regionID) < (
                $1.unplaced.count, $1.cost.comparableUSD, $1.regionID
            )
        }
        guard let primary = ranked.first else { return nil }
        let wanted = request.technical.scalabilityRequirements.plannedRegions
        guard wanted > 1 else { return primary }
        // Further copies go to the next best regions the same rule allows, serving only: a training
        // job runs once, in the primary.
        let serving = pairs.filter { $0.0.mode == .inference }
        var others = ranked.dropFirst().prefix(wanted - 1).compactMap { p in
            candidates.first { $0.id == p.regionID }.map {
                planRegion(
                    $0, request: request, catalog: catalog, workloads: serving, reason: reason,
                    residencyOK: residencyOK)
            }
        }
        var note =
            "the \(wanted) planned regions are the \(wanted) best catalog regions the region rule allows, each priced at its own rows"
        if others.count < wanted - 1 {
            let missing = wanted - 1 - others.count
            note =
                "the catalog has only \(others.count + 1) \(provider.rawValue) region(s) the region rule allows for \(wanted) planned regions; \(missing) more copy(ies) priced at \(primary.region)'s rows"
            let copy = planRegion(
                candidates.first { $0.id == primary.regionID }!, request: request, catalog: catalog, workloads: serving,
                reason: reason, residencyOK: residencyOK)
            others += Array(repeating: copy, count: missing)
        }
        let copies = [primary] + others
        return ProviderPlan(
            provider: provider, region: primary.region, regionID: primary.regionID, location: primary.location,
            jurisdiction: primary.jurisdiction, regionReason: primary.regionReason, regions: copies.map(\.region),
            regionsNote: note, residencyOK: residencyOK, gpuPlan: copies.flatMap(\.gpuPlan),
            cpuPlan: copies.flatMap(\.cpuPlan), unplaced: copies.flatMap(\.unplaced),
            cost: CostModel.combine(copies.map(\.cost)))
    }

    static func planRegion(
        _ region: CloudRegion, request: AssessmentRequest, catalog: Catalog,
        workloads: [(GPUMemoryEstimate, AIWorkload)], reason: String, residencyOK: Bool
    ) -> ProviderPlan {
        var gpu: [GPUPlacement] = []
        var cpu: [CPUPlacement] = []
        var unplaced: [Unplaced] = []
        for (estimate, workload) in workloads {
            switch CapacityPlanner.placeGPU(
                estimate, workload: workload, provider: region.provider, region: region.region, request: request,
                catalog: catalog)
            {
            case .success(let p): gpu.append(p)
            case .failure(let u): unplaced.append(u)
            }
        }
        for need in CapacityPlanner.cpuNeeds(request, catalog: catalog) {
            switch CapacityPlanner.placeCPU(
                need, provider: region.provider, region: region.region, request: request, catalog: catalog)
            {
            case .success(let p): cpu.append(p)
            case .failure(let u): unplaced.append(u)
            }
        }
        let cost = CostModel.price(
            provider: region.provider, region: region.region, gpu: gpu, cpu: cpu, request: request, catalog: catalog)
        return ProviderPlan(
            provider: region.provider, region: region.region, regionID: region.id, location: region.location,
            jurisdiction: region.jurisdiction, regionReason: reason, regions: [region.region], regionsNote: nil,
            residencyOK: residencyOK, gpuPlan: gpu, cpuPlan: cpu, unplaced: unplaced, cost: cost)
    }

    /// The preference wins when that provider can host the whole plan; otherwise the
    /// cheapest feasible plan that keeps data residency, compared on compute + GPU
    /// (the categories priced for every provider).
    static func recommend(_ plans: [ProviderPlan], request: AssessmentRequest) -> (ProviderPlan, String) {
        var passedOver = ""
        if let wanted = request.business.cloudProviderPreference.provider,
            let plan = plans.first(where: { $0.provider == wanted })
        {
            if plan.isFeasible && plan.residencyOK {
                return (plan, "cloud_provider_preference is \(wanted.rawValue) and it can host every workload")
            }
            passedOver =
                plan.isFeasible
                ? "; the preferred provider \(wanted.rawValue) has no catalog region where the data may reside"
                : "; the preferred provider \(wanted.rawValue) cannot host every workload from the catalog"
        }
        let ranked = plans.sorted {
            (
                $0.isFeasible ? 0 : 1, $0.residencyOK ? 0 : 1, $0.unplaced.count, $0.cost.comparableUSD,
                $0.provider.rawValue
            )
                < (
                    $1.isFeasible ? 0 : 1, $1.residencyOK ? 0 : 1, $1.unplaced.count, $1.cost.comparableUSD,
                    $1.provider.rawValue
                )
        }
        let head = ranked[0]
        // On-demand prices within a couple of percent are a tie in practice; the
        // provider that is cheaper once the base load is reserved then wins it.
        let peers = ranked.filter {
            $0.isFeasible == head.isFeasible && $0.residencyOK == head.residencyOK
                && $0.unplaced.count == head.unplaced.count
                && $0.cost.comparableUSD <= head.cost.comparableUSD * (1 + onDemandTieTolerance)
        }
        // Reserved prices are compared only like for like: when every tied provider has a reserved
        // price for every row. Otherwise the on-demand order stands and the reason says why.
        let likeForLike = peers.allSatisfy { $0.cost.reservedCoverage >= 1 }
        let best =
            likeForLike
            ? (peers.min {
                ($0.cost.reservedComparableUSD, $0.cost.comparableUSD, $0.provider.rawValue)
                    < ($1.cost.reservedComparableUSD, $1.cost.comparableUSD, $1.provider.rawValue)
            } ?? head) : head
        let withoutReserved = peers.filter { $0.cost.reservedCoverage < 1 }.map(\.provider.rawValue)
        if peers.count > 1 && !likeForLike {
            passedOver +=
                "; \(withoutReserved.joined(separator: " and ")) \(withoutReserved.count == 1 ? "has" : "have") no 1-year reserved price for every row in the catalog, so the providers within \(Numbers.percent(onDemandTieTolerance, digits: 0)) are compared on demand only"
        }
        let residencyMatters = plans.contains { !$0.residencyOK } || best.regionReason.hasPrefix("data residency")
        if !best.isFeasible {
            return (best, "no provider can host every workload; this one leaves the fewest unplaced" + passedOver)
        }
        let jurisdictionNote =
            residencyMatters
            ? (best.residencyOK
                ? " in the required jurisdiction" : ", though none keeps the data in the required jurisdiction")
            : ""
        if best.provider != head.provider {
            return (
                best,
                "within \(Numbers.percent(onDemandTieTolerance, digits: 0)) of the lowest on-demand compute + GPU cost among providers that can host the plan\(jurisdictionNote), and the lowest with 1-year reservations (\(Numbers.usd(best.cost.reservedComparableUSD))/month against \(Numbers.usd(head.cost.reservedComparableUSD)) on \(head.provider.rawValue))"
                    + passedOver
            )
        }
        return (
            best,
            "lowest compute + GPU cost (\(Numbers.usd(best.cost.comparableUSD))/month) among providers that can host the plan"
                + jurisdictionNote + passedOver
        )
    }

    /// On-demand totals closer than this are treated as equal when choosing a provider.
    static let onDemandTieTolerance = 0.02
}
