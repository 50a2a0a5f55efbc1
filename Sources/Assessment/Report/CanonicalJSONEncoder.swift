import FoundationEssentials

/// Writes the same bytes as Foundation's `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` (compact, or `.prettyPrinted`), optionally with `.convertToSnakeCase`:
/// the canonical form agent results are digested in and reports are stored in. Foundation's encoder
/// took a tenth of a node's CPU: it converts every key again on every use, and sorts keys with a
/// locale-aware string comparison. This one converts each distinct key once (by asking Foundation,
/// so the spelling cannot drift), sorts ASCII keys with a byte-level form of that comparison, and
/// writes straight into one byte buffer. `CanonicalJSONTests` holds it byte-equal to Foundation's
/// on every example's results and report and on the edge cases.
package struct CanonicalJSONEncoder: Sendable {
    package var prettyPrinted: Bool
    package var snakeCaseKeys: Bool

    package init(prettyPrinted: Bool = false, snakeCaseKeys: Bool = false) {
        self.prettyPrinted = prettyPrinted
        self.snakeCaseKeys = snakeCaseKeys
    }

    package func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = TreeEncoder(snakeCaseKeys: snakeCaseKeys, parent: nil, tail: .none)
        let root = try encoder.encodeNested(value)
        var writer = JSONBytesWriter(pretty: prettyPrinted)
        writer.write(root, depth: 0)
        return Data(writer.bytes)
    }
}

// MARK: - The value tree

/// Objects and arrays are references so that a container handed out by an `Encoder` can keep
/// filling the node its parent already holds (nested containers, super encoders).
final class JSONObjectNode {
    var members: [(key: String, value: JSONNode)] = []
}

final class JSONArrayNode {
    var items: [JSONNode] = []
}

enum JSONNode {
    case null
    case bool(Bool)
    /// Already formatted as Foundation formats it.
    case number(String)
    case string(String)
    case object(JSONObjectNode)
    case array(JSONArrayNode)
}

// MARK: - Encoder

private final class TreeEncoder: Encoder, SingleValueEncodingContainer {
    let snakeCaseKeys: Bool
    /// The coding path is a chain of encoders up to the root, made into an array only when asked
    /// for (by an error, or by a type that looks): copying it into a new array for every nested value
    /// was a good part of the encoder's time.
    private let parent: TreeEncoder?
    private let tail: CodingPathTail
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var node: JSONNode?

    init(snakeCaseKeys: Bool, parent: TreeEncoder?, tail: CodingPathTail) {
        self.snakeCaseKeys = snakeCaseKeys
        self.parent = parent
        self.tail = tail
    }

    var codingPath: [any CodingKey] { (parent?.codingPath ?? []) + tail.keys }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: JSONObjectNode
        if case .object(let existing) = node {
            object = existing
        } else {
            object = JSONObjectNode()
            node = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, object: object, extra: []))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: JSONArrayNode
        if case .array(let existing) = node {
            array = existing
        } else {
            array = JSONArrayNode()
            node = .array(array)
        }
        return UnkeyedContainer(encoder: self, array: array, extra: [])
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    /// A child value at `key` (after the container's own `extra` keys): leaves directly, anything
    /// else through an encoder of its own.
    func encodeNested<T: Encodable>(
        _ value: T, at key: (any CodingKey)? = nil, extra: [any CodingKey] = []
    ) throws -> JSONNode {
        switch value {
        case let string as String: return .string(string)
        case let number as Int: return .number(String(number))
        case let number as Double: return try Self.number(number, at: codingPath + extra, key)
        case let flag as Bool: return .bool(flag)
        case let data as Data: return .string(data.base64EncodedString())
        case let url as URL: return .string(url.absoluteString)
        case let decimal as Decimal: return .number(decimal.description)
        case let dictionary as any StringKeyedEncodableDictionary:
            // Foundation writes a String-keyed dictionary's keys as they are, strategy or not.
            let object = JSONObjectNode()
            let holder = TreeEncoder(snakeCaseKeys: snakeCaseKeys, parent: self, tail: CodingPathTail(extra, key))
            for (name, member) in dictionary.encodableMembers {
                object.members.append((name, try holder.encodeNested(member, at: AnyJSONKey(name))))
            }
            return .object(object)
        default:
            let child = TreeEncoder(snakeCaseKeys: snakeCaseKeys, parent: self, tail: CodingPathTail(extra, key))
            try value.encode(to: child)
            // A type that encodes nothing at all is an empty object, as Foundation writes it.
            return child.node ?? .object(JSONObjectNode())
        }
    }

    /// The coding path of a child at `key` (the parent's own when there is none).
    static func path(_ parent: [any CodingKey], _ key: (any CodingKey)?) -> [any CodingKey] {
        key.map { parent + [$0] } ?? parent
    }

    static func number<F: BinaryFloatingPoint & CustomStringConvertible>(
        _ value: F, at path: @autoclosure () -> [any CodingKey], _ key: (any CodingKey)?
    ) throws -> JSONNode {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                .init(
                    codingPath: Self.path(path(), key),
                    debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return .number(text)
    }

    func key(_ key: some CodingKey) -> String {
        snakeCaseKeys ? SnakeCaseKeys.converted(key.stringValue) : key.stringValue
    }

    // SingleValueEncodingContainer
    func encodeNil() throws { node = .null }
    func encode(_ value: Bool) throws { node = .bool(value) }
    func encode(_ value: String) throws { node = .string(value) }
    func encode(_ value: Double) throws { node = try Self.number(value, at: codingPath, nil) }
    func encode(_ value: Float) throws { node = try Self.number(value, at: codingPath, nil) }
    func encode(_ value: Int) throws { node = .number(String(value)) }
    func encode(_ value: Int8) throws { node = .number(String(value)) }
    func encode(_ value: Int16) throws { node = .number(String(value)) }
    func encode(_ value: Int32) throws { node = .number(String(value)) }
    func encode(_ value: Int64) throws { node = .number(String(value)) }
    func encode(_ value: UInt) throws { node = .number(String(value)) }
    func encode(_ value: UInt8) throws { node = .number(String(value)) }
    func encode(_ value: UInt16) throws { node = .number(String(value)) }
    func encode(_ value: UInt32) throws { node = .number(String(value)) }
    func encode(_ value: UInt64) throws { node = .number(String(value)) }
    func encode<T: Encodable>(_ value: T) throws { node = try encodeNested(value) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: TreeEncoder
    let object: JSONObjectNode
    /// Keys of nested containers between the encoder and this one (none for most types).
    let extra: [any CodingKey]

    var codingPath: [any CodingKey] { encoder.codingPath + extra }

    private func put(_ node: JSONNode, _ key: Key) { object.members.append((encoder.key(key), node)) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        put(try TreeEncoder.number(value, at: codingPath, key), key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        put(try TreeEncoder.number(value, at: codingPath, key), key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(try encoder.encodeNested(value, at: key, extra: extra), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = JSONObjectNode()
        put(.object(child), key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, object: child, extra: extra + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = JSONArrayNode()
        put(.array(child), key)
        return UnkeyedContainer(encoder: encoder, array: child, extra: extra + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(key: AnyJSONKey("super")) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key: key) }

    private func superEncoder(key: some CodingKey) -> any Encoder {
        let child = JSONObjectNode()
        object.members.append((encoder.key(key), .object(child)))
        let sub = TreeEncoder(snakeCaseKeys: encoder.snakeCaseKeys, parent: encoder, tail: CodingPathTail(extra, key))
        sub.node = .object(child)
        return sub
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: TreeEncoder
    let array: JSONArrayNode
    /// Keys of nested containers between the encoder and this one (none for most types).
    let extra: [any CodingKey]
    var count: Int { array.items.count }

    var codingPath: [any CodingKey] { encoder.codingPath + extra }

    private var nextKey: AnyJSONKey { AnyJSONKey(index: array.items.count) }

    mutating func encodeNil() throws { array.items.append(.null) }
    mutating func encode(_ value: Bool) throws { array.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { array.items.append(.string(value)) }
    mutating func encode(_ value: Double) throws {
        array.items.append(try TreeEncoder.number(value, at: codingPath, nextKey))
    }
    mutating func encode(_ value: Float) throws {
        array.items.append(try TreeEncoder.number(value, at: codingPath, nextKey))
    }
    mutating func encode(_ value: Int) throws { array.items.append(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { array.items.append(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { array.items.append(.number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let key = nextKey
        array.items.append(try encoder.encodeNested(value, at: key, extra: extra))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let key = nextKey
        let child = JSONObjectNode()
        array.items.append(.object(child))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, object: child, extra: extra + [key]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let key = nextKey
        let child = JSONArrayNode()
        array.items.append(.array(child))
        return UnkeyedContainer(encoder: encoder, array: child, extra: extra + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let key = nextKey
        let child = JSONObjectNode()
        array.items.append(.object(child))
        let sub = TreeEncoder(snakeCaseKeys: encoder.snakeCaseKeys, parent: encoder, tail: CodingPathTail(extra, key))
        sub.node = .object(child)
        return sub
    }
}

/// A key of our own: a name, or an array index whose name ("Index 3", as Foundation's) is made only
/// when asked for, since every array element gets one.
struct AnyJSONKey: CodingKey {
    private let name: String?
    var intValue: Int?

    var stringValue: String { name ?? "Index \(intValue ?? 0)" }

    init(_ string: String) {
        name = string
        intValue = nil
    }

    init(index: Int) {
        name = nil
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }

    init?(intValue: Int) { self.init(index: intValue) }
}

/// The keys a child encoder adds to its parent's coding path: usually one, or none for the root.
enum CodingPathTail {
    case none
    case one(any CodingKey)
    case many([any CodingKey])

    init(_ extra: [any CodingKey], _ key: (any CodingKey)?) {
        switch (extra.isEmpty, key) {
        case (true, nil): self = .none
        case (true, let key?): self = .one(key)
        case (false, _): self = .many(extra + (key.map { [$0] } ?? []))
        }
    }

    var keys: [any CodingKey] {
        switch self {
        case .none: []
        case .one(let key): [key]
        case .many(let keys): keys
        }
    }
}

/// Lets the encoder see a `[String: some Encodable]` through a dynamic cast, as Foundation does.
protocol StringKeyedEncodableDictionary {
    var encodableMembers: [(String, any Encodable)] { get }
}

extension Dictionary: StringKeyedEncodableDictionary where Key == String, Value: Encodable {
    var encodableMembers: [(String, any Encodable)] { map { ($0.key, $0.value as any Encodable) } }
}
