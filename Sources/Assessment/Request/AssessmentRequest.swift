/// A validated assessment request with every default filled in. Build one with
/// `RequestValidator.validate(_:)`; the memberwise initialisers exist for tests and
/// generators, which must produce requests that pass the same rules.
public struct AssessmentRequest: Codable, Sendable, Equatable {
    public var title: String
    public var business: BusinessRequirements
    public var technical: TechnicalRequirements

    public init(title: String, business: BusinessRequirements, technical: TechnicalRequirements) {
        self.title = title
        self.business = business
        self.technical = technical
    }
}

public struct BusinessRequirements: Codable, Sendable, Equatable {
    public var companyName: String?
    public var companySize: CompanySize
    public var industry: Industry
    public var geographicRegions: [Market]
    public var complianceRequirements: [ComplianceFramework]
    public var budgetConstraints: BudgetConstraints
    public var growthProjection: GrowthProjection
    public var cloudProviderPreference: ProviderPreference
    public var projectTimelineMonths: Int
    /// Nil means "not stated": retail and finance are then assumed to take card payments.
    public var processesCardPayments: Bool?
    public var expectedAnnualAIValueUSD: Double?

    enum CodingKeys: String, CodingKey {
        case companyName = "company_name"
        case companySize = "company_size"
        case industry
        case geographicRegions = "geographic_regions"
        case complianceRequirements = "compliance_requirements"
        case budgetConstraints = "budget_constraints"
        case growthProjection = "growth_projection"
        case cloudProviderPreference = "cloud_provider_preference"
        case projectTimelineMonths = "project_timeline_months"
        case processesCardPayments = "processes_card_payments"
        case expectedAnnualAIValueUSD = "expected_annual_ai_value_usd"
    }

    public init(
        companyName: String? = nil, companySize: CompanySize, industry: Industry, geographicRegions: [Market] = [.us],
        complianceRequirements: [ComplianceFramework] = [], budgetConstraints: BudgetConstraints = .init(),
        growthProjection: GrowthProjection = .init(), cloudProviderPreference: ProviderPreference = .noPreference,
        projectTimelineMonths: Int = 12, processesCardPayments: Bool? = nil, expectedAnnualAIValueUSD: Double? = nil
    ) {
        self.companyName = companyName
        self.companySize = companySize
        self.industry = industry
        self.geographicRegions = geographicRegions
        self.complianceRequirements = complianceRequirements
        self.budgetConstraints = budgetConstraints
        self.growthProjection = growthProjection
        self.cloudProviderPreference = cloudProviderPreference
        self.projectTimelineMonths = projectTimelineMonths
        self.processesCardPayments = processesCardPayments
        self.expectedAnnualAIValueUSD = expectedAnnualAIValueUSD
    }
}

public struct BudgetConstraints: Codable, Sendable, Equatable {
    public var monthlyBudgetLimit: Double?

    enum CodingKeys: String, CodingKey {
        case monthlyBudgetLimit = "monthly_budget_limit"
    }

    public init(monthlyBudgetLimit: Double? = nil) { self.monthlyBudgetLimit = monthlyBudgetLimit }
}

public struct GrowthProjection: Codable, Sendable, Equatable {
    public var currentUsers: Int
    /// Nil means no growth stated: the previous figure carries forward.
    public var projectedUsers12m: Int?
    public var projectedUsers24m: Int?

    enum CodingKeys: String, CodingKey {
        case currentUsers = "current_users"
        case projectedUsers12m = "projected_users_12m"
        case projectedUsers24m = "projected_users_24m"
    }

    public init(currentUsers: Int = 1000, projectedUsers12m: Int? = nil, projectedUsers24m: Int? = nil) {
        self.currentUsers = currentUsers
        self.projectedUsers12m = projectedUsers12m
        self.projectedUsers24m = projectedUsers24m
    }
}

public struct TechnicalRequirements: Codable, Sendable, Equatable {
    public var workloadTypes: [WorkloadType]
    public var aiUseCases: [String]
    public var currentAIMaturity: AIMaturity
    public var aiWorkloads: [AIWorkload]
    public var performanceRequirements: PerformanceRequirements
    public var scalabilityRequirements: ScalabilityRequirements
    public var securityRequirements: SecurityRequirements
    public var deploymentModel: DeploymentModel

    enum CodingKeys: String, CodingKey {
        case workloadTypes = "workload_types"
        case aiUseCases = "ai_use_cases"
        case currentAIMaturity = "current_ai_maturity"
        case aiWorkloads = "ai_workloads"
        case performanceRequirements = "performance_requirements"
        case scalabilityRequirements = "scalability_requirements"
        case securityRequirements = "security_requirements"
        case deploymentModel = "deployment_model"
    }

    public init(
        workloadTypes: [WorkloadType], aiUseCases: [String] = [], currentAIMaturity: AIMaturity = .none,
        aiWorkloads: [AIWorkload] = [], performanceRequirements: PerformanceRequirements = .init(),
        scalabilityRequirements: ScalabilityRequirements = .init(),
        securityRequirements: SecurityRequirements = .init(), deploymentModel: DeploymentModel = .noPreference
    ) {
        self.workloadTypes = workloadTypes
        self.aiUseCases = aiUseCases
        self.currentAIMaturity = currentAIMaturity
        self.aiWorkloads = aiWorkloads
        self.performanceRequirements = performanceRequirements
        self.scalabilityRequirements = scalabilityRequirements
        self.securityRequirements = securityRequirements
        self.deploymentModel = deploymentModel
    }
}

public struct AIWorkload: Codable, Sendable, Equatable {
    public var name: String
    /// All parameters (every expert): given, or the total of `model`'s or `architecture`'s.
    public var parametersBillion: Double
    /// An id of `ModelTable`; the request gives at most one of it, `architecture` and a bare
    /// `parameters_billion` (`RequestValidator.modelProblems`).
    public var model: String?
    public var architecture: ModelArchitecture?
    public var precision: Precision
    public var mode: AIWorkloadMode
    public var requestsPerSecond: Double
    public var avgOutputTokens: Int
    public var contextTokens: Int
    public var trainingTokensBillion: Double?
    public var fineTuningMethod: FineTuningMethod
    /// Latency targets of this model's own (inference); when neither is given the whole answer is
    /// held to `performance_requirements.api_response_time_ms`.
    public var timeToFirstTokenMs: Double?
    public var timePerOutputTokenMs: Double?

    enum CodingKeys: String, CodingKey {
        case name
        case parametersBillion = "parameters_billion"
        case model, architecture
        case precision, mode
        case requestsPerSecond = "requests_per_second"
        case avgOutputTokens = "avg_output_tokens"
        case contextTokens = "context_tokens"
        case trainingTokensBillion = "training_tokens_billion"
        case fineTuningMethod = "fine_tuning_method"
        case timeToFirstTokenMs = "time_to_first_token_ms"
        case timePerOutputTokenMs = "time_per_output_token_ms"
    }

    public init(
        name: String, parametersBillion: Double, precision: Precision = .bf16, mode: AIWorkloadMode = .inference,
        requestsPerSecond: Double = 1, avgOutputTokens: Int = 256, contextTokens: Int = 4096,
        trainingTokensBillion: Double? = nil, fineTuningMethod: FineTuningMethod = .lora
    ) {
        self.name = name
        self.parametersBillion = parametersBillion
        self.model = nil
        self.architecture = nil
        self.precision = precision
        self.mode = mode
        self.requestsPerSecond = requestsPerSecond
        self.avgOutputTokens = avgOutputTokens
        self.contextTokens = contextTokens
        self.trainingTokensBillion = trainingTokensBillion
        self.fineTuningMethod = fineTuningMethod
        self.timeToFirstTokenMs = nil
        self.timePerOutputTokenMs = nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        architecture = try c.decodeIfPresent(ModelArchitecture.self, forKey: .architecture)
        if let model, architecture == nil {
            guard let known = ModelTable.model(model) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .model, in: c, debugDescription: "unknown model \(model)")
            }
            architecture = known.architecture
        }
        if let architecture {
            parametersBillion = architecture.totalParametersBillion
        } else {
            parametersBillion = try c.decode(Double.self, forKey: .parametersBillion)
        }
        precision = try c.decode(Precision.self, forKey: .precision)
        mode = try c.decode(AIWorkloadMode.self, forKey: .mode)
        requestsPerSecond = try c.decode(Double.self, forKey: .requestsPerSecond)
        avgOutputTokens = try c.decode(Int.self, forKey: .avgOutputTokens)
        contextTokens = try c.decode(Int.self, forKey: .contextTokens)
        trainingTokensBillion = try c.decodeIfPresent(Double.self, forKey: .trainingTokensBillion)
        fineTuningMethod = try c.decode(FineTuningMethod.self, forKey: .fineTuningMethod)
        timeToFirstTokenMs = try c.decodeIfPresent(Double.self, forKey: .timeToFirstTokenMs)
        timePerOutputTokenMs = try c.decodeIfPresent(Double.self, forKey: .timePerOutputTokenMs)
    }

    /// Writes the model the way the request gave it (a named model is not repeated as its
    /// architecture), so that the encoded request validates again.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if let model {
            try c.encode(model, forKey: .model)
        } else if let architecture {
            try c.encode(architecture, forKey: .architecture)
        } else {
            try c.encode(parametersBillion, forKey: .parametersBillion)
        }
        try c.encode(precision, forKey: .precision)
        try c.encode(mode, forKey: .mode)
        try c.encode(requestsPerSecond, forKey: .requestsPerSecond)
        try c.encode(avgOutputTokens, forKey: .avgOutputTokens)
        try c.encode(contextTokens, forKey: .contextTokens)
        try c.encodeIfPresent(trainingTokensBillion, forKey: .trainingTokensBillion)
        try c.encode(fineTuningMethod, forKey: .fineTuningMethod)
        try c.encodeIfPresent(timeToFirstTokenMs, forKey: .timeToFirstTokenMs)
        try c.encodeIfPresent(timePerOutputTokenMs, forKey: .timePerOutputTokenMs)
    }
}

public struct PerformanceRequirements: Codable, Sendable, Equatable {
    public var requestsPerSecond: Double
    public var apiResponseTimeMs: Int
    public var concurrentUsers: Int
    public var uptimePercentage: Double

    enum CodingKeys: String, CodingKey {
        case requestsPerSecond = "requests_per_second"
        case apiResponseTimeMs = "api_response_time_ms"
        case concurrentUsers = "concurrent_users"
        case uptimePercentage = "uptime_percentage"
    }

    public init(
        requestsPerSecond: Double = 10, apiResponseTimeMs: Int = 500, concurrentUsers: Int = 100,
        uptimePercentage: Double = 99.5
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.apiResponseTimeMs = apiResponseTimeMs
        self.concurrentUsers = concurrentUsers
        self.uptimePercentage = uptimePercentage
    }
}

public struct ScalabilityRequirements: Codable, Sendable, Equatable {
    public var currentDataSizeGb: Double
    public var monthlyDataGrowthPercentage: Double
    public var plannedRegions: Int

    enum CodingKeys: String, CodingKey {
        case currentDataSizeGb = "current_data_size_gb"
        case monthlyDataGrowthPercentage = "monthly_data_growth_percentage"
        case plannedRegions = "planned_regions"
    }

    public init(currentDataSizeGb: Double = 100, monthlyDataGrowthPercentage: Double = 5, plannedRegions: Int = 1) {
        self.currentDataSizeGb = currentDataSizeGb
        self.monthlyDataGrowthPercentage = monthlyDataGrowthPercentage
        self.plannedRegions = plannedRegions
    }
}

public struct SecurityRequirements: Codable, Sendable, Equatable {
    public var encryptionAtRestRequired = false
    public var encryptionInTransitRequired = false
    public var mfaRequired = false
    public var ssoRequired = false
    public var rbacRequired = false
    public var auditLoggingRequired = false
    public var vpcIsolationRequired = false
    public var vulnerabilityScanningRequired = false
    public var dlpRequired = false
    public var backupEncryptionRequired = false
    public var ddosProtectionRequired = false

    enum CodingKeys: String, CodingKey, CaseIterable {
        case encryptionAtRestRequired = "encryption_at_rest_required"
        case encryptionInTransitRequired = "encryption_in_transit_required"
        case mfaRequired = "mfa_required"
        case ssoRequired = "sso_required"
        case rbacRequired = "rbac_required"
        case auditLoggingRequired = "audit_logging_required"
        case vpcIsolationRequired = "vpc_isolation_required"
        case vulnerabilityScanningRequired = "vulnerability_scanning_required"
        case dlpRequired = "dlp_required"
        case backupEncryptionRequired = "backup_encryption_required"
        case ddosProtectionRequired = "ddos_protection_required"
    }

    public init() {}

    /// The wire names of the measures this request commits to; compliance controls
    /// are satisfied by name, so the catalog and the request share one vocabulary.
    public var enabledMeasures: Set<String> {
        let flags: [(CodingKeys, Bool)] = [
            (.encryptionAtRestRequired, encryptionAtRestRequired),
            (.encryptionInTransitRequired, encryptionInTransitRequired),
            (.mfaRequired, mfaRequired), (.ssoRequired, ssoRequired), (.rbacRequired, rbacRequired),
            (.auditLoggingRequired, auditLoggingRequired), (.vpcIsolationRequired, vpcIsolationRequired),
            (.vulnerabilityScanningRequired, vulnerabilityScanningRequired), (.dlpRequired, dlpRequired),
            (.backupEncryptionRequired, backupEncryptionRequired),
            (.ddosProtectionRequired, ddosProtectionRequired),
        ]
        return Set(flags.filter(\.1).map(\.0.rawValue))
    }

    public static var allMeasures: [String] { CodingKeys.allCases.map(\.rawValue) }
}
