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

    /// The progress column back: read directly when it is spelled as `encode` spells it, with no
    /// escapes in its strings (every status read of a summary reads it, and `JSONDecoder` made up
    /// most of the store's reading time); anything else goes to `JSONDecoder`. Nil when that fails too.
    static func decodeProgress(_ text: String) -> AssessmentProgress? {
        var text = text
        let direct = text.withUTF8 { bytes in
            var scanner = ProgressScanner(bytes: bytes)
            return scanner.progress()
        }
        if let direct { return direct }
        return try? JSONDecoder().decode(AssessmentProgress.self, from: Data(text.utf8))
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

/// Reads exactly what `StoredJSON.encode(_: AssessmentProgress)` writes — keys in its order, no
/// spaces, strings without escapes — and gives up (nil) at the first byte that differs.
private struct ProgressScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func progress() -> AssessmentProgress? {
        guard literal("{\"agents\":[") else { return nil }
        var agents: [AgentProgress] = []
        if !take(UInt8(ascii: "]")) {
            repeat {
                guard let agent = agent() else { return nil }
                agents.append(agent)
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
        }
        var step: String?
        if literal(",\"currentStep\":") {
            guard let value = string() else { return nil }
            step = value
        }
        guard literal(",\"percent\":"), let percent = integer(), take(UInt8(ascii: "}")), index == bytes.count else {
            return nil
        }
        return AssessmentProgress(percent: Int(percent), currentStep: step, agents: agents)
    }

    private mutating func agent() -> AgentProgress? {
        guard literal("{\"agent\":"), let name = string(), literal(",\"attempt\":"), let attempt = integer() else {
            return nil
        }
        var finished: Int64?
        var node: String?
        var started: Int64?
        if literal(",\"finishedAtMs\":") {
            guard let value = integer() else { return nil }
            finished = value
        }
        if literal(",\"node\":") {
            guard let value = string() else { return nil }
            node = value
        }
        if literal(",\"startedAtMs\":") {
            guard let value = integer() else { return nil }
            started = value
        }
        guard literal(",\"state\":"), let stateName = string(), let state = AgentProgress.State(rawValue: stateName),
            take(UInt8(ascii: "}"))
        else { return nil }
        return AgentProgress(
            agent: name, state: state, attempt: Int(attempt), node: node,
            startedAt: started.map(AgentProgress.date(milliseconds:)),
            finishedAt: finished.map(AgentProgress.date(milliseconds:)))
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Consumes `text` when the bytes that follow are exactly it; otherwise consumes nothing.
    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let start = text.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] { return false }
        index += count
        return true
    }

    /// A string without escapes or control characters (those take the slow way).
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"),
            bytes[index] >= 0x20
        {
            index += 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        index += 1
        return value
    }

    /// An optional minus and at most 18 digits, as `encode` writes an `Int` or milliseconds.
    private mutating func integer() -> Int64? {
        let negative = take(UInt8(ascii: "-"))
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), digits < 18 {
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        guard digits > 0, index == bytes.count || !(bytes[index] >= 48 && bytes[index] <= 57) else { return nil }
        return negative ? -value : value
    }
}
