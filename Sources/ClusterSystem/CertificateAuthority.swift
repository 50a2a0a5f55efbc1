import Crypto
import FoundationEssentials
import X509

/// Makes the development PKI of a cluster: one CA and a certificate per node.
///
/// A node certificate names its node as a DNS SAN and nothing else. An IP SAN would let
/// NIOSSL's hostname check accept any node's certificate for any other node on the same
/// address, which on a one-machine cluster (everything on 127.0.0.1) is every node.
public enum CertificateAuthority {
    public struct Issued: Sendable {
        public var certificatePEM: String
        public var privateKeyPEM: String
    }

    public static func makeCA(commonName: String = "InfraMind cluster CA", validFor days: Int = 3650) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let keyIdentifier = SubjectKeyIdentifier(hash: key.publicKey)
        let name = try DistinguishedName {
            OrganizationName("InfraMind")
            CommonName(commonName)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: privateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                keyIdentifier
            },
            issuerPrivateKey: privateKey
        )
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: try privateKey.serializeAsPEM().pemString)
    }

    /// Issues a certificate for `nodeName`, usable as both TLS server and client, because every
    /// node both accepts and dials.
    public static func issueNodeCertificate(
        nodeName: String, ca: Issued, notValidBefore: Date = Date().addingTimeInterval(-300),
        notValidAfter: Date = Date().addingTimeInterval(825 * 86_400)
    ) throws -> Issued {
        let caCertificate = try Certificate(pemEncoded: ca.certificatePEM)
        let caKey = try Certificate.PrivateKey(pemEncoded: ca.privateKeyPEM)
        let signingKey = P256.Signing.PrivateKey()
        let key = Certificate.PrivateKey(signingKey)
        let subject = try DistinguishedName {
            OrganizationName("InfraMind")
            CommonName(nodeName)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: caCertificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName(nodeName)])
                SubjectKeyIdentifier(hash: signingKey.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: caKey
        )
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: try key.serializeAsPEM().pemString)
    }

    /// Writes `ca.pem` (+ `ca-key.pem`) and `<node>.pem` / `<node>-key.pem` for each node name.
    /// Keys are written owner-readable only.
    public static func writeClusterPKI(to directory: URL, nodeNames: [String]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = try makeCA()
        try write(ca.certificatePEM, to: directory.appendingPathComponent("ca.pem"), secret: false)
        try write(ca.privateKeyPEM, to: directory.appendingPathComponent("ca-key.pem"), secret: true)
        for name in nodeNames {
            let issued = try issueNodeCertificate(nodeName: name, ca: ca)
            try write(issued.certificatePEM, to: directory.appendingPathComponent("\(name).pem"), secret: false)
            try write(issued.privateKeyPEM, to: directory.appendingPathComponent("\(name)-key.pem"), secret: true)
        }
    }

    static func write(_ text: String, to url: URL, secret: Bool) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes(
            [.posixPermissions: secret ? 0o600 : 0o644], ofItemAtPath: url.path)
    }
}

extension SubjectKeyIdentifier {
    /// RFC 5280 method 1: SHA-1 of the subjectPublicKey bit string, which for an EC key is
    /// its uncompressed (X9.63) point.
    init(hash publicKey: P256.Signing.PublicKey) {
        self.init(keyIdentifier: ArraySlice(Insecure.SHA1.hash(data: publicKey.x963Representation)))
    }
}
