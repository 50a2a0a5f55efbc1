package struct ReadinessScore: Codable, Sendable, Equatable {
    /// 0-100: the sum of the four parts.
    package let score: Double
    package let maturityPoints: Double
    package let securityPoints: Double
    package let modelPoints: Double
    package let dataPoints: Double
    package let formula: String
}

package struct AIConsultantData: Codable, Sendable, Equatable {
    package let opportunities: [Opportunity]
    package let readiness: ReadinessScore
    package let tableNote: String
}

/// AI opportunities for the industry and the stated use cases, from the use-case
/// table, and how ready the team is to deliver them.
enum AIConsultantAgent {
    static func readiness(_ request: AssessmentRequest) -> ReadinessScore {
        let maturity = 40 * Double(request.technical.currentAIMaturity.level) / 3
        let security =
            30 * Double(request.technical.securityRequirements.enabledMeasures.count)
            / Double(SecurityRequirements.allMeasures.count)
        let models = request.technical.aiWorkloads.isEmpty ? 0.0 : 15
        let data = request.technical.scalabilityRequirements.currentDataSizeGb >= 10 ? 15.0 : 0
        let parts = [maturity, security, models, data].map(Numbers.quantity)
        return ReadinessScore(
            score: Numbers.quantity(parts.reduce(0, +)), maturityPoints: parts[0], securityPoints: parts[1],
            modelPoints: parts[2], dataPoints: parts[3],
            formula:
                "40 × maturity level / 3 + 30 × security measures in place / 11 + 15 if ai_workloads are described + 15 if at least 10 GB of data"
        )
    }

    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let opportunities = Opportunities.find(request, catalog: catalog)
        let ready = readiness(request)
        var recommendations: [Recommendation] = []
        let quickWins = opportunities.filter { $0.roiPotential != nil && $0.complexity == .low }
        let bigBets = opportunities.filter { $0.roiPotential == .high && $0.complexity != .low }
        if let first = quickWins.first, let id = first.useCaseID {
            recommendations.append(
                Recommendation(
                    title: "Start with \(first.title.lowercased()) as the first release", priority: .high,
                    impact:
                        "Low complexity, \(first.roiPotential?.rawValue ?? "unknown") ROI potential, value in \(first.timeToValueMonths.map { "\($0[0])-\($0[1])" } ?? "?") months",
                    rationale: "A low-complexity use case proves the platform and the team before the larger bets.",
                    evidence: [id]))
        }
        for bet in bigBets.prefix(2) {
            guard let id = bet.useCaseID else { continue }
            recommendations.append(
                Recommendation(
                    title: "Plan \(bet.title.lowercased()) as a high-value initiative", priority: .medium,
                    impact:
                        "High ROI potential, \(bet.complexity?.rawValue ?? "unknown") complexity, \(bet.timeToValueMonths.map { "\($0[0])-\($0[1])" } ?? "?") months to value",
                    rationale: bet.origin == "stated"
                        ? "Stated as \"\(bet.statedAs ?? "")\"."
                        : "Common in \(request.business.industry.rawValue) and not yet stated.",
                    evidence: [id]))
        }
        for unknown in opportunities where unknown.useCaseID == nil {
            recommendations.append(
                Recommendation(
                    title: "Define success metrics for \"\(unknown.title)\"", priority: .low,
                    impact: "No table row matches this use case, so its ROI is not rated",
                    rationale: "An unrated use case needs its own value estimate before it is funded.",
                    evidence: ["usecase.table"]))
        }
        if ready.score < 50 {
            recommendations.append(
                Recommendation(
                    title: "Raise AI readiness before scaling beyond a pilot", priority: .medium,
                    impact: "Readiness \(Numbers.text(ready.score, digits: 0)) of 100", rationale: ready.formula,
                    evidence: ["formula.readiness"]))
        }
        let summary =
            "\(opportunities.count) opportunit\(opportunities.count == 1 ? "y" : "ies") (\(opportunities.filter { $0.origin == "stated" }.count) stated, \(opportunities.filter { $0.origin == "industry" }.count) suggested for \(request.business.industry.rawValue)); readiness \(Numbers.text(ready.score, digits: 0))/100."
        return AgentResult(
            agent: .aiConsultant, summary: summary, recommendations: recommendations,
            citations: opportunities.compactMap(\.useCaseID),
            data: .aiConsultant(
                AIConsultantData(
                    opportunities: opportunities, readiness: ready,
                    tableNote:
                        "Use-case ratings are InfraMind editorial judgements (qualitative), not measured returns.")))
    }
}
