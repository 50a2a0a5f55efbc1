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
    /// Valid but implausible input (`ReportWarnings`); empty for an ordinary request.
    public let warnings: [String]

    init(
        title: String, summary: ReportSummary, recommendations: [RankedRecommendation], sections: [ReportSection],
        missingAgents: [AgentName], warnings: [String]
    ) {
        self.title = title
        self.summary = summary
        self.recommendations = recommendations
        self.sections = sections
        self.missingAgents = missingAgents
        self.warnings = warnings
    }

    /// A result journaled by a node of an earlier version has no warnings; it still decodes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = try c.decode(String.self, forKey: .title)
        summary = try c.decode(ReportSummary.self, forKey: .summary)
        recommendations = try c.decode([RankedRecommendation].self, forKey: .recommendations)
        sections = try c.decode([ReportSection].self, forKey: .sections)
        missingAgents = try c.decode([AgentName].self, forKey: .missingAgents)
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
    }
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
    /// Valid but implausible input, also the first section when there is any; always present.
    public let warnings: [String]

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
        self.warnings = data.warnings
    }
}
