import Crypto
import FoundationEssentials
import X509

#if canImport(Glibc)
    import Glibc
#endif

/// Makes the development PKI of a cluster: one CA and a certificate per node.
///
/// A node certificate names its node as a DNS SAN and nothing else. An IP SAN would let
/// NIOSSL's hostname check accept any node's certificate for any other node on the same
/// address, which on a one-machine cluster (everything on 127.0.0.1) is every node.
package enum CertificateAuthority {
    package struct Issued: Sendable {
        package var certificatePEM: String
        package var privateKeyPEM: String

        package init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    package static func makeCA(commonName: String = "InfraMind cluster CA", validFor days: Int = 3650) throws -> Issued
    {
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
    package static func issueNodeCertificate(
        nodeName: String, ca: Issued, notValidBefore: Date = Date().addingTimeInterval(-300),
        notValidAfter: Date = Date().addingTimeInterval(825 * 86_400)
    ) throws -> Issued {
        try issueLeaf(
            commonName: nodeName, names: [.dnsName(nodeName)],
            usage: KeyUsage(digitalSignature: true, keyEncipherment: true), extendedUsage: [.serverAuth, .clientAuth],
            ca: ca, notValidBefore: notValidBefore, notValidAfter: notValidAfter)
    }

    /// Issues an HTTP server certificate (`certs init --http-name/--http-ip`) for every name and
    /// address given, as DNS and IP SANs. Server use only: it cannot pass for a node on the cluster
    /// transport, which requires both uses (docs/security.md#keys-and-files).
    package static func issueHTTPServerCertificate(
        dnsNames: [String], ipAddresses: [[UInt8]], ca: Issued, notValidBefore: Date = Date().addingTimeInterval(-300),
        notValidAfter: Date = Date().addingTimeInterval(825 * 86_400)
    ) throws -> Issued {
        let names =
            dnsNames.map { GeneralName.dnsName($0) }
            + ipAddresses.map { GeneralName.ipAddress(.init(contentBytes: ArraySlice($0))) }
        return try issueLeaf(
            commonName: dnsNames.first ?? "InfraMind HTTP API", names: names,
            usage: KeyUsage(digitalSignature: true), extendedUsage: [.serverAuth],
            ca: ca, notValidBefore: notValidBefore, notValidAfter: notValidAfter)
    }

    /// A fresh P-256 key and an end-entity certificate for it, signed by `ca`.
    private static func issueLeaf(
        commonName: String, names: [GeneralName], usage: KeyUsage, extendedUsage: [ExtendedKeyUsage.Usage],
        ca: Issued, notValidBefore: Date, notValidAfter: Date
    ) throws -> Issued {
        let caCertificate = try Certificate(pemEncoded: ca.certificatePEM)
        let caKey = try Certificate.PrivateKey(pemEncoded: ca.privateKeyPEM)
        let signingKey = P256.Signing.PrivateKey()
        let key = Certificate.PrivateKey(signingKey)
        let subject = try DistinguishedName {
            OrganizationName("InfraMind")
            CommonName(commonName)
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
                Critical(usage)
                try ExtendedKeyUsage(extendedUsage)
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: signingKey.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: caKey
        )
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: try key.serializeAsPEM().pemString)
    }

    /// What `certs init` makes besides the node certificates: an HTTP server certificate for these
    /// names and addresses, signed by the cluster CA or by a CA of its own.
    package struct HTTPServerRequest: Sendable {
        package var dnsNames: [String]
        /// 4 bytes (IPv4) or 16 (IPv6) each, as `IPAddressBytes.parse` gives them.
        package var ipAddresses: [[UInt8]]
        package var separateCA: Bool

        package init(dnsNames: [String], ipAddresses: [[UInt8]], separateCA: Bool) {
            self.dnsNames = dnsNames
            self.ipAddresses = ipAddresses
            self.separateCA = separateCA
        }
    }

    /// Writes the cluster's PKI (docs/security.md#keys-and-files has the layout):
    /// * in `directory`, which nodes read: `ca.pem`, `<node>.pem` and `<node>-key.pem` for each node,
    ///   and with `http`, `http.pem`, `http-key.pem` (and `http-ca.pem` for a separate HTTP CA);
    /// * in `caKeyDirectory`, which nodes never read: `ca-key.pem` (and `http-ca-key.pem`). Nil writes
    ///   no CA key at all (throwaway PKIs: tests, benchmarks), and nothing more can be signed.
    ///
    /// Keys are created mode 0600 and directories 0700. Node `i` (from 0) expires `i × staggerDays`
    /// days (wrapping at half the validity) before the first, so renewals never all fall due at once.
    /// With `reuseCA`, the CA is read from `directory/ca.pem` and `caKeyDirectory/ca-key.pem` instead of
    /// made: renewing node certificates without rotating the CA.
    @discardableResult
    package static func writeClusterPKI(
        to directory: URL, nodeNames: [String], caKeyDirectory: URL? = nil, reuseCA: Bool = false,
        http: HTTPServerRequest? = nil, validityDays: Int = 825, staggerDays: Int = 1, now: Date = Date()
    ) throws -> [String] {
        try PrivateFiles.makeDirectory(directory.path)
        if let caKeyDirectory { try PrivateFiles.makeDirectory(caKeyDirectory.path) }
        var written: [String] = []
        func put(_ text: String, _ folder: URL, _ name: String, secret: Bool) throws {
            let path = folder.appendingPathComponent(name).path
            try PrivateFiles.write(text, to: path, mode: secret ? 0o600 : 0o644)
            written.append(path)
        }
        let ca: Issued
        if reuseCA {
            guard let caKeyDirectory else { throw PKIError("reusing the CA needs the directory of ca-key.pem") }
            ca = Issued(
                certificatePEM: try PrivateFiles.read(directory.appendingPathComponent("ca.pem").path),
                privateKeyPEM: try PrivateFiles.read(caKeyDirectory.appendingPathComponent("ca-key.pem").path))
        } else {
            ca = try makeCA()
            try put(ca.certificatePEM, directory, "ca.pem", secret: false)
            if let caKeyDirectory { try put(ca.privateKeyPEM, caKeyDirectory, "ca-key.pem", secret: true) }
        }
        let window = max(1, validityDays / 2)
        for (index, name) in nodeNames.enumerated() {
            let days = validityDays - (index * max(0, staggerDays)) % window
            let issued = try issueNodeCertificate(
                nodeName: name, ca: ca, notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(Double(days) * 86_400))
            try put(issued.certificatePEM, directory, "\(name).pem", secret: false)
            try put(issued.privateKeyPEM, directory, "\(name)-key.pem", secret: true)
        }
        if let http {
            var signer = ca
            let httpCAKey = caKeyDirectory?.appendingPathComponent("http-ca-key.pem").path
            if http.separateCA, reuseCA, let httpCAKey, FileManager.default.fileExists(atPath: httpCAKey) {
                signer = Issued(
                    certificatePEM: try PrivateFiles.read(directory.appendingPathComponent("http-ca.pem").path),
                    privateKeyPEM: try PrivateFiles.read(httpCAKey))
            } else if http.separateCA {
                signer = try makeCA(commonName: "InfraMind HTTP CA")
                try put(signer.certificatePEM, directory, "http-ca.pem", secret: false)
                if let caKeyDirectory {
                    try put(signer.privateKeyPEM, caKeyDirectory, "http-ca-key.pem", secret: true)
                }
            }
            let issued = try issueHTTPServerCertificate(
                dnsNames: http.dnsNames, ipAddresses: http.ipAddresses, ca: signer,
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400))
            try put(issued.certificatePEM, directory, "http.pem", secret: false)
            try put(issued.privateKeyPEM, directory, "http-key.pem", secret: true)
        }
        return written
    }
}

package struct PKIError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}

/// Files that hold secrets, written so that no moment exists in which another user could read them.
package enum PrivateFiles {
    /// Writes `text` to `path` through a temporary file in the same directory that is created with
    /// `mode` already (O_CREAT|O_EXCL: never an existing file, never a wider mode, whatever the umask
    /// widens), synced, then renamed over `path`. A crash leaves at most that temporary file, as
    /// narrow as the result.
    package static func write(_ text: String, to path: String, mode: mode_t) throws {
        let (folder, name) = split(path)
        let temporary = folder + "/.\(name).\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PKIError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var failure: String?
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                failure = "cannot write \(temporary): \(String(cString: strerror(errno)))"
                break
            }
            offset += n
        }
        if failure == nil && fsync(fd) != 0 {
            failure = "cannot sync \(temporary): \(String(cString: strerror(errno)))"
        }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 {
            failure = "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))"
        }
        if let failure {
            unlink(temporary)
            throw PKIError(failure)
        }
    }

    /// Creates `path` (and missing parents) mode 0700, or narrows an existing one to 0700.
    package static func makeDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw PKIError("\(path) exists and is not a directory") }
            if info.st_mode & 0o077 != 0 && chmod(path, 0o700) != 0 {
                throw PKIError("cannot restrict \(path) to its owner: \(String(cString: strerror(errno)))")
            }
            return
        }
        let parent = split(path).folder
        if parent != "." && parent != "/" {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw PKIError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The directory part of `path` ("." when none) and its last component.
    static func split(_ path: String) -> (folder: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let folder = trimmed[..<slash]
        return (folder.isEmpty ? "/" : String(folder), String(trimmed[trimmed.index(after: slash)...]))
    }

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError("cannot read \(path): \(error)")
        }
    }
}

/// IP addresses as the bytes of an IP SAN.
package enum IPAddressBytes {
    /// 4 bytes for dotted IPv4, 16 for IPv6; nil for anything else.
    package static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

extension SubjectKeyIdentifier {
    /// RFC 5280 method 1: SHA-1 of the subjectPublicKey bit string, which for an EC key is
    /// its uncompressed (X9.63) point.
    init(hash publicKey: P256.Signing.PublicKey) {
        self.init(keyIdentifier: ArraySlice(Insecure.SHA1.hash(data: publicKey.x963Representation)))
    }
}
