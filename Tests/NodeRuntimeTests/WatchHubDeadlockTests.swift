import Foundation
import HTTPAPI
import Synchronization
import Testing

@testable import NodeRuntime

/// Readers that go away while their watcher publishes: `WatchHub.publish` must not yield under its
/// lock, or a reader's cancellation (holding its task's status lock, then taking the hub's) and a
/// publish (holding the hub's lock, then resuming that reader) wait on each other for good. A
/// watchdog thread ends the process with a message if the test stops making progress, so that a
/// regression fails instead of stalling the run.
@Suite struct WatchHubDeadlockTests {
    @Test func readersCancelledWhilePublishingNeverWaitOnEachOther() async throws {
        let hub = WatchHub()
        let (upstream, feed) = AsyncThrowingStream<AssessmentSnapshot, any Error>.makeStream()
        let progress = Atomic<Int>(0)
        let finished = Atomic<Bool>(false)
        let watchdog = Thread {
            var last = -1
            while !finished.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 180)
                let now = progress.load(ordering: .relaxed)
                if now == last && !finished.load(ordering: .relaxed) {
                    FileHandle.standardError.write(
                        Data("WatchHubDeadlockTests: no progress for 180 s at round \(now): deadlocked\n".utf8))
                    exit(1)
                }
                last = now
            }
        }
        watchdog.start()

        func reader() -> Task<Void, Never> {
            Task {
                do {
                    for try await _ in hub.stream(id: "a", follow: { upstream }) {}
                } catch {}
            }
        }
        let keeper = reader()
        let publisher = Task {
            var version = 0
            while !Task.isCancelled {
                version += 1
                feed.yield(HTTPLimitsConfigurationTests.snapshot(version: version))
                await Task.yield()
            }
        }
        for round in 0..<3000 {
            let readers = (0..<6).map { _ in reader() }
            await Task.yield()
            for task in readers { task.cancel() }
            for task in readers { await task.value }
            progress.store(round, ordering: .relaxed)
        }
        publisher.cancel()
        await publisher.value
        keeper.cancel()
        await keeper.value
        finished.store(true, ordering: .relaxed)
        #expect(progress.load(ordering: .relaxed) == 2999)
    }
}
