/// A validated assessment request with every default filled in. Build one with
/// `RequestValidator.validate(_:)`; the memberwise initialisers exist for tests and
/// generators, which must produce requests that pass the same rules.
package struct AssessmentRequest: Codable, Sendable, Equatable {
    package var title: String
    package var business: BusinessRequirements
    package var technical: TechnicalRequirements

    package init(title: String, business: BusinessRequirements, technical: TechnicalRequirements) {
        self.title = title
        self.business = business
        self.technical = technical
    }
}

package struct BusinessRequirements: Codable, Sendable, Equatable {
    package var companyName: String?
    package var companySize: CompanySize
    package var industry: Industry
    package var geographicRegions: [Market]
    package var complianceRequirements: [ComplianceFramework]
    package var budgetConstraints: BudgetConstraints
    package var growthProjection: GrowthProjection
    package var cloudProviderPreference: ProviderPreference
    package var projectTimelineMonths: Int
    /// Nil means "not stated": retail and finance are then assumed to take card payments.
    package var processesCardPayments: Bool?
    package var expectedAnnualAIValueUSD: Double?

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

    package init(
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

package struct BudgetConstraints: Codable, Sendable, Equatable {
    package var monthlyBudgetLimit: Double?

    enum CodingKeys: String, CodingKey {
        case monthlyBudgetLimit = "monthly_budget_limit"
    }

    package init(monthlyBudgetLimit: Double? = nil) { self.monthlyBudgetLimit = monthlyBudgetLimit }
}

package struct GrowthProjection: Codable, Sendable, Equatable {
    package var currentUsers: Int
    /// Nil means no growth stated: the previous figure carries forward.
    package var projectedUsers12m: Int?
    package var projectedUsers24m: Int?

    enum CodingKeys: String, CodingKey {
        case currentUsers = "current_users"
        case projectedUsers12m = "projected_users_12m"
        case projectedUsers24m = "projected_users_24m"
    }

    package init(currentUsers: Int = 1000, projectedUsers12m: Int? = nil, projectedUsers24m: Int? = nil) {
        self.currentUsers = currentUsers
        self.projectedUsers12m = projectedUsers12m
        self.projectedUsers24m = projectedUsers24m
    }
}

package struct TechnicalRequirements: Codable, Sendable, Equatable {
    package var workloadTypes: [WorkloadType]
    package var aiUseCases: [String]
    package var currentAIMaturity: AIMaturity
    package var aiWorkloads: [AIWorkload]
    package var performanceRequirements: PerformanceRequirements
    package var scalabilityRequirements: ScalabilityRequirements
    package var securityRequirements: SecurityRequirements
    package var deploymentModel: DeploymentModel

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

    package init(
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

package struct AIWorkload: Codable, Sendable, Equatable {
    package var name: String
    /// All parameters (every expert): given, or the total of `model`'s or `architecture`'s.
    package var parametersBillion: Double
    /// An id of `ModelTable`; the request gives at most one of it, `architecture` and a bare
    /// `parameters_billion` (`RequestValidator.modelProblems`).
    package var model: String?
    package var architecture: ModelArchitecture?
    package var precision: Precision
    package var mode: AIWorkloadMode
    package var requestsPerSecond: Double
    package var avgOutputTokens: Int
    package var contextTokens: Int
    package var trainingTokensBillion: Double?
    package var fineTuningMethod: FineTuningMethod
    /// Latency targets of this model's own (inference); when neither is given the whole answer is
    /// held to `performance_requirements.api_response_time_ms`.
    package var timeToFirstTokenMs: Double?
    package var timePerOutputTokenMs: Double?

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

    package init(
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

    package init(from decoder: any Decoder) throws {
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
    /// architecture), so that the encoded request validates again. Field for field as `init(from:)`
    /// reads them, absent ones through `encodeIfPresent`: JSON leaves them out, and the positional
    /// binary form writes their presence byte (BinaryFormTests).
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(model, forKey: .model)
        try c.encodeIfPresent(model == nil ? architecture : nil, forKey: .architecture)
        if model == nil && architecture == nil {
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

package struct PerformanceRequirements: Codable, Sendable, Equatable {
    package var requestsPerSecond: Double
    package var apiResponseTimeMs: Int
    package var concurrentUsers: Int
    package var uptimePercentage: Double

    enum CodingKeys: String, CodingKey {
        case requestsPerSecond = "requests_per_second"
        case apiResponseTimeMs = "api_response_time_ms"
        case concurrentUsers = "concurrent_users"
        case uptimePercentage = "uptime_percentage"
    }

    package init(
        requestsPerSecond: Double = 10, apiResponseTimeMs: Int = 500, concurrentUsers: Int = 100,
        uptimePercentage: Double = 99.5
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.apiResponseTimeMs = apiResponseTimeMs
        self.concurrentUsers = concurrentUsers
        self.uptimePercentage = uptimePercentage
    }
}

package struct ScalabilityRequirements: Codable, Sendable, Equatable {
    package var currentDataSizeGb: Double
    package var monthlyDataGrowthPercentage: Double
    package var plannedRegions: Int

    enum CodingKeys: String, CodingKey {
        case currentDataSizeGb = "current_data_size_gb"
        case monthlyDataGrowthPercentage = "monthly_data_growth_percentage"
        case plannedRegions = "planned_regions"
    }

    package init(currentDataSizeGb: Double = 100, monthlyDataGrowthPercentage: Double = 5, plannedRegions: Int = 1) {
        self.currentDataSizeGb = currentDataSizeGb
        self.monthlyDataGrowthPercentage = monthlyDataGrowthPercentage
        self.plannedRegions = plannedRegions
    }
}

package struct SecurityRequirements: Codable, Sendable, Equatable {
    package var encryptionAtRestRequired = false
    package var encryptionInTransitRequired = false
    package var mfaRequired = false
    package var ssoRequired = false
    package var rbacRequired = false
    package var auditLoggingRequired = false
    package var vpcIsolationRequired = false
    package var vulnerabilityScanningRequired = false
    package var dlpRequired = false
    package var backupEncryptionRequired = false
    package var ddosProtectionRequired = false

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

    package init() {}

    /// The wire names of the measures this request commits to; compliance controls
    /// are satisfied by name, so the catalog and the request share one vocabulary.
    package var enabledMeasures: Set<String> {
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

    package static var allMeasures: [String] { CodingKeys.allCases.map(\.rawValue) }
}
