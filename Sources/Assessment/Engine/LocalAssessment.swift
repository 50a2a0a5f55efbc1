import FoundationEssentials

/// `inframind assess FILE` without the cluster: validate, run the eleven agents in
/// this process, render. Lives in the library so it is tested here and the command stays thin.
package enum LocalAssessment {
    /// A stable id for local runs: same request, same id, so local output is fully reproducible.
    package static func defaultID(for request: AssessmentRequest) -> String {
        "local-" + String(SeededRandom.seed(for: request), radix: 16)
    }

    package static func run(
        requestJSON: Data, format: ReportRenderer.Format, assessmentID: String? = nil, catalog: Catalog? = nil,
        options: AgentRunOptions = .standard
    ) async throws -> Data {
        let request = try RequestValidator.validate(requestJSON)
        let catalog = try catalog ?? Catalog.shipped()
        let report = try await AssessmentEngine.assess(
            request, catalog: catalog, assessmentID: assessmentID ?? defaultID(for: request), options: options)
        return try ReportRenderer.render(report, as: format)
    }
}
