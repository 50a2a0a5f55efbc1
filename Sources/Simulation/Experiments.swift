import Membership

/// The measurements behind `inframind simulate membership`, each a deterministic function of
/// its seed so that a surprising figure can be replayed.
package enum Experiments {
    /// What one crash did: each survivor's time from the crash to marking the victim `down`
    /// (nil for a survivor that did not within the settings' detection bound, which would be a
    /// bug, not a slow run), and the traffic of the whole cluster in the window after the crash.
    package struct CrashOutcome: Sendable {
        package var detection: [Duration?]
        /// Messages per live node per second over `window` after the crash.
        package var messagesPerNodeSecond: Double
        package var window: Duration
    }

    package static func crashDetection(
        nodes: Int, seed: UInt64, settings: SWIM.Settings = SWIM.Settings(),
        network: NetworkConditions = NetworkConditions(), closesConnections: Bool
    ) -> [Duration?] {
        crash(nodes: nodes, seed: seed, settings: settings, network: network, closesConnections: closesConnections)
            .detection
    }

    package static func crash(
        nodes: Int, seed: UInt64, settings: SWIM.Settings = SWIM.Settings(),
        network: NetworkConditions = NetworkConditions(), closesConnections: Bool,
        trafficWindow: Duration = .seconds(20)
    ) -> CrashOutcome {
        let sim = Simulator(seed: seed, settings: settings, network: network)
        sim.crashClosesConnections = closesConnections
        sim.formCluster(size: nodes)
        // Crash at a seed-dependent instant, so that the victim's place in others' probe rounds varies.
        var random = SeededRandom(seed: seed ^ 0xC4A5_11)
        let crashAt = Duration.seconds(5) + settings.probeInterval * random.unit()
        let victimIndex = Int.random(in: 0..<nodes, using: &random)
        sim.run(until: crashAt)
        guard let victim = sim.memberID(of: victimIndex) else {
            return CrashOutcome(detection: [], messagesPerNodeSecond: 0, window: .zero)
        }
        sim.resetTraffic()
        sim.crash(victimIndex, at: crashAt)
        let survivors = sim.runningNodes.filter { $0 != victimIndex }
        let deadline = crashAt + settings.detectionBound(members: nodes)
        _ = sim.run(until: deadline) {
            survivors.allSatisfy { sim.status(of: victim, seenBy: $0) == .down }
        }
        let detection = survivors.map { index in
            sim.memberID(of: index).flatMap { sim.firstTime($0, saw: victim, as: .down) }.map { $0 - crashAt }
        }
        sim.run(until: max(sim.now, crashAt + trafficWindow))
        let window = sim.now - crashAt
        let rate = Double(sim.traffic.messages) / (Double(nodes - 1) * (window / .seconds(1)))
        return CrashOutcome(detection: detection, messagesPerNodeSecond: rate, window: window)
    }

    /// Time from a new node's start until every member (it included) sees it `up` and it sees
    /// every member `up`; nil if that did not happen within `limit`.
    package static func joinConvergence(
        nodes: Int, seed: UInt64, settings: SWIM.Settings = SWIM.Settings(),
        network: NetworkConditions = NetworkConditions(), limit: Duration = .seconds(120)
    ) -> Duration? {
        let sim = Simulator(seed: seed, settings: settings, network: network)
        sim.formCluster(size: nodes)
        sim.run(until: .seconds(5))
        let start = sim.now
        let joiner = sim.addJoiningNode()
        guard let joinerID = sim.memberID(of: joiner) else { return nil }
        let members = sim.runningNodes
        let converged = sim.run(until: start + limit) {
            guard sim.instance(joiner)?.status == .up,
                sim.instance(joiner)?.liveMemberCount == members.count
            else {
                return false
            }
            return members.allSatisfy { sim.status(of: joinerID, seenBy: $0) == .up }
        }
        return converged ? sim.now - start : nil
    }

    /// Messages and bytes each node sends per second in a steady cluster (after a warm-up that
    /// lets the staggered timers spread out).
    package static func steadyTraffic(
        nodes: Int, seed: UInt64, settings: SWIM.Settings = SWIM.Settings(),
        duration: Duration = .seconds(60)
    ) -> (messagesPerSecond: Double, bytesPerSecond: Double) {
        let sim = Simulator(seed: seed, settings: settings)
        sim.formCluster(size: nodes)
        sim.run(until: .seconds(10))
        sim.resetTraffic()
        sim.run(for: duration)
        let (messages, bytes) = sim.traffic
        let perNodeSecond = Double(nodes) * (duration / .seconds(1))
        return (Double(messages) / perNodeSecond, Double(bytes) / perNodeSecond)
    }

    /// False `down`s in a cluster where every node stays alive: how many (observer, member)
    /// pairs saw a live member `down`, and how many distinct members were so declared.
    package static func falseDowns(
        nodes: Int, seed: UInt64, loss: Double, settings: SWIM.Settings = SWIM.Settings(),
        duration: Duration = .seconds(120)
    ) -> (observations: Int, members: Int) {
        let sim = Simulator(seed: seed, settings: settings, network: NetworkConditions(loss: loss))
        sim.formCluster(size: nodes)
        sim.run(until: duration)
        let downs = sim.trace.filter { $0.change.status == .down && $0.change.member != $0.observer }
        return (downs.count, Set(downs.map(\.change.member)).count)
    }
}
