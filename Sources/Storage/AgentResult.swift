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

/// What happened to an appended result. The first result for an (assessment, agent) wins whatever
/// its attempt: a late worker from an earlier attempt must not replace, nor be dropped silently.
public enum JournalOutcome: Sendable, Hashable {
    /// This was the first result for the task; it is now the one that counts.
    case recorded
    /// A result with the same digest was already there (a task run twice, harmlessly).
    case duplicate(stored: AgentResult)
    /// A result with a different digest was already there: the agent is not deterministic.
    /// The stored one still counts; the caller logs and counts the fault.
    case determinismFault(stored: AgentResult)
}
