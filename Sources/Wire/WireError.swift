/// Why a byte stream could not be read as frames. Each case names the defect precisely
/// so the connection that sent it can be closed with a reason worth logging.
package enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    case frameTooLarge(declared: Int, limit: Int)
    case emptyFrame
    case unknownFrameType(UInt8)
    case truncated(field: String)
    case trailingBytes(frameType: String, count: Int)
    case invalidUTF8(field: String)
    case invalidValue(field: String, value: UInt64)
    case lengthOutOfRange(field: String, declared: Int, available: Int)

    package var description: String {
        switch self {
        case .frameTooLarge(let declared, let limit):
            return "frame of \(declared) bytes exceeds the limit of \(limit) bytes"
        case .emptyFrame:
            return "frame has no type byte"
        case .unknownFrameType(let type):
            return "unknown frame type 0x\(String(type, radix: 16))"
        case .truncated(let field):
            return "frame ends inside field '\(field)'"
        case .trailingBytes(let frameType, let count):
            return "\(count) unexpected bytes after a \(frameType) frame"
        case .invalidUTF8(let field):
            return "field '\(field)' is not valid UTF-8"
        case .invalidValue(let field, let value):
            return "field '\(field)' has invalid value \(value)"
        case .lengthOutOfRange(let field, let declared, let available):
            return "field '\(field)' declares \(declared) bytes but only \(available) remain"
        }
    }
}
