import FoundationEssentials

/// The eleven agents. The first ten run in parallel; `reportGenerator` runs on their results.
package enum AgentName: String, Codable, Sendable, CaseIterable, Comparable {
    case cto
    case cloudEngineer = "cloud_engineer"
    case research, mlops, infrastructure, compliance
    case aiConsultant = "ai_consultant"
    case webResearch = "web_research"
    case simulation, chatbot
    case reportGenerator = "report_generator"

    /// The ten that need nothing but the request and the catalog.
    package static let analysts: [AgentName] = allCases.filter { $0 != .reportGenerator }

    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

package typealias Priority = Severity

package struct Recommendation: Codable, Sendable, Equatable {
    package let title: String
    package let priority: Priority
    package let impact: String
    package let rationale: String
    /// Catalog row ids and formula names this recommendation rests on.
    package let evidence: [String]

    package init(title: String, priority: Priority, impact: String, rationale: String, evidence: [String]) {
        self.title = title
        self.priority = priority
        self.impact = impact
        self.rationale = rationale
        self.evidence = Array(Set(evidence)).sorted()
    }
}

/// What one agent hands back: common fields plus its own typed data. Codable and
/// Sendable because results travel between nodes and are journaled.
package struct AgentResult: Codable, Sendable, Equatable {
    package let agent: AgentName
    package let summary: String
    package let recommendations: [Recommendation]
    /// Every catalog row id the agent's figures came from, sorted.
    package let citations: [String]
    package let data: AgentData

    package init(
        agent: AgentName, summary: String, recommendations: [Recommendation], citations: [String], data: AgentData
    ) {
        self.agent = agent
        self.summary = summary
        self.recommendations = recommendations
        self.citations = Array(Set(citations)).sorted()
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case agent, summary, recommendations, citations, data
    }

    /// Canonical bytes of the result (sorted keys, no dictionaries inside), for digests
    /// that compare a task's results across nodes: equal results, equal bytes.
    package func canonicalData() throws -> Data {
        try CanonicalJSONEncoder().encode(self)
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        agent = try c.decode(AgentName.self, forKey: .agent)
        summary = try c.decode(String.self, forKey: .summary)
        recommendations = try c.decode([Recommendation].self, forKey: .recommendations)
        citations = try c.decode([String].self, forKey: .citations)
        // The agent name says which payload type follows, so the payload itself stays flat.
        switch agent {
        case .infrastructure: data = .infrastructure(try c.decode(InfrastructureData.self, forKey: .data))
        case .cloudEngineer: data = .cloudEngineer(try c.decode(CloudEngineerData.self, forKey: .data))
        case .research: data = .research(try c.decode(ResearchData.self, forKey: .data))
        case .simulation: data = .simulation(try c.decode(SimulationData.self, forKey: .data))
        case .cto: data = .cto(try c.decode(CTOData.self, forKey: .data))
        case .compliance: data = .compliance(try c.decode(ComplianceData.self, forKey: .data))
        case .mlops: data = .mlops(try c.decode(MLOpsData.self, forKey: .data))
        case .aiConsultant: data = .aiConsultant(try c.decode(AIConsultantData.self, forKey: .data))
        case .webResearch: data = .webResearch(try c.decode(WebResearchData.self, forKey: .data))
        case .chatbot: data = .chatbot(try c.decode(ChatbotData.self, forKey: .data))
        case .reportGenerator: data = .reportGenerator(try c.decode(ReportData.self, forKey: .data))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(agent, forKey: .agent)
        try c.encode(summary, forKey: .summary)
        try c.encode(recommendations, forKey: .recommendations)
        try c.encode(citations, forKey: .citations)
        switch data {
        case .infrastructure(let d): try c.encode(d, forKey: .data)
        case .cloudEngineer(let d): try c.encode(d, forKey: .data)
        case .research(let d): try c.encode(d, forKey: .data)
        case .simulation(let d): try c.encode(d, forKey: .data)
        case .cto(let d): try c.encode(d, forKey: .data)
        case .compliance(let d): try c.encode(d, forKey: .data)
        case .mlops(let d): try c.encode(d, forKey: .data)
        case .aiConsultant(let d): try c.encode(d, forKey: .data)
        case .webResearch(let d): try c.encode(d, forKey: .data)
        case .chatbot(let d): try c.encode(d, forKey: .data)
        case .reportGenerator(let d): try c.encode(d, forKey: .data)
        }
    }
}

package enum AgentData: Sendable, Equatable {
    case infrastructure(InfrastructureData)
    case cloudEngineer(CloudEngineerData)
    case research(ResearchData)
    case simulation(SimulationData)
    case cto(CTOData)
    case compliance(ComplianceData)
    case mlops(MLOpsData)
    case aiConsultant(AIConsultantData)
    case webResearch(WebResearchData)
    case chatbot(ChatbotData)
    case reportGenerator(ReportData)
}
