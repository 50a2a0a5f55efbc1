/// The closed vocabularies of the request. Raw values are the wire spelling and
/// `allCases` order is the order the JSON Schema lists them in.

package enum CompanySize: String, Codable, Sendable, CaseIterable {
    case startup, small, medium, large, enterprise
}

package enum Industry: String, Codable, Sendable, CaseIterable {
    case technology, healthcare, finance, education, retail, manufacturing, government
    case nonProfit = "non_profit"
    case other
}

/// A market the company serves (not a cloud region).
package enum Market: String, Codable, Sendable, CaseIterable {
    case us, canada, eu, uk, apac, latam, mea
}

package enum ComplianceFramework: String, Codable, Sendable, CaseIterable, Comparable {
    case gdpr, hipaa, ccpa, soc2, iso27001
    case pciDSS = "pci_dss"

    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

package enum ProviderPreference: String, Codable, Sendable, CaseIterable {
    case aws, azure, gcp
    case noPreference = "no_preference"

    package var provider: Provider? { Provider(rawValue: rawValue) }
}

package enum Provider: String, Codable, Sendable, CaseIterable, Comparable {
    case aws, azure, gcp

    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

package enum WorkloadType: String, Codable, Sendable, CaseIterable, Comparable {
    case webApplication = "web_application"
    case apiService = "api_service"
    case dataProcessing = "data_processing"
    case machineLearning = "machine_learning"
    case database, analytics, iot
    case mobileBackend = "mobile_backend"
    case microservices

    package static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

package enum AIMaturity: String, Codable, Sendable, CaseIterable {
    case none, pilot, production, advanced

    /// 0 (none) to 3 (advanced); the MLOps agent compares it with the level the workloads need.
    package var level: Int {
        switch self {
        case .none: return 0
        case .pilot: return 1
        case .production: return 2
        case .advanced: return 3
        }
    }
}

package enum Precision: String, Codable, Sendable, CaseIterable {
    case fp32, bf16, fp16, fp8, int8, int4

    /// Bytes one parameter occupies in GPU memory at this precision.
    package var bytesPerParameter: Double {
        switch self {
        case .fp32: return 4
        case .bf16, .fp16: return 2
        case .fp8, .int8: return 1
        case .int4: return 0.5
        }
    }
}

package enum AIWorkloadMode: String, Codable, Sendable, CaseIterable {
    case inference, training
    case fineTuning = "fine_tuning"
}

package enum FineTuningMethod: String, Codable, Sendable, CaseIterable {
    case lora, full
}

package enum DeploymentModel: String, Codable, Sendable, CaseIterable {
    case containers
    case virtualMachines = "virtual_machines"
    case serverless
    case bareMetal = "bare_metal"
    case hybrid
    case noPreference = "no_preference"
}
