/// Markdown tables for the report sections; cells are escaped so a `|` in a name
/// cannot break the table.
enum MarkdownTable {
    static func render(_ headers: [String], _ rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String {
            "| "
                + cells.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
                .joined(separator: " | ") + " |"
        }
        return ([line(headers), "|" + headers.map { _ in " --- |" }.joined()] + rows.map(line)).joined(separator: "\n")
    }
}
