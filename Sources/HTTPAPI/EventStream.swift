import FoundationEssentials
import HTTPTypes
import Hummingbird
import Logging
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

    /// One thing to write, in order: the watcher and the heartbeat both feed one queue so that only the
    /// response's own task touches the writer.
    enum Frame: Sendable {
        case snapshot(AssessmentSnapshot)
        case failure(ServiceError)
        case heartbeat
    }

    func handle(_ request: Request, context: some RequestContext) async -> Response {
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
            body: ResponseBody { [self, logger] writer in
                metrics.eventStreamOpened()
                defer { metrics.eventStreamClosed() }
                logger.debug("event stream opened")
                let sent = try await stream(id: id, into: &writer)
                logger.debug("event stream closed", metadata: ["events": "\(sent)"])
                try await writer.finish(nil)
            })
    }

    /// Writes frames until a final state, an error, or the server's graceful shutdown; returns how many
    /// snapshots went out.
    func stream(id: String, into writer: inout any ResponseBodyWriter) async throws -> Int {
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

    static func event(_ name: String, _ body: some Encodable) -> Data {
        var data = Data("event: \(name)\ndata: ".utf8)
        data.append(JSONResponse.encode(body))
        data.append(contentsOf: Array("\n\n".utf8))
        return data
    }
}
