import NIOCore
import Wire

extension ClusterSystem {
    /// How a node presents itself and talks to its peers.
    package struct Settings: Sendable {
        /// This node's name; it must be the DNS SAN of `tls.certificatePath`.
        package var name: String
        /// The address peers dial (and the listener binds).
        package var host: String
        /// 0 picks a free port (tests); the bound port becomes part of the node's identity.
        package var port: Int
        package var tls: TLSFiles
        /// Frames longer than this close the connection that sent them.
        package var maxFrameSize: Int = FrameParser.defaultMaxFrameSize
        /// Deadline of a call that sets none of its own.
        package var defaultCallTimeout: Duration = .seconds(5)
        /// Bytes queued for one connection above which it counts as full and callers wait.
        package var outboundHighWatermark: Int = 1 << 20
        package var outboundLowWatermark: Int = 256 << 10
        /// Callers allowed to wait for room on one connection before calls fail as `overloaded`.
        package var maxWaitingCalls: Int = 4096
        /// Calls executing for one connection above which the node stops reading from it.
        package var maxConcurrentIncomingCalls: Int = 1024
        /// Bytes of calls executing for one connection above which the node stops reading from it
        /// (a call larger than this is still read when nothing else executes): without it 1,024 calls
        /// of up to `maxFrameSize` each could be held per connection.
        package var maxIncomingCallBytes: Int = 32 << 20
        /// Bytes queued for one connection that its peer does not read, above which the connection
        /// closes and its calls fail: replies and heartbeat acks do not wait for room as calls do.
        package var maxOutboundBytes: Int = 16 << 20
        /// Node names a peer's certificate may carry; nil admits any certificate of the cluster CA.
        /// A name outside the set is refused right after the TLS handshake, before its hello is read.
        package var allowedPeers: Set<String>?
        package var connectTimeout: Duration = .seconds(2)
        /// Reconnect backoff: `initial * 2^(failures-1)`, capped, times a jitter in [0.5, 1].
        package var reconnectInitialBackoff: Duration = .milliseconds(50)
        package var reconnectMaxBackoff: Duration = .seconds(5)
        /// How long a graceful shutdown waits for calls in flight before closing anyway.
        package var shutdownGracePeriod: Duration = .seconds(2)
        /// Event loop threads when the system creates its own group.
        package var eventLoopThreads: Int = System.coreCount

        package init(name: String, host: String = "127.0.0.1", port: Int, tls: TLSFiles) {
            self.name = name
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    /// PEM files: the cluster CA (the only trust root) and this node's certificate and key.
    package struct TLSFiles: Sendable {
        package var caCertificatePath: String
        package var certificatePath: String
        package var privateKeyPath: String

        package init(caCertificatePath: String, certificatePath: String, privateKeyPath: String) {
            self.caCertificatePath = caCertificatePath
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }

        /// The layout `inframind certs init` writes: `ca.pem`, `<node>.pem`, `<node>-key.pem`.
        package init(directory: String, nodeName: String) {
            self.init(
                caCertificatePath: directory + "/ca.pem", certificatePath: directory + "/\(nodeName).pem",
                privateKeyPath: directory + "/\(nodeName)-key.pem")
        }
    }

    /// Per-call options, set for a scope with `ClusterSystem.$callOptions.withValue(...)`.
    package struct CallOptions: Sendable {
        package var timeout: Duration?
        package var lane: Lane

        package init(timeout: Duration? = nil, lane: Lane = .calls) {
            self.timeout = timeout
            self.lane = lane
        }
    }
}
