import Assessment
import FoundationEssentials

/// The typed results of the analysts this node ran lately, with the bytes they were sent as. The
/// report generator runs on the assessment's owner and gets its ten inputs as canonical JSON;
/// decoding them was the largest cost of an assessment outside the agents themselves, and those the
/// owner computed itself need no decoding. A hit must match the input's bytes exactly, so what the
/// generator sees is what was journaled.
final class ResultCache: Sendable {
    /// Enough for every analyst of the assessments a busy node owns at once; entries of an
    /// assessment whose owner died (nobody asks for them) age out in this order.
    private let entries = BoundedCache<(payload: Data, result: AgentResult)>(capacity: 256)

    private static func key(_ assessmentID: String, _ agent: String) -> String { assessmentID + "/" + agent }

    func remember(_ result: AgentResult, sentAs payload: Data, assessmentID: String, agent: String) {
        entries.insert((payload, result), forKey: Self.key(assessmentID, agent))
    }

    /// The typed result if this node computed exactly `payload`; the entry is used up.
    func take(assessmentID: String, agent: String, payload: Data) -> AgentResult? {
        guard let entry = entries.removeValue(forKey: Self.key(assessmentID, agent)) else { return nil }
        return entry.payload == payload ? entry.result : nil
    }
}
