/// The report's sections as Markdown, each built from the results it draws on.
/// A missing result yields a section that says so instead of a guess.
enum ReportSections {
    static func missingNote(_ agents: [AgentName]) -> String {
        "_This section is incomplete: the \(agents.map(\.rawValue).joined(separator: " and ")) analysis is missing._"
    }

    static func build(
        request: AssessmentRequest, catalog: Catalog, view: ResultView, ranked: [RankedRecommendation],
        summary: ReportSummary, missing: [AgentName]
    ) -> [ReportSection] {
        // The request's strings, which agents quote in their texts: `MarkdownText.literal` escapes
        // them there (docs/security.md, "Reports").
        let quoted =
            request.technical.aiWorkloads.map(\.name) + request.technical.aiUseCases
            + [request.business.companyName, request.title].compactMap { $0 }
        return MarkdownText.$userText.withValue(quoted) {
            sections(request: request, catalog: catalog, view: view, ranked: ranked, summary: summary, missing: missing)
        }
    }

    static func sections(
        request: AssessmentRequest, catalog: Catalog, view: ResultView, ranked: [RankedRecommendation],
        summary: ReportSummary, missing: [AgentName]
    ) -> [ReportSection] {
        [
            ReportSection(title: "Executive Summary", markdown: executive(request, view, ranked, summary, missing)),
            ReportSection(title: "Recommended Architecture", markdown: architecture(view)),
            ReportSection(title: "Cost", markdown: cost(view)),
            ReportSection(title: "Compliance", markdown: compliance(view)),
            ReportSection(title: "ML Operations", markdown: mlops(view)),
            ReportSection(title: "AI Opportunities", markdown: opportunities(view)),
            ReportSection(title: "Growth", markdown: growth(view)),
            ReportSection(title: "Risks", markdown: risks(view)),
            ReportSection(title: "Roadmap", markdown: roadmap(request, ranked, view)),
            ReportSection(title: "Questions and Answers", markdown: answers(view)),
            ReportSection(title: "Assumptions and Sources", markdown: sources(catalog, view)),
        ]
    }

    static func executive(
        _ request: AssessmentRequest, _ view: ResultView, _ ranked: [RankedRecommendation], _ summary: ReportSummary,
        _ missing: [AgentName]
    ) -> String {
        var lines: [String] = []
        let size = request.business.companySize.rawValue
        let article = size.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        let who =
            request.business.companyName.map { "\(MarkdownText.escape($0)), \(article) " }
            ?? (article == "an" ? "An " : "A ")
        lines.append(
            "\(who)\(size) \(request.business.industry.rawValue.replacing("_", with: "-")) organisation serving \(request.business.geographicRegions.map { $0.rawValue.uppercased() }.joined(separator: ", ")), running \(request.technical.workloadTypes.map(\.rawValue).joined(separator: ", "))."
        )
        lines.append("")
        if let p = summary.recommendedProvider, let r = summary.recommendedRegion {
            lines.append("- **Recommended provider:** \(p.rawValue) in \(r)")
        }
        if let m = summary.estimatedMonthlyCostUSD {
            lines.append("- **Estimated monthly cost:** \(Numbers.usd(m)) (on demand)")
        }
        if let t = summary.threeYearTcoUSD { lines.append("- **Three-year TCO:** \(Numbers.usd(t))") }
        if let s = summary.complianceScore {
            let evaluated = view.compliance?.frameworks.reduce(0) { $0 + $1.evaluatedControls } ?? 0
            lines.append(
                "- **Compliance coverage:** \(Numbers.text(s, digits: 1))% of the \(evaluated) controls evaluated (a part of each framework; see Compliance)"
            )
        } else if view.compliance != nil {
            lines.append("- **Compliance coverage:** no framework applies")
        }
        if let cto = view.cto {
            lines.append("")
            lines += cto.executivePoints.map { "- \(MarkdownText.literal($0))" }
        }
        lines.append("")
        lines.append("### Top recommendations")
        lines.append("")
        for r in ranked.prefix(ReportGenerator.topCount) {
            lines.append(
                "\(r.rank). **\(MarkdownText.literal(r.title))** (\(r.priority.rawValue)): \(MarkdownText.literal(r.impact))"
            )
        }
        if !missing.isEmpty {
            lines.append("")
            lines.append(missingNote(missing))
        }
        return lines.joined(separator: "\n")
    }

    static func architecture(_ view: ResultView) -> String {
        guard let infra = view.infrastructure, let cloud = view.cloud else {
            return missingNote([view.infrastructure == nil ? .infrastructure : .cloudEngineer])
        }
        let provider = cloud.recommendedProvider
        var lines = ["Plan on **\(provider.rawValue)** in **\(cloud.recommendedRegion)**: \(cloud.reason).", ""]
        let gpu = infra.gpuPlan.filter { $0.provider == provider }
        // With several planned regions each row says which copy it belongs to.
        let several = Set(gpu.map(\.region) + infra.cpuPlan.filter { $0.provider == provider }.map(\.region)).count > 1
        func label(_ workload: String, _ region: String) -> String { several ? "\(workload) (\(region))" : workload }
        if !infra.gpuMemory.isEmpty {
            lines.append("### GPU memory per AI workload")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    [
                        "Workload", "Mode", "Weights GB", "KV cache GB / sequence", "Training state GB",
                        "Activations GB", "Least GB / replica", "Replicas for load",
                    ],
                    infra.gpuMemory.map {
                        [
                            MarkdownText.escape($0.workload), $0.mode.rawValue, Numbers.text($0.weightsGB),
                            Numbers.text($0.kvCacheGB),
                            Numbers.text($0.trainingStateGB), Numbers.text($0.activationsGB),
                            Numbers.text($0.requiredGB),
                            $0.mode == .inference ? String($0.replicasForLoad) : "-",
                        ]
                    }))
            lines.append("")
        }
        if !gpu.isEmpty {
            lines.append("### GPU plan")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    [
                        "Workload", "Instance", "GPU", "Instances", "GPUs / replica", "Needed / held GB per replica",
                        "Monthly (on demand)", "Catalog row",
                    ],
                    gpu.map {
                        [
                            label(MarkdownText.escape($0.workload), $0.region), $0.instanceType, $0.gpuModel,
                            "\($0.instances)" + ($0.spareInstances > 0 ? " (incl. \($0.spareInstances) spare)" : ""),
                            "\($0.gpusPerReplica)"
                                + ($0.tensorParallel == .none ? "" : " (\($0.tensorParallel.rawValue))"),
                            "\(Numbers.text($0.requiredGpuMemoryGB)) / \(Numbers.text($0.totalGpuMemoryGB))",
                            $0.training == nil ? Numbers.usd($0.monthlyOnDemandUSD) : "job: see below",
                            "`\($0.catalogID)`",
                        ]
                    }))
            lines.append("")
        }
        let serving = gpu.filter { $0.timePerOutputTokenMs != nil }
        if !serving.isEmpty {
            lines.append("### Throughput and latency")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    [
                        "Workload", "Replicas", "Batch / replica", "Tokens/s / replica", "Prefill ms",
                        "First token ms", "ms / output token", "Whole answer ms", "Target", "Met",
                    ],
                    serving.map {
                        [
                            MarkdownText.escape($0.workload), String($0.replicas), String($0.batchPerReplica ?? 0),
                            Numbers.text($0.decodeTokensPerSecondPerReplica ?? 0, digits: 0),
                            Numbers.text($0.prefillMs ?? 0), Numbers.text($0.timeToFirstTokenMs ?? 0),
                            Numbers.text($0.timePerOutputTokenMs ?? 0), Numbers.text($0.responseMs ?? 0, digits: 0),
                            $0.latencyTarget ?? "", $0.meetsLatencyTarget == true ? "yes" : "**no**",
                        ]
                    }))
            lines.append("")
        }
        let jobs = gpu.compactMap { row in row.training.map { (row, $0) } }
        if !jobs.isEmpty {
            lines.append("### Training jobs")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    ["Workload", "Cluster", "GPU", "GPUs", "FLOPs", "GPU-hours", "Days", "On demand", "Spot"],
                    jobs.flatMap { row, job in
                        job.options.map {
                            [
                                "\(MarkdownText.escape(row.workload)) (\($0.label))",
                                "\($0.instances)× \($0.instanceType)", $0.gpuModel,
                                String($0.gpus), Numbers.scientific(job.flops), Numbers.text($0.gpuHours, digits: 0),
                                Numbers.text($0.days, digits: 1), Numbers.usd($0.costOnDemandUSD),
                                $0.costSpotUSD.map(Numbers.usd) ?? "no spot row",
                            ]
                        }
                    }))
            lines.append("")
            for (row, job) in jobs {
                lines.append(
                    "- \(MarkdownText.escape(row.workload)): \(job.flopsFormula); MFU \(Numbers.percent(job.mfu, digits: 0)). Charged once, in the months it runs, never as GPUs rented for the whole projection. \(job.checkpointing)."
                )
            }
            lines.append("")
        }
        if !infra.sensitivity.isEmpty {
            lines.append("### Sensitivity")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    ["Workload", "Change", "Plan", "Cost", "Against today", "Latency target"],
                    infra.sensitivity.map { r in
                        [
                            MarkdownText.escape(r.workload), "\(r.parameter) \(r.change)",
                            r.instanceType.map { "\(r.instances ?? 0)× \($0)" } ?? "cannot be placed",
                            r.costUSD.map(Numbers.usd) ?? "-",
                            r.changeRatio.map { ($0 > 0 ? "+" : "") + Numbers.percent($0) } ?? "-",
                            r.meetsLatencyTarget.map { $0 ? "met" : "missed" } ?? "-",
                        ]
                    }))
            lines.append("")
            lines.append(
                "Each row re-plans one workload in the recommended region with one figure changed; serving costs are monthly, training jobs once."
            )
            lines.append("")
        }
        let cpu = infra.cpuPlan.filter { $0.provider == provider }
        if !cpu.isEmpty {
            lines.append("### Services")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    [
                        "Workload", "Instance", "vCPUs needed", "Memory GiB needed", "Instances", "Monthly (on demand)",
                        "Catalog row",
                    ],
                    cpu.map {
                        [
                            label($0.workload.rawValue, $0.region), $0.instanceType, String($0.vcpusNeeded),
                            Numbers.text($0.memoryGibNeeded),
                            String($0.instances), Numbers.usd($0.monthlyOnDemandUSD), "`\($0.catalogID)`",
                        ]
                    }))
            lines.append("")
        }
        let unplaced = infra.unplaced.filter { $0.provider == provider }
        for u in unplaced { lines.append("- **Not placed:** \(MarkdownText.escape(u.workload)): \(u.reason)") }
        if !unplaced.isEmpty { lines.append("") }
        lines.append("Sizing rules:")
        lines.append("")
        lines += infra.rules.map { "- \(MarkdownText.literal($0))" }
        lines += cpu.map { "- \($0.workload.rawValue): \($0.formula)" }
        return lines.joined(separator: "\n")
    }

    static func cost(_ view: ResultView) -> String {
        guard let cloud = view.cloud else { return missingNote([.cloudEngineer]) }
        func money(_ x: Double?) -> String { x.map(Numbers.usd) ?? "not priced" }
        var lines = [
            MarkdownTable.render(
                [
                    "Provider", "Region", "Compute", "GPU", "Storage", "Network", "Total", "With 1-yr reserved",
                    "Hosts all", "Data residency",
                ],
                cloud.providers.map {
                    [
                        $0.provider.rawValue + ($0.provider == cloud.recommendedProvider ? " (recommended)" : ""),
                        $0.regions.joined(separator: " + "),
                        money($0.cost.computeUSD), money($0.cost.gpuUSD), money($0.cost.storageUSD),
                        money($0.cost.networkUSD), money($0.cost.totalUSD), money($0.cost.reservedTotalUSD),
                        $0.feasible ? "yes" : "no", $0.residencyOK ? "kept" : "broken",
                    ]
                }),
            "",
            "Monthly figures at \(Numbers.text(cloud.hoursPerMonth)) hours per month. \"With 1-yr reserved\" uses the reserved rate where the catalog has one and the on-demand rate elsewhere.",
        ]
        if let rec = cloud.providers.first(where: { $0.provider == cloud.recommendedProvider }),
            rec.cost.trainingJobsUSD > 0
        {
            lines.append(
                "Training jobs are not in the monthly figures: on \(rec.provider.rawValue) they cost \(Numbers.usd(rec.cost.trainingJobsUSD)) once, on demand (providers are compared with it spread over 36 months)."
            )
        }
        if let rec = cloud.providers.first(where: { $0.provider == cloud.recommendedProvider }) {
            if rec.cost.plannedRegions > 1 {
                lines.append(
                    "- \(rec.cost.plannedRegions) planned regions (\(rec.regions.joined(separator: ", "))): each is a full copy of the serving plan; \(rec.regionsNote ?? "")."
                )
            }
            for u in rec.cost.unpriced { lines.append("- Not in the estimate: \(u)") }
        }
        if let cto = view.cto {
            lines.append("")
            lines.append("### Total cost of ownership (\(cto.provider.rawValue))")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    ["Period", "Compute", "GPU", "Storage", "Network", "Training jobs", "Total", "With reservations"],
                    [cto.oneYear, cto.threeYear].map {
                        [
                            "\($0.months) months", Numbers.usd($0.computeUSD), Numbers.usd($0.gpuUSD),
                            Numbers.usd($0.storageUSD), Numbers.usd($0.networkUSD), Numbers.usd($0.trainingUSD),
                            Numbers.usd($0.totalUSD),
                            Numbers.usd($0.totalWithReservedUSD),
                        ]
                    }))
            let b = cto.budget
            lines.append("")
            lines.append(
                "Budget: \(b.status)"
                    + (b.monthlyBudgetUSD.map { " (limit \(Numbers.usd($0))/month" } ?? "")
                    + (b.overUnderPercent.map { ", \($0 > 0 ? "+" : "")\(Numbers.text($0, digits: 1))%)" }
                        ?? (b.monthlyBudgetUSD == nil ? "" : ")")) + ".")
        }
        if let research = view.research {
            lines.append("")
            lines.append("### GPU price spread across the catalog")
            lines.append("")
            lines.append(
                MarkdownTable.render(
                    ["GPU", "Cheapest per GPU-hour", "Dearest per GPU-hour", "Spread"],
                    research.gpuSpreads.map {
                        [
                            $0.subject, "\(Numbers.usd($0.cheapest.usdPerUnitHour)) `\($0.cheapest.catalogID)`",
                            "\(Numbers.usd($0.dearest.usdPerUnitHour)) `\($0.dearest.catalogID)`",
                            Numbers.text($0.spread) + "×",
                        ]
                    }))
        }
        return lines.joined(separator: "\n")
    }

    static func compliance(_ view: ResultView) -> String {
        guard let c = view.compliance else { return missingNote([.compliance]) }
        guard !c.frameworks.isEmpty else {
            return "No compliance framework applies. Measures in place: "
                + (c.measuresInPlace.isEmpty ? "none" : c.measuresInPlace.joined(separator: ", ")) + ".\n\n"
                + c.residency.note
        }
        var lines = [
            MarkdownTable.render(
                ["Framework", "Basis", "Evaluated", "Coverage of the evaluated", "Missing controls"],
                c.frameworks.map {
                    [
                        $0.name, "\($0.basis.rawValue): \($0.reason)", $0.scope, Numbers.percent($0.coverage),
                        String($0.missingControls.count),
                    ]
                }),
            "",
            "**Data residency:** " + c.residency.note,
        ]
        for f in c.frameworks where !f.missingControls.isEmpty {
            lines.append("")
            lines.append("### \(f.name): missing controls")
            lines.append("")
            for m in f.missingControls {
                lines.append(
                    "- **\(m.reference)** (\(m.severity.rawValue)) \(m.title): needs \(m.missingMeasures.joined(separator: ", ")). \(m.remediation.joined(separator: " "))"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    static func mlops(_ view: ResultView) -> String {
        guard let m = view.mlops else { return missingNote([.mlops]) }
        var lines = ["Maturity level **\(m.currentLevel)** of 3; the workloads need level **\(m.requiredLevel)**.", ""]
        if !m.gaps.isEmpty { lines += ["Gaps:", ""] + m.gaps.map { "- \(MarkdownText.literal($0))" } + [""] }
        lines.append(
            MarkdownTable.render(
                ["Platform", "Score (of 5)", "Integration used"],
                m.platformScores.map { [$0.name, Numbers.text($0.score, digits: 2), Numbers.text($0.integrationUsed)] })
        )
        if !m.serving.isEmpty {
            lines += ["", "### Serving", ""]
            lines.append(
                MarkdownTable.render(
                    ["Workload", "Instance", "Min", "Max", "Spare", "Scale on"],
                    m.serving.map {
                        [
                            MarkdownText.escape($0.workload), $0.instanceType, String($0.minReplicas),
                            String($0.maxReplicas),
                            String($0.spareInstances), $0.scaleOn,
                        ]
                    }))
        }
        if !m.cicd.isEmpty { lines += ["", "### CI/CD", ""] + m.cicd.map { "- \(MarkdownText.literal($0))" } }
        if !m.monitoring.isEmpty {
            lines += ["", "### Monitoring", ""] + m.monitoring.map { "- \(MarkdownText.literal($0))" }
        }
        if m.cicd.isEmpty && m.monitoring.isEmpty {
            lines += ["", "No ML work is planned, so no model pipeline or model monitoring is proposed."]
        }
        return lines.joined(separator: "\n")
    }

    static func opportunities(_ view: ResultView) -> String {
        guard let a = view.consultant else { return missingNote([.aiConsultant]) }
        var lines = [
            MarkdownTable.render(
                ["Opportunity", "Origin", "ROI potential", "Complexity", "Months to value"],
                a.opportunities.map {
                    [
                        MarkdownText.literal($0.title), MarkdownText.literal($0.origin),
                        $0.roiPotential?.rawValue ?? "not rated",
                        $0.complexity?.rawValue ?? "not rated",
                        $0.timeToValueMonths.map { "\($0[0])-\($0[1])" } ?? "n/a",
                    ]
                }),
            "",
            "Readiness: **\(Numbers.text(a.readiness.score, digits: 0))/100** (\(a.readiness.formula)). \(a.tableNote)",
        ]
        if let value = view.cto?.value {
            lines.append("")
            if let low = value.threeYearROILow, let high = value.threeYearROIHigh {
                lines.append(
                    "Three-year ROI from the stated value (±30%): \(Numbers.percent(low)) to \(Numbers.percent(high)).")
            } else {
                lines.append(
                    "Break-even: \(Numbers.usd(value.breakEvenAnnualValueUSD)) of value per year over three years.")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func growth(_ view: ResultView) -> String {
        guard let s = view.simulation else { return missingNote([.simulation]) }
        var lines = [
            MarkdownTable.render(
                ["Month", "Users", "Expected", "p10", "p50", "p90"],
                s.horizons.map {
                    [
                        String($0.month), String($0.users), Numbers.usd($0.expected.totalUSD), Numbers.usd($0.p10USD),
                        Numbers.usd($0.p50USD), Numbers.usd($0.p90USD),
                    ]
                }),
            "",
            "Model: \(s.model) Seed `\(s.seed)`.",
        ]
        if let budget = s.monthlyBudgetUSD {
            lines.append("")
            lines.append(
                s.budgetExceededMonth.map {
                    $0 == 0
                        ? "The expected cost exceeds the \(Numbers.usd(budget)) budget from the start."
                        : "The expected cost exceeds the \(Numbers.usd(budget)) budget in month \($0)."
                }
                    ?? "The expected cost stays within the \(Numbers.usd(budget)) budget for 36 months.")
        }
        return lines.joined(separator: "\n")
    }

    static func risks(_ view: ResultView) -> String {
        guard let cto = view.cto else { return missingNote([.cto]) }
        guard !cto.risks.isEmpty else { return "No significant risk identified from the request and the catalog." }
        return MarkdownTable.render(
            ["Risk", "Severity", "Mitigation"],
            cto.risks.map {
                [MarkdownText.literal($0.risk), $0.severity.rawValue, MarkdownText.literal($0.mitigation)]
            })
    }

    /// Three phases over the project timeline: foundations (security, platform,
    /// placement), build (ML operations, first use case, every training job), launch (everything
    /// else). The build phase lasts at least as long as the longest training job on the
    /// recommended plan, so a job of months is never put in a phase of weeks.
    static func roadmap(_ request: AssessmentRequest, _ ranked: [RankedRecommendation], _ view: ResultView) -> String {
        let t = request.business.projectTimelineMonths
        let first = max(1, t / 3)
        let provider = view.cloud?.recommendedProvider
        let jobs = (view.infrastructure?.gpuPlan ?? []).filter { $0.provider == provider }.compactMap { row in
            row.training.map { (row.workload, $0) }
        }
        let hoursPerMonth = view.cloud?.hoursPerMonth ?? 730
        let longest = jobs.map { Int(($0.1.days * 24 / hoursPerMonth).rounded(.up)) }.max() ?? 0
        let second = max(first + 1, (2 * t) / 3, first + longest)
        let foundation: Set<AgentName> = [.compliance, .infrastructure, .cloudEngineer, .cto]
        let build: Set<AgentName> = [.mlops, .aiConsultant]
        var phases: [[RankedRecommendation]] = [[], [], []]
        for r in ranked {
            if r.priority == .high && !foundation.isDisjoint(with: r.agents) {
                phases[0].append(r)
            } else if !build.isDisjoint(with: r.agents) {
                phases[1].append(r)
            } else {
                phases[2].append(r)
            }
        }
        let names = [
            "Months 0-\(first): foundations", "Months \(first)-\(second): build and pilot",
            "Months \(second)-\(max(t, second + 1)): launch and optimise",
        ]
        var lines: [String] = []
        if second > max(1, (2 * t) / 3, first + 1) {
            lines += [
                "The training jobs need more than the project timeline's build phase (\(t) months in all): the build phase is stretched to their length.",
                "",
            ]
        }
        for (i, name) in names.enumerated() {
            lines += ["### \(name)", ""]
            let jobLines =
                i == 1
                ? jobs.map {
                    "- Run the \(MarkdownText.escape($0.0)) job: \(Numbers.text($0.1.days, digits: 1)) days on \($0.1.gpus) GPUs, from month \(first)"
                } : []
            lines +=
                phases[i].isEmpty && jobLines.isEmpty
                ? ["- No actions in this phase."]
                : jobLines + phases[i].map { "- \(MarkdownText.literal($0.title)) (\($0.priority.rawValue))" }
            lines.append("")
        }
        return lines.joined(separator: "\n").trimmingTrailingNewlines()
    }

    static func answers(_ view: ResultView) -> String {
        guard let c = view.chatbot else { return missingNote([.chatbot]) }
        return c.answers.map { "**\(MarkdownText.literal($0.question))**\n\n\(MarkdownText.literal($0.answer))" }
            .joined(separator: "\n\n")
    }

    static func sources(_ catalog: Catalog, _ view: ResultView) -> String {
        var lines = [
            "Catalog **\(catalog.version)**, newest price snapshot \(catalog.snapshotDate). Every price above cites its catalog row as `provider/region/instance_type` or `provider/region/item`.",
            "",
        ]
        if let web = view.web { lines += [web.statement, ""] }
        lines.append(
            MarkdownTable.render(
                ["Source", "Snapshot", "Description"],
                catalog.sources.map { [$0.id, $0.snapshotDate ?? "unknown", $0.description] }))
        lines += ["", "Not covered by the catalog:", ""] + catalog.notCovered.map { "- \($0)" }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
