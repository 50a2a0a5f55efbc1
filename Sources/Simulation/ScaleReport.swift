import Membership

/// One row of the scale table: what a cluster of `nodes` members does under the default settings.
package struct ScaleRow: Hashable, Sendable {
    package var nodes: Int
    /// Crash to `down` at every survivor, when the crash closes connections (SIGKILL).
    package var killDetection: Percentiles
    /// Crash to `down` at every survivor, when the node just goes silent (hang, cable, partition).
    package var silentDetection: Percentiles
    /// Survivors that missed the detection bound, over all trials (should be 0).
    package var missedBound: Int
    package var joinConvergence: Duration?
    /// Steady state: no failures, no loss.
    package var messagesPerNodeSecond: Double
    package var bytesPerNodeSecond: Double
    /// Over the 20 s after a crash (SIGKILL case): suspicion, checks and verdict included.
    package var messagesPerNodeSecondAfterCrash: Double
    /// Distinct live members declared down by someone, at 1% and 5% loss.
    package var falseDownsAt1Percent: Int
    package var falseDownsAt5Percent: Int
}

/// The 50th and 99th percentiles of a sample of durations.
package struct Percentiles: Hashable, Sendable {
    package var p50: Duration
    package var p99: Duration
    package var count: Int

    package init(_ samples: [Duration]) {
        let sorted = samples.sorted()
        count = sorted.count
        func rank(_ q: Double) -> Duration {
            guard !sorted.isEmpty else { return .zero }
            let position = (q * Double(sorted.count - 1)).rounded(.up)
            return sorted[Int(position)]
        }
        p50 = rank(0.5)
        p99 = rank(0.99)
    }
}

package enum ScaleReport {
    /// Measures one row. Trials shrink with size so each row gets a few hundred detection samples
    /// without a thousand-node run repeated many times.
    package static func measure(
        nodes: Int, seed: UInt64, settings: SWIM.Settings = SWIM.Settings(),
        lossDuration: Duration = .seconds(120)
    ) -> ScaleRow {
        let trials = max(3, min(20, 400 / max(1, nodes - 1)))
        var kill: [Duration] = []
        var silent: [Duration] = []
        var missed = 0
        var crashRates: [Double] = []
        for trial in 0..<trials {
            let trialSeed = seed &+ UInt64(trial) &* 0x9E37_79B9
            let killed = Experiments.crash(nodes: nodes, seed: trialSeed, settings: settings, closesConnections: true)
            let hung = Experiments.crash(nodes: nodes, seed: trialSeed, settings: settings, closesConnections: false)
            missed += (killed.detection + hung.detection).count { $0 == nil }
            kill += killed.detection.compactMap { $0 }
            silent += hung.detection.compactMap { $0 }
            crashRates.append(killed.messagesPerNodeSecond)
        }
        let traffic = Experiments.steadyTraffic(nodes: nodes, seed: seed, settings: settings)
        return ScaleRow(
            nodes: nodes,
            killDetection: Percentiles(kill),
            silentDetection: Percentiles(silent),
            missedBound: missed,
            joinConvergence: Experiments.joinConvergence(nodes: nodes, seed: seed, settings: settings),
            messagesPerNodeSecond: traffic.messagesPerSecond,
            bytesPerNodeSecond: traffic.bytesPerSecond,
            messagesPerNodeSecondAfterCrash: crashRates.reduce(0, +) / Double(crashRates.count),
            falseDownsAt1Percent: Experiments.falseDowns(
                nodes: nodes, seed: seed, loss: 0.01, settings: settings, duration: lossDuration
            ).members,
            falseDownsAt5Percent: Experiments.falseDowns(
                nodes: nodes, seed: seed, loss: 0.05, settings: settings, duration: lossDuration
            ).members)
    }

    /// The table as printed by the CLI, one line per row plus the flatness check.
    package static func render(_ rows: [ScaleRow], seed: UInt64, lossDuration: Duration) -> String {
        var lines = [
            "seed \(seed). kill/silent: seconds from a crash to `down` at each survivor, when the crash closes"
                + " connections (SIGKILL) or not (hang); missed: survivors past the promised bound; join: seconds"
                + " until a new node is `up` everywhere; msg, B: per node per second, steady and in the 20 s after"
                + " a crash; false@: live members declared down in \(format(lossDuration)) s at that loss rate",
            pad([
                "nodes", "kill p50", "kill p99", "silent p50", "silent p99", "missed", "join", "msg/node/s",
                "B/node/s", "msg@crash", "false@1%", "false@5%",
            ]),
        ]
        for row in rows {
            lines.append(
                pad([
                    "\(row.nodes)", format(row.killDetection.p50), format(row.killDetection.p99),
                    format(row.silentDetection.p50), format(row.silentDetection.p99), "\(row.missedBound)",
                    row.joinConvergence.map(format) ?? "never", fixed(row.messagesPerNodeSecond, 2),
                    fixed(row.bytesPerNodeSecond, 0), fixed(row.messagesPerNodeSecondAfterCrash, 2),
                    "\(row.falseDownsAt1Percent)",
                    "\(row.falseDownsAt5Percent)",
                ]))
        }
        for (label, rate) in [
            ("steady", \ScaleRow.messagesPerNodeSecond), ("after a crash", \.messagesPerNodeSecondAfterCrash),
        ] {
            guard let spread = messageRateSpread(rows, rate) else { continue }
            lines.append(
                "per-node message rate \(label), max/min over sizes: \(fixed(spread, 2))x "
                    + (spread <= 2 ? "(flat: within 2x)" : "(NOT flat: above 2x)"))
        }
        return lines.joined(separator: "\n")
    }

    /// Largest over smallest per-node message rate across rows; the protocol promises at most 2.
    package static func messageRateSpread(
        _ rows: [ScaleRow], _ rate: KeyPath<ScaleRow, Double> = \.messagesPerNodeSecond
    ) -> Double? {
        let rates = rows.map { $0[keyPath: rate] }
        guard rows.count > 1, let low = rates.min(), let high = rates.max(), low > 0 else { return nil }
        return high / low
    }

    static func pad(_ cells: [String]) -> String {
        cells.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined(separator: " ")
    }

    static func format(_ duration: Duration) -> String {
        let milliseconds = duration / .milliseconds(1)
        return fixed(milliseconds / 1000, 2)
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        let whole = Int(rounded)
        guard digits > 0 else { return "\(whole)" }
        let fraction = Int(((rounded - Double(whole)) * scale).rounded())
        let digitsText = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - digitsText.count) + digitsText
    }
}
