/// One priced storage or network line.
package struct CostLine: Codable, Sendable, Equatable {
    package let item: String
    package let catalogID: String
    package let quantity: Double
    package let unit: String
    package let monthlyUSD: Double
}

/// Monthly cost of a provider's plan over all its planned regions, each priced at its own rows
/// (`CostModel.combine`), so `totalUSD` is exactly the sum of the categories shown.
package struct CostBreakdown: Codable, Sendable, Equatable {
    package let plannedRegions: Int
    package let computeUSD: Double
    package let gpuUSD: Double
    /// Nil when the catalog has no storage price for this provider (not zero).
    package let storageUSD: Double?
    package let networkUSD: Double?
    /// compute + gpu + storage + network, counting only priced categories.
    package let totalUSD: Double
    /// Training and fine-tuning jobs, paid once at on-demand rates (not part of any month's
    /// recurring cost; `CostProjection` charges each job to the months it runs in).
    package let trainingJobsUSD: Double
    /// Months each job runs, in the catalog's months, matched to `trainingJobsUSD`'s parts.
    package let trainingJobs: [TrainingCharge]
    /// compute + gpu + the jobs spread over three years: the part every provider can be priced on,
    /// used to compare providers.
    package let comparableUSD: Double
    /// Compute and GPU at 1-year reserved rates where the catalog has one, on-demand elsewhere.
    package let reservedComputeUSD: Double
    package let reservedGpuUSD: Double
    package let reservedTotalUSD: Double
    /// compute + gpu at reserved rates where known: the reserved counterpart of `comparableUSD`.
    package var reservedComparableUSD: Double { Numbers.total([reservedComputeUSD, reservedGpuUSD]) }
    /// Share of the on-demand compute + GPU spend that has a reserved price in the catalog.
    package let reservedCoverage: Double
    package let storageLines: [CostLine]
    package let networkLines: [CostLine]
    package let egressGBPerMonth: Double
    package let unpriced: [String]
}

/// One job's one-time cost and how many catalog months it runs.
package struct TrainingCharge: Codable, Sendable, Equatable {
    package let workload: String
    package let costUSD: Double
    package let months: Double
}

enum CostModel {
    /// One-time jobs are spread over this many months when providers are compared.
    static let comparisonMonths = 36.0

    static let secondsPerHour = 3600.0

    /// Internet egress per month at the average load, from web responses and generated tokens.
    static func egressGB(_ request: AssessmentRequest, catalog: Catalog, inferenceLoad: Double = 1) -> Double {
        let s = catalog.sizing
        let seconds = catalog.hoursPerMonth * secondsPerHour * s.averageToPeakLoadRatio
        let web = request.technical.performanceRequirements.requestsPerSecond * s.responseKbPerRequest * 1000
        let tokens = request.technical.aiWorkloads.filter { $0.mode == .inference }.reduce(0.0) {
            $0 + $1.requestsPerSecond * inferenceLoad * Double($1.avgOutputTokens) * s.bytesPerOutputToken
        }
        return Numbers.quantity((web + tokens) * seconds / 1e9)
    }

    static func price(
        provider: Provider, region: String, gpu: [GPUPlacement], cpu: [CPUPlacement], request: AssessmentRequest,
        catalog: Catalog
    ) -> CostBreakdown {
        // One region at its own rows; `combine` adds the planned regions up.
        let regions = 1.0
        // A job runs once, wherever it runs; the serving rows recur every month in every region.
        let jobs = gpu.compactMap { row in
            row.training.map {
                TrainingCharge(
                    workload: row.workload, costUSD: $0.costOnDemandUSD,
                    months: Numbers.quantity($0.days * 24 / catalog.hoursPerMonth))
            }
        }
        let gpu = gpu.filter { $0.training == nil }
        let computeOne = cpu.reduce(0.0) { $0 + $1.monthlyOnDemandUSD }
        let gpuOne = gpu.reduce(0.0) { $0 + $1.monthlyOnDemandUSD }
        let computeReservedOne = cpu.reduce(0.0) { $0 + ($1.monthlyReservedUSD ?? $1.monthlyOnDemandUSD) }
        let gpuReservedOne = gpu.reduce(0.0) { $0 + ($1.monthlyReservedUSD ?? $1.monthlyOnDemandUSD) }
        let covered =
            cpu.filter { $0.monthlyReservedUSD != nil }.reduce(0.0) { $0 + $1.monthlyOnDemandUSD }
            + gpu.filter { $0.monthlyReservedUSD != nil }.reduce(0.0) { $0 + $1.monthlyOnDemandUSD }

        var unpriced: [String] = []
        let data = request.technical.scalabilityRequirements.currentDataSizeGb
        var storageLines: [CostLine] = []
        var storageKnown = true
        func storage(_ item: String, _ quantity: Double, _ why: String) {
            guard let p = catalog.price(provider: provider, region: region, item: item) else {
                storageKnown = false
                return
            }
            storageLines.append(
                CostLine(
                    item: why, catalogID: p.id, quantity: quantity, unit: p.unit,
                    monthlyUSD: Numbers.money(quantity * p.usd * regions)))
        }
        storage("object_storage_standard_gb_month", data, "object storage for the data set")
        if request.technical.workloadTypes.contains(.database) {
            storage("block_balanced_ssd_gb_month", data, "database volumes (balanced SSD)")
        }
        if request.technical.securityRequirements.backupEncryptionRequired {
            storage("snapshot_gb_month", data, "encrypted backup snapshots")
        }
        if !storageKnown {
            storageLines = []
            unpriced.append("storage: the catalog has no \(provider.rawValue) storage prices")
        }

        let egress = egressGB(request, catalog: catalog)
        let networkLines = egressLines(egress, provider: provider, region: region, regions: regions, catalog: catalog)
        let networkKnown = networkLines != nil
        if !networkKnown {
            unpriced.append("network: the catalog has no \(provider.rawValue) egress prices")
        }

        let compute = Numbers.money(computeOne * regions)
        let gpuCost = Numbers.money(gpuOne * regions)
        let storageCost = storageKnown ? Numbers.total(storageLines.map(\.monthlyUSD)) : nil
        let networkCost = networkLines.map { Numbers.total($0.map(\.monthlyUSD)) }
        let computeReserved = Numbers.money(computeReservedOne * regions)
        let gpuReserved = Numbers.money(gpuReservedOne * regions)
        let onDemandBase = computeOne + gpuOne
        let jobsUSD = Numbers.total(jobs.map(\.costUSD))
        let spread = jobsUSD / comparisonMonths
        return CostBreakdown(
            plannedRegions: Int(regions), computeUSD: compute, gpuUSD: gpuCost, storageUSD: storageCost,
            networkUSD: networkCost, totalUSD: Numbers.total([compute, gpuCost, storageCost ?? 0, networkCost ?? 0]),
            trainingJobsUSD: jobsUSD, trainingJobs: jobs,
            comparableUSD: Numbers.total([compute, gpuCost, spread]), reservedComputeUSD: computeReserved,
            reservedGpuUSD: gpuReserved,
            reservedTotalUSD: Numbers.total([computeReserved, gpuReserved, storageCost ?? 0, networkCost ?? 0]),
            reservedCoverage: onDemandBase > 0 ? Numbers.ratio(covered / onDemandBase) : 0, storageLines: storageLines,
            networkLines: networkLines ?? [], egressGBPerMonth: egress, unpriced: unpriced)
    }

    /// The cost of several regions' plans, each already priced at its own rows.
    static func combine(_ parts: [CostBreakdown]) -> CostBreakdown {
        guard parts.count > 1 else { return parts[0] }
        func sum(_ f: (CostBreakdown) -> Double) -> Double { Numbers.total(parts.map(f)) }
        func known(_ f: (CostBreakdown) -> Double?) -> Double? {
            parts.allSatisfy { f($0) != nil } ? Numbers.total(parts.map { f($0)! }) : nil
        }
        let compute = sum(\.computeUSD)
        let gpu = sum(\.gpuUSD)
        let storage = known(\.storageUSD)
        let network = known(\.networkUSD)
        let jobs = parts.flatMap(\.trainingJobs)
        let jobsUSD = sum(\.trainingJobsUSD)
        let reservedCompute = sum(\.reservedComputeUSD)
        let reservedGpu = sum(\.reservedGpuUSD)
        let base = compute + gpu
        let covered = parts.reduce(0.0) { $0 + $1.reservedCoverage * ($1.computeUSD + $1.gpuUSD) }
        var unpriced: [String] = []
        for u in parts.flatMap(\.unpriced) where !unpriced.contains(u) { unpriced.append(u) }
        return CostBreakdown(
            plannedRegions: parts.count, computeUSD: compute, gpuUSD: gpu, storageUSD: storage, networkUSD: network,
            totalUSD: Numbers.total([compute, gpu, storage ?? 0, network ?? 0]), trainingJobsUSD: jobsUSD,
            trainingJobs: jobs, comparableUSD: Numbers.total([compute, gpu, jobsUSD / comparisonMonths]),
            reservedComputeUSD: reservedCompute, reservedGpuUSD: reservedGpu,
            reservedTotalUSD: Numbers.total([reservedCompute, reservedGpu, storage ?? 0, network ?? 0]),
            reservedCoverage: base > 0 ? Numbers.ratio(covered / base) : 0,
            storageLines: storage == nil ? [] : parts.flatMap(\.storageLines),
            networkLines: network == nil ? [] : parts.flatMap(\.networkLines),
            egressGBPerMonth: Numbers.quantity(parts.reduce(0) { $0 + $1.egressGBPerMonth }), unpriced: unpriced)
    }

    /// Internet egress priced by the provider's tiers, or nil when the catalog has no egress prices.
    static func egressLines(
        _ egress: Double, provider: Provider, region: String, regions: Double, catalog: Catalog
    ) -> [CostLine]? {
        let tiers: [(String, Double)] = [
            ("egress_internet_gb_first_tier", 1024), ("egress_internet_gb_1_10tb", 9 * 1024),
            ("egress_internet_gb_over_10tb", .infinity),
        ]
        var remaining = egress
        var lines: [CostLine] = []
        for (item, size) in tiers where remaining > 0 {
            guard let p = catalog.price(provider: provider, region: region, item: item) else { return nil }
            let quantity = Numbers.quantity(min(remaining, size))
            remaining -= min(remaining, size)
            lines.append(
                CostLine(
                    item: "internet egress", catalogID: p.id, quantity: quantity, unit: p.unit,
                    monthlyUSD: Numbers.money(quantity * p.usd * regions)))
        }
        return lines
    }
}
