/// A compliance framework that applies to the request, and why.
package struct ApplicableFramework: Codable, Sendable, Equatable {
    package enum Basis: String, Codable, Sendable {
        case explicit, implied
    }

    package let id: ComplianceFramework
    package let basis: Basis
    package let reason: String
}

enum ApplicableFrameworks {
    /// Explicit frameworks plus those the industry and markets imply. The implications
    /// are deliberately conservative: each one is a law or contract the team is likely
    /// bound by, and the report says which rule put it there.
    static func resolve(_ request: AssessmentRequest) -> [ApplicableFramework] {
        let b = request.business
        var out: [ComplianceFramework: ApplicableFramework] = [:]
        for f in b.complianceRequirements {
            out[f] = ApplicableFramework(id: f, basis: .explicit, reason: "listed in compliance_requirements")
        }
        func imply(_ f: ComplianceFramework, _ reason: String) {
            if out[f] == nil { out[f] = ApplicableFramework(id: f, basis: .implied, reason: reason) }
        }
        if b.industry == .healthcare {
            imply(
                .hipaa,
                "healthcare organisations handling protected health information are HIPAA covered entities or business associates"
            )
        }
        if b.geographicRegions.contains(.eu) || b.geographicRegions.contains(.uk) {
            imply(.gdpr, "serving EU/UK residents brings their personal data under the GDPR (UK GDPR in the UK)")
        }
        if b.processesCardPayments ?? (b.industry == .retail || b.industry == .finance) {
            let why =
                b.processesCardPayments == true
                ? "processes_card_payments is true"
                : "retail and finance are assumed to handle card payments (set processes_card_payments to false if not)"
            imply(.pciDSS, why)
        }
        if b.geographicRegions.contains(.us), [.medium, .large, .enterprise].contains(b.companySize) {
            imply(
                .ccpa,
                "a \(b.companySize.rawValue)-sized company serving US consumers is likely to meet a CCPA threshold for Californian residents"
            )
        }
        return out.values.sorted { $0.id < $1.id }
    }

    /// The jurisdiction the primary region must be in, if any.
    static func requiredJurisdiction(_ request: AssessmentRequest, frameworks: [ApplicableFramework]) -> String? {
        guard frameworks.contains(where: { $0.id == .gdpr }) else { return nil }
        let primary = request.business.geographicRegions.first ?? .us
        return primary == .eu || primary == .uk ? "eu" : nil
    }
}
