import FoundationEssentials

/// What the owner has seen of an assessment's agents so far; stored as JSON inside the record (`StoredJSON`).
package struct AssessmentProgress: Sendable, Codable, Hashable {
    package var percent: Int
    package var currentStep: String?
    package var agents: [AgentProgress]

    package init(percent: Int = 0, currentStep: String? = nil, agents: [AgentProgress] = []) {
        self.percent = percent
        self.currentStep = currentStep
        self.agents = agents
    }

    /// `changed`'s percent and step, and its agents' entries in place of this one's entries for the
    /// same agents, in this one's order; nil when it names an agent this one has no entry for.
    package func applying(_ changed: AssessmentProgress) -> AssessmentProgress? {
        var merged = AssessmentProgress(percent: changed.percent, currentStep: changed.currentStep, agents: agents)
        for entry in changed.agents {
            guard let index = merged.agents.firstIndex(where: { $0.agent == entry.agent }) else { return nil }
            merged.agents[index] = entry
        }
        return merged
    }
}

/// One agent task's state, attempt, the node running it and when its latest attempt started and
/// finished (wall clock of the owner), as shown to clients: the console's timeline is drawn from these.
package struct AgentProgress: Sendable, Codable, Hashable {
    package enum State: String, Sendable, Codable, Hashable {
        case waiting
        case running
        case succeeded
        case failed
    }

    package var agent: String
    package var state: State
    package var attempt: Int
    package var node: String?
    /// When the latest attempt was handed to its node; nil while waiting for the first one.
    package var startedAt: Date?
    /// When the latest attempt's result (or its last failure) reached the owner.
    package var finishedAt: Date?

    package init(
        agent: String, state: State, attempt: Int, node: String? = nil, startedAt: Date? = nil,
        finishedAt: Date? = nil
    ) {
        self.agent = agent
        self.state = state
        self.attempt = attempt
        self.node = node
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }

    // Times are whole milliseconds since 1970 under `startedAtMs`/`finishedAtMs`, so that the stored
    // column's hand-written JSON (`StoredJSON`) and `JSONEncoder` write the same integers.
    enum CodingKeys: String, CodingKey {
        case agent, state, attempt, node
        case startedAt = "startedAtMs"
        case finishedAt = "finishedAtMs"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        agent = try container.decode(String.self, forKey: .agent)
        state = try container.decode(State.self, forKey: .state)
        attempt = try container.decode(Int.self, forKey: .attempt)
        node = try container.decodeIfPresent(String.self, forKey: .node)
        startedAt = try container.decodeIfPresent(Int64.self, forKey: .startedAt).map(Self.date(milliseconds:))
        finishedAt = try container.decodeIfPresent(Int64.self, forKey: .finishedAt).map(Self.date(milliseconds:))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agent, forKey: .agent)
        try container.encode(state, forKey: .state)
        try container.encode(attempt, forKey: .attempt)
        try container.encodeIfPresent(node, forKey: .node)
        try container.encodeIfPresent(startedAt.map(Self.milliseconds(of:)), forKey: .startedAt)
        try container.encodeIfPresent(finishedAt.map(Self.milliseconds(of:)), forKey: .finishedAt)
    }

    /// Whole milliseconds since 1970 (nearest): the precision the record keeps.
    package static func milliseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
