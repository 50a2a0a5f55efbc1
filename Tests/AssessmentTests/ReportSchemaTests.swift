import Foundation
import Testing

@testable import Assessment

/// `schema/report.schema.json` describes what clients rely on in the JSON report; every golden
/// report must satisfy it. The checker below covers the keywords that schema uses (type, required,
/// properties, items, enum, const, if/then); it is not a general JSON Schema validator.
@Suite("Report schema")
struct ReportSchemaTests {
    static let schemaFile = Fixtures.repoRoot.appendingPathComponent("schema/report.schema.json")

    func member(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard case .object(let members) = object else { return nil }
        return members.last { $0.key == key }?.value
    }

    func typeMatches(_ value: JSONValue, _ name: String) -> Bool {
        switch (value, name) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"),
            (.number, "number"):
            return true
        case (.number(let literal, let v), "integer"):
            return v.rounded() == v && !literal.contains(".")
        default: return false
        }
    }

    /// Problems of `value` against `schema`, each with its JSON path.
    func problems(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> [String] {
        var out: [String] = []
        if let type = member(schema, "type") {
            let names: [String]
            switch type {
            case .string(let s): names = [s]
            case .array(let a): names = a.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default: names = []
            }
            if !names.contains(where: { typeMatches(value, $0) }) {
                return ["\(path): \(value.typeName) is not \(names.joined(separator: " or "))"]
            }
        }
        if case .array(let allowed)? = member(schema, "enum"), !allowed.contains(value) {
            out.append("\(path): not one of the allowed values")
        }
        if let c = member(schema, "const"), c != value { out.append("\(path): not \(c)") }
        if case .array(let required)? = member(schema, "required") {
            for case .string(let key) in required where member(value, key) == nil {
                out.append("\(path).\(key): missing")
            }
        }
        if case .object(let properties)? = member(schema, "properties"), case .object(let members) = value {
            for (key, sub) in properties {
                if let v = members.last(where: { $0.key == key })?.value { out += problems(v, sub, "\(path).\(key)") }
            }
        }
        if let items = member(schema, "items"), case .array(let elements) = value {
            for (i, e) in elements.enumerated() { out += problems(e, items, "\(path)[\(i)]") }
        }
        if let condition = member(schema, "if"), let then = member(schema, "then"),
            problems(value, condition, path).isEmpty
        {
            out += problems(value, then, path)
        }
        return out
    }

    func schema() throws -> JSONValue { try JSONValue.parse(Data(contentsOf: Self.schemaFile)) }

    @Test(arguments: Fixtures.exampleNames)
    func everyGoldenReportSatisfiesTheSchema(name: String) throws {
        let report = try JSONValue.parse(
            Data(contentsOf: Fixtures.goldenDirectory.appendingPathComponent("\(name).report.json")))
        #expect(problems(report, try schema(), "$") == [])
    }

    /// The checker is not vacuous: a row without a contract field, or with a wrong type, is refused.
    @Test func aReportMissingAContractFieldIsRefused() throws {
        let text = try String(
            contentsOf: Fixtures.goldenDirectory.appendingPathComponent("saas-mixtral-32k.report.json"),
            encoding: .utf8)
        let missing = text.replacingOccurrences(of: "\"meets_latency_target\"", with: "\"meets_latency_targt\"")
        let found = problems(try JSONValue.parse(Data(missing.utf8)), try schema(), "$")
        #expect(found.contains { $0.hasSuffix(".meets_latency_target: missing") })
        let mistyped = text.replacingOccurrences(
            of: "\"kv_cache_estimated\" : false", with: "\"kv_cache_estimated\" : 0")
        #expect(!problems(try JSONValue.parse(Data(mistyped.utf8)), try schema(), "$").isEmpty)
    }

    /// The two memory fields say in the schema that they are per replica.
    @Test func memoryFieldsArePerReplica() throws {
        let text = try String(contentsOf: Self.schemaFile, encoding: .utf8)
        for field in ["required_gpu_memory_gb", "total_gpu_memory_gb"] {
            let range = try #require(text.range(of: "\"\(field)\": {"))
            let after = text[range.upperBound...].prefix(300)
            #expect(after.contains("Per replica"), "\(field)")
        }
    }
}
