import HTTPAPI
import Printf

/// Shows an assessment's progress while `submit --wait` follows its events. On a terminal it redraws a
/// block in place (an overall bar, then one line per agent); otherwise, as in logs and pipes, it prints a
/// plain line for each change only, so the output stays readable when captured.
struct ProgressDisplay {
    let interactive: Bool
    private var drawnLines = 0
    private var last: AssessmentBody?

    init(interactive: Bool) {
        self.interactive = interactive
    }

    /// The text to write for this snapshot (possibly empty).
    mutating func render(_ snapshot: AssessmentBody) -> String {
        defer { last = snapshot }
        return interactive ? redraw(snapshot) : changes(from: last, to: snapshot)
    }

    private mutating func redraw(_ snapshot: AssessmentBody) -> String {
        var lines = [Self.headline(snapshot)]
        let width = snapshot.progress.agents.map(\.name.count).max() ?? 0
        for agent in snapshot.progress.agents {
            lines.append(Self.agentLine(agent, nameWidth: width))
        }
        // Move up over the previous block and clear it, then draw the new one.
        var out = drawnLines > 0 ? "\u{1B}[\(drawnLines)A\u{1B}[J" : ""
        out += lines.joined(separator: "\n") + "\n"
        drawnLines = lines.count
        return out
    }

    private func changes(from previous: AssessmentBody?, to snapshot: AssessmentBody) -> String {
        var lines: [String] = []
        if previous?.status != snapshot.status || previous?.progress.percent != snapshot.progress.percent {
            lines.append("\(snapshot.id) \(snapshot.status) \(snapshot.progress.percent)%")
        }
        let before = Dictionary(
            (previous?.progress.agents ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for agent in snapshot.progress.agents where before[agent.name] != agent {
            if previous == nil && agent.state == "waiting" { continue }
            lines.append("  " + Self.agentLine(agent, nameWidth: 0))
        }
        if let error = snapshot.error, previous?.error != error { lines.append("  error: \(error)") }
        return lines.map { $0 + "\n" }.joined()
    }

    static func headline(_ snapshot: AssessmentBody) -> String {
        let percent = max(0, min(100, snapshot.progress.percent))
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        var line = "\(snapshot.id) [\(bar)] \(percent)% \(snapshot.status)"
        if let step = snapshot.progress.step { line += " (\(step))" }
        if let error = snapshot.error { line += ": \(error)" }
        return line
    }

    static func agentLine(_ agent: AssessmentBody.Agent, nameWidth: Int) -> String {
        let mark =
            switch agent.state {
            case "succeeded": "✓"
            case "failed": "✗"
            case "running": "▸"
            default: "·"
            }
        let name = agent.name.padded(to: max(nameWidth, agent.name.count))
        var line = "\(mark) \(name) \(agent.state)"
        if agent.attempts > 1 { line += " (attempt \(agent.attempts))" }
        if let node = agent.node { line += " on \(node)" }
        return line
    }
}
