/// Converts the Markdown subset the report sections use (headings, paragraphs,
/// bullet and numbered lists, tables, **bold**, _emphasis_, `code`) to HTML, so the
/// HTML report needs no external renderer, script or stylesheet.
enum MarkdownHTML {
    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case let held where (escapedBase..<escapedBase + 0x80).contains(held.value):
                // A backslash-escaped character (`MarkdownText`), as a character reference, so
                // that no later pass reads it as markup.
                out += "&#\(held.value - escapedBase);"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Where `held(_:)` puts backslash-escaped ASCII punctuation: private-use code points, which
    /// no marker matches and `escape` turns back into the character.
    static let escapedBase: UInt32 = 0xF0000

    /// `\*` and the like (CommonMark backslash escapes of ASCII punctuation) set aside as
    /// private-use scalars, before any markup is looked for.
    static func held(_ raw: String) -> String {
        guard raw.unicodeScalars.contains("\\") else { return raw }
        var out = String.UnicodeScalarView()
        var pending = false
        for scalar in raw.unicodeScalars {
            if pending {
                pending = false
                if isPunctuation(scalar) {
                    out.append(Unicode.Scalar(escapedBase + scalar.value)!)
                    continue
                }
                out.append("\\")
            }
            if scalar == "\\" {
                pending = true
            } else {
                out.append(scalar)
            }
        }
        if pending { out.append("\\") }
        return String(out)
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        (0x21...0x2F).contains(scalar.value) || (0x3A...0x40).contains(scalar.value)
            || (0x5B...0x60).contains(scalar.value) || (0x7B...0x7E).contains(scalar.value)
    }

    /// Inline markup on already-escaped text: `code` first, so markers inside code stay literal.
    static func inline(_ text: String) -> String {
        let raw = held(text)
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
                // `\|` is the table's own escape; any other stays for `inline` to read.
                if c != "|" { current.append("\\") }
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
