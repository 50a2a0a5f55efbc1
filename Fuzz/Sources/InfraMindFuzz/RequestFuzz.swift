import Assessment
import FoundationEssentials
import FuzzSupport

/// The submission route's parsing and validation (`RequestValidator.validate` on the body's bytes,
/// as AssessmentRoutes does before anything else sees them): any bytes give a request or a list of
/// problems, never a trap, and the same bytes give the same answer. `scripts/fuzz` runs it with
/// `-timeout=1` and `-rss_limit_mb=2048`, so a slow or memory-hungry input is a finding too.
enum RequestFuzz {
    static let target = FuzzTarget(name: "request") { input in
        let body = Data(input)
        let first = outcome(body)
        if case .failure(let failure) = first {
            require(!failure.errors.isEmpty, "a refused request names no problem")
        }
        require(outcome(body) == first, "validating the same bytes twice gives different answers")
    }

    static func outcome(_ body: Data) -> Result<AssessmentRequest, ValidationFailure> {
        Result { () throws(ValidationFailure) in try RequestValidator.validate(body) }
    }
}
