import FoundationEssentials

/// One agent's output for one assessment, as journaled on the replica set before it counts.
public struct AgentResult: Sendable, Hashable, Codable {
    public var assessmentID: String
    public var agent: String
    /// The attempt that produced this result, kept so a fault report can name both attempts.
    public var attempt: Int
    /// Agents are deterministic, so equal inputs must give equal digests; the store compares only this.
    public var digest: Data
    public var payload: Data
    public var node: String
    public var recordedAt: Date

    public init(
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
