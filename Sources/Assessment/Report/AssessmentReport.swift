import FoundationEssentials

public struct ReportSummary: Codable, Sendable, Equatable {
    public let recommendedProvider: Provider?
    public let recommendedRegion: String?
    public let estimatedMonthlyCostUSD: Double?
    public let threeYearTcoUSD: Double?
    /// 0-100; nil when no framework applies or the compliance result is missing.
    public let complianceScore: Double?
    public let topRecommendations: [String]

    enum CodingKeys: String, CodingKey {
        case recommendedProvider, recommendedRegion, estimatedMonthlyCostUSD, threeYearTcoUSD, complianceScore
        case topRecommendations
    }

    /// The summary is the contract clients read first: every field is always present,
    /// `null` when unknown, rather than silently missing.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recommendedProvider, forKey: .recommendedProvider)
        try c.encode(recommendedRegion, forKey: .recommendedRegion)
        try c.encode(estimatedMonthlyCostUSD, forKey: .estimatedMonthlyCostUSD)
        try c.encode(threeYearTcoUSD, forKey: .threeYearTcoUSD)
        try c.encode(complianceScore, forKey: .complianceScore)
        try c.encode(topRecommendations, forKey: .topRecommendations)
    }
}

public struct ReportSection: Codable, Sendable, Equatable {
    public let title: String
    public let markdown: String
}

/// A recommendation after de-duplication across agents.
public struct RankedRecommendation: Codable, Sendable, Equatable {
    public let rank: Int
    public let title: String
    public let priority: Priority
    public let impact: String
    public let rationale: String
    public let evidence: [String]
    public let agents: [AgentName]
}

/// What the report generator computes from the ten results.
public struct ReportData: Codable, Sendable, Equatable {
    public let title: String
    public let summary: ReportSummary
    public let recommendations: [RankedRecommendation]
    public let sections: [ReportSection]
    public let missingAgents: [AgentName]
}

/// The report as served: identical bytes for identical requests except `assessment_id`.
public struct AssessmentReport: Codable, Sendable, Equatable {
    public let assessmentID: String
    public let title: String
    public let catalogVersion: String
    public let catalogSnapshotDate: String
    public let engineVersion: String
    public let summary: ReportSummary
    /// The ten analysis results by agent name.
    public let agents: [String: AgentResult]
    public let recommendations: [RankedRecommendation]
    public let sections: [ReportSection]

    /// Puts the report together from the ten results and the report generator's result,
    /// wherever they were computed. Nil when `generator` is not a report generator result.
    public static func assemble(
        assessmentID: String, catalog: Catalog, results: [AgentResult], generator: AgentResult
    ) -> AssessmentReport? {
        guard case .reportGenerator(let data) = generator.data else { return nil }
        return AssessmentReport(assessmentID: assessmentID, catalog: catalog, results: results, data: data)
    }

    init(assessmentID: String, catalog: Catalog, results: [AgentResult], data: ReportData) {
        var agents: [String: AgentResult] = [:]
        for r in results where r.agent != .reportGenerator { agents[r.agent.rawValue] = r }
        self.assessmentID = assessmentID
        self.title = data.title
        self.catalogVersion = catalog.version
        self.catalogSnapshotDate = catalog.snapshotDate
        self.engineVersion = AssessmentEngine.engineVersion
        self.summary = data.summary
        self.agents = agents
        self.recommendations = data.recommendations
        self.sections = data.sections
    }
}
