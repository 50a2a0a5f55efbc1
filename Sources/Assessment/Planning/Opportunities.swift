package struct Opportunity: Codable, Sendable, Equatable {
    /// The use-case table row, or nil for a stated use case the table does not know.
    package let useCaseID: String?
    package let title: String
    /// `stated` (from ai_use_cases) or `industry` (suggested for the industry).
    package let origin: String
    package let statedAs: String?
    package let roiPotential: Severity?
    package let complexity: Severity?
    package let timeToValueMonths: [Int]?
}

enum Opportunities {
    static let suggestionsPerIndustry = 3

    /// Stated use cases matched to the table by keyword, then the industry's best
    /// unmatched rows (high ROI first, then low complexity).
    static func find(_ request: AssessmentRequest, catalog: Catalog) -> [Opportunity] {
        var out: [Opportunity] = []
        var used = Set<String>()
        for stated in request.technical.aiUseCases {
            let words = Self.words(stated)
            let matches = catalog.useCases.filter { row in
                row.keywords.contains { keyword in words.contains { $0.hasPrefix(keyword) } }
            }
            let preferred =
                matches.first { $0.industries.contains(request.business.industry.rawValue) } ?? matches.first
            if let row = preferred {
                if used.insert(row.id).inserted {
                    out.append(opportunity(row, origin: "stated", statedAs: stated))
                }
            } else {
                out.append(
                    Opportunity(
                        useCaseID: nil, title: stated, origin: "stated", statedAs: stated, roiPotential: nil,
                        complexity: nil, timeToValueMonths: nil))
            }
        }
        let suggestions = catalog.useCases.filter {
            $0.industries.contains(request.business.industry.rawValue) && !used.contains($0.id)
        }.sorted {
            ($0.roiPotential.rank, $0.complexity.rank * -1, $0.id) < (
                $1.roiPotential.rank, $1.complexity.rank * -1, $1.id
            )
        }
        for row in suggestions.prefix(suggestionsPerIndustry) {
            out.append(opportunity(row, origin: "industry", statedAs: nil))
        }
        return out
    }

    /// Lower-cased words of a stated use case; hyphens stay inside words ("x-ray", "cross-sell").
    /// Keywords match the start of a word, so stems ("summar", "underwrit") find their forms
    /// and "rag" does not find "storage".
    static func words(_ text: String) -> [Substring] {
        text.lowercased().split { !($0.isLetter || $0.isNumber || $0 == "-") }
    }

    static func opportunity(_ row: UseCaseSpec, origin: String, statedAs: String?) -> Opportunity {
        Opportunity(
            useCaseID: row.id, title: row.title, origin: origin, statedAs: statedAs, roiPotential: row.roiPotential,
            complexity: row.complexity, timeToValueMonths: row.timeToValueMonths)
    }
}
