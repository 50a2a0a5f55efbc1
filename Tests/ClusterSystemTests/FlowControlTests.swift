import ClusterSystem
import Distributed
import Testing
import Wire

@Suite("Connections: one per pair, backpressure, read throttling")
struct FlowControlTests {
    @Test(arguments: 0..<5)
    func dialsInBothDirectionsAtOnceEndWithOneConnection(round: Int) async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echoes = systems.map { system in system.makeWellKnown("/echo") { Echo(actorSystem: system) } }
            let aToB = try Echo.resolve(id: echoes[1].id, using: systems[0])
            let bToA = try Echo.resolve(id: echoes[0].id, using: systems[1])
            // Both sides make first contact at the same moment, with calls in flight throughout.
            async let fromA: Int = (0..<50).asyncSum { try await aToB.echo($0) }
            async let fromB: Int = (0..<50).asyncSum { try await bToA.echo($0) }
            let sums = try await (fromA, fromB)
            #expect(sums.0 == 1225 && sums.1 == 1225)
            let settled = await eventually {
                systems[0].openConnectionCount == 1 && systems[1].openConnectionCount == 1
            }
            #expect(settled, "a: \(systems[0].openConnectionCount), b: \(systems[1].openConnectionCount)")
            #expect(try await aToB.echo(1) == 1)
            #expect(try await bToA.echo(2) == 2)
            _ = echoes
        }
    }

    @Test func callersWaitForRoomInsteadOfFailingWhenTheSocketIsFull() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a") {
            $0.outboundHighWatermark = 32 << 10
            $0.outboundLowWatermark = 8 << 10
        }
        let b = try await pki.start("node-b")
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let remote = try Echo.resolve(id: echo.id, using: a)
        let payload = Payload.sample(lines: 2_000)  // about 80 KB: more than the high watermark
        // What is tested is that callers wait rather than fail, not how fast: a deadline far beyond
        // any machine's speed keeps a busy CI machine from failing it.
        let total = try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(300))) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<32 { group.addTask { try await remote.count(payload) } }
                return try await group.reduce(0, +)
            }
        }
        #expect(total == 32 * 2_000)
        _ = echo
        await a.shutdown()
        await b.shutdown()
    }

    @Test func aNodeWithTooManyCallsExecutingStopsReadingAndRecovers() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a")
        let b = try await pki.start("node-b") { $0.maxConcurrentIncomingCalls = 4 }
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let remote = try Echo.resolve(id: echo.id, using: a)
        let total = try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(300))) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<64 { group.addTask { try await remote.pause(milliseconds: 5) } }
                return try await group.reduce(0, +)
            }
        }
        #expect(total == 64 * 5)
        _ = echo
        await a.shutdown()
        await b.shutdown()
    }

    @Test func tooManyWaitingCallersAreRefusedAsOverloaded() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a") {
            $0.outboundHighWatermark = 16 << 10
            $0.outboundLowWatermark = 4 << 10
            $0.maxWaitingCalls = 2
        }
        let b = try await pki.start("node-b")
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let remote = try Echo.resolve(id: echo.id, using: a)
        #expect(try await remote.echo(0) == 0)
        let payload = Payload.sample(lines: 2_000)
        let outcomes = await withTaskGroup(of: Result<Int, ClusterError>.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    do { return .success(try await remote.count(payload)) } catch let error as ClusterError {
                        return .failure(error)
                    } catch { return .failure(.decodeFailure("\(error)")) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let overloaded = outcomes.filter {
            if case .failure(.overloaded) = $0 { return true }
            return false
        }.count
        let succeeded = outcomes.filter { if case .success = $0 { return true } else { return false } }.count
        #expect(overloaded + succeeded == 64)
        #expect(succeeded > 0)
        _ = echo
        await a.shutdown()
        await b.shutdown()
    }
}

extension Range where Bound == Int {
    func asyncSum(_ body: (Int) async throws -> Int) async rethrows -> Int {
        var total = 0
        for value in self { total += try await body(value) }
        return total
    }
}
