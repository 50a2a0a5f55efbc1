/// Inputs that pass validation yet describe something no real deployment looks like. The report
/// is still produced (the arithmetic holds), with these at its top so that nobody acts on a
/// figure built on a typo; docs/sizing.md states each threshold.
enum ReportWarnings {
    /// A model more than this many times the largest in models.csv is almost surely a unit slip.
    static let parameterFactor = 5.0
    /// No public cloud rents this many instances of one GPU type on demand in one region; a plan
    /// this large says the request rate or the model size is off.
    static let instanceLimit = 1_000
    /// Requests per second beyond which one model or one service is larger than any public one runs
    /// (docs/sizing.md, "Warnings"): almost surely a daily or monthly figure given as per second.
    static let modelRequestsPerSecondLimit = 10_000.0
    static let serviceRequestsPerSecondLimit = 1_000_000.0

    /// `name` spells a workload's name: as given for the report's `warnings`, escaped for its
    /// Markdown section (`MarkdownText`).
    static func build(
        _ request: AssessmentRequest, view: ResultView, name: (String) -> String = { $0 }
    ) -> [String] {
        var out: [String] = []
        let largest = ModelTable.shipped.max {
            $0.architecture.totalParametersBillion < $1.architecture.totalParametersBillion
        }
        for w in request.technical.aiWorkloads {
            if let largest, w.parametersBillion > parameterFactor * largest.architecture.totalParametersBillion {
                out.append(
                    "\(name(w.name)) has \(Numbers.text(w.parametersBillion)) B parameters, more than \(Numbers.text(parameterFactor, digits: 0))× the largest published model in the table (\(largest.name), \(Numbers.text(largest.architecture.totalParametersBillion)) B): check parameters_billion."
                )
            }
            if w.mode == .inference && w.requestsPerSecond > modelRequestsPerSecondLimit {
                out.append(
                    "\(name(w.name)) is asked to serve \(Numbers.text(w.requestsPerSecond)) requests per second, more than \(Numbers.text(modelRequestsPerSecondLimit, digits: 0)), beyond what any single public model service is known to run: check that requests_per_second is not a daily or monthly count."
                )
            }
            if let id = w.model, let known = ModelTable.model(id), w.contextTokens > known.maxContextTokens {
                out.append(
                    "\(name(w.name)) asks for \(w.contextTokens) tokens of context, beyond \(known.name)'s maximum of \(known.maxContextTokens): the KV cache is sized for it, but the model cannot use it."
                )
            }
        }
        let rps = request.technical.performanceRequirements.requestsPerSecond
        if rps > serviceRequestsPerSecondLimit {
            out.append(
                "The services are asked to take \(Numbers.text(rps)) requests per second, more than \(Numbers.text(serviceRequestsPerSecondLimit, digits: 0)), beyond the busiest single web services: check that requests_per_second is not a daily or monthly count."
            )
        }
        let provider = view.cloud?.recommendedProvider
        let gpuRows = (view.infrastructure?.gpuPlan ?? []).filter { $0.provider == provider }
        for row in gpuRows where row.instances > instanceLimit {
            out.append(
                "\(row.workload) needs \(row.instances) × \(row.instanceType) (\(row.gpus) GPUs) in one region, beyond what a provider rents on demand (over \(instanceLimit) instances): check the request rate and the model size."
            )
        }
        if request.business.budgetConstraints.monthlyBudgetLimit == 0, !gpuRows.isEmpty {
            out.append(
                "The monthly budget is $0 while \(gpuRows.reduce(0) { $0 + $1.gpus }) GPUs are planned: the plan cannot be bought within it."
            )
        }
        return out
    }

    /// The warnings as the report's first section, so that every rendering shows them.
    static func section(_ warnings: [String]) -> ReportSection? {
        guard !warnings.isEmpty else { return nil }
        return ReportSection(title: "Warnings", markdown: warnings.map { "- \($0)" }.joined(separator: "\n"))
    }
}
