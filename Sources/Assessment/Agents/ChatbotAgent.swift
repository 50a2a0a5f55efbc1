package struct SupportAnswer: Codable, Sendable, Equatable {
    package let question: String
    package let answer: String
    package let evidence: [String]
}

package struct ChatbotData: Codable, Sendable, Equatable {
    package let answers: [SupportAnswer]
}

/// A support pack: the ten questions teams ask most about their own assessment,
/// answered from the request and catalog (no model, no conversation state).
enum ChatbotAgent {
    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let full = PlanBuilder.build(request, catalog: catalog)
        let plan = full.recommended
        let cost = plan.cost
        var answers: [SupportAnswer] = []
        func add(_ q: String, _ a: String, _ e: [String]) {
            answers.append(SupportAnswer(question: q, answer: a, evidence: e))
        }

        add(
            "Which region should we deploy in, and why?",
            "\(plan.provider.rawValue) \(plan.region) (\(plan.location)): \(plan.regionReason). Provider choice: \(full.recommendationReason).",
            [plan.regionID])

        if let g = plan.gpuPlan.first, let e = full.estimates.first(where: { $0.workload == g.workload }) {
            let alternatives = full.providers.filter { $0.provider != plan.provider }.compactMap { p in
                p.gpuPlan.first { $0.workload == g.workload }.map {
                    "\(p.provider.rawValue) \($0.instanceType) at \(Numbers.usd($0.monthlyOnDemandUSD))/month"
                        + (p.residencyOK ? "" : " (breaks data residency)")
                }
            }
            add(
                "Why this GPU?",
                "\(g.workload) needs \(Numbers.text(g.requiredGpuMemoryGB)) GB of GPU memory per replica at its planned batch (\(Numbers.text(e.weightsGB)) GB of weights). \(g.instanceType) with \(g.gpuModel) is the cheapest \(plan.provider.rawValue) configuration in \(plan.region) that carries it\(g.meetsLatencyTarget == false ? "" : (g.meetsLatencyTarget == true ? " within the latency target" : "")): \(g.instances) instance(s), \(Numbers.usd(g.training?.costOnDemandUSD ?? g.monthlyOnDemandUSD))\(g.training == nil ? "/month" : " for the job"). "
                    + (alternatives.isEmpty
                        ? "No other provider can place it."
                        : "Elsewhere: " + alternatives.joined(separator: "; ") + "."),
                [g.catalogID, GPUMemoryModel.formulaName])
        } else {
            add(
                "Why this GPU?",
                "No AI model is described in ai_workloads, so no GPU is planned; the services run on \(plan.cpuPlan.map { "\($0.workload.rawValue): \($0.instances)× \($0.instanceType)" }.joined(separator: ", ")).",
                plan.cpuPlan.map(\.catalogID))
        }

        // The growth model every agent shares: the same rows, re-planned in whole instances at twice
        // the request rates and users.
        let twice = CostProjection.cost(plan: plan, request: request, catalog: catalog, load: 2, data: 1)
        let twiceTotal = Numbers.total([twice.compute, twice.gpu, twice.storage, twice.network])
        add(
            "What if our traffic doubles?",
            "On \(plan.provider.rawValue) the monthly cost goes from \(Numbers.usd(cost.totalUSD)) to \(Numbers.usd(twiceTotal)) (GPU \(Numbers.usd(cost.gpuUSD)) → \(Numbers.usd(twice.gpu)), compute \(Numbers.usd(cost.computeUSD)) → \(Numbers.usd(twice.compute)), network \(Numbers.usd(cost.networkUSD ?? 0)) → \(Numbers.usd(twice.network))), with \(twice.gpuInstances) GPU and \(twice.cpuInstances) CPU instances of the same types; storage follows the data, not the traffic.",
            plan.gpuPlan.map(\.catalogID) + plan.cpuPlan.map(\.catalogID))

        let assessments = ComplianceEvaluator.evaluate(request, catalog: catalog, plan: full)
        let missing = assessments.flatMap(\.missingControls).sorted { ($0.severity, $0.id) < ($1.severity, $1.id) }
        let measures = missing.flatMap(\.missingMeasures).reduce(into: [String]()) {
            if !$0.contains($1) { $0.append($1) }
        }
        add(
            "Which controls should we implement first?",
            missing.isEmpty
                ? (assessments.isEmpty
                    ? "No compliance framework applies to this request."
                    : "Every control of the applicable frameworks is covered by the stated security measures.")
                : "Start with \(measures.prefix(3).map { catalog.remediation(for: $0)?.name ?? $0 }.joined(separator: ", ")): the missing controls include \(missing.filter { $0.severity == .high }.count) of high severity, e.g. \(missing.prefix(3).map(\.reference).joined(separator: ", ")).",
            Array(missing.prefix(5).map(\.id)))

        add(
            "What will it cost per month, and what is not included?",
            "\(Numbers.usd(cost.totalUSD))/month: compute \(Numbers.usd(cost.computeUSD)), GPU \(Numbers.usd(cost.gpuUSD)), storage \(cost.storageUSD.map(Numbers.usd) ?? "not priced"), network \(cost.networkUSD.map(Numbers.usd) ?? "not priced")."
                + (cost.unpriced.isEmpty ? "" : " Not included: " + cost.unpriced.joined(separator: "; ") + "."),
            plan.citations)

        if let limit = request.business.budgetConstraints.monthlyBudgetLimit {
            add(
                "Do we fit our budget?",
                cost.totalUSD <= limit
                    ? "Yes: \(Numbers.usd(cost.totalUSD)) against \(Numbers.usd(limit)), leaving \(Numbers.usd(limit - cost.totalUSD)) a month."
                    : "No: \(Numbers.usd(cost.totalUSD)) against \(Numbers.usd(limit)), \(Numbers.usd(cost.totalUSD - limit)) a month over; with 1-year reservations \(Numbers.usd(cost.reservedTotalUSD)).",
                ["formula.budget_fit"])
        } else {
            add("Do we fit our budget?", "No monthly_budget_limit was given, so no budget check was made.", [])
        }

        add(
            "How much would reserved capacity save?",
            "1-year reserved rates cover \(Numbers.percent(cost.reservedCoverage)) of the compute and GPU spend; the month would cost \(Numbers.usd(cost.reservedTotalUSD)) instead of \(Numbers.usd(cost.totalUSD)) (\(Numbers.usd(cost.totalUSD - cost.reservedTotalUSD)) less).",
            plan.gpuPlan.filter { $0.monthlyReservedUSD != nil }.map(\.catalogID)
                + plan.cpuPlan.filter { $0.monthlyReservedUSD != nil }.map(\.catalogID))

        let spares = plan.gpuPlan.filter { $0.spareInstances > 0 }
        add(
            "What happens if a GPU instance fails?",
            plan.gpuPlan.isEmpty
                ? "There are no GPU instances in the plan; CPU services run at least \(plan.cpuPlan.map(\.instances).min() ?? 0) instance(s) each."
                : spares.isEmpty
                    ? "Capacity drops until the instance is replaced: the \(Numbers.text(request.technical.performanceRequirements.uptimePercentage, digits: 3))% uptime target is below the \(Numbers.text(catalog.sizing.gpu.nPlusOneUptimePercentage))% at which a spare is planned."
                    : "Serving continues: \(spares.map { "\($0.workload) has \($0.spareInstances) spare \($0.instanceType)" }.joined(separator: ", ")) (N+1).",
            ["formula.n_plus_one"])

        let growth = GrowthModel(request)
        let m12 = CostProjection.month(12, plan: plan, growth: growth, request: request, catalog: catalog)
        let m24 = CostProjection.month(24, plan: plan, growth: growth, request: request, catalog: catalog)
        add(
            "What will we pay as we grow?",
            "At the stated growth: \(Numbers.usd(m12.totalUSD))/month at 12 months (\(m12.users) users) and \(Numbers.usd(m24.totalUSD))/month at 24 months (\(m24.users) users).",
            ["formula.growth_projection"])

        let others = full.providers.filter { $0.provider != plan.provider && $0.isFeasible }
            .sorted { ($0.cost.comparableUSD, $0.provider) < ($1.cost.comparableUSD, $1.provider) }
        add(
            "What is the best alternative provider?",
            others.first.map {
                "\($0.provider.rawValue) in \($0.region): compute + GPU \(Numbers.usd($0.cost.comparableUSD))/month against \(Numbers.usd(cost.comparableUSD)) on \(plan.provider.rawValue)"
                    + ($0.residencyOK ? "." : ", but it breaks data residency.")
            } ?? "No other provider in the catalog can host every workload.",
            others.first.map { [$0.regionID] } ?? [])

        let summary = "Answers to the \(answers.count) questions teams ask most about their assessment."
        return AgentResult(
            agent: .chatbot, summary: summary, recommendations: [],
            citations: answers.flatMap(\.evidence).filter { $0.contains("/") },
            data: .chatbot(ChatbotData(answers: answers)))
    }
}
