import NIOCore

/// A `TaskExecutor` that runs jobs on one of the node's event loops. Code that makes many
/// calls can prefer it (`withTaskExecutorPreference(system.taskExecutor) { … }`): the call's
/// frame is then written, and the caller resumed after the reply, on the connection's own
/// thread, with no hand-off between threads on either side of the round trip.
package final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    package let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
