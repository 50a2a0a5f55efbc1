import Crypto
import FoundationEssentials
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// The HTTP API's server certificate and key (`http_tls_cert`, `http_tls_key`), reloadable: every new
/// connection takes the context of the moment, so `reload()` (SIGHUP, docs/operations.md) changes the
/// certificate for new connections while those open keep theirs, and a file that does not load leaves
/// the old one in place (docs/security.md, "HTTPS").
package final class HTTPTLS: Sendable {
    package let certificatePath: String
    package let keyPath: String
    private let current: Mutex<Loaded>

    /// A context with the SHA-256 fingerprint of its leaf certificate, for the logs.
    struct Loaded: Sendable {
        let context: NIOSSLContext
        let fingerprint: String
    }

    /// Loads both files now; throws (and the node does not start) when they do not make a TLS context.
    package init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    var context: NIOSSLContext { current.withLock { $0.context } }

    /// The SHA-256 of the leaf certificate served to new connections, hex.
    package var fingerprint: String { current.withLock { $0.fingerprint } }

    /// Reads the files again and, when they make a context, serves it to new connections; otherwise
    /// throws and the certificate served so far stays.
    @discardableResult
    package func reload() throws -> String {
        let loaded = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = loaded }
        return loaded.fingerprint
    }

    /// Reloads and logs the outcome either way.
    package func reload(logger: Logger) {
        do {
            let fingerprint = try reload()
            logger.notice(
                "HTTP TLS certificate reloaded; new connections use it",
                metadata: ["certificate": "\(certificatePath)", "sha256": "\(fingerprint)"])
        } catch {
            logger.error(
                "HTTP TLS certificate reload failed; still serving the previous certificate",
                metadata: ["certificate": "\(certificatePath)", "error": "\(error)", "sha256": "\(fingerprint)"])
        }
    }

    private static func load(certificatePath: String, keyPath: String) throws -> Loaded {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        guard let leaf = chain.first else { throw HTTPTLSError("\(certificatePath) holds no certificate") }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // TLS 1.2 as the floor rather than the transport's 1.3: browsers and curl speak 1.3, but
        // operators' load balancers and older clients in front of the API may not (docs/security.md).
        configuration.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: configuration)
        let der = try leaf.toDERBytes()
        let fingerprint = SHA256.hash(data: der).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        return Loaded(context: context, fingerprint: fingerprint)
    }
}

struct HTTPTLSError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// First on an HTTPS connection: a TLS client's first byte is a handshake record (0x16); anything
/// else is someone speaking plain HTTP to the HTTPS port, who gets a readable `400 https_required`
/// and a closed connection instead of TLS alert bytes (openapi.json, docs/security.md).
final class PlainHTTPDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var decided = false
    private let onRefusal: @Sendable () -> Void

    init(onRefusal: @escaping @Sendable () -> Void) {
        self.onRefusal = onRefusal
    }

    /// TLS record type "handshake": every ClientHello starts with it.
    static let handshakeRecord: UInt8 = 0x16

    static let refusal: ByteBuffer = {
        let body = JSONResponse.encode(
            ErrorBody(
                code: "https_required",
                message: "this port serves HTTPS: use an https:// URL (TLS 1.2 or later)"))
        var head = "HTTP/1.1 400 Bad Request\r\n"
        head += "Content-Type: application/json; charset=utf-8\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = ByteBuffer(string: head)
        buffer.writeBytes(body)
        return buffer
    }()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else { return context.fireChannelRead(data) }
        let bytes = unwrapInboundIn(data)
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else { return }
        decided = true
        if first == Self.handshakeRecord {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        onRefusal()
        // Written from here, below the TLS handler, so the answer goes out as plain text.
        context.writeAndFlush(wrapOutboundOut(Self.refusal)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
