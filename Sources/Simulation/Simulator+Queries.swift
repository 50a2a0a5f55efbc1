import Membership

extension Simulator {
    package var nodeCount: Int { nodes.count }

    package func isRunning(_ node: Int) -> Bool { nodes[node].instance != nil }

    package func isPaused(_ node: Int) -> Bool { nodes[node].pausedUntil != nil }

    /// The uid currently running at node `node`, if any.
    package func memberID(of node: Int) -> MemberID? { nodes[node].instance?.myself }

    package func instance(_ node: Int) -> SWIM.Instance? { nodes[node].instance }

    package var runningNodes: [Int] { nodes.indices.filter { nodes[$0].instance != nil } }

    /// How node `observer` currently sees `member`.
    package func status(of member: MemberID, seenBy observer: Int) -> SWIM.Status? {
        nodes[observer].instance?.member(member)?.status
    }

    /// Messages and estimated bytes sent by all nodes since the last `resetTraffic()`.
    package var traffic: (messages: Int, bytes: Int) {
        nodes.reduce((0, 0)) { ($0.0 + $1.messagesSent, $0.1 + $1.bytesSent) }
    }

    package func resetTraffic() {
        for index in nodes.indices {
            nodes[index].messagesSent = 0
            nodes[index].bytesSent = 0
        }
    }

    /// Whether every running node sees exactly the running uids as alive, all `up`, and nothing
    /// else as alive or suspect: one view, agreed on by everyone.
    package var hasConverged: Bool {
        let running = runningNodes.compactMap { nodes[$0].instance }
        let expected = Set(running.map(\.myself))
        for instance in running {
            let view = instance.members.filter { !$0.status.isTerminal }
            guard view.count == expected.count,
                view.allSatisfy({ $0.status == .up && expected.contains($0.id) })
            else {
                return false
            }
        }
        return true
    }

    /// When `observer` first saw `member` reach `status`, from the trace.
    package func firstTime(_ observer: MemberID, saw member: MemberID, as status: SWIM.Status)
        -> Duration?
    {
        trace.first {
            $0.observer == observer && $0.change.member == member && $0.change.status == status
        }?.time
    }

    /// A fingerprint of the whole trace (FNV-1a over its text), to compare runs cheaply.
    package var traceDigest: UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for entry in trace {
            for byte in entry.description.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
            }
        }
        return hash
    }
}
