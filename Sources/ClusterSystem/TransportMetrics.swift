import CoreMetrics

/// What crosses the wire, emitted through swift-metrics (a node's `GET /metrics` prints it). The
/// handles are made once per system: looking a counter up by label on every frame would cost a
/// lock and a dictionary probe per frame, an increment on a kept handle is one atomic add.
/// Made when the system starts, so the process must bootstrap its metrics backend before that.
struct TransportMetrics: Sendable {
    let bytesSent = Counter(label: "inframind_transport_bytes_total", dimensions: [("direction", "sent")])
    let bytesReceived = Counter(label: "inframind_transport_bytes_total", dimensions: [("direction", "received")])
    let framesSent = Counter(label: "inframind_transport_frames_total", dimensions: [("direction", "sent")])
    let framesReceived = Counter(label: "inframind_transport_frames_total", dimensions: [("direction", "received")])
    let callsSent = Counter(label: "inframind_transport_calls_total", dimensions: [("direction", "sent")])
    let callsReceived = Counter(label: "inframind_transport_calls_total", dimensions: [("direction", "received")])
    /// Calls that ended without an answer from the peer, by why: `deadline`, `overloaded` (too many
    /// waiting for a full socket), `connection` (the link closed or retired with the call pending).
    let callsDeadline = Counter(label: "inframind_transport_call_failures_total", dimensions: [("reason", "deadline")])
    let callsOverloaded = Counter(
        label: "inframind_transport_call_failures_total", dimensions: [("reason", "overloaded")])
    let callsConnection = Counter(
        label: "inframind_transport_call_failures_total", dimensions: [("reason", "connection")])
    let connectionsOpened = Counter(label: "inframind_transport_connections_opened_total")
    let connectionsLost = Counter(label: "inframind_transport_connections_lost_total")
    /// Peers refused after the TLS handshake: `not_allowed` (certificate name outside
    /// `cluster_members_allowed`), `outbound_overflow` (closed for not reading past `maxOutboundBytes`).
    let peersNotAllowed = Counter(
        label: "inframind_transport_refusals_total", dimensions: [("reason", "not_allowed")])
    let outboundOverflows = Counter(
        label: "inframind_transport_refusals_total", dimensions: [("reason", "outbound_overflow")])
    /// Calls and messages whose claimed sender is not the certified peer of their connection
    /// (docs/security.md#peer-identity), by what carried the claim.
    let senderMismatches = Counter(
        label: "inframind_transport_refusals_total", dimensions: [("reason", "sender_mismatch")])
    /// Seconds until this node's transport certificate expires (negative once it has).
    let certificateExpiry = Gauge(label: "inframind_transport_certificate_expiry_seconds")

    func sent(bytes: Int) {
        bytesSent.increment(by: bytes)
        framesSent.increment()
    }
}
