/// User-supplied text (the title, `company_name`, AI workload names) as literal Markdown: every
/// character that Markdown or the HTML it may contain would read as markup is backslash-escaped, so
/// a company called `# Heading <script>x</script>` is a line of text, not a heading and a raw tag
/// (docs/security.md, "Reports"). `&` is left alone: an entity can only ever spell a character.
/// `MarkdownHTML` reads the escapes back, so the HTML report shows the text as typed.
enum MarkdownText {
    /// Escaped wherever they stand.
    static let special: Set<Unicode.Scalar> = ["\\", "`", "*", "_", "[", "]", "<", ">", "#", "|", "~"]
    /// Escaped at the start of a line only, where they begin a list or a setext heading underline.
    static let leading: Set<Unicode.Scalar> = ["-", "+", "="]

    /// The request's own strings while its report's sections are built (`ReportSections.build`):
    /// the agents quote them inside their texts ("Run <workload name> on 1× g5.xlarge").
    @TaskLocal static var userText: [String] = []

    /// An agent's text, which may quote the request's strings, with every quotation escaped and
    /// the rest as the agent wrote it (its own markup, its `kv_bytes_per_token`, untouched). One
    /// pass, longest string first at each position, so an escape is never escaped again. Scalar by
    /// scalar, not character by character: a name that starts with a combining mark joins the space
    /// before it into one character, and a character-wise search did not find it (the report fuzz
    /// target's Fuzz/findings/report/a-workload-starting-with-a-combining-mark).
    static func literal(_ text: String) -> String {
        let quoted = userText.filter { !$0.isEmpty && escape($0) != $0 }.map { Array($0.unicodeScalars) }
            .sorted { $0.count > $1.count }
        guard !quoted.isEmpty else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var changed = false
        var i = 0
        while i < scalars.count {
            if let match = quoted.first(where: { scalars[i...].starts(with: $0) }) {
                var original = String.UnicodeScalarView()
                original.append(contentsOf: match)
                out.append(contentsOf: escape(String(original)).unicodeScalars)
                i += match.count
                changed = true
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return changed ? String(out) : text
    }

    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var digitsSoFar = true
        for (i, scalar) in text.unicodeScalars.enumerated() {
            if special.contains(scalar) || (i == 0 && leading.contains(scalar)) {
                out.append("\\")
            } else if digitsSoFar, i > 0, scalar == "." || scalar == ")" {
                // `1. ` or `1) ` at the start of a line begins an ordered list.
                out.append("\\")
            }
            // A line break or tab cannot reach here (validation refuses control characters), but a
            // stored report is older than that rule: keep it on its line.
            out.append(scalar.properties.generalCategory == .control ? " " : scalar)
            digitsSoFar = digitsSoFar && ("0"..."9").contains(scalar)
        }
        return String(out)
    }
}
