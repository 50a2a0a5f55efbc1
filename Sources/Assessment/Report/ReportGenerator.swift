/// The eleventh agent: runs on the ten results, de-duplicates and ranks their
/// recommendations, builds the summary and the report sections. It tolerates missing
/// results (an agent that failed for good) and says in the report which are missing.
enum ReportGenerator {
    static let topCount = 5

    /// Among equally urgent advice, where to run and what it costs come before how to
    /// operate it, and market observations come last.
    static let precedenceOrder: [AgentName] = [
        .cloudEngineer, .infrastructure, .compliance, .cto, .simulation, .mlops, .aiConsultant, .research,
        .webResearch, .chatbot,
    ]

    static func run(_ request: AssessmentRequest, _ catalog: Catalog, results: [AgentResult]) -> AgentResult {
        let data = report(request, catalog, results: results)
        let text =
            "Report on \(10 - data.missingAgents.count) of 10 analyses"
            + (data.missingAgents.isEmpty
                ? "" : " (missing: \(data.missingAgents.map(\.rawValue).joined(separator: ", ")))")
            + "; \(data.recommendations.count) recommendations after de-duplication."
        return AgentResult(
            agent: .reportGenerator, summary: text, recommendations: [],
            citations: results.flatMap(\.citations), data: .reportGenerator(data))
    }

    static func report(_ request: AssessmentRequest, _ catalog: Catalog, results: [AgentResult]) -> ReportData {
        let view = ResultView(results)
        let missing = AgentName.analysts.filter { view.result($0) == nil }
        let ranked = rank(results)
        let summary = ReportSummary(
            recommendedProvider: view.cloud?.recommendedProvider, recommendedRegion: view.cloud?.recommendedRegion,
            estimatedMonthlyCostUSD: view.cloud.flatMap { c in
                c.providers.first { $0.provider == c.recommendedProvider }?.cost.totalUSD
            },
            threeYearTcoUSD: view.cto?.threeYear.totalUSD, complianceScore: view.compliance?.score,
            topRecommendations: ranked.prefix(topCount).map(\.title))
        let warnings = ReportWarnings.build(request, view: view)
        let sections =
            (ReportWarnings.section(ReportWarnings.build(request, view: view, name: MarkdownText.escape)).map { [$0] }
                ?? [])
            + ReportSections.build(
                request: request, catalog: catalog, view: view, ranked: ranked, summary: summary, missing: missing)
        return ReportData(
            title: request.title, summary: summary, recommendations: ranked, sections: sections, missingAgents: missing,
            warnings: warnings)
    }

    static func key(_ title: String) -> String {
        title.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: " ")
    }

    /// Same title (ignoring case and punctuation) means the same advice: keep the
    /// highest priority, merge evidence, and rank advice several agents agree on first.
    static func rank(_ results: [AgentResult]) -> [RankedRecommendation] {
        struct Merged {
            var first: Recommendation
            var priority: Priority
            var evidence: Set<String>
            var agents: Set<AgentName>
        }
        var merged: [String: Merged] = [:]
        var order: [String] = []
        for result in results.sorted(by: { $0.agent < $1.agent }) {
            for r in result.recommendations {
                let k = key(r.title)
                if var m = merged[k] {
                    m.priority = min(m.priority, r.priority)
                    m.evidence.formUnion(r.evidence)
                    m.agents.insert(result.agent)
                    merged[k] = m
                } else {
                    merged[k] = Merged(
                        first: r, priority: r.priority, evidence: Set(r.evidence), agents: [result.agent])
                    order.append(k)
                }
            }
        }
        func precedence(_ m: Merged) -> Int { m.agents.compactMap { precedenceOrder.firstIndex(of: $0) }.min() ?? 99 }
        // Each sort key computed once, not twice per comparison: the title key walks Unicode
        // properties, and a report ranks dozens of recommendations.
        let sorted = order.compactMap { merged[$0] }
            .map { (m: $0, key: ($0.priority.rank, -$0.agents.count, precedence($0), key($0.first.title))) }
            .sorted { $0.key < $1.key }
            .map(\.m)
        return sorted.enumerated().map { i, m in
            RankedRecommendation(
                rank: i + 1, title: m.first.title, priority: m.priority, impact: m.first.impact,
                rationale: m.first.rationale, evidence: m.evidence.sorted(), agents: m.agents.sorted())
        }
    }
}

/// Typed access to whichever results are present.
struct ResultView {
    let results: [AgentResult]

    init(_ results: [AgentResult]) { self.results = results }

    func result(_ name: AgentName) -> AgentResult? { results.first { $0.agent == name } }

    var infrastructure: InfrastructureData? {
        if case .infrastructure(let d) = result(.infrastructure)?.data { return d }
        return nil
    }
    var cloud: CloudEngineerData? {
        if case .cloudEngineer(let d) = result(.cloudEngineer)?.data { return d }
        return nil
    }
    var research: ResearchData? {
        if case .research(let d) = result(.research)?.data { return d }
        return nil
    }
    var simulation: SimulationData? {
        if case .simulation(let d) = result(.simulation)?.data { return d }
        return nil
    }
    var cto: CTOData? {
        if case .cto(let d) = result(.cto)?.data { return d }
        return nil
    }
    var compliance: ComplianceData? {
        if case .compliance(let d) = result(.compliance)?.data { return d }
        return nil
    }
    var mlops: MLOpsData? {
        if case .mlops(let d) = result(.mlops)?.data { return d }
        return nil
    }
    var consultant: AIConsultantData? {
        if case .aiConsultant(let d) = result(.aiConsultant)?.data { return d }
        return nil
    }
    var web: WebResearchData? {
        if case .webResearch(let d) = result(.webResearch)?.data { return d }
        return nil
    }
    var chatbot: ChatbotData? {
        if case .chatbot(let d) = result(.chatbot)?.data { return d }
        return nil
    }
}
