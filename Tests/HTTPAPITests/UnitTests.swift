import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Testing

@testable import HTTPAPI

@Suite struct UnitTests {
    @Test func constantTimeCompare() {
        #expect(BearerToken.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerToken.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!BearerToken.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!BearerToken.constantTimeEqual([], Array("a".utf8)))
    }

    @Test func bearerSchemeIsCaseInsensitive() {
        let book = TokenBook(entries: [TokenEntry.admin(token: "t0k")])
        #expect(book.caller([.authorization: "Bearer t0k"])?.role == .admin)
        #expect(book.caller([.authorization: "bearer t0k"])?.role == .admin)
        #expect(book.caller([.authorization: "Basic t0k"]) == nil)
        #expect(book.caller([.authorization: "Bearer "]) == nil)
        #expect(book.caller([:]) == nil)
    }

    /// The audit log names a token without a label by its digest's first 12 hex digits, never the token.
    @Test func aCallerWithoutLabelIsNamedByFingerprint() throws {
        let entry = try #require(
            try TokenBook.parse(TokenEntry.line(token: "secret", role: .reader, tenant: "acme", label: nil)).first)
        let caller = try #require(TokenBook(entries: [entry]).caller([.authorization: "Bearer secret"]))
        // SHA-256("secret") begins 2bb80d537b1d.
        #expect(caller.fingerprint == "2bb80d537b1d")
        #expect(caller.auditName == "sha256:2bb80d537b1d")
        #expect(caller.sees(tenant: "acme") && !caller.sees(tenant: "globex") && !caller.sees(tenant: nil))
    }

    @Test func admissionGateIsBounded() {
        let gate = AdmissionGate(limit: 2)
        #expect(gate.tryEnter())
        #expect(gate.tryEnter())
        #expect(!gate.tryEnter())
        gate.leave()
        #expect(gate.tryEnter())
        #expect(gate.current == 2)
    }

    @Test func listQueryParsesRepeatedAndCommaSeparatedStatuses() throws {
        let uri = URI("/v1/assessments?status=queued,running&status=failed&limit=5&cursor=abc")
        let query = try ListQuery.parse(uri.queryParameters, defaultLimit: 20, maxLimit: 200).get()
        #expect(query == ListQuery(statuses: [.queued, .running, .failed], limit: 5, cursor: "abc"))
        let empty = try ListQuery.parse(URI("/v1/assessments").queryParameters, defaultLimit: 20, maxLimit: 200).get()
        #expect(empty == ListQuery(statuses: [], limit: 20, cursor: nil))
    }

    @Test func listQueryTakesATitleSearchTrimmedAndRefusesAnOverlongOrControlOne() throws {
        let parse = { (uri: String) in ListQuery.parse(URI(uri).queryParameters, defaultLimit: 20, maxLimit: 200) }
        #expect(try parse("/v1/assessments?q=%20GPU%20plan%20").get().title == "GPU plan")
        #expect(try parse("/v1/assessments?q=%20%20").get().title == nil)
        let long = String(repeating: "é", count: ListQuery.maxTitleQuery + 1)
        let encoded = long.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        guard case .failure(let problems) = parse("/v1/assessments?q=\(encoded)") else {
            Issue.record("an overlong q was accepted")
            return
        }
        #expect(problems.details.map(\.field) == ["q"])
        guard case .failure(let control) = parse("/v1/assessments?q=a%00b") else {
            Issue.record("a q with a NUL was accepted")
            return
        }
        #expect(control.details.map(\.field) == ["q"])
    }

    @Test func routePatternsMatchConcretePaths() {
        #expect(APIRoute.report.matches(path: "/v1/assessments/x/report"))
        #expect(!APIRoute.report.matches(path: "/v1/assessments/x"))
        #expect(APIRoute.get.routerPath == "/v1/assessments/:id")
    }

    @Test func datesAreISO8601WithMilliseconds() {
        let date = Date(timeIntervalSince1970: 1_800_000_000.25)
        #expect(APIDate.format(date) == "2027-01-15T08:00:00.250Z")
        #expect(APIDate.parse(APIDate.format(date)) == date)
    }
}
