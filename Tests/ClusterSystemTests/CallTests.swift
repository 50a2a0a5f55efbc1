import ClusterSystem
import Distributed
import Testing
import Wire

@Suite("Calls between three nodes on loopback")
struct CallTests {
    @Test func valuesVoidThrowingGenericAndCodableArguments() async throws {
        try await withNodes(["node-a", "node-b", "node-c"]) { systems in
            let echoes = systems.map { system in system.makeWellKnown("/echo") { Echo(actorSystem: system) } }
            for caller in systems {
                for target in echoes where target.id.node != caller.node {
                    let remote = try Echo.resolve(id: target.id, using: caller)
                    #expect(try await remote.echo(41) == 41)
                    try await remote.nothing()
                    #expect(try await remote.identity("text") == "text")
                    #expect(try await remote.identity([1, 2, 3]) == [1, 2, 3])
                    #expect(try await remote.count(Payload.sample(lines: 7)) == 7)
                    #expect(try await remote.whoAmI() == target.id.node.name)
                    await #expect(
                        throws: ClusterError.remoteError(
                            type: "ClusterSystemTests.EchoFailure", message: "echo failed: boom")
                    ) {
                        try await remote.fail("boom")
                    }
                }
            }
            _ = echoes
        }
    }

    @Test func wellKnownPathsResolveOnEveryNode() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let id = systems[0].wellKnownID("/echo", on: systems[1].node)
            let remote = try Echo.resolve(id: id, using: systems[0])
            #expect(try await remote.echo(7) == 7)
            _ = echo
        }
    }

    @Test func concurrentCallsFromManyTasks() async throws {
        try await withNodes(["node-a", "node-b", "node-c"]) { systems in
            let echoes = systems.map { system in system.makeWellKnown("/echo") { Echo(actorSystem: system) } }
            let proxies = try [
                Echo.resolve(id: echoes[1].id, using: systems[0]),
                Echo.resolve(id: echoes[2].id, using: systems[0]),
                Echo.resolve(id: echoes[0].id, using: systems[1]),
            ]
            // The calls' deadline is far beyond any machine's speed: this tests that 64 tasks' calls all
            // arrive and answer right, not how fast (a loaded 2-core CI machine took 11 s once).
            let sum = try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(300))) {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for task in 0..<64 {
                        group.addTask {
                            var local = 0
                            for i in 0..<25 { local += try await proxies[(task + i) % proxies.count].echo(i) }
                            return local
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            #expect(sum == 64 * (0..<25).reduce(0, +))
            _ = echoes
        }
    }

    @Test func aGenericSubstitutionOutsideTheAllowlistIsRefused() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            await #expect(throws: ClusterError.genericSubstitutionRefused(String(reflecting: Payload.self))) {
                _ = try await remote.identity(Payload.sample(lines: 1))
            }
            // Once both sides allow it, the same call goes through.
            for system in systems { system.allowGenericSubstitution(Payload.self, as: "test.Payload") }
            #expect(try await remote.identity(Payload.sample(lines: 2)) == Payload.sample(lines: 2))
            _ = echo
        }
    }

    @Test func aCallToAResignedActorFailsClearly() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            var echo: Echo? = Echo(actorSystem: systems[1])
            let id = echo!.id
            let remote = try Echo.resolve(id: id, using: systems[0])
            #expect(try await remote.echo(1) == 1)
            echo = nil
            _ = echo
            await #expect(throws: ClusterError.unknownActor(id)) { _ = try await remote.echo(2) }
            // Locally, the id no longer resolves either.
            #expect(throws: ClusterError.unknownActor(id)) { _ = try Echo.resolve(id: id, using: systems[1]) }
        }
    }

    @Test func theDeadlineIsEnforcedPerCall() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            let error = await #expect(throws: ClusterError.self) {
                try await ClusterSystem.$callOptions.withValue(.init(timeout: .milliseconds(100))) {
                    _ = try await remote.pause(milliseconds: 5_000)
                }
            }
            guard case .deadlineExceeded(let target, _) = error else {
                Issue.record("expected deadlineExceeded, got \(String(describing: error))")
                return
            }
            #expect(target == "pause")
            // The connection is still good afterwards.
            #expect(try await remote.echo(3) == 3)
            _ = echo
        }
    }

    @Test func theControlLaneIsASeparateConnection() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            #expect(try await remote.echo(1) == 1)
            let onControlLane = try await ClusterSystem.$callOptions.withValue(.init(lane: .control)) {
                try await remote.echo(2)
            }
            #expect(onControlLane == 2)
            #expect(systems[0].openConnectionCount == 2)
            _ = echo
        }
    }
}
