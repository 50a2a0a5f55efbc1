import FoundationEssentials

/// The three report formats. JSON is canonical (sorted keys, snake_case, fixed
/// rounding upstream), so identical requests give identical bytes apart from the id.
package enum ReportRenderer {
    package enum Format: String, Sendable, CaseIterable {
        case json, markdown, html
    }

    package static func render(_ report: AssessmentReport, as format: Format) throws -> Data {
        switch format {
        case .json: return try json(report)
        case .markdown: return Data(markdown(report).utf8)
        case .html: return Data(html(report).utf8)
        }
    }

    package static func json(_ report: AssessmentReport) throws -> Data {
        var data = try CanonicalJSONEncoder(prettyPrinted: true, snakeCaseKeys: true).encode(report)
        data.append(0x0A)
        return data
    }

    package static func markdown(_ report: AssessmentReport) -> String {
        markdown(Document(report))
    }

    static func markdown(_ report: Document) -> String {
        var out = "# \(MarkdownText.escape(report.title))\n\n"
        out +=
            "_Assessment `\(report.assessmentID)` · engine \(report.engineVersion) · catalog \(report.catalogVersion) (prices as of \(report.catalogSnapshotDate))_\n"
        for section in report.sections {
            out += "\n## \(section.title)\n\n\(section.markdown)\n"
        }
        return out
    }

    package static func html(_ report: AssessmentReport) -> String {
        html(Document(report))
    }

    static func html(_ report: Document) -> String {
        let style = """
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330;line-height:1.5}
            h1{border-bottom:2px solid #2d5be3;padding-bottom:.3rem}h2{margin-top:2.2rem;color:#2d5be3}
            table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.9rem}th,td{border:1px solid #d5d9e2;padding:.35rem .5rem;text-align:left;vertical-align:top}
            th{background:#f0f3fa}code{background:#f0f3fa;padding:0 .25rem;border-radius:3px;font-size:.85em}.meta{color:#5b6475}
            """
        var body = "<h1>\(MarkdownHTML.escape(report.title))</h1>\n"
        body +=
            "<p class=\"meta\">Assessment <code>\(MarkdownHTML.escape(report.assessmentID))</code> · engine \(MarkdownHTML.escape(report.engineVersion)) · catalog \(MarkdownHTML.escape(report.catalogVersion)) (prices as of \(MarkdownHTML.escape(report.catalogSnapshotDate)))</p>\n"
        for section in report.sections {
            body +=
                "<section>\n<h2>\(MarkdownHTML.escape(section.title))</h2>\n\(MarkdownHTML.render(section.markdown))</section>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(MarkdownHTML.escape(report.title))</title>
            <style>
            \(style)
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    /// Renders a report that was stored as its JSON rendering (what nodes keep and
    /// serve) as Markdown or HTML, reading only the fields those renderings show.
    package static func render(reportJSON: Data, as format: Format) throws -> Data {
        if format == .json { return reportJSON }
        let document = try Document(json: reportJSON)
        return Data((format == .markdown ? markdown(document) : html(document)).utf8)
    }

    /// What the Markdown and HTML renderings show of a report.
    struct Document {
        let assessmentID: String
        let title: String
        let engineVersion: String
        let catalogVersion: String
        let catalogSnapshotDate: String
        let sections: [ReportSection]

        init(_ r: AssessmentReport) {
            assessmentID = r.assessmentID
            title = r.title
            engineVersion = r.engineVersion
            catalogVersion = r.catalogVersion
            catalogSnapshotDate = r.catalogSnapshotDate
            sections = r.sections
        }

        struct Malformed: Error, CustomStringConvertible {
            let field: String
            var description: String { "stored report JSON lacks \(field)" }
        }

        init(json: Data) throws {
            guard case .object(let root) = try JSONValue.parse(json) else { throw Malformed(field: "$") }
            func string(_ key: String, in members: [(key: String, value: JSONValue)]) throws -> String {
                guard case .string(let s)? = members.first(where: { $0.key == key })?.value else {
                    throw Malformed(field: key)
                }
                return s
            }
            assessmentID = try string("assessment_id", in: root)
            title = try string("title", in: root)
            engineVersion = try string("engine_version", in: root)
            catalogVersion = try string("catalog_version", in: root)
            catalogSnapshotDate = try string("catalog_snapshot_date", in: root)
            guard case .array(let items)? = root.first(where: { $0.key == "sections" })?.value else {
                throw Malformed(field: "sections")
            }
            sections = try items.map { item in
                guard case .object(let members) = item else { throw Malformed(field: "sections[]") }
                return ReportSection(
                    title: try string("title", in: members), markdown: try string("markdown", in: members))
            }
        }
    }
}
