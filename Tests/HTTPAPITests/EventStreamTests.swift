import Assessment
import Foundation
import HTTPAPI
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// One Server-Sent Event as a client reads it.
struct SentEvent: Equatable {
    var name: String
    var data: String

    /// Events in order; comment lines (heartbeats) are counted separately.
    static func parse(_ text: String) -> (events: [SentEvent], comments: Int) {
        var events: [SentEvent] = []
        var comments = 0
        for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
            var name = "message"
            var data: [String] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix(":") {
                    comments += 1
                } else if line.hasPrefix("event: ") {
                    name = String(line.dropFirst(7))
                } else if line.hasPrefix("data: ") {
                    data.append(String(line.dropFirst(6)))
                }
            }
            if !data.isEmpty { events.append(SentEvent(name: name, data: data.joined(separator: "\n"))) }
        }
        return (events, comments)
    }

    func snapshot() throws -> AssessmentBody { try JSONDecoder().decode(AssessmentBody.self, from: Data(data.utf8)) }
}

@Suite struct EventStreamTests {
    /// The current state first, then one event per change in order, and the stream ends after `completed`
    /// (the request returning at all shows that it ended).
    @Test func streamFollowsProgressAndEndsAfterCompletion() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            async let streamed = client.execute(uri: "/v1/assessments/\(id)/events", method: .get)
            var subscriptions = service.subscribed.makeAsyncIterator()
            #expect(await subscriptions.next() == id)
            while try await service.step(id) {}

            let response = try await streamed
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let events = SentEvent.parse(response.text).events
            #expect(events.allSatisfy { $0.name == "progress" })
            let snapshots = try events.map { try $0.snapshot() }
            #expect(snapshots.count == 1 + AgentName.allCases.count)
            #expect(snapshots.first?.status == "queued")
            #expect(snapshots.last?.status == "completed")
            #expect(snapshots.last?.progress.percent == 100)
            #expect(zip(snapshots, snapshots.dropFirst()).allSatisfy { $0.progress.percent < $1.progress.percent })
            #expect(snapshots.dropLast().allSatisfy { $0.status != "completed" })
            // Each event is exactly what GET answers for that version; the last one equals the final GET.
            let final = try await client.execute(uri: "/v1/assessments/\(id)", method: .get)
            #expect(snapshots.last == (try final.decode(AssessmentBody.self)))
        }
    }

    @Test func finishedAssessmentGivesOneEvent() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            await service.fail(id, reason: "lease lost three times")
            let response = try await client.execute(uri: "/v1/assessments/\(id)/events", method: .get)
            let snapshots = try SentEvent.parse(response.text).events.map { try $0.snapshot() }
            #expect(snapshots.count == 1)
            #expect(snapshots.first?.status == "failed")
            #expect(snapshots.first?.error == "lease lost three times")
        }
    }

    @Test func cancellationEndsTheStream() async throws {
        try await withAPI { client, service in
            let id = try await client.submitExample()
            async let streamed = client.execute(uri: "/v1/assessments/\(id)/events", method: .get)
            var subscriptions = service.subscribed.makeAsyncIterator()
            _ = await subscriptions.next()
            try await service.step(id)
            _ = try await client.execute(uri: "/v1/assessments/\(id)", method: .delete)
            let statuses = try SentEvent.parse(try await streamed.text).events.map { try $0.snapshot().status }
            #expect(statuses == ["queued", "running", "cancelled"])
        }
    }

    /// While nothing changes the stream sends comment lines; they are not events.
    @Test func idleStreamSendsHeartbeats() async throws {
        let settings = Fixtures.settings { $0.heartbeat = .milliseconds(1) }
        try await withAPI(settings: settings) { client, service in
            let id = try await client.submitExample()
            let baseline = NodeMetricsProbe.heartbeats()
            async let streamed = client.execute(uri: "/v1/assessments/\(id)/events", method: .get)
            var subscriptions = service.subscribed.makeAsyncIterator()
            _ = await subscriptions.next()
            // Progress happens only after the metrics show heartbeats went out, whatever the machine's speed.
            while NodeMetricsProbe.heartbeats() <= baseline { await Task.yield() }
            while try await service.step(id) {}
            let parsed = SentEvent.parse(try await streamed.text)
            #expect(parsed.comments > 0)
            #expect(parsed.events.count == 1 + AgentName.allCases.count)
        }
    }
}

/// Reads the heartbeat counter from the exposition, so a test can wait for heartbeats without a timer.
enum NodeMetricsProbe {
    static func heartbeats() -> Int {
        for line in NodeMetrics.exposition().split(separator: "\n")
        where line.hasPrefix("inframind_event_heartbeats_total ") {
            return Int(line.split(separator: " ").last ?? "") ?? 0
        }
        return 0
    }
}
