import FoundationEssentials

/// One agent's output for one assessment, as journaled on the replica set before it counts.
package struct AgentResult: Sendable, Hashable, Codable {
    package var assessmentID: String
    package var agent: String
    /// The attempt that produced this result, kept so a fault report can name both attempts.
    package var attempt: Int
    /// Agents are deterministic, so equal inputs must give equal digests; the store compares only this.
    package var digest: Data
    package var payload: Data
    package var node: String
    package var recordedAt: Date

    package init(
        assessmentID: String, agent: String, attempt: Int, digest: Data, payload: Data, node: String,
        recordedAt: Date
    ) {
        self.assessmentID = assessmentID
        self.agent = agent
        self.attempt = attempt
        self.digest = digest
        self.payload = payload
        self.node = node
        self.recordedAt = recordedAt
    }
}
