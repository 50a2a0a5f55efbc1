import Foundation
import Testing

@testable import Assessment

/// Requests and analysts' results cross the cluster and are stored in their binary form
/// (docs/performance.md, "The data path"): it must give back exactly the typed value, whatever the
/// request, and read what earlier versions stored as JSON.
@Suite struct BinaryFormTests {
    static var requests: [(String, AssessmentRequest)] {
        get throws {
            var all = try Fixtures.exampleNames.map { ($0, try Fixtures.example($0)) }
            var generator = RandomRequests(seed: 7)
            for n in 1...24 { all.append(("random \(n)", generator.next())) }
            return all
        }
    }

    @Test func everyRequestComesBackEqualFromItsBinaryForm() throws {
        for (name, request) in try Self.requests {
            let stored = try request.binaryForm()
            #expect(BinaryForm.isBinary(stored), "\(name)")
            #expect(try AssessmentRequest(storedForm: stored) == request, "\(name)")
        }
    }

    @Test func aRequestStoredAsJSONIsValidatedWhenRead() throws {
        let json = try Fixtures.exampleData("healthcare-startup-7b")
        #expect(try AssessmentRequest(storedForm: json) == Fixtures.example("healthcare-startup-7b"))
        #expect(throws: ValidationFailure.self) { try AssessmentRequest(storedForm: Data(#"{"title": 3}"#.utf8)) }
    }

    @Test func theJSONEdgeGivesARequestThatValidatesToTheSameValue() throws {
        for (name, request) in try Self.requests {
            let json = try AssessmentRequest.json(storedForm: try request.binaryForm())
            #expect(try RequestValidator.validate(json) == request, "\(name)")
        }
    }

    /// The digest that compares two attempts of one agent is taken over these bytes: equal results,
    /// equal bytes, in any process (`BinaryEncoder` writes dictionaries in key order).
    @Test func everyAnalystsResultComesBackEqualAndEncodesToTheSameBytes() async throws {
        let catalog = try Fixtures.catalog()
        for (name, request) in try Self.requests.prefix(12) {
            for agent in AgentName.analysts {
                let result = AssessmentEngine.compute(agent, request: request, catalog: catalog)
                let stored = try result.binaryForm()
                let decoded = try AgentResult(storedForm: stored)
                #expect(decoded == result, "\(name) \(agent)")
                #expect(try decoded.binaryForm() == stored, "\(name) \(agent)")
                // A journal written by an earlier version holds canonical JSON.
                #expect(try AgentResult(storedForm: result.canonicalData()) == result, "\(name) \(agent)")
            }
        }
    }

    @Test func theBinaryFormIsSmallerThanTheJSONItReplaces() throws {
        let catalog = try Fixtures.catalog()
        let request = try Fixtures.example("enterprise-405b-serving")
        var binary = 0
        var json = 0
        for agent in AgentName.analysts {
            let result = AssessmentEngine.compute(agent, request: request, catalog: catalog)
            binary += try result.binaryForm().count
            json += try result.canonicalData().count
        }
        #expect(binary < json)
        #expect(try request.binaryForm().count < (try Fixtures.exampleData("enterprise-405b-serving")).count)
    }
}
