import ClusterSystem
import Dispatch
import FoundationEssentials
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Printf
import Wire

/// `inframind bench transport`: the raw mutual-TLS floor and the distributed-actor calls over
/// the same kind of connection, in one process on loopback, each figure the median of
/// several runs, with the ratios the transport is judged by.
package struct TransportBench {
    package struct Options: Sendable {
        package var runs = 5
        package var sequentialCalls = 20_000
        package var concurrentCalls = 64_000
        package var concurrency = 64
        package var payloadCalls = 5_000
        package var payloadRows = 40
        /// Run only the figures whose label starts with one of these (e.g. "c"), for profiling.
        package var only: [String] = []

        package init() {}
    }

    package struct Figure: Sendable {
        package var name: String
        package var callsPerSecond: Double
        package var p50Micros: Double
        package var p99Micros: Double
    }

    let options: Options
    package init(options: Options) { self.options = options }

    package func run(log: (String) -> Void) async throws -> [Figure] {
        let directory = FileManager.default.temporaryDirectory.path + "/inframind-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CertificateAuthority.writeClusterPKI(
            to: URL(fileURLWithPath: directory), nodeNames: ["bench-a", "bench-b"])

        // One event loop per side, as two single-threaded nodes sharing the machine's 2 cores.
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let rawGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            let figures = try await measure(
                directory: directory, serverGroup: serverGroup, clientGroup: clientGroup, rawGroup: rawGroup, log: log)
            for group in [serverGroup, clientGroup, rawGroup] { try? await group.shutdownGracefully() }
            return figures
        } catch {
            for group in [serverGroup, clientGroup, rawGroup] { try? await group.shutdownGracefully() }
            throw error
        }
    }

    private func measure(
        directory: String, serverGroup: any EventLoopGroup, clientGroup: MultiThreadedEventLoopGroup,
        rawGroup: any EventLoopGroup, log: (String) -> Void
    ) async throws -> [Figure] {
        var figures: [Figure] = []

        // (a) raw TLS ping-pong and its pipelined variant.
        let serverTLS = try Self.context(directory: directory, node: "bench-b", server: true)
        let clientTLS = try Self.context(directory: directory, node: "bench-a", server: false)
        figures.append(
            try await median("a  raw mTLS ping-pong, 64 B, sequential", log: log) {
                let result = try await RawTLSPingPong.run(
                    server: serverTLS, client: clientTLS, serverName: "bench-b", group: rawGroup,
                    roundTrips: options.sequentialCalls, depth: 1)
                return Sample(latencies: result.latenciesNanos, elapsed: result.elapsedNanos)
            })
        figures.append(
            try await median("a' raw mTLS, 64 B, \(options.concurrency) pipelined", log: log) {
                let result = try await RawTLSPingPong.run(
                    server: serverTLS, client: clientTLS, serverName: "bench-b", group: rawGroup,
                    roundTrips: options.concurrentCalls, depth: options.concurrency)
                return Sample(latencies: result.latenciesNanos, elapsed: result.elapsedNanos)
            })

        // The distributed-actor figures.
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        func settings(_ name: String) -> ClusterSystem.Settings {
            ClusterSystem.Settings(
                name: name, host: "127.0.0.1", port: 0, tls: .init(directory: directory, nodeName: name))
        }
        let server = try await ClusterSystem.start(settings: settings("bench-b"), group: serverGroup, logger: logger)
        let client = try await ClusterSystem.start(settings: settings("bench-a"), group: clientGroup, logger: logger)
        let echo = BenchEcho(actorSystem: server)
        let remote = try BenchEcho.resolve(id: echo.id, using: client)
        for i in 0..<2_000 { _ = try await remote.echo(i) }  // connect, learn method tables, warm up

        let loopExecutor = EventLoopTaskExecutor(clientGroup.next())
        figures.append(
            try await median("b  echo(Int), sequential, caller prefers the node's event loop", log: log) {
                try await withTaskExecutorPreference(loopExecutor) {
                    try await sequential(count: options.sequentialCalls) { _ = try await remote.echo(1) }
                }
            })
        figures.append(
            try await median("b' echo(Int), sequential, caller on the global pool", log: log) {
                let start = DispatchTime.now().uptimeNanoseconds
                var latencies: [UInt64] = []
                latencies.reserveCapacity(options.sequentialCalls)
                for i in 0..<options.sequentialCalls {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    _ = try await remote.echo(i)
                    latencies.append(DispatchTime.now().uptimeNanoseconds - t0)
                }
                return Sample(latencies: latencies, elapsed: DispatchTime.now().uptimeNanoseconds - start)
            })
        figures.append(
            try await median("c  echo(Int), \(options.concurrency) concurrent callers, 1 connection", log: log) {
                try await concurrent(remote: remote) { _ = try await $0.echo(1) }
            })
        let payload = BenchPayload.make(rows: options.payloadRows)
        let binaryBytes = try ClusterSystemCodec.encodedSize(payload)
        let jsonBytes = try JSONEncoder().encode(payload).count
        figures.append(
            try await median("d  ~4 KB struct, sequential, binary codec (\(binaryBytes) B)", log: log) {
                try await withTaskExecutorPreference(loopExecutor) {
                    try await sequential(count: options.payloadCalls) { _ = try await remote.rows(payload) }
                }
            })
        let wire = WireBenchPayload(payload: payload)
        figures.append(
            try await median("d\" ~4 KB struct, sequential, hand-written WireCodable (\(binaryBytes) B)", log: log) {
                try await withTaskExecutorPreference(loopExecutor) {
                    try await sequential(count: options.payloadCalls) { _ = try await remote.rowsWire(wire) }
                }
            })
        let wrapped = JSONCoded(payload)
        figures.append(
            try await median("d' ~4 KB struct, sequential, Foundation JSON (\(jsonBytes) B)", log: log) {
                try await withTaskExecutorPreference(loopExecutor) {
                    try await sequential(count: options.payloadCalls) { _ = try await remote.rowsJSON(wrapped) }
                }
            })
        _ = echo
        await client.shutdown()
        await server.shutdown()
        return figures
    }

    struct Sample {
        var latencies: [UInt64]
        var elapsed: UInt64
    }

    private func sequential(count: Int, _ call: () async throws -> Void) async throws -> Sample {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(count)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try await call()
            latencies.append(DispatchTime.now().uptimeNanoseconds - t0)
        }
        return Sample(latencies: latencies, elapsed: DispatchTime.now().uptimeNanoseconds - start)
    }

    private func concurrent(remote: BenchEcho, _ call: @escaping @Sendable (BenchEcho) async throws -> Void)
        async throws -> Sample
    {
        let perCaller = options.concurrentCalls / options.concurrency
        let start = DispatchTime.now().uptimeNanoseconds
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<options.concurrency {
                group.addTask {
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(perCaller)
                    for _ in 0..<perCaller {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        try await call(remote)
                        latencies.append(DispatchTime.now().uptimeNanoseconds - t0)
                    }
                    return latencies
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return Sample(latencies: latencies, elapsed: DispatchTime.now().uptimeNanoseconds - start)
    }

    /// Runs `body` `options.runs` times and keeps the run with the median throughput.
    private func median(_ name: String, log: (String) -> Void, _ body: () async throws -> Sample) async throws
        -> Figure
    {
        if !options.only.isEmpty && !options.only.contains(where: { name.hasPrefix($0) }) {
            return Figure(name: name, callsPerSecond: .nan, p50Micros: .nan, p99Micros: .nan)
        }
        var figures: [Figure] = []
        for _ in 0..<options.runs {
            let sample = try await body()
            let sorted = sample.latencies.sorted()
            figures.append(
                Figure(
                    name: name,
                    callsPerSecond: Double(sample.latencies.count) / (Double(sample.elapsed) / 1e9),
                    p50Micros: Double(sorted[sorted.count / 2]) / 1000,
                    p99Micros: Double(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]) / 1000))
        }
        let figure = figures.sorted { $0.callsPerSecond < $1.callsPerSecond }[figures.count / 2]
        log(Self.format(figure))
        return figure
    }

    static func format(_ figure: Figure) -> String {
        let name = figure.name.padded(to: 62)
        return
            "\(name) \(String(printf: "%9.0f", figure.callsPerSecond)) calls/s   p50 \(String(printf: "%7.1f", figure.p50Micros)) µs   p99 \(String(printf: "%7.1f", figure.p99Micros)) µs"
    }

    package static func summary(_ figures: [Figure]) -> String {
        func find(_ prefix: String) -> Figure { figures.first { $0.name.hasPrefix(prefix) }! }
        let raw = find("a  "), pipelined = find("a' "), echo = find("b  "), pooled = find("b' ")
        let concurrent = find("c  "), binary = find("d  "), json = find("d' "), wire = find("d\" ")
        let lines = [
            String(
                printf: "sequential echo p50 / raw p50:             %.2f×  (target ≤ 2×)",
                echo.p50Micros / raw.p50Micros),
            String(printf: "  same, caller on the global pool:          %.2f×", pooled.p50Micros / raw.p50Micros),
            String(
                printf: "64 concurrent calls/s / raw sequential rate: %.2f×  (target ≥ 2×)",
                concurrent.callsPerSecond / raw.callsPerSecond),
            String(
                printf: "64 concurrent calls/s / raw pipelined rate:  %.2f×",
                concurrent.callsPerSecond / pipelined.callsPerSecond),
            String(
                printf: "4 KB Codable binary calls/s / echo calls/s:  %.0f%%",
                100 * binary.callsPerSecond / echo.callsPerSecond),
            String(
                printf: "4 KB WireCodable calls/s / echo calls/s:     %.0f%%  (target ≥ 50%%)",
                100 * wire.callsPerSecond / echo.callsPerSecond),
            String(
                printf: "4 KB JSON calls/s / echo calls/s:            %.0f%%",
                100 * json.callsPerSecond / echo.callsPerSecond),
        ]
        return lines.joined(separator: "\n")
    }

    static func context(directory: String, node: String, server: Bool) throws -> NIOSSLContext {
        let ca = try NIOSSLCertificate.fromPEMFile(directory + "/ca.pem")
        let chain = try NIOSSLCertificate.fromPEMFile(directory + "/\(node).pem").map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: directory + "/\(node)-key.pem", format: .pem)
        var configuration =
            server
            ? TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            : TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.trustRoots = .certificates(ca)
        configuration.certificateChain = chain
        configuration.privateKey = .privateKey(key)
        configuration.certificateVerification = server ? .noHostnameVerification : .fullVerification
        return try NIOSSLContext(configuration: configuration)
    }
}

enum ClusterSystemCodec {
    static func encodedSize<T: Encodable>(_ value: T) throws -> Int {
        try Wire.BinaryEncoder().encode(value).readableBytes
    }
}
