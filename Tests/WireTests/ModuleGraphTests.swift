import Foundation
import Testing

/// docs/architecture.md draws the module graph; this keeps the drawing true. It reads the targets
/// and their dependencies on each other from Package.swift and the edges of the Mermaid block in
/// the doc, and fails on any edge one has and the other has not.
@Suite struct ModuleGraphTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Edge: Hashable, CustomStringConvertible {
        var from: String
        var to: String
        var description: String { "\(from) --> \(to)" }
    }

    /// `from` depends on `to`, for every non-test target of the package and every dependency that is
    /// another target of it (products of other packages are left out).
    static func packageEdges(_ manifest: String) -> Set<Edge> {
        // Comments may name targets; products name other packages' modules.
        var text = manifest.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.range(of: "//").map { line[..<$0.lowerBound] } ?? line }
            .joined(separator: "\n")
        text = text.replacing(/\.product\([^)]*\)/, with: "")
        var edges: Set<Edge> = []
        // The text before the first target is chunk zero, even when it is empty.
        let chunks = text.split(
            separator: /\.(target|executableTarget|systemLibrary|testTarget)\(/, omittingEmptySubsequences: false)
        for chunk in chunks.dropFirst() {
            guard let name = chunk.firstMatch(of: /name:\s*"([^"]+)"/)?.1 else { continue }
            guard let start = chunk.range(of: "dependencies: [") else { continue }
            let list = chunk[start.upperBound...].prefix { $0 != "]" }
            for dependency in list.matches(of: /"([^"]+)"/) {
                edges.insert(Edge(from: String(name), to: String(dependency.1)))
            }
        }
        return edges
    }

    static func testTargets(_ manifest: String) -> Set<String> {
        Set(manifest.matches(of: /\.testTarget\(\s*name:\s*"([^"]+)"/).map { String($0.1) })
    }

    /// The `A --> B` lines of the first ```mermaid block.
    static func drawnEdges(_ markdown: String) -> Set<Edge> {
        guard let block = markdown.firstMatch(of: /```mermaid\n((?:.|\n)*?)```/)?.1 else { return [] }
        return Set(
            block.split(separator: "\n").compactMap { line in
                line.wholeMatch(of: /\s*(\w+)\s*-->\s*(\w+)\s*/).map { Edge(from: String($0.1), to: String($0.2)) }
            })
    }

    @Test func theArchitectureDiagramHasExactlyThePackagesDependencies() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let tests = Self.testTargets(manifest)
        let package = Self.packageEdges(manifest).filter { !tests.contains($0.from) }
        let drawn = Self.drawnEdges(doc)
        #expect(!package.isEmpty)
        let missing = package.subtracting(drawn).map(\.description).sorted()
        let extra = drawn.subtracting(package).map(\.description).sorted()
        #expect(missing.isEmpty, "in Package.swift, missing from docs/architecture.md: \(missing)")
        #expect(extra.isEmpty, "in docs/architecture.md, not in Package.swift: \(extra)")
    }

    /// The parser itself: a made-up manifest with comments, products and resources around the names.
    @Test func theManifestParserKeepsOnlyDependenciesOnTargets() {
        let manifest = """
            .target(name: "A", dependencies: ["B", .product(name: "NIOCore", package: "swift-nio")],
                // "C" is mentioned here only
                resources: [.embedInCode("x.json")]),
            .target(name: "B"),
            .executableTarget(
                name: "tool",
                dependencies: [
                    "A", // the library
                    "B",
                ]),
            .testTarget(name: "ATests", dependencies: ["A"]),
            """
        let edges = Self.packageEdges(manifest)
        #expect(
            edges == [
                Edge(from: "A", to: "B"), Edge(from: "tool", to: "A"), Edge(from: "tool", to: "B"),
                Edge(from: "ATests", to: "A"),
            ])
        #expect(Self.testTargets(manifest) == ["ATests"])
        #expect(
            Self.drawnEdges("x\n```mermaid\ngraph TD\n  A --> B\n  tool-->A\n```\nC --> D\n") == [
                Edge(from: "A", to: "B"), Edge(from: "tool", to: "A"),
            ])
    }
}
