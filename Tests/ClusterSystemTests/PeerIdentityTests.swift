import ClusterSystem
import Distributed
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import Wire

/// docs/security.md#peer-identity: a peer is who its certificate says, and no peer can make a node
/// hold more than its bounds.
@Suite("Peer identity and per-connection bounds")
struct PeerIdentityTests {
    @Test func theCalleeSeesTheCertifiedNameOfItsCaller() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            #expect(try await remote.caller() == "node-a")
            // A call made in this process has no certified caller.
            #expect(try await echo.caller() == nil)
            _ = echo
        }
    }

    @Test func aSenderOtherThanTheCertifiedPeerIsRefusedAndCounted() async throws {
        try await withNodes(["node-a", "node-b"]) { systems in
            let echo = systems[1].makeWellKnown("/echo") { Echo(actorSystem: systems[1]) }
            let remote = try Echo.resolve(id: echo.id, using: systems[0])
            #expect(try await remote.claim("node-a") == "node-a")
            #expect(systems[1].senderMismatchCount == 0)
            do {
                _ = try await remote.claim("node-c")
                Issue.record("a claim to speak for node-c was accepted from node-a")
            } catch ClusterError.remoteError(let type, let message) {
                #expect(type.hasSuffix("SenderMismatch"))
                #expect(message.contains("node-c") && message.contains("node-a"))
            }
            #expect(systems[1].senderMismatchCount == 1)
            _ = echo
        }
    }

    @Test func aMemberNotOnTheAllowListIsRefusedBeforeAnyFrame() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b", "node-c"])
        let allowed: Set<String> = ["node-a", "node-b"]
        let a = try await pki.start("node-a") { $0.allowedPeers = allowed }
        let b = try await pki.start("node-b") { $0.allowedPeers = allowed }
        // node-c's certificate comes from the cluster's own CA: only the list keeps it out.
        let c = try await pki.start("node-c")
        let echo = a.makeWellKnown("/echo") { Echo(actorSystem: a) }
        let fromC = try Echo.resolve(id: echo.id, using: c)
        await #expect(throws: ClusterError.self) { _ = try await fromC.echo(1) }
        #expect(a.framesReadCount == 0)
        // Dialling out to a name off the list is refused the same way.
        let echoC = c.makeWellKnown("/echo") { Echo(actorSystem: c) }
        let toC = try Echo.resolve(id: echoC.id, using: a)
        await #expect(throws: ClusterError.self) { _ = try await toC.echo(1) }
        #expect(a.framesReadCount == 0)
        let fromB = try Echo.resolve(id: echo.id, using: b)
        #expect(try await fromB.echo(7) == 7)
        _ = (echo, echoC)
        for system in [a, b, c] { await system.shutdown() }
    }

    @Test func anHTTPServerCertificateOfTheClusterCACannotPassForANode() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let http = try CertificateAuthority.issueHTTPServerCertificate(
            dnsNames: ["node-b"], ipAddresses: [], ca: try pki.authority())
        try await pki.expectRefusedBeforeAnyFrame("node-b", certifiedBy: http, by: "node-a")
    }

    @Test func incomingCallsAreBoundedByBytesAsWellAsByCount() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a")
        // Each call below carries about 80 KB: three fit under 200 KB, and the node stops reading only
        // after the read event that crossed the bound, which holds up to NIO's 4 reads of 64 KB (three
        // more calls); the count bound alone would let all sixteen run. Five were seen on two loaded
        // cores.
        let b = try await pki.start("node-b") { $0.maxIncomingCallBytes = 200 << 10 }
        let echo = b.makeWellKnown("/echo") { Echo(actorSystem: b) }
        let remote = try Echo.resolve(id: echo.id, using: a)
        let payload = Payload.sample(lines: 2_000)
        let total = try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(300))) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 { group.addTask { try await remote.keep(payload, milliseconds: 20) } }
                return try await group.reduce(0, +)
            }
        }
        #expect(total == 16 * 2_000)
        let most = try await echo.mostHeldAtOnce()
        #expect(most >= 1 && most <= 6, "\(most) calls held at once")
        _ = echo
        await a.shutdown()
        await b.shutdown()
    }

    @Test func aPeerThatNeverReadsIsCutOffAtTheCapAndItsCallsFailAtOnce() async throws {
        let pki = try TestPKI(nodes: ["node-a", "node-b"])
        let a = try await pki.start("node-a") {
            $0.outboundHighWatermark = 64 << 10
            $0.outboundLowWatermark = 16 << 10
            $0.maxOutboundBytes = 256 << 10
            // The bare client below shakes hands and says hello at the test's pace, which on two
            // loaded cores took over the 2 s a node waits for a hello by default.
            $0.connectTimeout = .seconds(30)
        }
        let echo = a.makeWellKnown("/echo") { Echo(actorSystem: a) }
        // "node-b" here is a bare TLS client with node-b's certificate that says hello, calls, and
        // then stops reading.
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.directory + "/ca.pem"))
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.directory + "/node-b.pem").map {
            .certificate($0)
        }
        configuration.privateKey = .privateKey(
            try NIOSSLPrivateKey(file: pki.directory + "/node-b-key.pem", format: .pem))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: context, serverHostname: "node-a"))
                }
            }
            .connect(host: "127.0.0.1", port: a.node.port).get()
        var hello = ByteBuffer()
        hello.writeFrame(.hello(Hello(node: NodeID(name: "node-b", host: "127.0.0.1", port: 1, uid: 7), lane: .calls)))
        try await channel.writeAndFlush(hello)
        #expect(await eventually { a.framesReadCount >= 1 })
        try await channel.setOption(.autoRead, value: false).get()

        // A call from node-a to the peer, pending while the peer stops reading.
        let peerEcho = try Echo.resolve(
            id: ActorID(node: NodeID(name: "node-b", host: "127.0.0.1", port: 1, uid: 0), path: "/echo"), using: a)
        let pending = Task {
            try await ClusterSystem.$callOptions.withValue(.init(timeout: .seconds(300))) {
                try await peerEcho.echo(1)
            }
        }
        // Calls whose replies (about 800 KB each, 32 MB in all) fill the kernel's buffers and then the cap.
        var arguments = ByteBuffer()
        arguments.writeInteger(UInt32(0))
        try BinaryEncoder().encode(20_000, into: &arguments)
        arguments.setInteger(UInt32(arguments.readableBytes - 4), at: 0)
        for callID in 1...40 {
            var frame = ByteBuffer()
            frame.writeFrame(
                .call(
                    CallFrame(
                        callID: UInt64(callID), recipient: ActorID(node: a.node, path: "/echo"), target: "sample",
                        genericSubstitutions: [], arguments: arguments, timeoutMicros: 300_000_000)))
            do {
                try await channel.writeAndFlush(frame)
            } catch ChannelError.ioOnClosedChannel {
                break  // already cut off
            }
        }
        do {
            _ = try await pending.value
            Issue.record("the call to a peer that never reads was answered")
        } catch ClusterError.peerUnreachable(let node, let reason) {
            #expect(node.contains("node-b"))
            #expect(reason.contains("does not read"), "\(reason)")
        }
        #expect(await eventually { a.openConnectionCount == 0 })
        try? await channel.close()
        _ = echo
        await a.shutdown()
    }
}
