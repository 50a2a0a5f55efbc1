import ArgumentParser
import Foundation
import HTTPAPI
import Synchronization
import Testing

@testable import NodeRuntime

/// The HTTPS and connection-limit settings (docs/operations.md, "Configuration"), the one watcher per
/// assessment that event streams share, and the rate on reads that ask every member.
@Suite struct HTTPLimitsConfigurationTests {
    static let required = "name = \"node-1\"\ncluster_port = 7101\ncerts_dir = \"certs\"\n"

    @Test func defaultsAreTheDocumentedOnes() throws {
        let config = try NodeConfiguration(try NodeConfiguration.Layer.parse(toml: Self.required, source: "t"))
        #expect(config.httpTLSCertificate == nil)
        #expect(config.connectionLimits.headerTimeout == .seconds(10))
        #expect(config.connectionLimits.idleTimeout == .seconds(60))
        #expect(config.connectionLimits.bodyTimeout == .seconds(30))
        #expect(config.connectionLimits.perClient == 128)
        #expect(config.connectionLimits.total == 2048)
        #expect(config.connectionLimits.streamsPerClient == 32)
        #expect(config.connectionLimits.streams == 1024)
        #expect(config.wideReadsPerSecond == 20)
        #expect(config.httpSettings.limits == config.connectionLimits)
    }

    @Test func fileKeysAndFlagsSetEveryLimit() throws {
        let file = try NodeConfiguration.Layer.parse(
            toml: Self.required + """
                http_tls_cert = "file.pem"
                http_tls_key = "file-key.pem"
                http_header_timeout_ms = 1500
                http_idle_timeout_ms = 5000
                http_body_timeout_ms = 4000
                http_max_connections = 100
                http_max_connections_per_client = 10
                http_max_event_streams = 50
                http_max_event_streams_per_client = 5
                wide_reads_per_second = 7
                """, source: "t")
        let config = try NodeConfiguration(file)
        #expect(config.httpTLSCertificate == "file.pem")
        #expect(config.httpTLSKey == "file-key.pem")
        #expect(config.connectionLimits.headerTimeout == .milliseconds(1500))
        #expect(config.connectionLimits.idleTimeout == .seconds(5))
        #expect(config.connectionLimits.bodyTimeout == .seconds(4))
        #expect(config.connectionLimits.total == 100)
        #expect(config.connectionLimits.perClient == 10)
        #expect(config.connectionLimits.streams == 50)
        #expect(config.connectionLimits.streamsPerClient == 5)
        #expect(config.wideReadsPerSecond == 7)

        let flags = try NodeOptions.parse([
            "--http-tls-cert", "flag.pem", "--http-tls-key", "flag-key.pem", "--http-header-timeout-ms", "2000",
            "--http-body-timeout-ms", "2500",
            "--http-max-connections-per-client", "20", "--http-max-event-streams-per-client", "3",
            "--wide-reads-per-second", "9",
        ])
        let merged = try NodeConfiguration(file.overridden(by: flags.layer))
        #expect(merged.httpTLSCertificate == "flag.pem")
        #expect(merged.httpTLSKey == "flag-key.pem")
        #expect(merged.connectionLimits.headerTimeout == .seconds(2))
        #expect(merged.connectionLimits.bodyTimeout == .milliseconds(2500))
        #expect(merged.connectionLimits.perClient == 20)
        #expect(merged.connectionLimits.streamsPerClient == 3)
        #expect(merged.connectionLimits.total == 100)
        #expect(merged.wideReadsPerSecond == 9)
    }

    @Test func outOfRangeValuesAndAHalfTLSPairAreRefused() throws {
        let cases = [
            ("http_tls_cert = \"only.pem\"", "http_tls_cert and http_tls_key go together"),
            ("http_tls_key = \"only-key.pem\"", "http_tls_cert and http_tls_key go together"),
            ("http_header_timeout_ms = 50", "http_header_timeout_ms must be 100…600000"),
            ("http_idle_timeout_ms = 0", "http_idle_timeout_ms must be 1000…3600000"),
            ("http_body_timeout_ms = 99", "http_body_timeout_ms must be 100…600000"),
            ("http_body_timeout_ms = 600001", "http_body_timeout_ms must be 100…600000"),
            ("http_max_connections = 0", "http_max_connections must be 1…65536"),
            (
                "http_max_connections = 10\nhttp_max_connections_per_client = 11",
                "http_max_connections_per_client must be 1…10"
            ),
            (
                "http_max_event_streams = 4\nhttp_max_event_streams_per_client = 5",
                "http_max_event_streams_per_client must be 1…4"
            ),
            ("wide_reads_per_second = 0", "wide_reads_per_second must be 1…100000"),
        ]
        for (lines, message) in cases {
            let layer = try NodeConfiguration.Layer.parse(toml: Self.required + lines + "\n", source: "t")
            #expect(throws: ValidationError.self, "\(lines)") { try NodeConfiguration(layer) }
            do {
                _ = try NodeConfiguration(layer)
            } catch {
                #expect("\(error)".contains(message), "\(lines): \(error)")
            }
        }
    }

    /// Ids the cluster never issues are not looked up anywhere.
    @Test func onlyUUIDsAreAssessmentIDs() {
        #expect(ClusterAssessmentService.isAssessmentID(UUID().uuidString))
        #expect(ClusterAssessmentService.isAssessmentID(UUID().uuidString.lowercased()))
        #expect(ClusterAssessmentService.isAssessmentID(ClusterAssessmentService.assessmentID(idempotencyKey: "k")))
        for id in ["", "x", "not-a-uuid", String(repeating: "a", count: 36), "../../etc/passwd"] {
            #expect(!ClusterAssessmentService.isAssessmentID(id), "\(id)")
        }
    }

    @Test func theWideReadRateAllowsItsBurstThenRefuses() {
        let gate = WideReadGate(perSecond: 5)
        let answers = (0..<1000).map { _ in gate.permit() }
        let allowed = answers.filter { $0 }.count
        // The burst is five; a thousand calls take far less than the second that would refill it.
        #expect(allowed >= 5)
        #expect(allowed < 1000)
        #expect(Array(answers.prefix(5)) == Array(repeating: true, count: 5))
    }

    /// N streams of one id are served by one follower; a later stream starts with the newest
    /// snapshot; the follower is stopped when the last stream goes, and a new stream starts another.
    @Test func streamsOfOneIDShareOneFollower() async throws {
        let hub = WatchHub()
        let follows = Follows()
        let (upstream, feed) = AsyncThrowingStream<AssessmentSnapshot, any Error>.makeStream()
        let (stopped, stoppedFeed) = AsyncStream<Void>.makeStream()
        feed.onTermination = { _ in stoppedFeed.yield() }
        let (seen, seenFeed) = AsyncStream<Int>.makeStream()
        func reader() -> Task<Void, Never> {
            Task {
                let stream = hub.stream(id: "a") {
                    follows.count()
                    return upstream
                }
                do {
                    for try await snapshot in stream { seenFeed.yield(snapshot.version) }
                } catch {}
            }
        }
        var seenVersions = seen.makeAsyncIterator()
        func next(_ count: Int) async -> [Int] {
            var versions: [Int] = []
            for _ in 0..<count { versions.append(await seenVersions.next() ?? -1) }
            return versions
        }

        let first = reader()
        feed.yield(Self.snapshot(version: 1))
        #expect(await next(1) == [1])
        let others = (0..<5).map { _ in reader() }
        #expect(await next(5) == Array(repeating: 1, count: 5), "a joining stream starts with the newest")
        feed.yield(Self.snapshot(version: 2))
        #expect(await next(6) == Array(repeating: 2, count: 6))
        #expect(follows.value == 1)
        #expect(hub.watchers == 1)

        // Streams going one by one: the follower stays until the last.
        for task in others { task.cancel() }
        for task in others { await task.value }
        #expect(hub.watchers == 1)
        first.cancel()
        await first.value
        var ends = stopped.makeAsyncIterator()
        _ = await ends.next()
        #expect(hub.watchers == 0)

        let again = hub.stream(id: "a") {
            follows.count()
            return AsyncThrowingStream { continuation in
                continuation.yield(Self.snapshot(version: 3, state: .completed))
                continuation.finish()
            }
        }
        var versions: [Int] = []
        for try await snapshot in again { versions.append(snapshot.version) }
        #expect(versions == [3])
        #expect(follows.value == 2)
        #expect(hub.watchers == 0)
    }

    static func snapshot(version: Int, state: AssessmentState = .running) -> AssessmentSnapshot {
        AssessmentSnapshot(
            id: "a", state: state, percent: 0, step: nil, agents: [], failure: nil,
            createdAt: Date(timeIntervalSince1970: 0),
            updatedAt: Date(timeIntervalSince1970: 0), version: version, epoch: 1)
    }
}

/// How many followers a hub started.
private final class Follows: Sendable {
    private let counter = Mutex(0)
    func count() { counter.withLock { $0 += 1 } }
    var value: Int { counter.withLock { $0 } }
}
