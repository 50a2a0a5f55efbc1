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
        let token = BearerToken("t0k")
        #expect(token.accepts([.authorization: "Bearer t0k"]))
        #expect(token.accepts([.authorization: "bearer t0k"]))
        #expect(!token.accepts([.authorization: "Basic t0k"]))
        #expect(!token.accepts([.authorization: "Bearer "]))
        #expect(!token.accepts([:]))
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
