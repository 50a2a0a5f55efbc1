/// Markdown tables for the report sections; cells are escaped so a `|` in a name
/// cannot break the table.
enum MarkdownTable {
    static func render(_ headers: [String], _ rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String {
            "| "
                + cells.map(escape).joined(separator: " | ") + " |"
        }
        return ([line(headers), "|" + headers.map { _ in " --- |" }.joined()] + rows.map(line)).joined(separator: "\n")
    }

    /// Scalar by scalar, as Foundation's `replacingOccurrences` did (a `\n` inside `\r\n` is
    /// replaced too), without its NSString round trip: a report renders hundreds of cells. A `|`
    /// that user text escaped already (`MarkdownText`) is left as it is: escaping it again would
    /// leave an escaped backslash and a bare `|`, which splits the cell.
    static func escape(_ cell: String) -> String {
        guard cell.unicodeScalars.contains(where: { $0 == "|" || $0 == "\n" }) else { return cell }
        var out = String.UnicodeScalarView()
        var backslashes = 0
        for scalar in cell.unicodeScalars {
            switch scalar {
            case "|":
                if backslashes % 2 == 0 { out.append("\\") }
                out.append("|")
            case "\n": out.append(" ")
            default: out.append(scalar)
            }
            backslashes = scalar == "\\" ? backslashes + 1 : 0
        }
        return String(out)
    }
}
