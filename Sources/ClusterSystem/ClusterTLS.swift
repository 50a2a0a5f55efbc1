import FoundationEssentials
import NIOCore
import NIOSSL
import X509

/// The two TLS contexts of a node. The cluster CA is the only trust root in both directions,
/// TLS 1.3 is the floor, and a peer must present a certificate (NIOSSL's verifying modes set
/// `SSL_VERIFY_FAIL_IF_NO_PEER_CERT`): there is no plaintext mode and no anonymous client.
struct ClusterTLS: Sendable {
    let serverContext: NIOSSLContext
    let clientContext: NIOSSLContext
    /// When this node's own certificate expires, for the expiry gauge of `/metrics`.
    let notValidAfter: Date

    init(files: ClusterSystem.TLSFiles) throws {
        let ca = try NIOSSLCertificate.fromPEMFile(files.caCertificatePath)
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath).map {
            NIOSSLCertificateSource.certificate($0)
        }
        let key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        guard let leaf = chain.first, case .certificate(let own) = leaf else {
            throw PeerIdentityError.noCertificate
        }
        notValidAfter = try Certificate(derEncoded: try own.toDERBytes()).notValidAfter

        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        server.minimumTLSVersion = .tlsv13
        server.trustRoots = .certificates(ca)
        // The acceptor cannot know which node is dialling, so it checks the chain only; the
        // identity is then read from the certificate and bound to the connection.
        server.certificateVerification = .noHostnameVerification

        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv13
        client.trustRoots = .certificates(ca)
        client.certificateChain = chain
        client.privateKey = .privateKey(key)
        // The dialler names the node it expects (SNI = node name) and the certificate must carry
        // that name as its DNS SAN.
        client.certificateVerification = .fullVerification

        self.serverContext = try NIOSSLContext(configuration: server)
        self.clientContext = try NIOSSLContext(configuration: client)
    }

    /// The node name a verified peer certificate vouches for: its single DNS SAN.
    static func nodeName(of certificate: NIOSSLCertificate) throws -> String {
        let parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        let names =
            try parsed.extensions.subjectAlternativeNames?.compactMap { name -> String? in
                if case .dnsName(let dns) = name { return dns }
                return nil
            } ?? []
        guard names.count == 1, let name = names.first else {
            throw PeerIdentityError.ambiguousCertificate(dnsNames: names)
        }
        // An HTTP server certificate (`certs init --http-name`, serverAuth only) signed by the cluster
        // CA must not pass for a node: nodes both dial and accept, so theirs allow both uses.
        let usages = try parsed.extensions.extendedKeyUsage
        guard let usages, usages.contains(.serverAuth), usages.contains(.clientAuth) else {
            throw PeerIdentityError.notANodeCertificate(name: name)
        }
        return name
    }
}

enum PeerIdentityError: Error, CustomStringConvertible {
    case noCertificate
    case ambiguousCertificate(dnsNames: [String])
    case nameMismatch(certificate: String, hello: String)
    case unexpectedPeer(expected: String, certificate: String)
    case notAllowed(certificate: String)
    case notANodeCertificate(name: String)

    var description: String {
        switch self {
        case .noCertificate: return "peer presented no certificate"
        case .ambiguousCertificate(let names): return "peer certificate must carry exactly one DNS SAN, has \(names)"
        case .nameMismatch(let certificate, let hello):
            return "peer's hello claims node '\(hello)' but its certificate is for '\(certificate)'"
        case .unexpectedPeer(let expected, let certificate):
            return "dialled '\(expected)' but the certificate is for '\(certificate)'"
        case .notAllowed(let certificate):
            return "the certificate's node '\(certificate)' is not in cluster_members_allowed"
        case .notANodeCertificate(let name):
            return
                "the certificate for '\(name)' is not a node certificate (it must allow both TLS client and server use)"
        }
    }
}
