import FoundationEssentials
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import ServiceLifecycle

/// `GET /v1/assessments/{id}/events`: Server-Sent Events from `AssessmentService.watch`.
///
/// Every snapshot that differs from the last one sent becomes `event: progress` whose data is the same
/// JSON as `GET /v1/assessments/{id}`; the stream ends after the first snapshot in a final state. While
/// nothing changes, a comment line goes out every heartbeat so that idle proxies keep the connection.
struct EventStream: Sendable {
    let service: any AssessmentService
    let heartbeat: Duration
    let metrics: APIMetrics
    /// Open streams by client address, capped by `ConnectionLimits.streamsPerClient` and `streams`.
    let slots: ConnectionCounter
    let retryAfterSeconds: Int

    /// One thing to write, in order: the watcher and the heartbeat both feed one queue so that only the
    /// response's own task touches the writer.
    enum Frame: Sendable {
        case snapshot(AssessmentSnapshot)
        case failure(ServiceError)
        case heartbeat
    }

    /// A place among the open streams for this client, or a 429 with Retry-After past the caps.
    /// Asked before anything else of a stream request, so a client past its share costs a lookup.
    func reserve(context: APIRequestContext) throws -> StreamSlot {
        let client = context.remoteAddress?.ipAddress ?? "unknown"
        if let refusal = slots.open(client) {
            Counter(label: "inframind_event_streams_refused_total", dimensions: [("reason", refusal.rawValue)])
                .increment()
            var headers = HTTPFields()
            headers[.retryAfter] = String(max(1, retryAfterSeconds))
            let message =
                refusal == .perClient
                ? "this client has the most event streams one client may open; close one or retry later"
                : "this node serves the most event streams it allows; retry later or ask another node"
            throw APIError(.tooManyRequests, code: "too_many_streams", message: message, headers: headers)
        }
        // Released when the response is gone, whether its body ran or the client left before it did.
        return StreamSlot(slots: slots, client: client)
    }

    func handle(_ request: Request, context: APIRequestContext, slot: StreamSlot) async -> Response {
        let id = context.parameters.get("id") ?? ""
        // The status line goes out before the first event, so an unknown id must be caught here.
        do {
            _ = try await service.assessment(id: id)
        } catch {
            return JSONResponse.serviceError(error)
        }
        var logger = context.logger
        logger[metadataKey: "assessment.id"] = "\(id)"
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { [self, logger, slot, closed = context.connectionClosed] writer in
                _ = slot
                metrics.eventStreamOpened()
                defer { metrics.eventStreamClosed() }
                logger.debug("event stream opened")
                let sent = try await stream(id: id, into: &writer, closed: closed)
                logger.debug("event stream closed", metadata: ["events": "\(sent)"])
                try await writer.finish(nil)
            })
    }

    /// Writes frames until a final state, an error, or the server's graceful shutdown; returns how many
    /// snapshots went out.
    func stream(
        id: String, into writer: inout any ResponseBodyWriter, closed: EventLoopFuture<Void>? = nil
    ) async throws -> Int {
        let (frames, queue) = AsyncStream<Frame>.makeStream()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await snapshot in service.watch(id: id) {
                        queue.yield(.snapshot(snapshot))
                        if snapshot.state.isFinal { break }
                    }
                } catch let error as ServiceError {
                    queue.yield(.failure(error))
                } catch is CancellationError {
                } catch {
                    queue.yield(.failure(.failed("the event source failed")))
                }
                queue.finish()
            }
            // A callback, not a task of the group: waiting on the future could not be cancelled, and a
            // stream that ends by itself would wait for its connection to close.
            closed?.whenComplete { _ in queue.finish() }
            group.addTask {
                while !Task.isCancelled {
                    do { try await Task.sleep(for: heartbeat) } catch { return }
                    queue.yield(.heartbeat)
                }
            }
            var sent = 0
            var last: AssessmentSnapshot?
            try await withGracefulShutdownHandler {
                loop: for await frame in frames {
                    switch frame {
                    case .snapshot(let snapshot):
                        if let last, last.version == snapshot.version, last.state == snapshot.state { continue }
                        last = snapshot
                        sent += 1
                        try await writer.write(ByteBuffer(bytes: Self.event("progress", AssessmentBody(snapshot))))
                        if snapshot.state.isFinal { break loop }
                    case .failure(let error):
                        let (_, body) = JSONResponse.describe(error)
                        try await writer.write(ByteBuffer(bytes: Self.event("error", body)))
                        break loop
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                        metrics.heartbeatSent()
                    }
                }
            } onGracefulShutdown: {
                // Ending the queue ends the loop, so the response finishes cleanly and the server can drain.
                queue.finish()
            }
            group.cancelAll()
            return sent
        }
    }

    /// One open stream's place in `slots`, given back when the last reference to it goes.
    final class StreamSlot: Sendable {
        let slots: ConnectionCounter
        let client: String

        init(slots: ConnectionCounter, client: String) {
            self.slots = slots
            self.client = client
        }

        deinit { slots.close(client) }
    }

    static func event(_ name: String, _ body: some Encodable) -> Data {
        var data = Data("event: \(name)\ndata: ".utf8)
        data.append(JSONResponse.encode(body))
        data.append(contentsOf: Array("\n\n".utf8))
        return data
    }
}
