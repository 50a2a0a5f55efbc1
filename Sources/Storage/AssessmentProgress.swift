/// What the owner has seen of an assessment's agents so far; stored as JSON inside the record (`StoredJSON`).
public struct AssessmentProgress: Sendable, Codable, Hashable {
    public var percent: Int
    public var currentStep: String?
    public var agents: [AgentProgress]

    public init(percent: Int = 0, currentStep: String? = nil, agents: [AgentProgress] = []) {
        self.percent = percent
        self.currentStep = currentStep
        self.agents = agents
    }
}

/// One agent task's state, attempt and the node running it, as shown to clients.
public struct AgentProgress: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable, Hashable {
        case waiting
        case running
        case succeeded
        case failed
    }

    public var agent: String
    public var state: State
    public var attempt: Int
    public var node: String?

    public init(agent: String, state: State, attempt: Int, node: String? = nil) {
        self.agent = agent
        self.state = state
        self.attempt = attempt
        self.node = node
    }
}
