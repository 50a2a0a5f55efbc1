import FoundationEssentials

/// One problem in a request, addressed by its JSON path (`technical.ai_workloads[0].precision`).
/// The HTTP API returns these as its 400 `details`.
package struct FieldError: Codable, Sendable, Equatable, CustomStringConvertible {
    package let field: String
    package let problem: String

    package init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    package var description: String { "\(field): \(problem)" }
}

/// All the problems found in a request, never just the first.
package struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package let errors: [FieldError]
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}

package enum RequestValidator {
    /// The path of the document itself, for problems that are not in any field.
    package static let rootPath = "$"

    /// Parses, checks against `RequestShape.request`, fills defaults and decodes.
    package static func validate(_ data: Data) throws(ValidationFailure) -> AssessmentRequest {
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            throw ValidationFailure(errors: [FieldError(field: rootPath, problem: error.description)])
        }
        return try validate(document)
    }

    package static func validate(_ document: JSONValue) throws(ValidationFailure) -> AssessmentRequest {
        var errors: [FieldError] = []
        let normalized = check(document, against: RequestShape.request, path: "", errors: &errors)
        if errors.isEmpty { errors = modelProblems(normalized) }
        guard errors.isEmpty else { throw ValidationFailure(errors: errors) }
        do {
            return try JSONDecoder().decode(AssessmentRequest.self, from: normalized.canonicalData())
        } catch {
            // Reaching this means RequestShape and the Swift types disagree; the schema
            // drift tests exist to keep it unreachable, so report it rather than crash.
            throw ValidationFailure(errors: [
                FieldError(field: rootPath, problem: "internal: request types disagree with the schema (\(error))")
            ])
        }
    }

    /// Checks `value` and returns it with absent defaults inserted. Checking goes on
    /// after an error so that one pass collects every problem.
    static func check(_ value: JSONValue, against shape: Shape, path: String, errors: inout [FieldError]) -> JSONValue {
        let at = path.isEmpty ? rootPath : path
        func problem(_ text: String) { errors.append(FieldError(field: at, problem: text)) }

        switch shape {
        case .object(let fields):
            guard case .object(let members) = value else {
                problem("must be an object, not \(value.typeName)")
                return value
            }
            var seen = Set<String>()
            var out: [(key: String, value: JSONValue)] = []
            let known = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
            for member in members {
                let memberPath = path.isEmpty ? member.key : path + "." + member.key
                guard seen.insert(member.key).inserted else {
                    errors.append(FieldError(field: memberPath, problem: "appears more than once"))
                    continue
                }
                guard let field = known[member.key] else {
                    errors.append(FieldError(field: memberPath, problem: "is not a known field"))
                    continue
                }
                out.append((member.key, check(member.value, against: field.shape, path: memberPath, errors: &errors)))
            }
            for field in fields where !seen.contains(field.name) {
                let memberPath = path.isEmpty ? field.name : path + "." + field.name
                if field.required {
                    errors.append(FieldError(field: memberPath, problem: "is required"))
                } else if let fallback = field.defaultValue {
                    out.append((field.name, fallback))
                } else if case .object(let members) = field.shape, !members.contains(where: \.required) {
                    // An optional object with required members (an AI workload's `architecture`)
                    // stays absent; filling it would make it required.
                    out.append(
                        (field.name, check(.object([]), against: field.shape, path: memberPath, errors: &errors)))
                }
            }
            return .object(out)

        case .string(let minLength, let maxLength):
            guard case .string(let s) = value else {
                problem("must be a string, not \(value.typeName)")
                return value
            }
            if s.count < minLength { problem("must have at least \(minLength) character(s)") }
            if s.count > maxLength { problem("must have at most \(maxLength) characters") }
            return value

        case .integer(let minimum, let maximum):
            guard case .number(_, let n) = value else {
                problem("must be an integer, not \(value.typeName)")
                return value
            }
            guard n.rounded() == n else {
                problem("must be an integer")
                return value
            }
            if n < Double(minimum) || n > Double(maximum) { problem("must be between \(minimum) and \(maximum)") }
            // Re-spelled so that 1.0 and 1e3 decode as Swift Int.
            return n.magnitude < 1e15 ? .int(Int(n)) : value

        case .number(let minimum, let maximum):
            guard case .number(_, let n) = value else {
                problem("must be a number, not \(value.typeName)")
                return value
            }
            if n < minimum || n > maximum {
                problem("must be between \(formatBound(minimum)) and \(formatBound(maximum))")
            }
            return value

        case .boolean:
            if case .bool = value { return value }
            problem("must be a boolean, not \(value.typeName)")
            return value

        case .enumeration(let allowed):
            guard case .string(let s) = value else {
                problem("must be a string, one of: \(allowed.joined(separator: ", "))")
                return value
            }
            if !allowed.contains(s) { problem("must be one of: \(allowed.joined(separator: ", ")) (got \"\(s)\")") }
            return value

        case .array(let items, let minItems, let maxItems, let uniqueItems):
            guard case .array(let elements) = value else {
                problem("must be an array, not \(value.typeName)")
                return value
            }
            if elements.count < minItems { problem("must have at least \(minItems) item(s)") }
            if elements.count > maxItems { problem("must have at most \(maxItems) items") }
            var out: [JSONValue] = []
            for (i, element) in elements.enumerated() {
                let itemPath = "\(path)[\(i)]"
                if uniqueItems, out.contains(element) {
                    errors.append(FieldError(field: itemPath, problem: "duplicates an earlier item"))
                }
                out.append(check(element, against: items, path: itemPath, errors: &errors))
            }
            return .array(out)
        }
    }

    /// Rules across fields of an AI workload that one field's shape cannot say: the model is given
    /// exactly one way, and an architecture is one a transformer can have. Runs on a document
    /// that passed the shape check.
    static func modelProblems(_ normalized: JSONValue) -> [FieldError] {
        guard case .array(let workloads)? = normalized["technical"]?["ai_workloads"] else { return [] }
        var errors: [FieldError] = []
        for (i, workload) in workloads.enumerated() {
            let path = "technical.ai_workloads[\(i)]"
            let given = ["parameters_billion", "model", "architecture"].filter { workload[$0] != nil }
            if given.count != 1 {
                errors.append(
                    FieldError(
                        field: path,
                        problem: "must give exactly one of parameters_billion, model or architecture"
                            + (given.isEmpty ? "" : " (got \(given.joined(separator: ", ")))")))
            }
            guard let a = workload["architecture"] else { continue }
            func int(_ key: String) -> Double { a[key]?.doubleValue ?? 0 }
            let at = path + ".architecture"
            if int("kv_heads") > int("attention_heads") {
                errors.append(FieldError(field: at + ".kv_heads", problem: "must not exceed attention_heads"))
            } else if a["kv_latent_dim"] == nil,
                int("attention_heads").truncatingRemainder(dividingBy: int("kv_heads")) != 0
            {
                errors.append(
                    FieldError(
                        field: at + ".kv_heads",
                        problem: "must divide attention_heads (each KV head serves a whole group of query heads)"))
            }
            if int("active_parameters_billion") > int("total_parameters_billion") {
                errors.append(
                    FieldError(
                        field: at + ".active_parameters_billion", problem: "must not exceed total_parameters_billion"))
            }
        }
        return errors
    }

    static func formatBound(_ x: Double) -> String {
        x.rounded() == x && x.magnitude < 1e15 ? String(Int(x)) : String(x)
    }
}
