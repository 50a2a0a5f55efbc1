import Foundation
import Testing

@testable import Assessment

@Suite("Shipped catalog")
struct CatalogTests {
    static let shared = URL(fileURLWithPath: "/work/shared/data/catalog")

    /// The price files are verbatim copies of the shared catalog. Where that directory
    /// exists (the development machines) the bytes are compared; elsewhere the row
    /// counts stated in its SOURCES.md are.
    @Test(arguments: ["instances.csv", "storage_network.csv"])
    func priceFilesAreVerbatimCopies(file: String) throws {
        let mine = Data(try #require(Catalog.embedded[file]))
        let original = Self.shared.appendingPathComponent(file)
        if FileManager.default.fileExists(atPath: original.path) {
            #expect(mine == (try Data(contentsOf: original)))
        }
        let catalog = try Fixtures.catalog()
        #expect(catalog.instances.count == 286)
        #expect(catalog.storageNetwork.count == 36)
    }

    /// The binary carries the catalog directory's files: one added there but not to the package's
    /// embedded resources would be missing from every node.
    @Test func everyCatalogFileIsEmbeddedAsItIs() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Assessment/Resources/catalog")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files == Catalog.embedded.keys.sorted())
        for file in files {
            #expect(
                Data(Catalog.embedded[file] ?? []) == (try Data(contentsOf: directory.appendingPathComponent(file))))
        }
    }

    @Test func rowsHaveUniqueIDsAndKnownSources() throws {
        let catalog = try Fixtures.catalog()
        #expect(Set(catalog.instances.map(\.id)).count == catalog.instances.count)
        #expect(Set(catalog.storageNetwork.map(\.id)).count == catalog.storageNetwork.count)
        let sources = Set(catalog.sources.map(\.id))
        for row in catalog.instances {
            #expect(sources.contains(row.sourceID), "\(row.id)")
            #expect(row.onDemandHourly > 0, "\(row.id)")
            #expect(catalog.regions.contains { $0.provider == row.provider && $0.region == row.region }, "\(row.id)")
        }
        for row in catalog.storageNetwork { #expect(sources.contains(row.sourceID)) }
        // Blank means unknown, never zero.
        #expect(catalog.instances.filter { $0.provider == .azure }.allSatisfy { $0.reserved1yHourly == nil })
        let p5 = try #require(catalog.instances.first { $0.id == "aws/us-east-1/p5.48xlarge" })
        #expect(p5.onDemandHourly == 55.04 && p5.gpuCount == 8 && p5.gpuMemoryGB == 80)
    }

    @Test func editorialTablesAreConsistent() throws {
        let catalog = try Fixtures.catalog()
        let measures = Set(catalog.measures.map(\.measure))
        #expect(measures == Set(SecurityRequirements.allMeasures + ["eu_data_residency"]))
        #expect(Set(catalog.frameworks.map(\.id)) == Set(ComplianceFramework.allCases))
        for f in catalog.frameworks {
            for c in f.controls { #expect(c.requires.allSatisfy(measures.contains), "\(c.id)") }
        }
        let w = catalog.mlops.weights
        #expect(abs(w.ease + w.scalability + w.cost + w.integration - 1) < 1e-9)
        #expect(Set(catalog.sizing.workloads.map(\.workload)) == Set(WorkloadType.allCases))
        let industries = Set(Industry.allCases.map(\.rawValue))
        for u in catalog.useCases { #expect(u.industries.allSatisfy(industries.contains), "\(u.id)") }
    }

    @Test func csvParserHandlesQuotes() throws {
        let rows = try CSV.parse("a,b\n\"x, y\",\"he said \"\"hi\"\"\"\n1,2\n", file: "t")
        #expect(rows == [["a": "x, y", "b": "he said \"hi\""], ["a": "1", "b": "2"]])
        #expect(throws: CSV.Failure.self) { try CSV.parse("a,b\n1\n", file: "t") }
    }
}
