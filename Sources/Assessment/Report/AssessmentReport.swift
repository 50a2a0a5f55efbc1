import FoundationEssentials

package struct ReportSummary: Codable, Sendable, Equatable {
    package let recommendedProvider: Provider?
    package let recommendedRegion: String?
    package let estimatedMonthlyCostUSD: Double?
    package let threeYearTcoUSD: Double?
    /// 0-100; nil when no framework applies or the compliance result is missing.
    package let complianceScore: Double?
    package let topRecommendations: [String]

    enum CodingKeys: String, CodingKey {
        case recommendedProvider, recommendedRegion, estimatedMonthlyCostUSD, threeYearTcoUSD, complianceScore
        case topRecommendations
    }

    /// The summary is the contract clients read first: every field is always present,
    /// `null` when unknown, rather than silently missing.
    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recommendedProvider, forKey: .recommendedProvider)
        try c.encode(recommendedRegion, forKey: .recommendedRegion)
        try c.encode(estimatedMonthlyCostUSD, forKey: .estimatedMonthlyCostUSD)
        try c.encode(threeYearTcoUSD, forKey: .threeYearTcoUSD)
        try c.encode(complianceScore, forKey: .complianceScore)
        try c.encode(topRecommendations, forKey: .topRecommendations)
    }
}

package struct ReportSection: Codable, Sendable, Equatable {
    package let title: String
    package let markdown: String
}

/// A recommendation after de-duplication across agents.
package struct RankedRecommendation: Codable, Sendable, Equatable {
    package let rank: Int
    package let title: String
    package let priority: Priority
    package let impact: String
    package let rationale: String
    package let evidence: [String]
    package let agents: [AgentName]
}

/// What the report generator computes from the ten results.
package struct ReportData: Codable, Sendable, Equatable {
    package let title: String
    package let summary: ReportSummary
    package let recommendations: [RankedRecommendation]
    package let sections: [ReportSection]
    package let missingAgents: [AgentName]
    /// Valid but implausible input (`ReportWarnings`); empty for an ordinary request.
    package let warnings: [String]

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
    package init(from decoder: any Decoder) throws {
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
package struct AssessmentReport: Codable, Sendable, Equatable {
    package let assessmentID: String
    package let title: String
    package let catalogVersion: String
    package let catalogSnapshotDate: String
    package let engineVersion: String
    package let summary: ReportSummary
    /// The ten analysis results by agent name.
    package let agents: [String: AgentResult]
    package let recommendations: [RankedRecommendation]
    package let sections: [ReportSection]
    /// Valid but implausible input, also the first section when there is any; always present.
    package let warnings: [String]

    /// Puts the report together from the ten results and the report generator's result,
    /// wherever they were computed. Nil when `generator` is not a report generator result.
    package static func assemble(
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
