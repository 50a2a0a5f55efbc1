import NIOCore

extension ByteBuffer {
    /// Appends one complete frame (length prefix included).
    package mutating func writeFrame(_ frame: Frame) {
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))
        writeInteger(frame.type.rawValue)
        switch frame {
        case .hello(let hello):
            writeInteger(hello.version)
            writeNodeID(hello.node)
            writeInteger(hello.lane.rawValue)
        case .call(let call):
            writeInteger(call.callID)
            writeNodeID(call.recipient.node)
            writeWireString(call.recipient.path)
            writeWireString(call.target)
            writeInteger(UInt16(call.genericSubstitutions.count))
            for name in call.genericSubstitutions { writeWireString(name) }
            writeInteger(call.timeoutMicros)
            writeInteger(UInt32(call.arguments.readableBytes))
            writeImmutableBuffer(call.arguments)
        case .reply(let reply):
            writeInteger(reply.callID)
            writeInteger(UInt32(reply.value.readableBytes))
            writeImmutableBuffer(reply.value)
        case .failure(let failure):
            writeInteger(failure.callID)
            writeInteger(failure.kind.rawValue)
            writeWireString(failure.errorType)
            writeWireString(failure.message)
        case .heartbeat(let nonce), .heartbeatAck(let nonce):
            writeInteger(nonce)
        case .goodbye(let reason):
            writeWireString(reason)
        }
        setInteger(UInt32(writerIndex - lengthIndex - 4), at: lengthIndex)
    }

    /// Strings travel as `UInt32 BE byte count | UTF-8`.
    package mutating func writeWireString(_ string: String) {
        let lengthIndex = writerIndex
        writeInteger(UInt32(0))
        let count = writeString(string)
        setInteger(UInt32(count), at: lengthIndex)
    }

    mutating func writeNodeID(_ node: NodeID) {
        writeWireString(node.name)
        writeWireString(node.host)
        writeInteger(UInt16(truncatingIfNeeded: node.port))
        writeInteger(node.uid)
    }
}
