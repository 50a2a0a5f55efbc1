import FoundationEssentials
import Synchronization

/// `GET /v1/cluster/stats`: every live member's load for the console's cluster page, gathered over
/// the cluster by the node asked (docs/console.md); the members that did not answer in time are
/// named with why, so the page can tell "no load" from "no answer".
package struct ClusterStatsBody: Codable, Sendable, Hashable {
    /// The node that gathered them.
    package var node: String
    /// One per member that answered, this node included, by name.
    package var members: [NodeStatsBody]
    package var unreachable: [Unreachable]

    package struct Unreachable: Codable, Sendable, Hashable {
        package var node: String
        package var error: String
    }
}

/// One node's load, read from the same metrics registry `/metrics` prints, so the page and a
/// Prometheus scrape can never disagree.
package struct NodeStatsBody: Codable, Sendable, Hashable {
    package var node: String
    package var uptimeSeconds: Double
    /// Agents executing on this node now.
    package var agentsRunning: Int
    /// Unfinished assessments this node owns.
    package var backlog: Int
    package var completedTotal: Int
    /// Over the last minute (or since the first sample when the node has served stats for less);
    /// null on the first request, which has nothing to compare with.
    package var completedPerMinute: Double?
    package var requeuesTotal: Int
    package var leaseExpiriesTotal: Int
    package var tasksAssignedTotal: Int
    /// Of every request but event streams (which last as long as an assessment); null before any.
    package var httpP99Seconds: Double?
    package var memoryRSSBytes: Int?
    package var eventStreamsOpen: Int
    /// Final states this node made that wait for the archive, and the age in seconds of the oldest
    /// (docs/archive.md); null on a node without an archive.
    package var archivePending: Int? = nil
    package var archiveLagSeconds: Double? = nil

    enum CodingKeys: String, CodingKey {
        case node, backlog
        case uptimeSeconds = "uptime_seconds"
        case agentsRunning = "agents_running"
        case completedTotal = "completed_total"
        case completedPerMinute = "completed_per_minute"
        case requeuesTotal = "requeues_total"
        case leaseExpiriesTotal = "lease_expiries_total"
        case tasksAssignedTotal = "tasks_assigned_total"
        case httpP99Seconds = "http_p99_seconds"
        case memoryRSSBytes = "memory_rss_bytes"
        case eventStreamsOpen = "event_streams_open"
        case archivePending = "archive_pending"
        case archiveLagSeconds = "archive_lag_seconds"
    }

    // Nulls are written so that every key of the contract is always present.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(node, forKey: .node)
        try container.encode(uptimeSeconds, forKey: .uptimeSeconds)
        try container.encode(agentsRunning, forKey: .agentsRunning)
        try container.encode(backlog, forKey: .backlog)
        try container.encode(completedTotal, forKey: .completedTotal)
        try container.encode(completedPerMinute, forKey: .completedPerMinute)
        try container.encode(requeuesTotal, forKey: .requeuesTotal)
        try container.encode(leaseExpiriesTotal, forKey: .leaseExpiriesTotal)
        try container.encode(tasksAssignedTotal, forKey: .tasksAssignedTotal)
        try container.encode(httpP99Seconds, forKey: .httpP99Seconds)
        try container.encode(memoryRSSBytes, forKey: .memoryRSSBytes)
        try container.encode(eventStreamsOpen, forKey: .eventStreamsOpen)
        try container.encode(archivePending, forKey: .archivePending)
        try container.encode(archiveLagSeconds, forKey: .archiveLagSeconds)
    }
}

/// Samples of the completed counter, to turn a total into a rate without a background task. One per
/// process, like the metrics registry it reads: the HTTP route and the node's `/stats` endpoint (which
/// answers the other members gathering) sample the same counter.
package final class NodeStatsSampler: Sendable {
    package static let shared = NodeStatsSampler()

    /// This node's stats as the JSON other members decode into `NodeStatsBody`.
    package func encoded(node: String) -> Data {
        JSONResponse.encode(stats(node: node, exposition: NodeMetrics.exposition()))
    }

    private let started = ContinuousClock.now
    private let samples = Mutex<[(at: ContinuousClock.Instant, completed: Int)]>([])

    func stats(node: String, exposition: String, now: ContinuousClock.Instant = .now) -> NodeStatsBody {
        let metrics = PrometheusText(exposition)
        let completed = Int(metrics.sum("inframind_assessments_completed_total"))
        let perMinute = samples.withLock { samples -> Double? in
            samples.append((now, completed))
            samples.removeAll { now - $0.at > .seconds(60) }
            guard let first = samples.first, now - first.at > .milliseconds(500) else { return nil }
            let seconds = Self.seconds(now - first.at)
            return Double(completed - first.completed) * 60 / seconds
        }
        return NodeStatsBody(
            node: node, uptimeSeconds: Self.seconds(now - started),
            agentsRunning: Int(metrics.sum("inframind_agents_running")),
            backlog: Int(metrics.sum("inframind_backlog")), completedTotal: completed,
            completedPerMinute: perMinute, requeuesTotal: Int(metrics.sum("inframind_requeues_total")),
            leaseExpiriesTotal: Int(metrics.sum("inframind_lease_expiries_total")),
            tasksAssignedTotal: Int(metrics.sum("inframind_tasks_assigned_total")),
            httpP99Seconds: metrics.quantile(
                0.99, of: "inframind_http_request_duration_seconds", excludingRoutesContaining: "/events"),
            memoryRSSBytes: Self.residentBytes(),
            eventStreamsOpen: Int(metrics.sum("inframind_event_streams_open")),
            // The archive's writer publishes these only where an archive is configured.
            archivePending: metrics.value("inframind_archive_pending").map { Int($0) },
            archiveLagSeconds: metrics.value("inframind_archive_lag_seconds"))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// VmRSS of /proc/self/status; nil where there is no procfs.
    static func residentBytes() -> Int? {
        guard let data = try? Data(contentsOf: URL(filePath: "/proc/self/status")),
            let text = String(data: data, encoding: .utf8)
        else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }
}

/// Just enough of the Prometheus text format to read back our own registry: samples with labels.
struct PrometheusText {
    struct Sample {
        var name: Substring
        var labels: [Substring: Substring]
        var value: Double
    }

    let samples: [Sample]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap(Self.sample)
    }

    static func sample(_ line: Substring) -> Sample? {
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
            let value = Double(line[line.index(after: space)...])
        else { return nil }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            return Sample(name: series, labels: [:], value: value)
        }
        var labels: [Substring: Substring] = [:]
        // Our label values never hold a comma or quote (routes, methods, statuses, bucket bounds).
        for pair in series[series.index(after: brace)...].dropLast().split(separator: ",") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            var value = pair[pair.index(after: equals)...]
            if value.hasPrefix("\"") { value = value.dropFirst() }
            if value.hasSuffix("\"") { value = value.dropLast() }
            labels[pair[..<equals]] = value
        }
        return Sample(name: series[..<brace], labels: labels, value: value)
    }

    func sum(_ name: String) -> Double {
        samples.filter { $0.name == name }.reduce(0) { $0 + $1.value }
    }

    /// The sum of `name`'s samples, or nil when the registry has none of that name.
    func value(_ name: String) -> Double? {
        samples.contains { $0.name == name } ? sum(name) : nil
    }

    /// The upper bound of the bucket holding quantile `q`, over every series of the histogram except
    /// routes containing `excluded`; nil when it has no observation.
    func quantile(_ q: Double, of histogram: String, excludingRoutesContaining excluded: String) -> Double? {
        var counts: [Double: Double] = [:]
        for sample in samples where sample.name == "\(histogram)_bucket" {
            if let route = sample.labels["route"], route.contains(excluded) { continue }
            guard let bound = sample.labels["le"].flatMap({ $0 == "+Inf" ? Double.infinity : Double($0) }) else {
                continue
            }
            counts[bound, default: 0] += sample.value
        }
        let bounds = counts.keys.sorted()
        guard let total = bounds.last.flatMap({ counts[$0] }), total > 0 else { return nil }
        let rank = q * total
        guard let bound = bounds.first(where: { counts[$0, default: 0] >= rank }) else { return nil }
        // JSON has no infinity: past the largest bucket, its bound is the most that can be said.
        return bound.isFinite ? bound : bounds.dropLast().last
    }
}
