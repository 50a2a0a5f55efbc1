import Distributed
import NIOCore
import Wire

/// Arguments are written straight into one buffer as `UInt32 BE length | binary Codable`.
package struct ClusterInvocationEncoder: DistributedTargetInvocationEncoder {
    package typealias SerializationRequirement = any Codable

    var arguments: ByteBuffer
    var substitutions: [String] = []
    let names: WireNames

    init(names: WireNames, allocator: ByteBufferAllocator) {
        self.names = names
        self.arguments = allocator.buffer(capacity: 128)
    }

    package mutating func recordGenericSubstitution<T>(_ type: T.Type) throws {
        guard let name = names.substitutionName(for: type) else {
            throw ClusterError.genericSubstitutionRefused(String(reflecting: type))
        }
        substitutions.append(name)
    }

    package mutating func recordArgument<Value: Codable>(_ argument: RemoteCallArgument<Value>) throws {
        let lengthIndex = arguments.writerIndex
        arguments.writeInteger(UInt32(0))
        try BinaryEncoder().encode(argument.value, into: &arguments)
        arguments.setInteger(UInt32(arguments.writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    package mutating func recordErrorType<E: Error>(_ type: E.Type) throws {}
    package mutating func recordReturnType<R: Codable>(_ type: R.Type) throws {}
    package mutating func doneRecording() throws {}
}

package struct ClusterInvocationDecoder: DistributedTargetInvocationDecoder {
    package typealias SerializationRequirement = any Codable

    var arguments: ByteBuffer
    let substitutions: [String]
    let names: WireNames

    package mutating func decodeGenericSubstitutions() throws -> [any Any.Type] {
        try substitutions.map { name in
            guard let type = names.substitutionType(named: name) else {
                throw ClusterError.genericSubstitutionRefused(name)
            }
            return type
        }
    }

    package mutating func decodeNextArgument<Argument: Codable>() throws -> Argument {
        guard let length = arguments.readInteger(as: UInt32.self), let slice = arguments.readSlice(length: Int(length))
        else { throw ClusterError.decodeFailure("argument of type \(Argument.self) is missing or truncated") }
        do {
            return try BinaryDecoder().decode(Argument.self, from: slice)
        } catch {
            throw ClusterError.decodeFailure("argument of type \(Argument.self): \(error)")
        }
    }

    package mutating func decodeErrorType() throws -> (any Any.Type)? { nil }
    package mutating func decodeReturnType() throws -> (any Any.Type)? { nil }
}

/// Sends the outcome of an incoming call back on the connection it came in on.
package struct ClusterResultHandler: DistributedTargetInvocationResultHandler {
    package typealias SerializationRequirement = any Codable

    let callID: UInt64
    let connection: Connection

    nonisolated(nonsending) package func onReturn<Success: Codable>(value: Success) async throws {
        var buffer = connection.allocator.buffer(capacity: 64)
        do {
            try BinaryEncoder().encode(value, into: &buffer)
        } catch {
            connection.reply(
                .failure(
                    FailureFrame(
                        callID: callID, kind: .remoteError, errorType: "EncodingError",
                        message: "could not encode the result \(Success.self): \(error)")))
            return
        }
        connection.reply(.reply(ReplyFrame(callID: callID, value: buffer)))
    }

    nonisolated(nonsending) package func onReturnVoid() async throws {
        connection.reply(.reply(ReplyFrame(callID: callID, value: ByteBuffer())))
    }

    nonisolated(nonsending) package func onThrow<Err: Error>(error: Err) async throws {
        connection.reply(.failure(FailureFrame(errorCallID: callID, error: error)))
    }
}

extension FailureFrame {
    init(errorCallID callID: UInt64, error: any Error) {
        if let clusterError = error as? ClusterError {
            switch clusterError {
            case .unknownTarget(let name):
                self.init(callID: callID, kind: .unknownTarget, errorType: "ClusterError", message: name)
                return
            case .decodeFailure(let what):
                self.init(callID: callID, kind: .decodeFailure, errorType: "ClusterError", message: what)
                return
            case .genericSubstitutionRefused(let name):
                self.init(callID: callID, kind: .genericSubstitutionRefused, errorType: "ClusterError", message: name)
                return
            default: break
            }
        }
        self.init(
            callID: callID, kind: .remoteError, errorType: String(reflecting: type(of: error)),
            message: String(describing: error))
    }
}
