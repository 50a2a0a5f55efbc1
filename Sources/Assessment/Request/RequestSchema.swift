import FoundationEssentials

/// The JSON Schema (draft 2020-12) of the request, printed from `RequestShape`.
/// The copy in `schema/assessment-request.schema.json` is checked against this in tests,
/// and `GET /v1/schema` can serve `RequestSchema.document` directly.
package enum RequestSchema {
    package static let identifier = "urn:inframind:schema:assessment-request:1"

    package static var document: Data {
        var root = schema(for: RequestShape.request, description: nil)
        root.insert(("$schema", .string("https://json-schema.org/draft/2020-12/schema")), at: 0)
        root.insert(("$id", .string(identifier)), at: 1)
        root.append(("title", .string("InfraMind assessment request")))
        return Data((JSONValue.object(root).prettyPrinted() + "\n").utf8)
    }

    static func schema(for shape: Shape, description: String?) -> [(key: String, value: JSONValue)] {
        var out: [(key: String, value: JSONValue)] = []
        if let description { out.append(("description", .string(description))) }
        switch shape {
        case .object(let fields):
            out.append(("type", .string("object")))
            out.append(("additionalProperties", .bool(false)))
            var properties: [(key: String, value: JSONValue)] = []
            for field in fields {
                var property = schema(for: field.shape, description: field.description)
                if let fallback = field.defaultValue { property.append(("default", fallback)) }
                properties.append((field.name, .object(property)))
            }
            out.append(("properties", .object(properties)))
            let required = fields.filter(\.required).map(\.name)
            if !required.isEmpty { out.append(("required", .strings(required))) }
        case .string(let minLength, let maxLength):
            out += [("type", .string("string")), ("minLength", .int(minLength)), ("maxLength", .int(maxLength))]
            // `RequestValidator` refuses control characters (general category Cc) in text.
            out.append(("pattern", .string(#"^[^\u0000-\u001f\u007f-\u009f]*$"#)))
        case .integer(let minimum, let maximum):
            out += [("type", .string("integer")), ("minimum", .int(minimum)), ("maximum", .int(maximum))]
        case .number(let minimum, let maximum):
            out += [("type", .string("number")), ("minimum", bound(minimum)), ("maximum", bound(maximum))]
        case .boolean:
            out.append(("type", .string("boolean")))
        case .enumeration(let values):
            out += [("type", .string("string")), ("enum", .strings(values))]
        case .array(let items, let minItems, let maxItems, let uniqueItems):
            out += [
                ("type", .string("array")), ("items", .object(schema(for: items, description: nil))),
                ("minItems", .int(minItems)), ("maxItems", .int(maxItems)),
            ]
            if uniqueItems { out.append(("uniqueItems", .bool(true))) }
        }
        return out
    }

    static func bound(_ x: Double) -> JSONValue {
        x.rounded() == x && x.magnitude < 1e15 ? .int(Int(x)) : .double(x)
    }
}

extension JSONValue {
    /// Two-space indented, keys sorted: stable enough to diff and to check in.
    func prettyPrinted(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1)
        let close = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where !items.isEmpty:
            let inner = items.map { pad + $0.prettyPrinted(indent: indent + 1) }
            return "[\n" + inner.joined(separator: ",\n") + "\n" + close + "]"
        case .object(let members) where !members.isEmpty:
            let inner = members.sorted { $0.key < $1.key }.map {
                pad + String(decoding: JSONValue.string($0.key).canonicalData(), as: UTF8.self) + ": "
                    + $0.value.prettyPrinted(indent: indent + 1)
            }
            return "{\n" + inner.joined(separator: ",\n") + "\n" + close + "}"
        default:
            return String(decoding: canonicalData(), as: UTF8.self)
        }
    }
}
