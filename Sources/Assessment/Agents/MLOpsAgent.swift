package struct PlatformScore: Codable, Sendable, Equatable {
    package let id: String
    package let name: String
    package let score: Double
    package let integrationUsed: Double
}

package struct ServingTopology: Codable, Sendable, Equatable {
    package let workload: String
    package let instanceType: String
    package let minReplicas: Int
    package let maxReplicas: Int
    package let spareInstances: Int
    package let scaleOn: String
}

package struct MLOpsData: Codable, Sendable, Equatable {
    package let currentLevel: Int
    package let requiredLevel: Int
    package let gaps: [String]
    package let platformScores: [PlatformScore]
    package let recommendedPlatform: String
    package let weights: PlatformWeights
    package let serving: [ServingTopology]
    package let cicd: [String]
    package let monitoring: [String]
}

/// ML operations: how mature the team is against what its workloads need, which
/// platform fits (weighted score over the catalog table), and how to serve and ship.
enum MLOpsAgent {
    /// Capabilities that each maturity level adds, in the order a team usually builds them.
    static let capabilities: [(level: Int, item: String)] = [
        (1, "experiment tracking"), (1, "model registry with versioned artifacts"),
        (2, "CI/CD that tests and deploys models"), (2, "serving with autoscaling and canary releases"),
        (2, "latency, error and cost monitoring per model"), (3, "data and prediction drift detection"),
        (3, "automated retraining pipelines"), (3, "lineage from data set to deployed model"),
    ]

    /// 3 when the team trains or fine-tunes, 2 when it serves models, 1 for ML without models described.
    static func requiredLevel(_ request: AssessmentRequest) -> Int {
        let modes = Set(request.technical.aiWorkloads.map(\.mode))
        if modes.contains(.training) || modes.contains(.fineTuning) { return 3 }
        if modes.contains(.inference) { return 2 }
        return request.technical.workloadTypes.contains(.machineLearning) ? 1 : 0
    }

    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let full = PlanBuilder.build(request, catalog: catalog)
        let plan = full.recommended
        let current = request.technical.currentAIMaturity.level
        let required = requiredLevel(request)
        let gaps = capabilities.filter { $0.level > current && $0.level <= required }.map(\.item)
        let table = catalog.mlops
        let w = table.weights
        let scores = table.platforms.map { p -> PlatformScore in
            let integration =
                p.provider == nil || p.provider == plan.provider ? p.integration : table.integrationOnOtherProvider
            let score = w.ease * p.ease + w.scalability * p.scalability + w.cost * p.cost + w.integration * integration
            return PlatformScore(id: p.id, name: p.name, score: Numbers.ratio(score), integrationUsed: integration)
        }.sorted { ($0.score, $1.id) > ($1.score, $0.id) }
        let growthPeak = (0...24).map { GrowthModel(request).loadFactor(atMonth: $0) }.max() ?? 1
        let serving = plan.gpuPlan.filter { $0.mode == .inference }.map { g in
            ServingTopology(
                workload: g.workload, instanceType: g.instanceType, minReplicas: g.instances,
                maxReplicas: max(
                    g.instances, Numbers.ceilInt(Double(g.instances - g.spareInstances) * growthPeak) + g.spareInstances
                ),
                spareInstances: g.spareInstances,
                scaleOn:
                    "queue depth and time-to-first-token, target 70% of \(catalog.sizing.gpu.maxSequencesPerReplica) sequences per replica"
            )
        }
        // A team with no ML work planned gets the platform scores in the data, not a
        // platform to buy or a model pipeline to build.
        let plansML = required > 0 || !request.technical.aiUseCases.isEmpty
        let containers = [.containers, .hybrid, .noPreference].contains(request.technical.deploymentModel)
        var cicd = [
            "Version models, prompts and data sets together; promote only registered artifacts.",
            "Run an offline evaluation gate (accuracy and latency against the target of \(request.technical.performanceRequirements.apiResponseTimeMs) ms) on every candidate.",
            containers
                ? "Package serving as container images and deploy with a canary (5% → 50% → 100%) and automatic rollback."
                : "Bake serving images per release and roll instances one at a time behind the load balancer.",
        ]
        if !plansML { cicd = [] }
        if required >= 3 {
            cicd.append(
                "Schedule training and fine-tuning as pipeline runs with checkpoints, so a preempted job resumes.")
        }
        let monitoring =
            !plansML
            ? []
            : [
                "Per-model latency (p50/p95/p99), error rate and tokens per second.",
                "GPU utilisation and memory per instance; alert above 90% memory.",
                "Cost per 1,000 requests against the plan's monthly figure.",
            ] + (required >= 3 ? ["Input and prediction drift against the training distribution."] : [])
        var recommendations: [Recommendation] = []
        if plansML, let top = scores.first {
            recommendations.append(
                Recommendation(
                    title: "Adopt \(top.name) as the ML platform", priority: required >= 2 ? .high : .medium,
                    impact:
                        "Highest weighted score (\(Numbers.text(top.score, digits: 2)) of 5) on \(plan.provider.rawValue)",
                    rationale:
                        "score = \(Numbers.text(w.ease))·ease + \(Numbers.text(w.scalability))·scalability + \(Numbers.text(w.cost))·cost + \(Numbers.text(w.integration))·integration; provider-bound platforms score \(Numbers.text(table.integrationOnOtherProvider)) for integration elsewhere. Ratings are editorial.",
                    evidence: [top.id, "formula.platform_score"]))
        }
        if !gaps.isEmpty {
            recommendations.append(
                Recommendation(
                    title: "Build the missing ML operations capabilities", priority: .high,
                    impact: "Level \(current) today, level \(required) needed: " + gaps.joined(separator: "; "),
                    rationale: "The workloads described need these before they can run in production safely.",
                    evidence: ["formula.maturity_level"]))
        }
        for s in serving where s.maxReplicas > s.minReplicas {
            recommendations.append(
                Recommendation(
                    title: "Autoscale \(s.workload) between \(s.minReplicas) and \(s.maxReplicas) instances",
                    priority: .medium,
                    impact: "Capacity follows the projected growth over 24 months",
                    rationale: "Bounds from the plan's replicas and the peak user growth factor.",
                    evidence: [
                        plan.gpuPlan.first { $0.workload == s.workload }?.catalogID ?? plan.regionID,
                        "formula.growth_projection",
                    ]))
        }
        let data = MLOpsData(
            currentLevel: current, requiredLevel: required, gaps: gaps, platformScores: scores,
            recommendedPlatform: scores.first?.id ?? "", weights: w, serving: serving, cicd: cicd,
            monitoring: monitoring)
        let summary =
            "Maturity level \(current) of 3 against \(required) needed (\(gaps.count) gap(s)); platform: \(scores.first?.name ?? "none"); \(serving.count) inference service(s) to serve."
        return AgentResult(
            agent: .mlops, summary: summary, recommendations: recommendations,
            citations: table.platforms.map(\.id) + plan.gpuPlan.map(\.catalogID), data: .mlops(data))
    }
}
