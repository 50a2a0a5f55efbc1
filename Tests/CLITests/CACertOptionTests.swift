import Foundation
import Testing

@testable import inframind

/// `--cacert` (docs/security.md, "HTTPS"): a file that holds no certificate is a usage error named
/// after the flag, before any connection is tried.
@Suite struct CACertOptionTests {
    @Test func aCACertThatIsNotAPEMCertificateIsAUsageError() throws {
        let path = NSTemporaryDirectory() + "inframind-cacert-\(UUID().uuidString).pem"
        try "not a certificate".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for file in [path, path + ".missing"] {
            let options = try ClientOptions.parse(["--node", "https://127.0.0.1:8443", "--cacert", file])
            do {
                _ = try options.client()
                Issue.record("\(file) was accepted as a CA certificate")
            } catch let error as ClientError {
                #expect("\(error)".contains("--cacert \(file)"), "\(error)")
            }
        }
    }

    @Test func plainHTTPNeedsNoCACertAndTheFlagIsParsed() throws {
        let options = try ClientOptions.parse(["--node", "http://127.0.0.1:8101", "--cacert", "ca.pem"])
        #expect(options.cacert == "ca.pem")
        #expect(try options.client().node == "http://127.0.0.1:8101")
    }
}
