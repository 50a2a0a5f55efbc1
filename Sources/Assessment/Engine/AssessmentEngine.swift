/// Runs agents and whole assessments in-process. The cluster calls `runAgent` on
/// workers and `AssessmentReport.assemble` on the owner; `assess` does all of it
/// locally (the CLI's `assess` command and the pipeline benchmark).
package enum AssessmentEngine {
    /// Goes into every report; bump it whenever a formula or a report field changes,
    /// since reports from different engine versions are not comparable byte for byte.
    package static let engineVersion = "inframind-assessment/1.0.0"

    /// The pure computation of one agent. `results` is read only by the report generator.
    package static func compute(
        _ agent: AgentName, request: AssessmentRequest, catalog: Catalog, results: [AgentResult] = []
    ) -> AgentResult {
        switch agent {
        case .cto: return CTOAgent.run(request, catalog)
        case .cloudEngineer: return CloudEngineerAgent.run(request, catalog)
        case .research: return ResearchAgent.run(request, catalog)
        case .mlops: return MLOpsAgent.run(request, catalog)
        case .infrastructure: return InfrastructureAgent.run(request, catalog)
        case .compliance: return ComplianceAgent.run(request, catalog)
        case .aiConsultant: return AIConsultantAgent.run(request, catalog)
        case .webResearch: return WebResearchAgent.run(request, catalog)
        case .simulation: return SimulationAgent.run(request, catalog)
        case .chatbot: return ChatbotAgent.run(request, catalog)
        case .reportGenerator: return ReportGenerator.run(request, catalog, results: results)
        }
    }

    /// One agent as a task: the optional load-test slowdown, then `compute`.
    package static func runAgent(
        _ agent: AgentName, request: AssessmentRequest, catalog: Catalog, results: [AgentResult] = [],
        options: AgentRunOptions = .standard
    ) async throws -> AgentResult {
        try await options.applySlowdown()
        return compute(agent, request: request, catalog: catalog, results: results)
    }

    /// The whole pipeline: ten agents in parallel, then the report generator.
    package static func assess(
        _ request: AssessmentRequest, catalog: Catalog, assessmentID: String, options: AgentRunOptions = .standard
    ) async throws -> AssessmentReport {
        let results = try await withThrowingTaskGroup(of: AgentResult.self) { group in
            for agent in AgentName.analysts {
                group.addTask { try await runAgent(agent, request: request, catalog: catalog, options: options) }
            }
            var collected: [AgentResult] = []
            for try await r in group { collected.append(r) }
            // Completion order varies run to run; the report must not.
            return collected.sorted { $0.agent < $1.agent }
        }
        try await options.applySlowdown()
        let data = ReportGenerator.report(request, catalog, results: results)
        return AssessmentReport(assessmentID: assessmentID, catalog: catalog, results: results, data: data)
    }

    /// The same pipeline on the calling thread, for callers without concurrency.
    package static func assessSequentially(_ request: AssessmentRequest, catalog: Catalog, assessmentID: String)
        -> AssessmentReport
    {
        let results = AgentName.analysts.map { compute($0, request: request, catalog: catalog) }
        let data = ReportGenerator.report(request, catalog, results: results)
        return AssessmentReport(assessmentID: assessmentID, catalog: catalog, results: results, data: data)
    }
}
