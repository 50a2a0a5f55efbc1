import Foundation
import Testing

@testable import Assessment

/// Stated use cases are matched to the use-case table by whole words (a keyword may be a stem).
@Suite("Use-case matching")
struct OpportunityTests {
    func matched(_ stated: String) throws -> String? {
        var request = Fixtures.minimal()
        request.technical.aiUseCases = [stated]
        return Opportunities.find(request, catalog: try Fixtures.catalog()).first { $0.origin == "stated" }?.useCaseID
    }

    /// "rag" is a keyword of customer support; "storage" holds those letters and must not match.
    @Test func aKeywordInsideAnotherWordDoesNotMatch() throws {
        #expect(try matched("cold storage tiering") == nil)
        #expect(try matched("RAG over our manuals") == "usecase.customer_support")
    }

    @Test func stemsAndHyphenatedKeywordsMatchTheirWords() throws {
        #expect(try matched("Summarising visit notes") == "usecase.clinical_documentation")
        #expect(try matched("chest X-rays triage") != nil)
        #expect(try matched("cross-sell offers") == "usecase.product_recommendations")
    }
}
