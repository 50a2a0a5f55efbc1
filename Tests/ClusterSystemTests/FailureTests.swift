import Distributed
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import Wire

@_spi(Testing) @testable import ClusterSystem

@Suite("Failures: vanished peers, refused peers, garbage, leaks")
struct FailureTests {
    /// A call whose frame is over the limit is refused by the caller, before anything is sent: the
    /// callee would drop the connection on it, and with it every other call in flight.
    @Test func aCallOverTheFrameLimitIsRefusedAndTheConnectionStays() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a") { $0.maxFrameSize = 64 * 1024 }
        let b = try await pki.start("node-b")
        defer {
            Task {
                await a.shutdown(); await b.shutdown()
            }
        }
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let remote = try Echo.resolve(id: echo.id, using: a)
        #expect(try await remote.echo(1) == 1)
        let framesBefore = b.framesReadCount
        await #expect {
            _ = try await remote.count(Payload.sample(lines: 5_000))
        } throws: { error in
            guard case .messageTooLarge(_, let bytes, let limit) = error as? ClusterError else { return false }
            return bytes > limit && limit == 64 * 1024
        }
        #expect(b.framesReadCount == framesBefore)
        #expect(try await remote.count(Payload.sample(lines: 10)) == 10)
        #expect(try await remote.echo(2) == 2)
        _ = echo
    }

    /// A reply over the callee's frame limit comes back as this call's failure, not as a frame the
    /// caller would drop the connection on.
    @Test func aReplyOverTheFrameLimitFailsThatCallOnly() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a")
        let b = try await pki.start("node-b") { $0.maxFrameSize = 64 * 1024 }
        defer {
            Task {
                await a.shutdown(); await b.shutdown()
            }
        }
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let remote = try Echo.resolve(id: echo.id, using: a)
        #expect(try await remote.sample(lines: 10).lines.count == 10)
        await #expect {
            _ = try await remote.sample(lines: 5_000)
        } throws: { error in
            guard case .remoteError(let type, let message) = error as? ClusterError else { return false }
            return type == "ReplyTooLarge" && message.contains("frame limit")
        }
        #expect(try await remote.echo(3) == 3)
        _ = echo
    }

    @Test func closingAPeerFailsItsInFlightCallsAtOnce() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            #expect(try await remote.echo(1) == 1)
            let started = ContinuousClock.now
            let calls = (0..<8).map { _ in
                Task {
                    try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(60))) {
                        try await remote.pause(milliseconds: 50_000)
                    }
                }
            }
            #expect(await eventually { systems[1].framesReadCount >= 10 })
            systems[1].closeAllConnectionsAbruptly()
            for call in calls {
                let result = await call.result
                guard case .failure(let error as ClusterError) = result, case .peerUnreachable = error else {
                    Issue.record("expected peerUnreachable, got \(result)")
                    continue
                }
            }
            // "At once" means on the connection's close, not at the 60 s deadline.
            #expect(ContinuousClock.now - started < .seconds(30))
            _ = echo
        }
    }

    @Test func aDeadPeerFailsNewCallsFastAndIsRedialledWhenBack() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a")
        let b = try await pki.start("node-b")
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let address = b.node
        let remote = try Echo.resolve(id: echo.id, using: a)
        #expect(try await remote.echo(1) == 1)
        await b.shutdown()
        await #expect(throws: ClusterError.self) { _ = try await remote.echo(2) }
        // A new incarnation on the same port: calls to the old uid fail, to the new one work.
        let b2 = try await pki.start("node-b") { $0.port = address.port }
        let echo2 = b2.makeWellKnown("/echo") { Echo(actorSystem: b2) }
        let remote2 = try Echo.resolve(id: echo2.id, using: a)
        var answered = false
        for _ in 0..<100 where !answered {
            answered = (try? await remote2.echo(3)) == 3
            if !answered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(answered)
        await #expect(throws: ClusterError.self) { _ = try await remote.echo(4) }
        _ = (echo, echo2)
        await a.shutdown()
        await b2.shutdown()
    }

    @Test func aPortNobodyListensOnIsReportedAsRefusingAndForgottenOnceAPeerConnects() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a")
        let b = try await pki.start("node-b")
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let address = b.node
        let remote = try Echo.resolve(id: echo.id, using: a)
        #expect(try await remote.echo(1) == 1)
        #expect(!a.refusesConnections("node-b"))
        await b.crash()
        // The broken connection, then a dial that meets a closed port.
        var refused = false
        for _ in 0..<100 where !refused {
            _ = try? await remote.echo(2)
            refused = a.refusesConnections("node-b")
            if !refused { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(refused)
        // A refusal sets no backoff: the next call dials again, and finds the new process at once.
        let b2 = try await pki.start("node-b") { $0.port = address.port }
        let echo2 = b2.makeWellKnown("/echo") { Echo(actorSystem: b2) }
        let remote2 = try Echo.resolve(id: echo2.id, using: a)
        #expect(try await remote2.echo(3) == 3)
        #expect(!a.refusesConnections("node-b"))
        _ = (echo, echo2)
        await a.shutdown()
        await b2.shutdown()
    }

    @Test func aPeerThatAnswersSlowlyIsNeverReportedAsRefusing() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            await #expect(throws: ClusterError.self) {
                try await ClusterSystem.$callOptions.withValue(.init(timeout: .milliseconds(50))) {
                    try await remote.pause(milliseconds: 500)
                }
            }
            #expect(!systems[0].refusesConnections("node-b"))
            _ = echo
        }
    }

    @Test func aPeerWithACertificateFromAnotherCAIsRefusedBeforeAnyFrame() async throws {
        let cluster = try TestPKI(nodes: ["node-a", "node-b"])
        let impostorPKI = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await cluster.start("node-a")
        let impostor = try await impostorPKI.start("node-b")
        let echo = a.makeWellKnown("/echo") { Echo(actorSystem: a) }
        let remote = try Echo.resolve(id: echo.id, using: impostor)
        await #expect(throws: ClusterError.self) { _ = try await remote.echo(1) }
        #expect(a.framesReadCount == 0)
        #expect(impostor.framesReadCount == 0)
        // And the other way round: the cluster node refuses the impostor's server certificate.
        let impostorEcho = impostor.makeWellKnown("/echo") { Echo(actorSystem: impostor) }
        let toImpostor = try Echo.resolve(id: impostorEcho.id, using: a)
        await #expect(throws: ClusterError.self) { _ = try await toImpostor.echo(1) }
        #expect(a.framesReadCount == 0)
        #expect(impostor.framesReadCount == 0)
        _ = (echo, impostorEcho)
        await a.shutdown()
        await impostor.shutdown()
    }

    @Test func anExpiredCertificateIsRefusedBeforeAnyFrame() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        // Re-issue node-b's certificate from the real CA, but valid only in the past.
        let ca = try pki.authority()
        let expired = try CertificateAuthority.issueNodeCertificate(
            nodeName: "node-b", ca: ca, notValidBefore: Date().addingTimeInterval(-86_400 * 10),
            notValidAfter: Date().addingTimeInterval(-86_400))
        try await pki.expectRefusedBeforeAnyFrame("node-b", certifiedBy: expired, by: "node-a")
    }

    @Test func aPlaintextClientIsRefusedBeforeAnyFrame() async throws {
        try await withNodes(["node-a"]) { systems in
            let node = systems[0]
            // A well-formed hello frame, sent without TLS.
            var bytes = ByteBuffer()
            bytes.writeFrame(
                .hello(Hello(node: NodeID(name: "node-a", host: "127.0.0.1", port: 1, uid: 9), lane: .calls)))
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: node.node.port).get()
            do {
                try await channel.writeAndFlush(bytes)
            } catch ChannelError.ioOnClosedChannel {
                // The node closed the connection before the frame went out (seen once in CI, the
                // suite's load delaying this task): refused even earlier, which is what is tested.
            }
            #expect(await eventually { !channel.isActive })
            #expect(node.framesReadCount == 0)
            #expect(await eventually { node.openConnectionCount == 0 })
        }
    }

    @Test func garbageFromAnAuthenticatedPeerClosesOnlyThatConnection() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a")
        let echo = a.makeWellKnown("/echo") { Echo(actorSystem: a) }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.directory + "/ca.pem"))
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.directory + "/node-b.pem").map {
            .certificate($0)
        }
        configuration.privateKey = .privateKey(
            try NIOSSLPrivateKey(file: pki.directory + "/node-b-key.pem", format: .pem))
        let context = try NIOSSLContext(configuration: configuration)
        var generator = SplitMix64(seed: 7)
        for round in 0..<20 {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: "node-a"))
                    }
                }
                .connect(host: "127.0.0.1", port: a.node.port).get()
            var garbage = ByteBuffer()
            if round % 2 == 0 {
                garbage.writeInteger(UInt32.max)  // an absurd length: must not be allocated
            }
            for _ in 0..<Int(generator.next() % 512) {
                garbage.writeInteger(UInt8(truncatingIfNeeded: generator.next()))
            }
            // The node may already have closed the connection (a busy machine can reach its hello
            // deadline before the garbage is written); what matters is that it ends up closed.
            do {
                try await channel.writeAndFlush(garbage)
            } catch ChannelError.ioOnClosedChannel {}
            #expect(await eventually { !channel.isActive }, "round \(round)")
        }
        // The node is still healthy for a proper peer.
        let b = try await pki.start("node-b")
        let remote = try Echo.resolve(id: echo.id, using: b)
        #expect(try await remote.echo(5) == 5)
        _ = echo
        await a.shutdown()
        await b.shutdown()
    }

    @Test func noDescriptorLeakAfterAThousandConnectDisconnectCycles() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            #expect(try await remote.echo(0) == 0)
            systems[0].disconnect(from: "node-b")
            #expect(await eventually { systems[0].openConnectionCount == 0 && systems[1].openConnectionCount == 0 })
            let before = openFileDescriptorCount()
            for cycle in 1...1_000 {
                #expect(try await remote.echo(cycle) == cycle)
                systems[0].disconnect(from: "node-b")
                let closed = await eventually {
                    systems[0].openConnectionCount == 0 && systems[1].openConnectionCount == 0
                }
                if !closed {
                    Issue.record("cycle \(cycle): connections stayed open")
                    break
                }
            }
            let after = openFileDescriptorCount()
            #expect(after <= before, "descriptors before \(before), after \(after)")
            _ = echo
        }
    }
}

/// Seeded generator for reproducible garbage.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
