import FoundationEssentials

/// The shipped, versioned knowledge every agent reads: prices (copied verbatim from
/// the shared catalog CSVs), regions, compliance controls, platform and use-case tables.
package struct Catalog: Sendable {
    package let version: String
    /// The day the catalog was put together; ages of sources are measured from it, never from the clock.
    package let assembledOn: String
    package let hoursPerMonth: Double
    package let sources: [CatalogSource]
    package let notCovered: [String]
    package let regions: [CloudRegion]
    package let marketJurisdictions: [String: [String]]
    package let instances: [InstanceOffer]
    /// `instances` by provider and region, and the GPU ones, each in catalog order: the planners look
    /// a region's offers up for every provider and workload, and filtering (so copying) the whole
    /// table each time was a large part of the agents' CPU.
    let instancesByPlace: [InstancePlace: [InstanceOffer]]
    let gpuInstances: [InstanceOffer]
    /// `instances` by citation id: the growth projection prices re-planned counts of the plan's rows.
    let offersByID: [String: InstanceOffer]
    /// Every GPU model `instances` places workloads on, by `gpu_model`.
    package let gpus: [String: GPUSpec]
    /// Multi-GPU instance types' links, by `provider/instance_type`; single-GPU types have none.
    let interconnects: [String: GPUInterconnect]
    package let storageNetwork: [PriceItem]
    /// `storageNetwork` by id (`provider/region/item`): the growth projection prices egress thousands
    /// of times per assessment.
    let pricesByID: [String: PriceItem]
    package let measures: [SecurityMeasure]
    package let frameworks: [FrameworkSpec]
    package let mlops: MLOpsTable
    package let useCases: [UseCaseSpec]
    package let sizing: SizingTable
    /// New with every load: what `PlanMemo` keys plans by.
    let identity = CatalogIdentity()

    package enum LoadError: Error, CustomStringConvertible {
        case missingResource(String)
        case malformed(String, String)

        package var description: String {
            switch self {
            case .missingResource(let name): return "catalog resource \(name) is missing from the bundle"
            case .malformed(let name, let reason): return "catalog resource \(name) is malformed: \(reason)"
            }
        }
    }

    private static let cached = Result { () throws(LoadError) -> Catalog in try load() }

    /// The catalog shipped in this package, loaded once per process.
    package static func shipped() throws(LoadError) -> Catalog { try cached.get() }

    /// The shipped catalog's files, embedded in the binary at build time.
    static let embedded: [String: [UInt8]] = [
        "catalog.json": PackageResources.catalog_json, "compliance.json": PackageResources.compliance_json,
        "gpus.csv": PackageResources.gpus_csv, "gpu_interconnect.csv": PackageResources.gpu_interconnect_csv,
        "instances.csv": PackageResources.instances_csv, "mlops.json": PackageResources.mlops_json,
        "models.csv": PackageResources.models_csv,
        "sizing.json": PackageResources.sizing_json, "storage_network.csv": PackageResources.storage_network_csv,
        "use_cases.json": PackageResources.use_cases_json,
    ]

    /// Reads the catalog from a directory holding the same files as `Resources/catalog/`, or the
    /// embedded copy of that directory.
    package static func load(directory: URL? = nil) throws(LoadError) -> Catalog {
        func data(_ name: String) throws(LoadError) -> Data {
            guard let directory else {
                guard let bytes = embedded[name] else { throw .missingResource(name) }
                return Data(bytes)
            }
            guard let d = try? Data(contentsOf: directory.appendingPathComponent(name)) else {
                throw .missingResource(name)
            }
            return d
        }
        func decode<T: Decodable>(_ type: T.Type, _ name: String) throws(LoadError) -> T {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            do {
                return try decoder.decode(type, from: try data(name))
            } catch let error as LoadError {
                throw error
            } catch {
                throw .malformed(name, "\(error)")
            }
        }
        struct Manifest: Decodable {
            let version: String
            let assembledOn: String
            let hoursPerMonth: Double
            let sources: [CatalogSource]
            let notCovered: [String]
            let regions: [CloudRegion]
            let marketJurisdictions: [String: [String]]
        }
        let manifest = try decode(Manifest.self, "catalog.json")
        let compliance = try decode(ComplianceTable.self, "compliance.json")
        let mlops = try decode(MLOpsTable.self, "mlops.json")
        let useCases = try decode(UseCaseTable.self, "use_cases.json")
        let sizing = try decode(SizingTable.self, "sizing.json")
        let instances = try parseInstances(try data("instances.csv"))
        let gpus = try parseGPUs(try data("gpus.csv"))
        for offer in instances where offer.isGPU && gpus[offer.gpuModel] == nil {
            throw .malformed("gpus.csv", "no row for \(offer.gpuModel), which \(offer.id) carries")
        }
        let interconnects = try parseInterconnects(try data("gpu_interconnect.csv"))
        let storage = try parseStorage(try data("storage_network.csv"))
        for offer in instances where offer.isGPU && offer.gpuCount > 1 {
            guard interconnects["\(offer.provider.rawValue)/\(offer.instanceType)"] != nil else {
                throw .malformed(
                    "gpu_interconnect.csv", "no row for \(offer.instanceType), which has \(offer.gpuCount) GPUs")
            }
        }
        return Catalog(
            version: manifest.version, assembledOn: manifest.assembledOn, hoursPerMonth: manifest.hoursPerMonth,
            sources: manifest.sources, notCovered: manifest.notCovered, regions: manifest.regions,
            marketJurisdictions: manifest.marketJurisdictions,
            instances: instances,
            instancesByPlace: Dictionary(grouping: instances) {
                InstancePlace(provider: $0.provider, region: $0.region)
            },
            gpuInstances: instances.filter(\.isGPU),
            offersByID: Dictionary(instances.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }), gpus: gpus,
            interconnects: interconnects,
            storageNetwork: storage,
            pricesByID: Dictionary(storage.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            measures: compliance.measures, frameworks: compliance.frameworks, mlops: mlops,
            useCases: useCases.useCases, sizing: sizing)
    }

    static func parseGPUs(_ data: Data) throws(LoadError) -> [String: GPUSpec] {
        let name = "gpus.csv"
        var out: [String: GPUSpec] = [:]
        for row in try rows(data, name) {
            guard let model = row["gpu_model"], !model.isEmpty else {
                throw .malformed(name, "a row needs a gpu_model: \(row)")
            }
            let source = try source(row, name)
            var tflops: [TensorFormat: Double] = [:]
            for format in TensorFormat.allCases {
                tflops[format] = try optionalNumber(row, "tflops_\(format.rawValue)", name)
            }
            out[model] = GPUSpec(
                gpuModel: model, computeCapability: try number(row, "compute_capability", name),
                memoryGB: try number(row, "memory_gb", name),
                memoryBandwidthTBps: try number(row, "memory_bandwidth_tbps", name), tflops: tflops,
                nvlinkGBps: try number(row, "nvlink_gb_per_s", name), source: source)
            for p in Precision.allCases where out[model]!.supports(p) && out[model]!.computeTFLOPS(for: p) == nil {
                throw .malformed(name, "\(model) supports \(p.rawValue) but gives no tensor rate for it")
            }
        }
        return out
    }

    static func parseInterconnects(_ data: Data) throws(LoadError) -> [String: GPUInterconnect] {
        let name = "gpu_interconnect.csv"
        var out: [String: GPUInterconnect] = [:]
        for row in try rows(data, name) {
            let provider = try provider(row, name)
            let type = row["instance_type"] ?? ""
            guard let link = row["gpu_link"].flatMap(GPUInterconnect.Link.init(rawValue:)), link != .none else {
                throw .malformed(name, "gpu_link must be nvlink or pcie in row \(row)")
            }
            out["\(provider.rawValue)/\(type)"] = GPUInterconnect(
                provider: provider, instanceType: type, gpuLink: link,
                clusterFabricGbps: try number(row, "cluster_fabric_gbps", name), source: try source(row, name))
        }
        return out
    }

    /// A sourced table's citation: every row names the public page it was read from.
    static func source(_ row: [String: String], _ name: String) throws(LoadError) -> String {
        guard let source = row["source"], source.hasPrefix("https://") else {
            throw .malformed(name, "a row needs an https source: \(row)")
        }
        return source
    }

    static func rows(_ data: Data, _ name: String) throws(LoadError) -> [[String: String]] {
        do {
            return try CSV.parse(String(decoding: data, as: UTF8.self), file: name)
        } catch {
            throw .malformed(name, error.description)
        }
    }

    static func number(_ row: [String: String], _ key: String, _ name: String) throws(LoadError) -> Double {
        guard let text = row[key], let value = Double(text) else {
            throw .malformed(name, "\(key) is not a number in row \(row)")
        }
        return value
    }

    /// Blank means "the source has no value" (never zero), so it maps to nil.
    static func optionalNumber(_ row: [String: String], _ key: String, _ name: String) throws(LoadError) -> Double? {
        guard let text = row[key], !text.isEmpty else { return nil }
        return try number(row, key, name)
    }

    static func provider(_ row: [String: String], _ name: String) throws(LoadError) -> Provider {
        guard let p = row["provider"].flatMap(Provider.init(rawValue:)) else {
            throw .malformed(name, "unknown provider in row \(row)")
        }
        return p
    }

    static func parseInstances(_ data: Data) throws(LoadError) -> [InstanceOffer] {
        let name = "instances.csv"
        var out: [InstanceOffer] = []
        for row in try rows(data, name) {
            let provider = try provider(row, name)
            let region = row["region"] ?? ""
            let type = row["instance_type"] ?? ""
            out.append(
                InstanceOffer(
                    id: "\(provider.rawValue)/\(region)/\(type)", provider: provider, region: region,
                    instanceType: type,
                    familyClass: row["family_class"] ?? "", vcpus: Int(try number(row, "vcpus", name)),
                    memoryGiB: try number(row, "memory_gib", name), gpuCount: Int(try number(row, "gpu_count", name)),
                    gpuModel: row["gpu_model"] ?? "", gpuMemoryGB: try number(row, "gpu_memory_gib", name),
                    gpuMemoryTotalGB: try number(row, "gpu_memory_total_gib", name),
                    onDemandHourly: try number(row, "on_demand_usd_per_hour", name),
                    reserved1yHourly: try optionalNumber(row, "reserved_1y_usd_per_hour", name),
                    spotHourly: try optionalNumber(row, "spot_usd_per_hour", name), sourceID: row["source_id"] ?? "",
                    notes: row["notes"] ?? ""))
        }
        return out.sorted { $0.id < $1.id }
    }

    static func parseStorage(_ data: Data) throws(LoadError) -> [PriceItem] {
        let name = "storage_network.csv"
        var out: [PriceItem] = []
        for row in try rows(data, name) {
            let provider = try provider(row, name)
            let region = row["region"] ?? ""
            let item = row["item"] ?? ""
            out.append(
                PriceItem(
                    id: "\(provider.rawValue)/\(region)/\(item)", provider: provider, region: region, item: item,
                    usd: try number(row, "usd", name), unit: row["unit"] ?? "", sourceID: row["source_id"] ?? "",
                    notes: row["notes"] ?? ""))
        }
        return out.sorted { $0.id < $1.id }
    }

    // MARK: Lookups used by the agents

    package func instances(provider: Provider, region: String) -> [InstanceOffer] {
        instancesByPlace[InstancePlace(provider: provider, region: region)] ?? []
    }

    struct InstancePlace: Hashable, Sendable {
        let provider: Provider
        let region: String
    }

    /// How an offer's GPUs are linked (a one-GPU offer has no link).
    package func interconnect(_ offer: InstanceOffer) -> GPUInterconnect {
        interconnects["\(offer.provider.rawValue)/\(offer.instanceType)"] ?? .single(offer)
    }

    package func offer(_ id: String) -> InstanceOffer? { offersByID[id] }

    package func regions(of provider: Provider) -> [CloudRegion] { regions.filter { $0.provider == provider } }

    package func price(provider: Provider, region: String, item: String) -> PriceItem? {
        pricesByID["\(provider.rawValue)/\(region)/\(item)"]
    }

    package func source(_ id: String) -> CatalogSource? { sources.first { $0.id == id } }

    package func sizing(for workload: WorkloadType) -> WorkloadSizing? {
        sizing.workloads.first { $0.workload == workload }
    }

    package func remediation(for measure: String) -> SecurityMeasure? { measures.first { $0.measure == measure } }

    /// The newest dated price snapshot, which the report states as the catalog's snapshot date.
    package var snapshotDate: String {
        sources.filter { $0.id != "INFRAMIND-EDITORIAL" }.compactMap(\.snapshotDate).max() ?? assembledOn
    }
}
