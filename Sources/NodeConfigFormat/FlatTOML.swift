import FoundationEssentials

/// The part of TOML a node's config file uses: top-level `key = value` lines whose values are
/// strings, integers, booleans or arrays of those, with comments. Anything else (tables, floats,
/// dates, multi-line strings) is refused with its line number rather than half understood: no
/// setting takes a fraction, and a float read as an integer would be a setting nobody wrote.
///
/// A TOML library would be more, but the one on hand (TOMLKit) links the whole of Foundation into
/// the binary, 8 MB of every node's resident memory, for a file of a dozen settings.
///
/// The parser is bounded (`Limits`): nested arrays recurse, so an unbounded `[[[[…` would overflow
/// the stack, and a file of millions of keys or one endless line is not a config anybody wrote.
/// Each limit is refused with its own message and line (FlatTOMLTests, docs/fuzzing.md).
/// `package` so the TOML fuzz target (Fuzz/) drives the very parser `NodeConfiguration` uses.
package enum FlatTOML {
    package indirect enum Value: Equatable, Encodable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case array([Value])

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let text): try container.encode(text)
            case .integer(let number): try container.encode(number)
            case .boolean(let flag): try container.encode(flag)
            case .array(let values): try container.encode(values)
            }
        }
    }

    package struct SyntaxError: Error, CustomStringConvertible {
        package let line: Int
        package let message: String
        package var description: String { "line \(line): \(message)" }
    }

    /// How far the parser goes before it refuses a file. A node's config is a few dozen short lines
    /// of flat keys whose arrays hold strings: these are orders of magnitude above any real one.
    package struct Limits: Sendable {
        /// Arrays within arrays, counting the outermost: each level is a frame of recursion.
        package var maxArrayDepth = 32
        /// Characters (Unicode scalars) on one line, its line break excluded.
        package var maxLineLength = 65_536
        /// Keys in the file.
        package var maxKeys = 1_024

        package init() {}

        package static let standard = Limits()
    }

    /// The keys and values of `text`, in file order.
    package static func parse(_ text: String, limits: Limits = .standard) throws(SyntaxError) -> [(
        key: String, value: Value
    )] {
        var scalars = Array(text.unicodeScalars)
        // A byte-order mark some editors write is not part of the first key.
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        try checkLineLengths(scalars, limit: limits.maxLineLength)
        var parser = Parser(scalars, limits: limits)
        return try parser.document()
    }

    /// Checked before parsing, so no line is ever read piecemeal past the limit.
    private static func checkLineLengths(_ scalars: [Unicode.Scalar], limit: Int) throws(SyntaxError) {
        var line = 1
        var length = 0
        for scalar in scalars {
            if scalar == "\n" {
                line += 1
                length = 0
            } else {
                length += 1
                if length > limit {
                    throw SyntaxError(line: line, message: "the line is longer than \(limit) characters")
                }
            }
        }
    }

    /// `table` as a JSON object, so a `Decodable` type reads it with `JSONDecoder` and its type
    /// errors name the key. (Keys are unique: the parser refuses a repeated one.)
    package static func json(_ table: [(key: String, value: Value)]) -> Data {
        // Strings, integers, booleans and arrays of them always encode.
        (try? JSONEncoder().encode(
            Dictionary(table.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })))
            ?? Data("{}".utf8)
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let limits: Limits
        var position = 0
        var line = 1
        /// Arrays open around the value being read.
        var depth = 0

        init(_ scalars: [Unicode.Scalar], limits: Limits) {
            self.scalars = scalars
            self.limits = limits
        }

        var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        func fail(_ message: String) -> SyntaxError { SyntaxError(line: line, message: message) }

        mutating func advance() {
            if current == "\n" { line += 1 }
            position += 1
        }

        /// Spaces and tabs only: a value and its key are on one line.
        mutating func skipBlanks() {
            while let c = current, c == " " || c == "\t" { advance() }
        }

        /// Blanks, newlines and comments: between entries, and between an array's elements.
        mutating func skipBlankLinesAndComments() {
            while let c = current {
                if c == " " || c == "\t" || c == "\n" || c == "\r" {
                    advance()
                } else if c == "#" {
                    while let d = current, d != "\n" { advance() }
                } else {
                    return
                }
            }
        }

        mutating func document() throws(SyntaxError) -> [(key: String, value: Value)] {
            var entries: [(key: String, value: Value)] = []
            var seen: Set<String> = []
            while true {
                skipBlankLinesAndComments()
                guard let c = current else { return entries }
                if c == "[" {
                    throw fail("tables are not part of a node's config: every setting is a top-level key")
                }
                let keyLine = line
                let key = try self.key()
                skipBlanks()
                guard current == "=" else { throw fail("expected = after the key \(key)") }
                advance()
                skipBlanks()
                let value = try self.value()
                try endOfLine()
                guard seen.insert(key).inserted else {
                    throw SyntaxError(line: keyLine, message: "\(key) is given twice")
                }
                guard entries.count < limits.maxKeys else {
                    throw SyntaxError(line: keyLine, message: "more than \(limits.maxKeys) keys")
                }
                entries.append((key, value))
            }
        }

        mutating func endOfLine() throws(SyntaxError) {
            skipBlanks()
            if current == "#" { while let c = current, c != "\n" { advance() } }
            if current == "\r" { advance() }
            guard current == nil || current == "\n" else { throw fail("unexpected text after the value") }
        }

        mutating func key() throws(SyntaxError) -> String {
            if current == "\"" { return try basicString() }
            if current == "'" { return try literalString() }
            var key = ""
            while let c = current,
                ("0"..."9").contains(c) || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || c == "-"
            {
                key.unicodeScalars.append(c)
                advance()
            }
            guard !key.isEmpty else { throw fail("expected a key") }
            if current == "." { throw fail("dotted keys are not part of a node's config") }
            return key
        }

        mutating func value() throws(SyntaxError) -> Value {
            guard let c = current, c != "\n", c != "\r", c != "#" else { throw fail("expected a value") }
            switch c {
            case "\"":
                if position + 2 < scalars.count, scalars[position + 1] == "\"", scalars[position + 2] == "\"" {
                    throw fail("multi-line strings are not part of a node's config")
                }
                return .string(try basicString())
            case "'": return .string(try literalString())
            case "[": return try array()
            case "{": throw fail("inline tables are not part of a node's config")
            default: return try bareValue()
            }
        }

        mutating func array() throws(SyntaxError) -> Value {
            guard depth < limits.maxArrayDepth else {
                throw fail("arrays nest more than \(limits.maxArrayDepth) deep")
            }
            depth += 1
            defer { depth -= 1 }
            advance()  // [
            var values: [Value] = []
            while true {
                skipBlankLinesAndComments()
                if current == "]" {
                    advance()
                    return .array(values)
                }
                values.append(try value())
                skipBlankLinesAndComments()
                if current == "," {
                    advance()
                } else if current != "]" {
                    throw fail("expected , or ] in an array")
                }
            }
        }

        /// true, false or a decimal integer (TOML's: an optional sign, `_` only between digits, no
        /// leading zero).
        mutating func bareValue() throws(SyntaxError) -> Value {
            var text = ""
            while let c = current, c != " ", c != "\t", c != "\n", c != "\r", c != ",", c != "]", c != "#" {
                text.unicodeScalars.append(c)
                advance()
            }
            if text == "true" { return .boolean(true) }
            if text == "false" { return .boolean(false) }
            let unsigned = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
            let isDigit: (Character) -> Bool = { ("0"..."9").contains($0) }
            guard let first = unsigned.first, isDigit(first) else {
                throw fail("\(text) is not a value (strings are quoted)")
            }
            if unsigned.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), !unsigned.hasPrefix("0x") {
                throw fail("\(text): no setting takes a fraction; give a whole number")
            }
            let wellFormed =
                unsigned.allSatisfy { isDigit($0) || $0 == "_" } && unsigned.last.map(isDigit) == true
                && !unsigned.contains("__") && !(first == "0" && unsigned.count > 1)
            guard wellFormed else { throw fail("\(text) is not a decimal integer") }
            guard let number = Int(text.replacing("_", with: "")) else {
                throw fail("\(text) is out of range for an integer")
            }
            return .integer(number)
        }

        mutating func basicString() throws(SyntaxError) -> String {
            advance()  // "
            var text = ""
            while let c = current {
                if c == "\n" { throw fail("a string ends at the end of its line") }
                advance()
                switch c {
                case "\"": return text
                case "\\":
                    guard let escaped = current else { break }
                    if escaped == "\n" { throw fail("a string ends at the end of its line") }
                    advance()
                    switch escaped {
                    case "\"": text += "\""
                    case "\\": text += "\\"
                    case "n": text += "\n"
                    case "t": text += "\t"
                    case "r": text += "\r"
                    case "b": text += "\u{8}"
                    case "f": text += "\u{c}"
                    case "u", "U":
                        let count = escaped == "u" ? 4 : 8
                        var hex = ""
                        for _ in 0..<count {
                            guard let h = current, h.properties.isASCIIHexDigit else {
                                throw fail("\\\(escaped) takes \(count) hex digits")
                            }
                            hex.unicodeScalars.append(h)
                            advance()
                        }
                        guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
                            throw fail("\\\(escaped)\(hex) is not a character")
                        }
                        text.unicodeScalars.append(scalar)
                    default: throw fail("unknown escape \\\(escaped)")
                    }
                default: text.unicodeScalars.append(c)
                }
            }
            throw fail("a string is not closed")
        }

        mutating func literalString() throws(SyntaxError) -> String {
            advance()  // '
            var text = ""
            while let c = current {
                if c == "\n" { throw fail("a string ends at the end of its line") }
                advance()
                if c == "'" { return text }
                text.unicodeScalars.append(c)
            }
            throw fail("a string is not closed")
        }
    }
}
