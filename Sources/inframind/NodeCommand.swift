import ArgumentParser
import ClusterSystem
import Dispatch
import Foundation
import Logging
import Membership
import MembershipShell
import Wire

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a cluster node until SIGTERM or SIGINT (then it drains and leaves)."
    )

    @Option(help: "This node's name; must be the DNS name in its certificate.")
    var name: String

    @Option(help: "Address to listen on and to be dialled at.")
    var host = "127.0.0.1"

    @Option(help: "Cluster (transport) port.")
    var port: Int

    @Option(help: "Directory with ca.pem, <name>.pem and <name>-key.pem (see `inframind certs init`).")
    var certs: String

    @Option(
        name: .customLong("seed"),
        help:
            "A member to join through, as name@host:port (repeat for several; list this node itself to form a cluster)."
    )
    var seeds: [String] = []

    @Option(help: "Largest frame accepted from a peer, in bytes.")
    var maxFrameSize = 8 * 1024 * 1024

    @Option(help: "Default deadline of a call, in milliseconds.")
    var callTimeoutMs = 5_000

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1…65535") }
        guard maxFrameSize >= 4096 else { throw ValidationError("--max-frame-size must be at least 4096") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        for seed in seeds where NodeAddress(parsing: seed) == nil {
            throw ValidationError("--seed \(seed) is not name@host:port")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        var settings = ClusterSystem.Settings(
            name: name, host: host, port: port, tls: .init(directory: certs, nodeName: name))
        settings.maxFrameSize = maxFrameSize
        settings.defaultCallTimeout = .milliseconds(callTimeoutMs)
        let system = try await ClusterSystem.start(settings: settings)
        let diagnostics = Diagnostics.start(on: system)
        let membership = MembershipService(system: system, seeds: seeds.compactMap(NodeAddress.init(parsing:)))
        await membership.start()
        print("node \(system.node) ready")
        fflush(nil)
        let signal = await Self.waitForTerminationSignal()
        system.logger.info("received \(signal), leaving the cluster")
        await membership.leave()
        await system.shutdown()
        _ = diagnostics
    }

    /// Suspends until SIGTERM or SIGINT arrives.
    static func waitForTerminationSignal() async -> String {
        await withCheckedContinuation { continuation in
            let fired = SignalLatch(continuation)
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                Foundation.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { fired.fire(name) }
                source.resume()
                fired.keep(source)
            }
        }
    }
}

/// Resumes the waiting task once, whichever signal comes first.
private final class SignalLatch: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<String, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    func fire(_ name: String) {
        let continuation = lock.withLock { () -> CheckedContinuation<String, Never>? in
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume(returning: name)
    }
}
