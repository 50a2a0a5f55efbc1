import FoundationEssentials
import Synchronization

/// Serializes a `JSONNode` tree the way Foundation's `JSONWriter` does with sorted keys and
/// unescaped slashes: keys in `String` order; `"key":value` compact, or `"key" : value` on lines
/// indented by two spaces per level when pretty.
struct JSONBytesWriter {
    let pretty: Bool
    var bytes: [UInt8] = []

    init(pretty: Bool) {
        self.pretty = pretty
        bytes.reserveCapacity(4096)
    }

    mutating func write(_ node: JSONNode, depth: Int) {
        switch node {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let text): bytes.append(contentsOf: text.utf8)
        case .string(let text): writeString(text)
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            if object.members.isEmpty { return closeEmpty(depth, UInt8(ascii: "}")) }
            openLine(depth + 1)
            var first = true
            // Sorting is stable: of a key encoded twice, the last value is the one kept, as in the
            // dictionary Foundation collects members in.
            let members = object.members.sorted(by: { $0.key < $1.key })
            for (index, member) in members.enumerated() {
                if index + 1 < members.count && members[index + 1].key == member.key { continue }
                if !first { separate(depth + 1) }
                first = false
                writeString(member.key)
                if pretty {
                    bytes.append(contentsOf: " : ".utf8)
                } else {
                    bytes.append(UInt8(ascii: ":"))
                }
                write(member.value, depth: depth + 1)
            }
            closeLine(depth)
            bytes.append(UInt8(ascii: "}"))
        case .array(let array):
            bytes.append(UInt8(ascii: "["))
            if array.items.isEmpty { return closeEmpty(depth, UInt8(ascii: "]")) }
            openLine(depth + 1)
            var first = true
            for item in array.items {
                if !first { separate(depth + 1) }
                first = false
                write(item, depth: depth + 1)
            }
            closeLine(depth)
            bytes.append(UInt8(ascii: "]"))
        }
    }

    /// Pretty, an empty container is its brackets around one blank, unindented line.
    private mutating func closeEmpty(_ depth: Int, _ bracket: UInt8) {
        if pretty {
            bytes.append(contentsOf: "\n\n".utf8)
            indent(depth)
        }
        bytes.append(bracket)
    }

    private mutating func openLine(_ depth: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        indent(depth)
    }

    private mutating func separate(_ depth: Int) {
        bytes.append(UInt8(ascii: ","))
        openLine(depth)
    }

    private mutating func closeLine(_ depth: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        indent(depth)
    }

    private mutating func indent(_ depth: Int) {
        for _ in 0..<(depth * 2) { bytes.append(UInt8(ascii: " ")) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Quotes, backslashes and control characters escaped (`\b \f \n \r \t`, else `\u00xx`); every
    /// other byte, non-ASCII included, as it is.
    private mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case 0x22: bytes.append(0x22)
                case 0x5C: bytes.append(0x5C)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: "u00".utf8)
                    bytes.append(Self.hex[Int(byte >> 4)])
                    bytes.append(Self.hex[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Coding keys in snake case, each converted once per process by Foundation's own
/// `.convertToSnakeCase` (so the spelling is Foundation's by construction) and then remembered:
/// the keys are the properties of a fixed set of types, a few hundred at most.
enum SnakeCaseKeys {
    private static let cache = Mutex<[String: String]>([:])

    static func converted(_ key: String) -> String {
        if let known = cache.withLock({ $0[key] }) { return known }
        let converted = foundationConversion(of: key)
        cache.withLock { $0[key] = converted }
        return converted
    }

    private struct OneKey: Encodable {
        let name: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyJSONKey.self)
            try container.encodeNil(forKey: AnyJSONKey(name))
        }
    }

    private static func foundationConversion(of key: String) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // {"converted_key":null}: the key is the one JSON string in it, and it needed no escaping
        // to be a Swift identifier; decode it back to be safe anyway.
        guard let data = try? encoder.encode(OneKey(name: key)),
            let object = try? JSONDecoder().decode([String: Int?].self, from: data),
            let converted = object.keys.first
        else { return key }
        return converted
    }
}
