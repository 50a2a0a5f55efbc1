import Membership

/// How the simulated network treats messages: each one independently lost with probability
/// `loss`, otherwise delayed uniformly in `minimumDelay ... maximumDelay`, which also reorders
/// messages whose delays overlap.
package struct NetworkConditions: Hashable, Sendable {
    package var loss: Double
    package var minimumDelay: Duration
    package var maximumDelay: Duration

    /// A LAN: no loss, one-way delays between 0.2 and 2 ms.
    package init(
        loss: Double = 0, minimumDelay: Duration = .microseconds(200),
        maximumDelay: Duration = .milliseconds(2)
    ) {
        self.loss = loss
        self.minimumDelay = minimumDelay
        self.maximumDelay = maximumDelay
    }
}

/// The fate of each message: which partition side each node is on, and the loss and delay
/// drawn from the network's own generator.
struct Network {
    var conditions: NetworkConditions
    var random: SeededRandom
    /// Node index to side; nodes absent from the map are all on one shared side.
    private var sides: [Int: Int] = [:]

    init(conditions: NetworkConditions, random: SeededRandom) {
        self.conditions = conditions
        self.random = random
    }

    mutating func partition(_ groups: [[Int]]) {
        sides = [:]
        for (side, group) in groups.enumerated() {
            for node in group { sides[node] = side + 1 }
        }
    }

    mutating func heal() {
        sides = [:]
    }

    func connected(_ a: Int, _ b: Int) -> Bool {
        sides[a, default: 0] == sides[b, default: 0]
    }

    /// The delay of a message from `a` to `b`, or nil if it is lost.
    mutating func delay(from a: Int, to b: Int) -> Duration? {
        guard connected(a, b) else { return nil }
        // Always draw both numbers so that changing the loss rate does not shift later draws.
        let lost = random.unit() < conditions.loss
        let spread = conditions.maximumDelay - conditions.minimumDelay
        let delay = conditions.minimumDelay + spread * random.unit()
        return lost ? nil : delay
    }
}
