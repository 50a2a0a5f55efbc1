import FoundationEssentials

/// The JSON of the two structured columns (`progress`, `replica_set`), written by hand: every
/// replicated write stores them, and Foundation's `JSONEncoder` spent a tenth of a busy node's CPU
/// there. The text is what `JSONEncoder` gives with sorted keys and unescaped slashes (tested),
/// so the column stays readable and rows written by either decode alike.
enum StoredJSON {
    static func encode(_ progress: AssessmentProgress) -> String {
        var out = "{\"agents\":["
        for (index, agent) in progress.agents.enumerated() {
            if index > 0 { out += "," }
            out += "{\"agent\":"
            appendString(agent.agent, to: &out)
            out += ",\"attempt\":\(agent.attempt)"
            if let finishedAt = agent.finishedAt {
                out += ",\"finishedAtMs\":\(AgentProgress.milliseconds(of: finishedAt))"
            }
            if let node = agent.node {
                out += ",\"node\":"
                appendString(node, to: &out)
            }
            if let startedAt = agent.startedAt {
                out += ",\"startedAtMs\":\(AgentProgress.milliseconds(of: startedAt))"
            }
            out += ",\"state\":"
            appendString(agent.state.rawValue, to: &out)
            out += "}"
        }
        out += "]"
        if let step = progress.currentStep {
            out += ",\"currentStep\":"
            appendString(step, to: &out)
        }
        out += ",\"percent\":\(progress.percent)}"
        return out
    }

    static func encode(_ strings: [String]) -> String {
        var out = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { out += "," }
            appendString(string, to: &out)
        }
        return out + "]"
    }

    static func encode(_ sets: [[String]]) -> String {
        "[" + sets.map { encode($0) }.joined(separator: ",") + "]"
    }

    /// The leaving sets column back; nearly always empty, so only that is read without `JSONDecoder`.
    static func decodeSets(_ text: String) -> [[String]]? {
        if text == "[]" { return [] }
        return try? JSONDecoder().decode([[String]].self, from: Data(text.utf8))
    }

    /// RFC 8259 escaping: quote, backslash and control characters; everything else as it is.
    static func appendString(_ string: String, to out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// The replica set column back: node names with nothing to unescape, as `encode` writes them,
    /// split directly (every replica write reads it to decide); anything else (escapes, spaces a
    /// hand edit left) goes to `JSONDecoder`, as before. Nil when that fails too.
    static func decodeStrings(_ text: String) -> [String]? {
        let bytes = Array(text.utf8)
        plain: do {
            guard bytes.count >= 2, bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") else {
                break plain
            }
            if bytes.count == 2 { return [] }
            var strings: [String] = []
            var index = 1
            while true {
                guard index < bytes.count - 1, bytes[index] == UInt8(ascii: "\"") else { break plain }
                let start = index + 1
                var end = start
                while end < bytes.count - 1, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
                    bytes[end] >= 0x20
                {
                    end += 1
                }
                guard end < bytes.count - 1, bytes[end] == UInt8(ascii: "\"") else { break plain }
                strings.append(String(decoding: bytes[start..<end], as: UTF8.self))
                index = end + 1
                if index == bytes.count - 1 { return strings }
                guard bytes[index] == UInt8(ascii: ",") else { break plain }
                index += 1
            }
        }
        return try? JSONDecoder().decode([String].self, from: Data(bytes))
    }
}
