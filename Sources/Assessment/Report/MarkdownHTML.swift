/// Converts the Markdown subset the report sections use (headings, paragraphs,
/// bullet and numbered lists, tables, **bold**, _emphasis_, `code`) to HTML, so the
/// HTML report needs no external renderer, script or stylesheet.
enum MarkdownHTML {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// Inline markup on already-escaped text: `code` first, so markers inside code stay literal.
    static func inline(_ raw: String) -> String {
        var out = ""
        let parts = raw.split(separator: "`", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() {
            if i % 2 == 1 && i < parts.count - (parts.count % 2 == 0 ? 1 : 0) {
                out += "<code>\(escape(String(part)))</code>"
            } else {
                out += emphasis(escape(String(part)))
            }
        }
        return out
    }

    static func emphasis(_ s: String) -> String {
        var out = s
        for (marker, tag) in [("**", "strong")] {
            var pieces = out.components(separatedBy: marker)
            if pieces.count >= 3 {
                var rebuilt = pieces.removeFirst()
                var open = true
                for p in pieces {
                    rebuilt += (open ? "<\(tag)>" : "</\(tag)>") + p
                    open.toggle()
                }
                if !open { rebuilt += "</\(tag)>" }
                out = rebuilt
            }
        }
        if out.hasPrefix("_") && out.hasSuffix("_") && out.count > 2 {
            out = "<em>" + String(out.dropFirst().dropLast()) + "</em>"
        }
        return out
    }

    static func cells(_ line: String) -> [String] {
        var trimmed = line.trimmingCharacters(in: " ")
        if trimmed.hasPrefix("|") { trimmed.removeFirst() }
        if trimmed.hasSuffix("|") && !trimmed.hasSuffix("\\|") { trimmed.removeLast() }
        var cells: [String] = []
        var current = ""
        var escaped = false
        for c in trimmed {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "|" {
                cells.append(current.trimmingCharacters(in: " "))
                current = ""
            } else {
                current.append(c)
            }
        }
        cells.append(current.trimmingCharacters(in: " "))
        return cells
    }

    static func render(_ markdown: String) -> String {
        var html = ""
        var paragraph: [String] = []
        var list: (tag: String, items: [String])?
        var table: [[String]] = []

        func flush() {
            if !paragraph.isEmpty {
                html += "<p>" + paragraph.map(inline).joined(separator: " ") + "</p>\n"
                paragraph = []
            }
            if let l = list {
                html += "<\(l.tag)>\n" + l.items.map { "<li>\(inline($0))</li>\n" }.joined() + "</\(l.tag)>\n"
                list = nil
            }
            if !table.isEmpty {
                html +=
                    "<table>\n<thead><tr>" + table[0].map { "<th>\(inline($0))</th>" }.joined()
                    + "</tr></thead>\n<tbody>\n"
                for row in table.dropFirst(2) {
                    html += "<tr>" + row.map { "<td>\(inline($0))</td>" }.joined() + "</tr>\n"
                }
                html += "</tbody>\n</table>\n"
                table = []
            }
        }

        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.trimmingCharacters(in: " ").isEmpty {
                flush()
            } else if line.hasPrefix("|") {
                if table.isEmpty { flush() }
                table.append(cells(line))
            } else if line.hasPrefix("### ") {
                flush()
                html += "<h3>\(inline(String(line.dropFirst(4))))</h3>\n"
            } else if line.hasPrefix("- ") {
                if list?.tag != "ul" {
                    flush()
                    list = (tag: "ul", items: [])
                }
                list?.items.append(String(line.dropFirst(2)))
            } else if let dot = line.firstIndex(of: "."), !line[..<dot].isEmpty, line[..<dot].allSatisfy(\.isNumber),
                line[line.index(after: dot)...].hasPrefix(" ")
            {
                if list?.tag != "ol" {
                    flush()
                    list = (tag: "ol", items: [])
                }
                list?.items.append(String(line[line.index(dot, offsetBy: 2)...]))
            } else {
                if list != nil || !table.isEmpty { flush() }
                paragraph.append(line)
            }
        }
        flush()
        return html
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
