package struct ResidencyFinding: Codable, Sendable, Equatable {
    package let requiredJurisdiction: String?
    package let recommendedRegion: String
    package let regionJurisdiction: String
    package let satisfied: Bool
    package let note: String
}

package struct ComplianceData: Codable, Sendable, Equatable {
    package let frameworks: [FrameworkAssessment]
    /// Mean coverage of the applicable frameworks, 0-100; nil when no framework applies.
    package let score: Double?
    package let measuresInPlace: [String]
    package let residency: ResidencyFinding
}

/// Which frameworks apply, which of their controls the stated security measures
/// satisfy, what is missing and how to fix it, and where the data may live.
enum ComplianceAgent {
    static func run(_ request: AssessmentRequest, _ catalog: Catalog) -> AgentResult {
        let plan = PlanBuilder.build(request, catalog: catalog)
        let assessments = ComplianceEvaluator.evaluate(request, catalog: catalog, plan: plan)
        let inPlace = ComplianceEvaluator.measures(request, catalog: catalog, plan: plan)
        let score = ComplianceEvaluator.score(assessments)
        let rec = plan.recommended
        let residencyOK = inPlace.contains(ComplianceEvaluator.residencyMeasure)
        let markets = request.business.geographicRegions
        let note: String
        if markets.contains(.eu) || markets.contains(.uk) {
            note =
                residencyOK
                ? "EU/UK personal data can be hosted in an EU region (\(rec.jurisdiction == "eu" ? rec.region : "a second, EU region of \(rec.provider.rawValue)"))."
                : "EU/UK residents' personal data would be hosted in \(rec.region) (\(rec.jurisdiction.uppercased())); add an EU region or document a Chapter V transfer mechanism."
        } else {
            note = "No market with a data-residency rule in the catalog's mapping."
        }

        // One recommendation per missing measure, ranked by the worst control it leaves open,
        // because a measure (say MFA) usually closes controls in several frameworks at once.
        var byMeasure: [String: [MissingControl]] = [:]
        for f in assessments {
            for control in f.missingControls {
                for m in control.missingMeasures { byMeasure[m, default: []].append(control) }
            }
        }
        let ranked = byMeasure.sorted {
            let a = $0.value.map(\.severity).min() ?? .low
            let b = $1.value.map(\.severity).min() ?? .low
            return (a.rank, -$0.value.count, $0.key) < (b.rank, -$1.value.count, $1.key)
        }
        let recommendations = ranked.map { measure, controls in
            Recommendation(
                title:
                    "Close the \(catalog.remediation(for: measure)?.name ?? measure) gap",
                priority: controls.map(\.severity).min() ?? .low,
                impact: "Satisfies \(controls.count) missing control(s): "
                    + controls.map(\.reference).joined(separator: ", "),
                rationale: catalog.remediation(for: measure)?.remediation ?? "No remediation text in the catalog.",
                evidence: controls.map(\.id) + ["measure.\(measure)"])
        }
        let summary: String
        if let score {
            let missing = assessments.reduce(0) { $0 + $1.missingControls.count }
            let evaluated = assessments.reduce(0) { $0 + $1.evaluatedControls }
            summary =
                "\(assessments.count) framework(s) apply (\(assessments.map(\.id.rawValue).joined(separator: ", "))); \(Numbers.text(score, digits: 1))% of the \(evaluated) controls evaluated are met, \(missing) missing (a partial evaluation of each framework)."
        } else {
            summary =
                "No compliance framework applies to this request; security measures are reported in the report only."
        }
        let data = ComplianceData(
            frameworks: assessments, score: score, measuresInPlace: inPlace.sorted(),
            residency: ResidencyFinding(
                requiredJurisdiction: plan.requiredJurisdiction, recommendedRegion: rec.region,
                regionJurisdiction: rec.jurisdiction, satisfied: residencyOK, note: note))
        return AgentResult(
            agent: .compliance, summary: summary, recommendations: recommendations,
            citations: assessments.flatMap { $0.satisfiedControls + $0.missingControls.map(\.id) } + [rec.regionID],
            data: .compliance(data))
    }
}
