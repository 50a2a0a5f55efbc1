import CMongoc
import FoundationEssentials

/// One libbson document, owned: built from extended JSON (the code writes its filters and documents
/// as JSON text, since libbson's BCON macros do not cross into Swift) and read field by field.
final class BSONDocument: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes ownership of a document from `bson_new`, `bson_new_from_json` or `bson_copy`.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    convenience init() {
        self.init(owning: bson_new())
    }

    /// Parses MongoDB extended JSON (canonical or relaxed); `{"$date": …}` and `{"$numberLong": …}`
    /// become BSON dates and 64-bit integers.
    convenience init(json: String) throws(ArchiveError) {
        var error = bson_error_t()
        let parsed = json.withCString { text in
            bson_new_from_json(UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), -1, &error)
        }
        guard let parsed else { throw .badDocument("not a BSON document: \(Self.message(error))") }
        self.init(owning: parsed)
    }

    /// A copy of a document libmongoc lends (a cursor's current document).
    convenience init(copying borrowed: OpaquePointer) {
        self.init(owning: bson_copy(borrowed))
    }

    deinit { bson_destroy(pointer) }

    /// Bytes of the encoded document, which MongoDB limits to 16 MiB.
    var length: Int { Int(inframind_bson_length(pointer)) }

    /// Relaxed extended JSON: plain numbers, `{"$date": "…"}` for dates.
    var relaxedJSON: String {
        guard let text = bson_as_relaxed_extended_json(pointer, nil) else { return "{}" }
        defer { bson_free(text) }
        return String(cString: text)
    }

    func string(_ key: String) -> String? {
        var value: UnsafePointer<CChar>?
        guard inframind_bson_utf8(pointer, key, &value), let value else { return nil }
        return String(cString: value)
    }

    /// Any numeric type: a server may hand back a 64-bit integer as a 32-bit one (nx-27017 does, see
    /// docs/archive.md), and MongoDB keeps the type written.
    func integer(_ key: String) -> Int? {
        var value: Int64 = 0
        guard inframind_bson_integer(pointer, key, &value) else { return nil }
        return Int(value)
    }

    func date(_ key: String) -> Date? {
        var milliseconds: Int64 = 0
        guard inframind_bson_date(pointer, key, &milliseconds) else { return nil }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// An embedded document or array as its own document.
    func document(_ key: String) -> BSONDocument? {
        inframind_bson_document(pointer, key).map(BSONDocument.init(owning:))
    }

    static func message(_ error: bson_error_t) -> String {
        var error = error
        return withUnsafeBytes(of: &error.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

/// Extended JSON text for the values the code puts into filters and documents.
enum ExtendedJSON {
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func int64(_ value: Int) -> String { "{\"$numberLong\":\"\(value)\"}" }

    /// Milliseconds since 1970, MongoDB's date resolution.
    static func date(_ value: Date) -> String {
        "{\"$date\":{\"$numberLong\":\"\(milliseconds(value))\"}}"
    }

    static func milliseconds(_ value: Date) -> Int {
        Int((value.timeIntervalSince1970 * 1000).rounded(.down))
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    /// Members in the order given (BSON keeps it).
    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
