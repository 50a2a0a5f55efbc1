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

/// The problems found in a request: every one up to `Problems.listedLimit`, then one last entry that
/// counts the rest, so a hostile body cannot make its 400 larger than itself (docs/security.md,
/// "Request bodies").
package struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package let errors: [FieldError]
    /// Every problem found, the unlisted ones included.
    package let total: Int

    package init(errors: [FieldError]) {
        self.errors = errors
        self.total = errors.count
    }

    init(_ problems: Problems) {
        self.errors = problems.listed
        self.total = problems.total
    }

    package var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Collects field errors for one validation pass, bounded: the first `listedLimit` are kept, the
/// rest only counted (reported as one "and N more problems" entry at the root). An enumeration's
/// allowed values are spelled out in the first error against it only; later ones point there.
struct Problems {
    /// What a 400 lists at most, before its "and N more problems" entry.
    static let listedLimit = 50

    private var kept: [FieldError] = []
    private var unlisted = 0
    /// An enumeration's values (joined) → the field whose listed error spells them out.
    private var enumerationsSpelled: [String: String] = [:]

    var isEmpty: Bool { kept.isEmpty }
    var total: Int { kept.count + unlisted }

    var listed: [FieldError] {
        guard unlisted > 0 else { return kept }
        let noun = unlisted == 1 ? "problem" : "problems"
        return kept + [FieldError(field: RequestValidator.rootPath, problem: "and \(unlisted) more \(noun)")]
    }

    mutating func add(_ field: String, _ problem: String) {
        guard kept.count < Self.listedLimit else {
            unlisted += 1
            return
        }
        kept.append(FieldError(field: field, problem: problem))
    }

    mutating func add(contentsOf errors: [FieldError]) {
        for error in errors { add(error.field, error.problem) }
    }

    /// "must be one of: a, b, c" the first time `allowed` is named, "must be one of the values listed
    /// for <field>" after that: an array of ten thousand wrong values repeats no list.
    mutating func addNotOneOf(_ field: String, allowed: [String], suffix: String) {
        let key = allowed.joined(separator: ", ")
        if let first = enumerationsSpelled[key] {
            add(field, "must be one of the values listed for \(first)" + suffix)
        } else {
            if kept.count < Self.listedLimit { enumerationsSpelled[key] = field }
            add(field, "must be one of: \(key)" + suffix)
        }
    }
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
        var problems = Problems()
        let normalized = check(document, against: RequestShape.request, path: "", problems: &problems)
        if problems.isEmpty { problems.add(contentsOf: modelProblems(normalized)) }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
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

    /// The longest echo of a rejected value or unknown key: enough to recognise it, too little to
    /// turn a 256 KB string into a 256 KB answer.
    static let echoLimit = 64

    /// `text` cut to `echoLimit` Unicode scalars, with an ellipsis when cut.
    static func echo(_ text: String) -> String {
        var scalars = text.unicodeScalars.prefix(echoLimit + 1)
        guard scalars.count > echoLimit else { return text }
        scalars = scalars.prefix(echoLimit)
        return String(String.UnicodeScalarView(scalars)) + "…"
    }

    /// Checks `value` and returns it with absent defaults inserted. Checking goes on after an error
    /// so that one pass collects every problem, except inside an array over its `maxItems`, whose
    /// items are not walked at all (docs/security.md, "Request bodies").
    static func check(_ value: JSONValue, against shape: Shape, path: String, problems: inout Problems) -> JSONValue {
        let at = path.isEmpty ? rootPath : path
        func problem(_ text: String) { problems.add(at, text) }

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
                // The key is the client's: a known one is short, an unknown one is echoed cut.
                let name = known[member.key] == nil ? echo(member.key) : member.key
                let memberPath = path.isEmpty ? name : path + "." + name
                guard seen.insert(member.key).inserted else {
                    problems.add(memberPath, "appears more than once")
                    continue
                }
                guard let field = known[member.key] else {
                    problems.add(memberPath, "is not a known field")
                    continue
                }
                out.append(
                    (member.key, check(member.value, against: field.shape, path: memberPath, problems: &problems)))
            }
            for field in fields where !seen.contains(field.name) {
                let memberPath = path.isEmpty ? field.name : path + "." + field.name
                if field.required {
                    problems.add(memberPath, "is required")
                } else if let fallback = field.defaultValue {
                    out.append((field.name, fallback))
                } else if case .object(let members) = field.shape, !members.contains(where: \.required) {
                    // An optional object with required members (an AI workload's `architecture`)
                    // stays absent; filling it would make it required.
                    out.append(
                        (field.name, check(.object([]), against: field.shape, path: memberPath, problems: &problems)))
                }
            }
            return .object(out)

        case .string(let minLength, let maxLength):
            guard case .string(let s) = value else {
                problem("must be a string, not \(value.typeName)")
                return value
            }
            // Lengths are Unicode scalars, as JSON Schema counts them (not grapheme clusters: one
            // letter with 120,000 combining marks is one Character and 120,001 scalars).
            let length = s.unicodeScalars.count
            if length < minLength { problem("must have at least \(minLength) character(s)") }
            if length > maxLength { problem("must have at most \(maxLength) characters") }
            if let control = s.unicodeScalars.firstIndex(where: { $0.properties.generalCategory == .control }) {
                let offset = s.unicodeScalars.distance(from: s.unicodeScalars.startIndex, to: control)
                problem(
                    "must not contain control characters (\(codePoint(s.unicodeScalars[control])) at character \(offset + 1))"
                )
            }
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
                problems.addNotOneOf(at, allowed: allowed, suffix: " (got \(value.typeName))")
                return value
            }
            if !allowed.contains(s) { problems.addNotOneOf(at, allowed: allowed, suffix: " (got \"\(echo(s))\")") }
            return value

        case .array(let items, let minItems, let maxItems, let uniqueItems):
            guard case .array(let elements) = value else {
                problem("must be an array, not \(value.typeName)")
                return value
            }
            if elements.count < minItems { problem("must have at least \(minItems) item(s)") }
            guard elements.count <= maxItems else {
                // Said once; the items are not walked, so their number costs nothing past this.
                problem("must have at most \(maxItems) items (got \(elements.count))")
                return value
            }
            var seen = Set<JSONValue>()
            var out: [JSONValue] = []
            for (i, element) in elements.enumerated() {
                let itemPath = "\(path)[\(i)]"
                if uniqueItems, !seen.insert(element).inserted {
                    problems.add(itemPath, "duplicates an earlier item")
                }
                out.append(check(element, against: items, path: itemPath, problems: &problems))
            }
            return .array(out)
        }
    }

    /// `U+0000`: how a control character is named in an error, since printing it would not show it.
    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
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
