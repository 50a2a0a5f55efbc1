import Assessment
import Foundation
import Synchronization

/// The typed results of the analysts this node ran lately, with the bytes they were sent as. The
/// report generator runs on the assessment's owner and gets its ten inputs as canonical JSON;
/// decoding them was the largest cost of an assessment outside the agents themselves, and those the
/// owner computed itself need no decoding. A hit must match the input's bytes exactly, so what the
/// generator sees is what was journaled.
final class ResultCache: Sendable {
    private struct Entries {
        var results: [String: (payload: Data, result: AgentResult)] = [:]
        var order: [String] = []
    }

    private let entries = Mutex(Entries())
    /// Enough for every analyst of the assessments a busy node owns at once; entries of an
    /// assessment whose owner died (nobody asks for them) age out in this order.
    private let capacity = 256

    private static func key(_ assessmentID: String, _ agent: String) -> String { assessmentID + "/" + agent }

    func remember(_ result: AgentResult, sentAs payload: Data, assessmentID: String, agent: String) {
        let key = Self.key(assessmentID, agent)
        entries.withLock { entries in
            guard entries.results.updateValue((payload, result), forKey: key) == nil else { return }
            entries.order.append(key)
            if entries.order.count > capacity { entries.results[entries.order.removeFirst()] = nil }
        }
    }

    /// The typed result if this node computed exactly `payload`; the entry is used up.
    func take(assessmentID: String, agent: String, payload: Data) -> AgentResult? {
        let key = Self.key(assessmentID, agent)
        return entries.withLock { entries -> AgentResult? in
            guard let entry = entries.results.removeValue(forKey: key) else { return nil }
            entries.order.removeAll { $0 == key }
            return entry.payload == payload ? entry.result : nil
        }
    }
}
