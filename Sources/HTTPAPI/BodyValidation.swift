import Assessment
import FoundationEssentials
import NIOPosix
import ServiceLifecycle

/// Parses and validates submitted bodies on one thread of its own. Validation is CPU work over
/// untrusted bytes; on an event loop it stalls every connection of that loop, and on Swift's
/// cooperative pool (two threads on a two-core node) it stalls the membership protocol's timers
/// until the peers suspect this node (docs/security.md, "Request bodies"). On this thread, bodies
/// wait for each other and nothing else waits for them.
///
/// A `Service` so that the server's `ServiceGroup` stops it after the server itself: Hummingbird's
/// `Application` runs its extra services before its server and shuts them down in reverse order, so
/// requests in flight finish validating before the thread goes.
final class BodyValidation: Service, Sendable {
    private let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// The validated request, or what validating `body` found wrong; throws only when the thread has
    /// been shut down. The typed value is what the cluster stores and its workers run: the body is
    /// parsed once, here (docs/performance.md, "The data path").
    func validate(_ body: Data) async throws -> Result<AssessmentRequest, ValidationFailure> {
        try await onItsThread {
            do throws(ValidationFailure) {
                return .success(try RequestValidator.validate(body))
            } catch {
                return .failure(error)
            }
        }
    }

    /// `work` run on the validation thread, once the bodies queued before it are done.
    func onItsThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        try await pool.runIfActive(work)
    }

    func run() async throws {
        // Returns on graceful shutdown, throws on cancellation: either way the thread is stopped.
        try? await gracefulShutdown()
        try await shutDown()
    }

    func shutDown() async throws {
        try await pool.shutdownGracefully()
    }
}
