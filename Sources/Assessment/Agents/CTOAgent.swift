package struct TCO: Codable, Sendable, Equatable {
    package let months: Int
    package let computeUSD: Double
    package let gpuUSD: Double
    package let storageUSD: Double
    package let networkUSD: Double
    /// One-time training and fine-tuning jobs that run within these months.
    package let trainingUSD: Double
    /// compute + gpu + storage + network + training.
    package let totalUSD: Double
    /// The same months with compute and GPU at 1-year reserved rates where the catalog has them.
    package let totalWithReservedUSD: Double
}

package struct BudgetFit: Codable, Sendable, Equatable {
    package let monthlyBudgetUSD: Double?
    package let monthlyCostUSD: Double
    /// (cost − budget) ÷ budget, in percent; positive means over budget.
    package let overUnderPercent: Double?
    package let status: String
}

package struct ValueCase: Codable, Sendable, Equatable {
    package let expectedAnnualValueUSD: Double?
    /// ±30% around the stated value.
    package let annualValueLowUSD: Double?
    package let annualValueHighUSD: Double?
    package let threeYearROILow: Double?
    package let threeYearROIHigh: Double?
    /// The month from whose end on the value earned (the low or the high case, spread evenly over the
    /// year) stays ahead of every cost so far through month 36; nil when it does not.
    package let paybackMonthsLow: Double?
    package let paybackMonthsHigh: Double?
    /// The yearly value at which the three-year TCO breaks even.
    package let breakEvenAnnualValueUSD: Double
    package let drivers: [Opportunity]
}

package struct Risk: Codable, Sendable, Equatable {
    package let risk: String
    package let severity: Severity
    package let mitigation: String
}

package struct CTOData: Codable, Sendable, Equatable {
    package let provider: Provider
    package let oneYear: TCO
    package let threeYear: TCO
    package let budget: BudgetFit
    package let value: ValueCase
    package let risks: [Risk]
    package let executivePoints: [String]
}

/// The executive view: what it costs over one and three years, whether it fits the
/// budget, what it must return, and what could go wrong.
enum CTOAgent {
    static let valueBand = 0.3
    static let scarceGPUs = ["H100", "H200", "B200"]

    /// The total of the first `months` months of the projection.
    static func tco(_ months: Int, of projection: [MonthlyCost], plan: ProviderPlan) -> TCO {
        let series = projection.prefix(months)
        let compute = Numbers.total(series.map(\.computeUSD))
        let gpu = Numbers.total(series.map(\.gpuUSD))
        let storage = Numbers.total(series.map(\.storageUSD))
        let network = Numbers.total(series.map(\.networkUSD))
        let training = Numbers.total(series.map(\.trainingUSD))
        let recurring = Numbers.total([compute, gpu, storage, network])
        let factor = plan.cost.totalUSD > 0 ? plan.cost.reservedTotalUSD / plan.cost.totalUSD : 1
        // Jobs are bought on demand (or spot), never reserved: the reserved factor applies to the rest.
        return TCO(
            months: months, computeUSD: compute, gpuUSD: gpu, storageUSD: storage, networkUSD: network,
            trainingUSD: training, totalUSD: Numbers.total([recurring, training]),
            totalWithReservedUSD: Numbers.total([recurring * factor, training]))
    }

    /// Says when the value pays the cost back, never a payback beside a three-year loss.
    static func paybackText(low: Double?, high: Double?) -> String {
        switch (low, high) {
        case (let l?, let h?):
            return l == h
                ? "paid back by month \(Numbers.text(h, digits: 0))"
                : "paid back by month \(Numbers.text(h, digits: 0)) (high case) to \(Numbers.text(l, digits: 0)) (low case)"
        case (nil, let h?):
            return
                "paid back by month \(Numbers.text(h, digits: 0)) in the high case; the low case does not pay back within 36 months"
        default:
            return "not paid back within 36 months in either case"
        }
    }

    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let full = PlanBuilder.build(request, catalog: catalog)
        let plan = full.recommended
        let growth = GrowthModel(request)
        // Months 0 … 36 of the one growth model, computed once: the TCOs, the payback and the month the
        // budget is crossed all read them.
        let projection = (0...36).map {
            CostProjection.month($0, plan: plan, growth: growth, request: request, catalog: catalog)
        }
        let one = tco(12, of: projection, plan: plan)
        let three = tco(36, of: projection, plan: plan)
        let monthly = plan.cost.totalUSD
        let budgetLimit = request.business.budgetConstraints.monthlyBudgetLimit
        var overUnder: Double?
        var status = "no budget stated"
        if let limit = budgetLimit {
            if limit > 0 {
                overUnder = Numbers.quantity((monthly - limit) / limit * 100)
                status = monthly > limit ? "over budget" : "within budget"
            } else {
                status = monthly > 0 ? "over budget" : "within budget"
            }
        }
        let budget = BudgetFit(
            monthlyBudgetUSD: budgetLimit, monthlyCostUSD: monthly, overUnderPercent: overUnder, status: status)

        let opportunities = Opportunities.find(request, catalog: catalog)
        let stated = request.business.expectedAnnualAIValueUSD
        func roi(_ v: Double) -> Double? {
            three.totalUSD > 0 ? Numbers.ratio((3 * v - three.totalUSD) / three.totalUSD) : nil
        }
        let series = projection.prefix(36).map(\.totalUSD)
        // Paid back from the first month after which the value earned so far stays ahead of every
        // cost so far, through month 36: a plan whose costs outgrow its value is not paid back early.
        func payback(_ v: Double) -> Double? {
            guard v > 0 else { return nil }
            var cost = 0.0
            var since: Int?
            for (m, c) in series.enumerated() {
                cost += c
                if v / 12 * Double(m + 1) >= cost {
                    if since == nil { since = m + 1 }
                } else {
                    since = nil
                }
            }
            return since.map(Double.init)
        }
        let low = stated.map { $0 * (1 - valueBand) }
        let high = stated.map { $0 * (1 + valueBand) }
        let value = ValueCase(
            expectedAnnualValueUSD: stated, annualValueLowUSD: low.map(Numbers.money),
            annualValueHighUSD: high.map(Numbers.money), threeYearROILow: low.flatMap(roi),
            threeYearROIHigh: high.flatMap(roi), paybackMonthsLow: low.flatMap(payback),
            paybackMonthsHigh: high.flatMap(payback), breakEvenAnnualValueUSD: Numbers.money(three.totalUSD / 3),
            drivers: opportunities)

        let risks = assessRisks(request, catalog: catalog, full: full, budget: budget)
        var recommendations: [Recommendation] = []
        if let over = overUnder, over > 0 {
            recommendations.append(
                Recommendation(
                    title: "Close a \(Numbers.text(over, digits: 1))% budget gap before committing", priority: .high,
                    impact: "\(Numbers.usd(monthly))/month planned against \(Numbers.usd(budgetLimit ?? 0))",
                    rationale:
                        "Options: 1-year reserved rates (\(Numbers.usd(plan.cost.reservedTotalUSD))/month), smaller or quantised models, or a later start for some workloads.",
                    evidence: ["formula.budget_fit"] + plan.gpuPlan.map(\.catalogID)))
        }
        let hasAI = !request.technical.aiWorkloads.isEmpty || !request.technical.aiUseCases.isEmpty
        if stated == nil && hasAI {
            recommendations.append(
                Recommendation(
                    title: "State the expected annual value of the AI work", priority: .medium,
                    impact: "The plan breaks even at \(Numbers.usd(value.breakEvenAnnualValueUSD)) of value per year",
                    rationale:
                        "Without expected_annual_ai_value_usd no payback or ROI can be computed, only the break-even.",
                    evidence: ["formula.break_even"]))
        } else if let r = value.threeYearROILow, r < 0 {
            recommendations.append(
                Recommendation(
                    title: "Re-scope: the low value case does not pay back in three years", priority: .high,
                    impact: "Three-year ROI in the low case: \(Numbers.percent(r))",
                    rationale: "Value 30% below the stated figure against the three-year TCO.",
                    evidence: ["formula.roi"]))
        }
        // When growth alone breaks the budget, the executive view should say so, not only the projection.
        let crossing = budgetLimit.flatMap { limit in
            monthly <= limit
                ? (1...36).first { projection[$0].totalUSD > limit } : nil
        }
        let points = [
            "Run on \(plan.provider.rawValue) in \(plan.region): \(Numbers.usd(monthly))/month today, \(Numbers.usd(one.totalUSD)) in year one, \(Numbers.usd(three.totalUSD)) over three years on demand (\(Numbers.usd(three.totalWithReservedUSD)) with 1-year reservations where available).",
            "Budget: \(status)" + (overUnder.map { " (\($0 > 0 ? "+" : "")\(Numbers.text($0, digits: 1))%)" } ?? "")
                + (crossing.map { "; at the stated growth it is exceeded in month \($0)" } ?? "") + ".",
            stated == nil
                ? "Break-even value: \(Numbers.usd(value.breakEvenAnnualValueUSD)) per year."
                : "Three-year ROI \(Numbers.percent(value.threeYearROILow ?? 0)) (value 30% below the stated figure) to \(Numbers.percent(value.threeYearROIHigh ?? 0)) (30% above); "
                    + paybackText(low: value.paybackMonthsLow, high: value.paybackMonthsHigh) + ".",
            "Top risk: " + (risks.first.map { "\($0.risk) (\($0.severity.rawValue))" } ?? "none identified") + ".",
        ]
        let data = CTOData(
            provider: plan.provider, oneYear: one, threeYear: three, budget: budget, value: value, risks: risks,
            executivePoints: points)
        return AgentResult(
            agent: .cto, summary: points[0], recommendations: recommendations,
            citations: plan.citations + opportunities.compactMap(\.useCaseID), data: .cto(data))
    }

    static func assessRisks(_ request: AssessmentRequest, catalog: Catalog, full: AssessmentPlan, budget: BudgetFit)
        -> [Risk]
    {
        let plan = full.recommended
        var risks: [Risk] = []
        if budget.status == "over budget" {
            risks.append(
                Risk(
                    risk: "the plan costs more than the monthly budget", severity: .high,
                    mitigation: "Reserve the base load, quantise models, or phase workloads in."))
        }
        if !plan.unplaced.isEmpty {
            risks.append(
                Risk(
                    risk:
                        "\(plan.unplaced.count) workload(s) cannot be placed on \(plan.provider.rawValue) from the catalog",
                    severity: .high,
                    mitigation: "Use a provider or region with larger GPU instances, or shrink the model."))
        }
        if !plan.residencyOK {
            risks.append(
                Risk(
                    risk: "the chosen region breaks data residency", severity: .high,
                    mitigation: "Move to a provider with an EU region in the catalog."))
        }
        let gaps = ComplianceEvaluator.evaluate(request, catalog: catalog, plan: full)
            .flatMap(\.missingControls).filter { $0.severity == .high }
        if !gaps.isEmpty {
            risks.append(
                Risk(
                    risk: "\(gaps.count) high-severity compliance control(s) are not covered", severity: .high,
                    mitigation: "Implement the compliance section's remediations before handling regulated data."))
        }
        let scarce = plan.gpuPlan.filter { g in scarceGPUs.contains { g.gpuModel.hasPrefix($0) } }
        if !scarce.isEmpty {
            risks.append(
                Risk(
                    risk:
                        "\(Set(scarce.map(\.gpuModel)).sorted().joined(separator: ", ")) capacity is often quota-limited",
                    severity: .medium, mitigation: "Request GPU quota or a capacity reservation early in the timeline.")
            )
        }
        let needed = MLOpsAgent.requiredLevel(request)
        if request.technical.currentAIMaturity.level < needed {
            risks.append(
                Risk(
                    risk:
                        "ML maturity (\(request.technical.currentAIMaturity.rawValue)) is below what the workloads need",
                    severity: .medium, mitigation: "Follow the ML operations roadmap before the production launch."))
        }
        let uptime = request.technical.performanceRequirements.uptimePercentage
        if uptime >= 99.95 && request.technical.scalabilityRequirements.plannedRegions < 2 {
            risks.append(
                Risk(
                    risk: "a \(Numbers.text(uptime, digits: 3))% uptime target in a single region", severity: .medium,
                    mitigation: "Plan a second region or agree a lower availability target."))
        }
        if !plan.cost.unpriced.isEmpty {
            risks.append(
                Risk(
                    risk: "storage and egress are not in the estimate", severity: .low,
                    mitigation:
                        "Obtain \(plan.provider.rawValue) storage and egress prices; the catalog has GCP's only."))
        }
        return risks
    }
}
