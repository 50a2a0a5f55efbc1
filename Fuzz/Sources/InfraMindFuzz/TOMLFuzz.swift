import FoundationEssentials
import FuzzSupport
import NodeConfigFormat

/// The node config file's parser (Sources/NodeConfigFormat/FlatTOML.swift) on any text: it gives a
/// table or a `SyntaxError`, within its limits, never a trap or a stack overflow (`[[[[…`). What it
/// reads, written back as TOML by `write` below, reads back to the same table, and its JSON form
/// (what `NodeConfiguration` decodes) always encodes.
enum TOMLFuzz {
    static let target = FuzzTarget(name: "toml") { input in
        let text = String(decoding: input, as: UTF8.self)
        guard let table = try? FlatTOML.parse(text) else { return }
        require(table.count <= FlatTOML.Limits.standard.maxKeys, "more keys than the limit")
        let written = write(table)
        let again: [(key: String, value: FlatTOML.Value)]
        do {
            again = try FlatTOML.parse(written)
        } catch {
            fatalError("what was read does not read back: \(error) in \(written.debugDescription)")
        }
        require(
            again.map(\.key) == table.map(\.key) && again.map(\.value) == table.map(\.value),
            "the table changes when written back: \(written.debugDescription)")
        require(!FlatTOML.json(table).isEmpty)
    }

    /// `table` as TOML: basic strings with every character outside printable ASCII escaped.
    static func write(_ table: [(key: String, value: FlatTOML.Value)]) -> String {
        table.map { "\(quoted($0.key)) = \(write($0.value))\n" }.joined()
    }

    static func write(_ value: FlatTOML.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .integer(let number): String(number)
        case .boolean(let flag): flag ? "true" : "false"
        case .array(let values): "[" + values.map(write).joined(separator: ", ") + "]"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default:
                let hex = String(scalar.value, radix: 16)
                out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
            }
        }
        return out + "\""
    }
}
