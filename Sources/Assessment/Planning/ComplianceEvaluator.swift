package struct MissingControl: Codable, Sendable, Equatable {
    package let id: String
    package let reference: String
    package let title: String
    package let severity: Severity
    package let missingMeasures: [String]
    package let remediation: [String]
}

package struct FrameworkAssessment: Codable, Sendable, Equatable {
    package let id: ComplianceFramework
    package let name: String
    package let basis: ApplicableFramework.Basis
    package let reason: String
    /// Satisfied controls ÷ evaluated controls, 0-1: coverage of what was evaluated, not of the framework.
    package let coverage: Double
    /// Controls of the catalog evaluated for this framework: the denominator of `coverage`.
    package let evaluatedControls: Int
    /// What was evaluated against the framework's published size ("9 controls evaluated, drawn from
    /// its 93 Annex A controls").
    package let scope: String
    package let satisfiedControls: [String]
    package let missingControls: [MissingControl]
}

/// Maps the request's security measures onto each applicable framework's controls.
enum ComplianceEvaluator {
    static let residencyMeasure = "eu_data_residency"

    /// The measures in place: the stated security requirements, plus EU residency when
    /// the EU/UK personal data would be hosted in an EU region.
    static func measures(_ request: AssessmentRequest, catalog: Catalog, plan: AssessmentPlan) -> Set<String> {
        var measures = request.technical.securityRequirements.enabledMeasures
        let markets = request.business.geographicRegions
        let servesEU = markets.contains(.eu) || markets.contains(.uk)
        let rec = plan.recommended
        let euRegionAvailable = rec.jurisdiction == "eu"
        let secondEURegion =
            request.technical.scalabilityRequirements.plannedRegions >= 2
            && catalog.regions(of: rec.provider).contains { $0.jurisdiction == "eu" }
        if !servesEU || euRegionAvailable || secondEURegion { measures.insert(residencyMeasure) }
        return measures
    }

    static func evaluate(_ request: AssessmentRequest, catalog: Catalog, plan: AssessmentPlan) -> [FrameworkAssessment]
    {
        let inPlace = measures(request, catalog: catalog, plan: plan)
        return plan.frameworks.compactMap { applicable in
            guard let spec = catalog.frameworks.first(where: { $0.id == applicable.id }) else { return nil }
            var satisfied: [String] = []
            var missing: [MissingControl] = []
            for control in spec.controls {
                let absent = control.requires.filter { !inPlace.contains($0) }
                if absent.isEmpty {
                    satisfied.append(control.id)
                } else {
                    missing.append(
                        MissingControl(
                            id: control.id, reference: control.reference, title: control.title,
                            severity: control.severity, missingMeasures: absent,
                            remediation: absent.compactMap { catalog.remediation(for: $0)?.remediation }))
                }
            }
            let total = max(spec.controls.count, 1)
            let scope =
                "\(spec.controls.count) controls evaluated, "
                + (spec.scope.map { "drawn from its \($0.count) \($0.unit)" } ?? "drawn from its text")
                + "; the rest of the framework is not assessed"
            return FrameworkAssessment(
                id: spec.id, name: spec.name, basis: applicable.basis, reason: applicable.reason,
                coverage: Numbers.ratio(Double(satisfied.count) / Double(total)),
                evaluatedControls: spec.controls.count, scope: scope, satisfiedControls: satisfied,
                missingControls: missing)
        }
    }

    /// Mean coverage over the applicable frameworks, 0-100; nil when none applies.
    static func score(_ assessments: [FrameworkAssessment]) -> Double? {
        guard !assessments.isEmpty else { return nil }
        return Numbers.quantity(assessments.reduce(0.0) { $0 + $1.coverage } / Double(assessments.count) * 100)
    }
}
