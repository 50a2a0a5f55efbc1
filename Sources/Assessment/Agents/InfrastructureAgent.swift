package struct InfrastructureData: Codable, Sendable, Equatable {
    package let gpuMemory: [GPUMemoryEstimate]
    /// The cheapest fitting configuration per AI workload and provider.
    package let gpuPlan: [GPUPlacement]
    package let cpuPlan: [CPUPlacement]
    package let unplaced: [Unplaced]
    package let nPlusOne: Bool
    package let rules: [String]
    /// Each AI workload re-placed in the recommended region with one figure changed.
    package let sensitivity: [SensitivityRow]
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

        var placedEstimates: [GPUMemoryEstimate] = []
        for estimate in plan.estimates {
            guard let chosen = plan.recommended.gpuPlan.first(where: { $0.workload == estimate.workload }) else {
                placedEstimates.append(estimate)
                continue
            }
            placedEstimates.append(estimate.placed(on: chosen))
            recommendations += workloadRecommendations(estimate, chosen)
        }
        if spare && plan.recommended.gpuPlan.contains(where: { $0.mode == .inference }) {
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
                "formula.tensor_parallel: a replica uses 1, 2, 4 or 8 GPUs of one instance (keeping \(Numbers.percent(rules.tensorParallelEfficiency.nvlink, digits: 0)) of their summed bandwidth and compute over NVLink, \(Numbers.percent(rules.tensorParallelEfficiency.pcie, digits: 0)) over PCIe); a replica spans instances only where they have NVLink inside and at least \(Numbers.text(rules.multiNodeMinFabricGbps)) Gbps of RDMA-class fabric between them (gpu_interconnect.csv), keeping \(Numbers.percent(rules.tensorParallelEfficiency.multiNode, digits: 0))",
                "formula.roofline: prefill = max(2·N_active·prompt ÷ (GPUs × peak × \(Numbers.text(rules.prefillMfu))), weights ÷ bandwidth); decode step = max((weights + batch × (prompt + output/2) × kv_bytes_per_token) ÷ (GPUs × data-sheet bandwidth × \(Numbers.text(rules.memoryBandwidthUtilization))), 2·N_active·batch ÷ compute); replicas = ceil(rps × output_tokens ÷ tokens/s per replica); the batch is capped where a step would miss the latency target (docs/sizing.md)",
                "formula.training_job: GPU-hours = FLOPs ÷ (peak of the precision × MFU \(Numbers.percent(rules.trainingMfu, digits: 0))) ÷ 3600; days = GPU-hours ÷ GPUs ÷ 24; cost = hours × instances × hourly price (on demand, and spot where the catalog has it), charged once",
                "formula.cpu_sizing: request-serving workload types share requests_per_second equally; data workloads are sized from current_data_size_gb (rules sizing.*)",
                "Inferentia2 rows are accelerators without CUDA and are not used for GPU plans",
            ] + plan.estimates.map { "\($0.workload): \($0.formula)" }
        let data = InfrastructureData(
            gpuMemory: placedEstimates, gpuPlan: gpuPlan, cpuPlan: cpuPlan, unplaced: unplaced, nPlusOne: spare,
            rules: ruleText, sensitivity: Sensitivity.rows(request, plan: plan.recommended, catalog: catalog))
        let gpuCount = plan.recommended.gpuPlan.reduce(0) { $0 + $1.gpus }
        let vcpus = plan.recommended.cpuPlan.reduce(0) { $0 + $1.vcpusNeeded }
        let summary =
            "On \(plan.recommended.provider.rawValue) (\(plan.recommended.region)): \(gpuCount) GPUs for \(plan.estimates.count) AI workload(s) and \(vcpus) vCPUs for \(plan.recommended.cpuPlan.count) service workload(s)"
            + (spare ? ", with N+1 spares." : ".")
            + latencySummary(plan.recommended.gpuPlan)
        return AgentResult(
            agent: .infrastructure, summary: summary, recommendations: recommendations,
            citations: plan.providers.flatMap(\.citations), data: .infrastructure(data))
    }

    static func workloadRecommendations(_ estimate: GPUMemoryEstimate, _ chosen: GPUPlacement) -> [Recommendation] {
        var note = ""
        switch chosen.tensorParallel {
        case .none: break
        case .nvlink, .pcie:
            note =
                " Each replica is split over \(chosen.gpusPerReplica) GPUs by tensor parallelism over \(chosen.tensorParallel == .nvlink ? "NVLink" : "PCIe")."
        case .multiNode:
            note =
                " Each replica spans \(chosen.gpusPerReplica / max(1, chosen.gpus / max(1, chosen.instances))) instances (\(chosen.gpusPerReplica) GPUs) over NVLink and the instances' RDMA fabric."
        }
        if estimate.kvCacheEstimated {
            note +=
                " Its KV cache is estimated from the parameter count and may be several times off (see the formula); give model or architecture for an exact plan."
        }
        if let job = chosen.training {
            let spot = job.costSpotUSD.map { ", \(Numbers.usd($0)) on spot with checkpoints" } ?? ""
            var out = [
                Recommendation(
                    title:
                        "Train \(estimate.workload) on \(chosen.instances)× \(chosen.instanceType) (\(chosen.gpus) \(chosen.gpuModel)): \(Numbers.text(job.days, digits: 1)) days",
                    priority: .high,
                    impact:
                        "\(Numbers.usd(job.costOnDemandUSD)) once on demand\(spot); \(Numbers.text(job.gpuHours, digits: 0)) GPU-hours",
                    rationale:
                        "\(Numbers.scientific(job.flops)) FLOPs (\(job.flopsFormula)) at \(Numbers.percent(job.mfu, digits: 0)) MFU. The job needs \(Numbers.text(estimate.requiredGB)) GB before sharding (weights \(Numbers.text(estimate.weightsGB)) GB, training state \(Numbers.text(estimate.trainingStateGB)) GB, activations \(Numbers.text(estimate.activationsGB)) GB per sequence); \(chosen.instanceType) is the cheapest \(chosen.provider.rawValue) cluster in \(chosen.region) that holds it.\(note)",
                    evidence: [chosen.catalogID, "formula.training_job"])
            ]
            if let fast = job.options.first(where: { $0.label != "cheapest" }) {
                out.append(
                    Recommendation(
                        title:
                            "Or finish \(estimate.workload) in \(Numbers.text(fast.days, digits: 1)) days on \(fast.instances)× \(fast.instanceType)",
                        priority: .medium,
                        impact: "\(Numbers.usd(fast.costOnDemandUSD)) once on demand, \(fast.gpus) \(fast.gpuModel)",
                        rationale:
                            "The fastest cluster whose rent for a whole month stays within the budget; at the assumed MFU a larger cluster costs about the same per job and only shortens it (scaling losses not counted).",
                        evidence: [fast.catalogID, "formula.training_job"]))
            }
            return out
        }
        var out = [
            Recommendation(
                title: "Run \(estimate.workload) on \(chosen.instances)× \(chosen.instanceType) (\(chosen.gpuModel))",
                priority: .high,
                impact:
                    "\(chosen.gpus) GPUs, \(Numbers.usd(chosen.monthlyOnDemandUSD))/month on demand\(chosen.timePerOutputTokenMs.map { "; first token in \(Numbers.text(chosen.timeToFirstTokenMs ?? 0)) ms, then \(Numbers.text($0)) ms per token" } ?? "")",
                rationale:
                    "\(estimate.workload) needs \(Numbers.text(chosen.requiredGpuMemoryGB)) GB per replica at \(chosen.batchPerReplica ?? 1) sequences (weights \(Numbers.text(estimate.weightsGB)) GB, KV cache \(Numbers.text(estimate.kvCacheGB)) GB per sequence of the full context); \(chosen.replicas) replica(s) of \(chosen.gpusPerReplica) GPU(s) carry \(Numbers.text(chosen.decodeTokensPerSecondPerReplica ?? 0, digits: 0)) tokens/s each; \(chosen.instanceType) is the cheapest \(chosen.provider.rawValue) configuration in \(chosen.region) that does\(chosen.meetsLatencyTarget == false ? "" : " and meets the latency target").\(note)",
                evidence: [chosen.catalogID, GPUMemoryModel.formulaName, "formula.roofline"])
        ]
        if chosen.meetsLatencyTarget == false, let target = chosen.latencyTarget {
            out.append(
                Recommendation(
                    title: "\(estimate.workload) misses its latency target on the recommended plan", priority: .high,
                    impact:
                        "Target: \(target); best plan: first token \(Numbers.text(chosen.timeToFirstTokenMs ?? 0)) ms, \(Numbers.text(chosen.timePerOutputTokenMs ?? 0)) ms per token, whole answer \(Numbers.text(chosen.responseMs ?? 0, digits: 0)) ms",
                    rationale: (chosen.latencyNote.map { "On \(chosen.provider.rawValue), \($0). " } ?? "")
                        + "Stream the answer and state time_to_first_token_ms and time_per_output_token_ms for the model (a whole answer of many tokens cannot come back within a web request's response time), shorten answers or prompts, or use a smaller or quantised model.",
                    evidence: [chosen.catalogID, "formula.roofline"]))
        }
        return out
    }

    static func latencySummary(_ rows: [GPUPlacement]) -> String {
        let missed = rows.filter { $0.meetsLatencyTarget == false }.map(\.workload)
        return missed.isEmpty ? "" : " Latency target missed by \(missed.joined(separator: ", "))."
    }
}
