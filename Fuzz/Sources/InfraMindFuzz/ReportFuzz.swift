import Assessment
import FoundationEssentials
import FuzzSupport

/// The report renderers (Sources/Assessment/Report) on a report whose free-text fields come from the
/// fuzzer: the title, the company name, the AI use cases and a workload's name are set in a realistic
/// request, which is validated and assessed as a node does, then rendered.
///
/// HTML: every `<` in the page must open one of the tags the renderer writes itself, and no text
/// that holds a `<` may appear in the page unescaped. Markdown: text that holds Markdown's own
/// characters appears only in its escaped form (`MarkdownText.escape`): a title with `|` or `#`
/// raw would change the table or heading around it. A finding traps.
enum ReportFuzz {
    static let target = FuzzTarget(name: "report") { input in
        var reader = FuzzReader(input)
        let title = reader.string(maxLength: 220)
        let company = reader.string(maxLength: 220)
        let useCases = (0..<Int(reader.byte() % 4)).map { _ in reader.string(maxLength: 220) }
        let workload = reader.string(maxLength: 120)
        check(title: title, company: company, useCases: useCases, workload: workload)
    }

    static let catalog = try! Catalog.shipped()

    /// examples/healthcare-startup-7b.json: a request with every text field the report shows.
    static let base = """
        {
          "title": "Clinical notes assistant for a telehealth startup",
          "business": {
            "company_name": "CareNote Health",
            "company_size": "startup",
            "industry": "healthcare",
            "geographic_regions": ["us"],
            "compliance_requirements": ["hipaa"],
            "budget_constraints": {"monthly_budget_limit": 9000},
            "growth_projection": {"current_users": 2000, "projected_users_12m": 8000, "projected_users_24m": 20000},
            "cloud_provider_preference": "no_preference",
            "project_timeline_months": 6,
            "expected_annual_ai_value_usd": 250000
          },
          "technical": {
            "workload_types": ["web_application", "api_service", "machine_learning", "database"],
            "ai_use_cases": ["clinical note summarisation", "patient appointment triage"],
            "current_ai_maturity": "pilot",
            "ai_workloads": [
              {"name": "notes-7b", "parameters_billion": 7, "precision": "bf16", "mode": "inference", "requests_per_second": 4, "avg_output_tokens": 400, "context_tokens": 8192}
            ],
            "performance_requirements": {"requests_per_second": 60, "api_response_time_ms": 800, "concurrent_users": 300, "uptime_percentage": 99.9},
            "scalability_requirements": {"current_data_size_gb": 250, "monthly_data_growth_percentage": 8, "planned_regions": 1},
            "security_requirements": {"encryption_at_rest_required": true, "encryption_in_transit_required": true, "mfa_required": true, "rbac_required": true, "audit_logging_required": false, "backup_encryption_required": true},
            "deployment_model": "containers"
          }
        }
        """

    static let baseDocument = try! JSONValue.parse(Data(base.utf8))

    /// The HTML of the unchanged example (see `checkHTML`).
    static let baseHTML: [UInt8] = {
        let request = try! RequestValidator.validate(baseDocument)
        let report = AssessmentEngine.assessSequentially(request, catalog: catalog, assessmentID: "fuzz")
        return Array(ReportRenderer.html(report).utf8)
    }()

    static func check(title: String, company: String, useCases: [String], workload: String) {
        // Text the schema refuses (empty, too long, repeated use cases) never reaches a report.
        guard let report = assess(title: title, company: company, useCases: useCases, workload: workload) else {
            return
        }
        let texts = [title, company, workload] + useCases
        checkHTML(ReportRenderer.html(report), texts: texts)
        // The same request with every Markdown character of its texts replaced by `placeholder`: what the
        // Markdown page looks like where no input can be markup (see `checkMarkdown`).
        let plain = assess(
            title: plain(title), company: plain(company), useCases: useCases.map(plain), workload: plain(workload))
        checkMarkdown(ReportRenderer.markdown(report), against: plain.map(ReportRenderer.markdown))
    }

    /// The example with the four texts set, validated and assessed as a node does; nil if refused.
    static func assess(title: String, company: String, useCases: [String], workload: String) -> AssessmentReport? {
        var document = baseDocument
        document = setting(["title"], to: .string(title), in: document)
        document = setting(["business", "company_name"], to: .string(company), in: document)
        document = setting(["technical", "ai_use_cases"], to: .array(useCases.map(JSONValue.string)), in: document)
        if case .object(let technical)? = member("technical", of: document),
            case .array(let workloads)? = technical.first(where: { $0.key == "ai_workloads" })?.value,
            let first = workloads.first
        {
            let renamed = setting(["name"], to: .string(workload), in: first)
            document = setting(["technical", "ai_workloads"], to: .array([renamed]), in: document)
        }
        guard let request = try? RequestValidator.validate(document) else { return nil }
        return AssessmentEngine.assessSequentially(request, catalog: catalog, assessmentID: "fuzz")
    }

    /// What follows a `<` that the HTML renderer writes (ReportRenderer.html, MarkdownHTML.render).
    static let ownTags: [String] = [
        "!DOCTYPE html>", "html lang=\"en\">", "/html>", "head>", "/head>", "meta ", "title>", "/title>",
        "style>", "/style>", "body>", "/body>", "h1>", "/h1>", "h2>", "/h2>", "h3>", "/h3>", "h4>", "/h4>",
        "p>", "p class=\"meta\">", "/p>", "section>", "/section>", "code>", "/code>", "strong>", "/strong>",
        "em>", "/em>", "ul>", "/ul>", "ol>", "/ol>", "li>", "/li>", "table>", "/table>", "thead>", "/thead>",
        "tbody>", "/tbody>", "tr>", "/tr>", "th>", "/th>", "td>", "/td>", "br>", "hr>",
    ]

    /// The checks work on UTF-8 bytes, not characters: a combining mark joins the `<` or `>` before
    /// it into another character, which hides it from a character-wise search.
    static func checkHTML(_ html: String, texts: [String]) {
        let bytes = Array(html.utf8)
        var index = bytes.startIndex
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "<")) {
            let after = bytes[(open + 1)...]
            index = open + 1
            if ownTags.contains(where: { after.starts(with: $0.utf8) }) { continue }
            let context = String(decoding: after.prefix(40), as: UTF8.self).debugDescription
            require(false, "the HTML report holds a < the renderer did not write: \(context)")
        }
        // A text the renderer's own markup already holds (a lone `<`, a `<p>`) proves nothing by being
        // in the page: Fuzz/findings/report/a-text-of-one-less-than-sign, a use case of just "<", was
        // taken for one shown unescaped. The unchanged example's page stands for that markup.
        for text in texts where text.utf8.contains(UInt8(ascii: "<")) && !contains(baseHTML, Array(text.utf8)) {
            require(
                !contains(bytes, Array(text.utf8)), "the HTML report shows input unescaped: \(text.debugDescription)")
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// Markdown's own characters (CommonMark's inline and block markup, and `<` for raw HTML).
    static let markdownSpecials: Set<UInt8> = Set("`*_[]<>#|~".utf8)
    static let backslash = UInt8(ascii: "\\")
    /// Neither Markdown nor a letter: a word stays a word, so the agents read the plain texts as
    /// they read the real ones (a use case `` `code`… `` made `ZcodeZ…` was no longer taken for code
    /// work, and the pages differed: Fuzz/findings/report/a-use-case-in-backticks).
    static let placeholder = UInt8(ascii: "@")

    /// `text` with its Markdown characters and backslashes replaced by `placeholder`.
    static func plain(_ text: String) -> String {
        String(
            decoding: text.utf8.map { markdownSpecials.contains($0) || $0 == backslash ? placeholder : $0 },
            as: UTF8.self)
    }

    /// The page against the page of the same request with its texts made `plain`, read side by side:
    /// where the plain page has a placeholder and the page does not, an input character stands, and
    /// it must be escaped (a backslash, then it). A differential oracle of its own, not the renderer's
    /// `MarkdownText.escape`: with `#` dropped from that escape, a title `Notes # *assistant*` traps.
    /// Where the two pages differ otherwise (the plain request refused, or an order that depends on
    /// the text), there is no verdict. Comparing pages, not searching for the text, keeps the
    /// renderer's own markup out of it: Fuzz/findings/report/a-company-of-asterisks-beside-a-bold-name,
    /// a company `**TTT…` and a workload `TTT…` that the page sets in bold, was taken for the company
    /// shown raw.
    static func checkMarkdown(_ markdown: String, against plainMarkdown: String?) {
        guard let plainMarkdown else { return }
        let page = Array(markdown.utf8)
        let plain = Array(plainMarkdown.utf8)
        var (i, j) = (0, 0)
        while i < page.count, j < plain.count {
            if page[i] == plain[j] {
                i += 1
                j += 1
                continue
            }
            // Only an input character can stand where the plain page has the placeholder; anything
            // else means the pages differ otherwise.
            guard plain[j] == placeholder, markdownSpecials.contains(page[i]) || page[i] == backslash else { return }
            let escaped =
                page[i] == backslash && i + 1 < page.count
                && (markdownSpecials.contains(page[i + 1]) || page[i + 1] == backslash)
            let context = String(decoding: page[max(0, i - 40)..<min(page.count, i + 40)], as: UTF8.self)
            require(
                escaped, "the Markdown report shows input with Markdown syntax unescaped: \(context.debugDescription)")
            i += 2
            j += 1
        }
    }

    static func member(_ key: String, of value: JSONValue) -> JSONValue? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// `value` with the member at `path` replaced (or added) by `newValue`.
    static func setting(_ path: [String], to newValue: JSONValue, in value: JSONValue) -> JSONValue {
        guard let key = path.first else { return newValue }
        guard case .object(var members) = value else { return value }
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = setting(Array(path.dropFirst()), to: newValue, in: members[index].value)
        } else if path.count == 1 {
            members.append((key, newValue))
        }
        return .object(members)
    }
}
