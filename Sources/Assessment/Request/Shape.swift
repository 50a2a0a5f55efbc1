/// A declarative description of a JSON document. One value of it describes the
/// request; the validator walks it and the JSON Schema generator prints it, so the
/// rules that are enforced and the rules that are published are the same rules.
package indirect enum Shape: Sendable {
    case object([Field])
    case string(minLength: Int, maxLength: Int)
    case integer(minimum: Int, maximum: Int)
    case number(minimum: Double, maximum: Double)
    case boolean
    case enumeration([String])
    case array(items: Shape, minItems: Int, maxItems: Int, uniqueItems: Bool)

    package struct Field: Sendable {
        package let name: String
        package let shape: Shape
        package let required: Bool
        /// Inserted by validation when the field is absent. Objects without a default
        /// are filled field by field, so nested defaults apply too.
        package let defaultValue: JSONValue?
        package let description: String

        package init(
            _ name: String, _ shape: Shape, required: Bool = false, default defaultValue: JSONValue? = nil,
            _ description: String
        ) {
            self.name = name
            self.shape = shape
            self.required = required
            self.defaultValue = defaultValue
            self.description = description
        }
    }

    /// Every member path this shape allows, with `[]` marking array items
    /// (`technical.ai_workloads[].precision`); tests compare it to the Swift types.
    package func memberPaths(prefix: String = "") -> [String] {
        switch self {
        case .object(let fields):
            return fields.flatMap { field -> [String] in
                let path = prefix.isEmpty ? field.name : prefix + "." + field.name
                return [path] + field.shape.memberPaths(prefix: path)
            }
        case .array(let items, _, _, _):
            return items.memberPaths(prefix: prefix + "[]")
        default:
            return []
        }
    }
}

extension JSONValue {
    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    static func int(_ value: Int) -> JSONValue { .number(literal: String(value), value: Double(value)) }
    static func double(_ value: Double) -> JSONValue { .number(literal: "\(value)", value: value) }
}
