import CoreMetrics
import Metrics
import Prometheus

/// The process-wide metrics system. swift-metrics allows one bootstrap per process, so every layer
/// (transport, membership, coordination, this API) emits through the same Prometheus registry, which
/// `GET /metrics` prints. Call `bootstrap()` early in the node command; calling it again is harmless.
package enum NodeMetrics {
    private static let shared: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Submissions answer in milliseconds and assessments take seconds: buckets from 0.5 ms to 60 s.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Installs the Prometheus backend for swift-metrics (once) and returns its registry.
    @discardableResult
    package static func bootstrap() -> PrometheusCollectorRegistry { shared }

    /// The Prometheus text exposition of every metric emitted so far.
    package static func exposition() -> String { shared.emitToString() }
}

/// The metrics this API emits itself. Names follow Prometheus conventions (`_total`, `_seconds`).
struct APIMetrics: Sendable {
    /// Submissions that passed the access check, by outcome: accepted, duplicate, invalid, too_large,
    /// overloaded, unavailable, key_reused, not_found, failed. Refused tokens (401, 403) are counted by
    /// `inframind_http_requests_total`'s status.
    func submission(_ outcome: String) {
        Counter(label: "inframind_submissions_total", dimensions: [("outcome", outcome)]).increment()
    }

    func request(route: String, method: String, status: Int, nanoseconds: Int64) {
        Counter(
            label: "inframind_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        Metrics.Timer(
            label: "inframind_http_request_duration_seconds", dimensions: [("route", route), ("method", method)]
        ).recordNanoseconds(nanoseconds)
    }

    func admission(inFlight: Int) {
        Gauge(label: "inframind_admission_in_flight").record(inFlight)
    }

    /// One gauge per status, zero included, so a dashboard sees a status empty out.
    func members(byStatus statuses: [String]) {
        var counts = Dictionary(uniqueKeysWithValues: Self.memberStatuses.map { ($0, 0) })
        for status in statuses { counts[status, default: 0] += 1 }
        for (status, count) in counts {
            Gauge(label: "inframind_members", dimensions: [("status", status)]).record(count)
        }
    }

    private static let memberStatuses = ["joining", "up", "suspect", "down", "left"]

    func heartbeatSent() { Counter(label: "inframind_event_heartbeats_total").increment() }

    func eventStreamOpened() { Meter(label: "inframind_event_streams_open").increment() }

    func eventStreamClosed() { Meter(label: "inframind_event_streams_open").decrement() }
}
