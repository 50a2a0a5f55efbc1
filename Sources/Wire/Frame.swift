import NIOCore

/// The version of the frame format and of the values it carries; a peer that speaks another one is
/// refused at hello. 2: a record names the replica sets a move leaves. 3: an owner may answer a
/// submission `busy` (its backlog is full), which a node of version 2 could not decode. 4: a
/// replica asks owners for final states it missed (`check`). 5: a membership record carries the
/// member's metadata (its HTTP address), `/coordinator` no longer answers `info`, an agent's
/// progress carries when its latest attempt started and finished, and a submission and its record
/// carry the submitting tenant (docs/security.md). 6: an assignment carries its assessment's request
/// once for all its tasks, requests and agents' results travel in their binary form, a record carries
/// its request's title, and status reads and listings fetch summaries (docs/performance.md, "The data
/// path"); dictionaries are written in key order. 7: a record's report is its JSON in gzip
/// (`StoredReport`). 8: a replica write leaves the request out for a replica that stores it
/// (`ReplicaWrite.requestOmitted`), which answers `incomplete` when it does not. 9: a record's report
/// is the typed report's binary form in gzip, its JSON rendered where it is read (`StoredReport`). 10:
/// a replica write may be a change of the last version sent there (`ReplicaWrite.changesSince`).
package let wireProtocolVersion: UInt16 = 10

/// Control traffic (membership probes, lease renewals) gets its own connection so that a burst
/// of large calls queued on the calls lane can never delay a probe past its timeout.
package enum Lane: UInt8, Sendable, Codable, CaseIterable {
    case calls = 0
    case control = 1
}

/// On the wire every frame is `length: UInt32 BE | type: UInt8 | body`, where `length`
/// counts the type byte and the body.
package enum FrameType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case call = 0x02
    case reply = 0x03
    case failure = 0x04
    case heartbeat = 0x05
    case heartbeatAck = 0x06
    case goodbye = 0x07
}

/// First frame on every connection, in both directions. It tells the peer which incarnation
/// it talks to; the *name* in it must match the certificate, which is what authenticates it.
package struct Hello: Equatable, Sendable {
    package var version: UInt16
    package var node: NodeID
    package var lane: Lane

    package init(version: UInt16 = wireProtocolVersion, node: NodeID, lane: Lane) {
        self.version = version
        self.node = node
        self.lane = lane
    }
}

/// One remote invocation. `target` is a stable method name from the actor's table, never a
/// mangled symbol; `arguments` is a sequence of `UInt32 BE length | bytes` entries.
package struct CallFrame: Equatable, Sendable {
    package var callID: UInt64
    package var recipient: ActorID
    package var target: String
    package var genericSubstitutions: [String]
    package var arguments: ByteBuffer
    /// Time the caller will still wait, so the callee can drop work nobody awaits any more.
    package var timeoutMicros: UInt64

    package init(
        callID: UInt64, recipient: ActorID, target: String, genericSubstitutions: [String],
        arguments: ByteBuffer, timeoutMicros: UInt64
    ) {
        self.callID = callID
        self.recipient = recipient
        self.target = target
        self.genericSubstitutions = genericSubstitutions
        self.arguments = arguments
        self.timeoutMicros = timeoutMicros
    }
}

package struct ReplyFrame: Equatable, Sendable {
    package var callID: UInt64
    /// The encoded return value; empty for `Void`.
    package var value: ByteBuffer

    package init(callID: UInt64, value: ByteBuffer) {
        self.callID = callID
        self.value = value
    }
}

/// Why a call failed on the callee's side. Kept distinct so that callers can tell a bug
/// (unknown method) from a lost race (unknown actor) from the actor's own error.
package enum FailureKind: UInt8, Sendable, Codable, CaseIterable {
    case remoteError = 1
    case unknownActor = 2
    case unknownTarget = 3
    case decodeFailure = 4
    case deadlineExceeded = 5
    case genericSubstitutionRefused = 6
}

package struct FailureFrame: Equatable, Sendable {
    package var callID: UInt64
    package var kind: FailureKind
    /// The Swift type name of the thrown error, for `.remoteError`.
    package var errorType: String
    package var message: String

    package init(callID: UInt64, kind: FailureKind, errorType: String, message: String) {
        self.callID = callID
        self.kind = kind
        self.errorType = errorType
        self.message = message
    }
}

package enum Frame: Equatable, Sendable {
    case hello(Hello)
    case call(CallFrame)
    case reply(ReplyFrame)
    case failure(FailureFrame)
    case heartbeat(nonce: UInt64)
    case heartbeatAck(nonce: UInt64)
    case goodbye(reason: String)

    package var type: FrameType {
        switch self {
        case .hello: return .hello
        case .call: return .call
        case .reply: return .reply
        case .failure: return .failure
        case .heartbeat: return .heartbeat
        case .heartbeatAck: return .heartbeatAck
        case .goodbye: return .goodbye
        }
    }
}
