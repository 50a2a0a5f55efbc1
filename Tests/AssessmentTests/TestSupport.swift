import Foundation

@testable import Assessment

/// Paths and fixtures shared by the assessment tests.
enum Fixtures {
    /// The repository root, found from this file so tests run from any working directory.
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let examplesDirectory = repoRoot.appendingPathComponent("examples")
    static let goldenDirectory = examplesDirectory.appendingPathComponent("golden")
    static let schemaFile = repoRoot.appendingPathComponent("schema/assessment-request.schema.json")

    static func catalog() throws -> Catalog { try Catalog.shipped() }

    static var exampleNames: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: examplesDirectory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func exampleData(_ name: String) throws -> Data {
        try Data(contentsOf: examplesDirectory.appendingPathComponent(name + ".json"))
    }

    static func example(_ name: String) throws -> AssessmentRequest {
        try RequestValidator.validate(try exampleData(name))
    }

    static func request(_ json: String) throws -> AssessmentRequest {
        try RequestValidator.validate(Data(json.utf8))
    }

    /// A minimal valid request with the given AI workloads and tweaks.
    static func minimal(
        industry: Industry = .technology, markets: [Market] = [.us], workloads: [AIWorkload] = [],
        types: [WorkloadType] = [.apiService], uptime: Double = 99.5
    ) -> AssessmentRequest {
        AssessmentRequest(
            title: "fixture",
            business: BusinessRequirements(companySize: .small, industry: industry, geographicRegions: markets),
            technical: TechnicalRequirements(
                workloadTypes: types, aiWorkloads: workloads,
                performanceRequirements: PerformanceRequirements(uptimePercentage: uptime)))
    }
}

/// Valid requests drawn from a seeded generator, so a failing case can be replayed by its seed.
struct RandomRequests {
    var rng: SeededRandom

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }

    /// A random subset in the original order (so without duplicates), never smaller than `atLeast`.
    mutating func subset<T>(_ items: [T], atLeast: Int = 0) -> [T] {
        let chosen = items.filter { _ in rng.next() % 2 == 0 }
        return chosen.count >= atLeast ? chosen : Array(items.prefix(atLeast))
    }

    mutating func number(_ low: Double, _ high: Double) -> Double {
        ((low + (high - low) * rng.unit()) * 100).rounded() / 100
    }

    mutating func int(_ low: Int, _ high: Int) -> Int { low + Int(rng.next() % UInt64(high - low + 1)) }

    mutating func workload(_ i: Int) -> AIWorkload {
        AIWorkload(
            name: "model-\(i)", parametersBillion: pick([0.5, 1, 3, 7, 8, 13, 34, 70, 180, 405]),
            precision: pick(Precision.allCases), mode: pick(AIWorkloadMode.allCases),
            requestsPerSecond: number(0, 50), avgOutputTokens: int(1, 2000), contextTokens: int(128, 32768),
            trainingTokensBillion: rng.next() % 2 == 0 ? nil : number(0, 100),
            fineTuningMethod: pick(FineTuningMethod.allCases))
    }

    mutating func next() -> AssessmentRequest {
        var security = SecurityRequirements()
        security.encryptionAtRestRequired = rng.next() % 2 == 0
        security.encryptionInTransitRequired = rng.next() % 2 == 0
        security.mfaRequired = rng.next() % 2 == 0
        security.ssoRequired = rng.next() % 2 == 0
        security.rbacRequired = rng.next() % 2 == 0
        security.auditLoggingRequired = rng.next() % 2 == 0
        security.vpcIsolationRequired = rng.next() % 2 == 0
        security.vulnerabilityScanningRequired = rng.next() % 2 == 0
        security.dlpRequired = rng.next() % 2 == 0
        security.backupEncryptionRequired = rng.next() % 2 == 0
        security.ddosProtectionRequired = rng.next() % 2 == 0
        let current = int(0, 1_000_000)
        let workloadCount = int(0, 3)
        var workloads: [AIWorkload] = []
        for i in 0..<workloadCount { workloads.append(workload(i)) }
        return AssessmentRequest(
            title: "random \(rng.next() % 1000)",
            business: BusinessRequirements(
                companyName: rng.next() % 2 == 0 ? nil : "Company", companySize: pick(CompanySize.allCases),
                industry: pick(Industry.allCases), geographicRegions: subset(Market.allCases, atLeast: 1),
                complianceRequirements: subset(ComplianceFramework.allCases),
                budgetConstraints: BudgetConstraints(
                    monthlyBudgetLimit: rng.next() % 3 == 0 ? nil : number(0, 500_000)),
                growthProjection: GrowthProjection(
                    currentUsers: current, projectedUsers12m: rng.next() % 4 == 0 ? nil : int(0, 5_000_000),
                    projectedUsers24m: rng.next() % 4 == 0 ? nil : int(0, 10_000_000)),
                cloudProviderPreference: pick(ProviderPreference.allCases), projectTimelineMonths: int(1, 36),
                processesCardPayments: pick([nil, true, false]),
                expectedAnnualAIValueUSD: rng.next() % 2 == 0 ? nil : number(0, 10_000_000)),
            technical: TechnicalRequirements(
                workloadTypes: subset(WorkloadType.allCases, atLeast: 1),
                aiUseCases: subset(["fraud detection", "chat support", "something new"]),
                currentAIMaturity: pick(AIMaturity.allCases), aiWorkloads: workloads,
                performanceRequirements: PerformanceRequirements(
                    requestsPerSecond: number(0, 5000), apiResponseTimeMs: int(1, 5000),
                    concurrentUsers: int(0, 100_000),
                    uptimePercentage: pick([90, 99, 99.5, 99.9, 99.95, 99.99, 99.999])),
                scalabilityRequirements: ScalabilityRequirements(
                    currentDataSizeGb: number(0, 100_000), monthlyDataGrowthPercentage: number(0, 30),
                    plannedRegions: int(1, 3)),
                securityRequirements: security, deploymentModel: pick(DeploymentModel.allCases)))
    }
}
