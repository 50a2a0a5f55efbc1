import Distributed
import NIOCore
import Wire

extension ClusterSystem {
    package func makeInvocationEncoder() -> InvocationEncoder {
        ClusterInvocationEncoder(names: names, allocator: ByteBufferAllocator())
    }

    nonisolated(nonsending) package func remoteCall<Act, Err, Res>(
        on actor: Act, target: RemoteCallTarget, invocation: inout InvocationEncoder, throwing: Err.Type,
        returning: Res.Type
    ) async throws -> Res where Act: DistributedActor, Act.ID == ActorID, Err: Error, Res: Codable {
        let reply = try await send(invocation, to: actor.id, target: target, actorType: Act.self)
        do {
            return try BinaryDecoder().decode(Res.self, from: reply)
        } catch {
            throw ClusterError.decodeFailure("result \(Res.self) of \(target.identifier): \(error)")
        }
    }

    nonisolated(nonsending) package func remoteCallVoid<Act, Err>(
        on actor: Act, target: RemoteCallTarget, invocation: inout InvocationEncoder, throwing: Err.Type
    ) async throws where Act: DistributedActor, Act.ID == ActorID, Err: Error {
        _ = try await send(invocation, to: actor.id, target: target, actorType: Act.self)
    }

    nonisolated(nonsending) private func send<Act: DistributedActor>(
        _ invocation: InvocationEncoder, to recipient: ActorID, target: RemoteCallTarget, actorType: Act.Type
    ) async throws -> ByteBuffer {
        if let recorder = TargetRecorder.current {
            recorder.identifier.withLock { $0 = target.identifier }
            throw RecordingStopped()
        }
        let name = try await wireName(of: target, on: Act.self)
        let options = Self.callOptions
        let timeout = options.timeout ?? settings.defaultCallTimeout
        let deadline = ContinuousClock.now + timeout
        // A connection can retire between being picked and taking the call (duplicate-dial
        // tie-break, peer draining); the call then simply moves to the connection that stays.
        for _ in 0..<3 {
            let connection = try await connection(to: recipient.node, lane: options.lane)
            // A cancellation that came before the call is registered would find nothing to cancel.
            try Task.checkCancellation()
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw ClusterError.deadlineExceeded(target: name, timeout: timeout) }
            let callID = nextCallID.add(1, ordering: .relaxed).newValue
            var frame = connection.allocator.buffer(capacity: 96 + invocation.arguments.readableBytes)
            frame.writeFrame(
                .call(
                    CallFrame(
                        callID: callID, recipient: recipient, target: name,
                        genericSubstitutions: invocation.substitutions, arguments: invocation.arguments,
                        timeoutMicros: UInt64(remaining.components.seconds) * 1_000_000
                            + UInt64(remaining.components.attoseconds / 1_000_000_000_000))))
            // The limit is this node's setting; the cluster's nodes are meant to share it.
            guard frame.readableBytes <= settings.maxFrameSize else {
                throw ClusterError.messageTooLarge(
                    target: name, bytes: frame.readableBytes, limit: settings.maxFrameSize)
            }
            do {
                return try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        connection.start(
                            OutgoingCall(
                                id: callID, frame: frame, recipient: recipient, target: name, timeout: remaining,
                                continuation: continuation))
                    }
                } onCancel: {
                    connection.cancel(callID: callID)
                }
            } catch is ConnectionRetired {
                continue
            }
        }
        throw ClusterError.peerUnreachable(node: recipient.node.description, reason: "connections kept retiring")
    }

    nonisolated(nonsending) private func wireName<Act: DistributedActor>(of target: RemoteCallTarget, on type: Act.Type)
        async throws
        -> String
    {
        if let name = names.wireName(forIdentifier: target.identifier) { return name }
        try await learnWireNames(of: Act.self)
        guard let name = names.wireName(forIdentifier: target.identifier) else {
            throw ClusterError.unregisteredMethod("\(Act.self): \(target)")
        }
        return name
    }

    private func learnWireNames(of type: any DistributedActor.Type) async throws {
        guard let callable = type as? any ClusterCallable.Type else {
            throw ClusterError.unregisteredMethod("\(type) does not conform to ClusterCallable")
        }
        let table = try await callable.learnWireNames(using: self)
        names.learn(type: type, table: table)
    }

    // MARK: Incoming

    /// Runs an incoming call. `Task.immediate` starts it on the event loop thread right now, so
    /// a method that does not suspend runs and replies within this read, without a thread hop.
    /// Returns the call's task when it suspended before replying.
    func handleIncoming(_ call: CallFrame, on connection: Connection) -> Task<Void, Never>? {
        guard call.recipient.node.uid == node.uid || call.recipient.node.uid == 0,
            let actor = localActor(at: call.recipient.path)
        else {
            connection.reply(
                .failure(
                    FailureFrame(
                        callID: call.callID, kind: .unknownActor, errorType: "ClusterError",
                        message: "\(call.recipient)")))
            return nil
        }
        let actorType = type(of: actor)
        switch names.identifier(forName: call.target, of: actorType) {
        case .some(.some(let identifier)):
            return execute(call, identifier: identifier, on: actor, connection: connection)
        case .some(.none):
            connection.reply(
                .failure(
                    FailureFrame(
                        callID: call.callID, kind: .unknownTarget, errorType: "ClusterError",
                        message: "\(actorType).\(call.target)")))
            return nil
        case .none:
            // First call to this actor type on this node: learn its table, then run the call.
            return Task {
                do {
                    try await self.learnWireNames(of: actorType)
                    connection.dispatch(call)
                } catch {
                    connection.reply(.failure(FailureFrame(errorCallID: call.callID, error: error)))
                }
            }
        }
    }

    private func execute(
        _ call: CallFrame, identifier: String, on actor: any DistributedActor, connection: Connection
    ) -> Task<Void, Never> {
        let names = self.names
        // The connection's peer name is the one its certificate carries (the hello must repeat it).
        let caller = connection.peer.name
        return Task.immediate {
            var decoder = ClusterInvocationDecoder(
                arguments: call.arguments, substitutions: call.genericSubstitutions, names: names)
            let handler = ClusterResultHandler(callID: call.callID, connection: connection)
            do {
                try await Self.$certifiedCaller.withValue(caller) {
                    try await self.executeDistributedTarget(
                        on: actor, target: RemoteCallTarget(identifier), invocationDecoder: &decoder,
                        handler: handler)
                }
            } catch {
                connection.reply(.failure(FailureFrame(errorCallID: call.callID, error: error)))
            }
        }
    }
}
