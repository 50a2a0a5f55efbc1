public struct InfrastructureData: Codable, Sendable, Equatable {
    public let gpuMemory: [GPUMemoryEstimate]
    /// The cheapest fitting configuration per AI workload and provider.
    public let gpuPlan: [GPUPlacement]
    public let cpuPlan: [CPUPlacement]
    public let unplaced: [Unplaced]
    public let nPlusOne: Bool
    public let rules: [String]
}

/// Capacity plan: GPU memory per AI workload, the cheapest catalog instances that
/// hold it on each provider, and CPU sizing for the other workloads.
enum InfrastructureAgent {
    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let plan = PlanBuilder.build(request, catalog: catalog)
        let rules = catalog.sizing.gpu
        let spare = CapacityPlanner.needsSpare(request, rules)
        let gpuPlan = plan.providers.flatMap(\.gpuPlan)
        let cpuPlan = plan.providers.flatMap(\.cpuPlan)
        let unplaced = plan.providers.flatMap(\.unplaced)
        var recommendations: [Recommendation] = []

        for estimate in plan.estimates {
            guard let chosen = plan.recommended.gpuPlan.first(where: { $0.workload == estimate.workload }) else {
                continue
            }
            let largestGPU = catalog.instances.filter(\.isGPU).map(\.gpuMemoryGB).max() ?? 0
            var note =
                estimate.requiredGB > largestGPU
                ? " No single GPU in the catalog holds it, so it is split across \(chosen.gpusPerReplica) GPUs."
                : ""
            if estimate.kvCacheEstimated {
                note +=
                    " Its KV cache is estimated from the parameter count and may be several times off (see the formula); give model or architecture for an exact plan."
            }
            recommendations.append(
                Recommendation(
                    title:
                        "Run \(estimate.workload) on \(chosen.instances)× \(chosen.instanceType) (\(chosen.gpuModel))",
                    priority: .high,
                    impact:
                        "\(chosen.gpus) GPUs, \(Numbers.text(chosen.totalGpuMemoryGB)) GB of GPU memory, \(Numbers.usd(chosen.monthlyOnDemandUSD))/month on demand",
                    rationale:
                        "\(estimate.workload) needs \(Numbers.text(estimate.requiredGB)) GB per replica (weights \(Numbers.text(estimate.weightsGB)) GB, KV cache \(Numbers.text(estimate.kvCacheGB)) GB, training state \(Numbers.text(estimate.trainingStateGB)) GB, overhead \(Numbers.text(estimate.overheadGB)) GB); \(chosen.instanceType) is the cheapest \(chosen.provider.rawValue) configuration in \(chosen.region) that fits.\(note)",
                    evidence: [chosen.catalogID, GPUMemoryModel.formulaName]))
        }
        if spare && !plan.recommended.gpuPlan.isEmpty {
            recommendations.append(
                Recommendation(
                    title: "Keep one spare GPU instance per inference service (N+1)", priority: .medium,
                    impact:
                        "Serving survives the loss of one instance at the \(Numbers.text(request.technical.performanceRequirements.uptimePercentage, digits: 3))% uptime target",
                    rationale:
                        "An uptime target of \(Numbers.text(rules.nPlusOneUptimePercentage))% or more cannot wait for a GPU instance to be replaced.",
                    evidence: ["formula.n_plus_one"]))
        }
        if request.technical.workloadTypes.contains(.machineLearning) && request.technical.aiWorkloads.isEmpty {
            recommendations.append(
                Recommendation(
                    title: "Describe the models in ai_workloads to get a GPU plan", priority: .medium,
                    impact: "Without model sizes no GPU capacity is planned or priced",
                    rationale: "machine_learning is listed but no ai_workloads entry gives a parameter count.",
                    evidence: ["sizing.machine_learning"]))
        }
        for u in plan.recommended.unplaced {
            recommendations.append(
                Recommendation(
                    title: "Resolve the capacity gap for \(u.workload) on \(u.provider.rawValue)", priority: .high,
                    impact: "This workload is not priced on the recommended provider", rationale: u.reason,
                    evidence: [plan.recommended.regionID]))
        }

        let ruleText =
            [
                GPUMemoryModel.formulaName + ": see each estimate's formula",
                "formula.n_plus_one: inference gets one spare instance (or one spare multi-node group) when uptime_percentage ≥ \(Numbers.text(rules.nPlusOneUptimePercentage))",
                "formula.tensor_parallel: a replica uses 1, 2, 4 or 8 GPUs of one instance; larger replicas span instances with at least \(rules.multiNodeMinGpus) GPUs of an NVLink-class model (\(rules.multiNodeGpuModelPrefixes.joined(separator: ", ")))",
                "formula.cpu_sizing: request-serving workload types share requests_per_second equally; data workloads are sized from current_data_size_gb (rules sizing.*)",
                "Inferentia2 rows are accelerators without CUDA and are not used for GPU plans",
            ] + plan.estimates.map { "\($0.workload): \($0.formula)" }
        let data = InfrastructureData(
            gpuMemory: plan.estimates, gpuPlan: gpuPlan, cpuPlan: cpuPlan, unplaced: unplaced, nPlusOne: spare,
            rules: ruleText)
        let gpuCount = plan.recommended.gpuPlan.reduce(0) { $0 + $1.gpus }
        let vcpus = plan.recommended.cpuPlan.reduce(0) { $0 + $1.vcpusNeeded }
        let summary =
            "On \(plan.recommended.provider.rawValue) (\(plan.recommended.region)): \(gpuCount) GPUs for \(plan.estimates.count) AI workload(s) and \(vcpus) vCPUs for \(plan.recommended.cpuPlan.count) service workload(s)"
            + (spare ? ", with N+1 spares." : ".")
        return AgentResult(
            agent: .infrastructure, summary: summary, recommendations: recommendations,
            citations: plan.providers.flatMap(\.citations), data: .infrastructure(data))
    }
}
