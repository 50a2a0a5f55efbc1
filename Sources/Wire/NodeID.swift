/// A node incarnation. `name` is the identity in the node's certificate (its DNS SAN);
/// `uid` is drawn at random on every process start, so a restarted node is a new incarnation
/// and can never be confused with the one that died.
package struct NodeID: Hashable, Sendable, Codable, CustomStringConvertible {
    package var name: String
    package var host: String
    package var port: Int
    package var uid: UInt64

    package init(name: String, host: String, port: Int, uid: UInt64) {
        self.name = name
        self.host = host
        self.port = port
        self.uid = uid
    }

    package var description: String { "\(name)@\(host):\(port)#\(String(uid, radix: 16))" }
}

/// Where a node can be dialled before its uid is known (seeds, configuration).
package struct NodeAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    package var name: String
    package var host: String
    package var port: Int

    package init(name: String, host: String, port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }

    /// Parses `name@host:port`, the form used in configuration and on the command line.
    package init?(parsing text: String) {
        guard let at = text.firstIndex(of: "@"), let colon = text.lastIndex(of: ":"), at < colon,
            let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        let name = String(text[..<at])
        let host = String(text[text.index(after: at)..<colon])
        guard !name.isEmpty, !host.isEmpty else { return nil }
        self.init(name: name, host: host, port: port)
    }

    package var description: String { "\(name)@\(host):\(port)" }
}

extension NodeID {
    package var address: NodeAddress { NodeAddress(name: name, host: host, port: port) }
}

/// A distributed actor's identity: the node incarnation it lives on and a path.
/// Well-known paths (`/coordinator`, `/worker`, `/membership`, `/store`) exist on every node.
package struct ActorID: Hashable, Sendable, Codable, CustomStringConvertible {
    package var node: NodeID
    package var path: String

    package init(node: NodeID, path: String) {
        self.node = node
        self.path = path
    }

    package var description: String { "\(node)\(path)" }
}
