/// Where a node's cluster transport listens.
///
/// Two processes cannot listen on the same address at once, but one address is reused
/// by every restart of a node, so an address alone never identifies a member.
public struct NodeAddress: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }

    public static func < (lhs: NodeAddress, rhs: NodeAddress) -> Bool {
        (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }
}

/// One incarnation of a node: its address plus a uid drawn at random when the process starts.
///
/// A restarted process gets a new uid, so a member that was declared `down` stays down
/// forever and its successor is a different member that joins like any other.
public struct MemberID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var address: NodeAddress
    public var uid: UInt64

    public init(address: NodeAddress, uid: UInt64) {
        self.address = address
        self.uid = uid
    }

    public init(host: String, port: Int, uid: UInt64) {
        self.init(address: NodeAddress(host: host, port: port), uid: uid)
    }

    public var description: String { "\(address)#\(String(uid, radix: 16))" }

    public static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        (lhs.address, lhs.uid) < (rhs.address, rhs.uid)
    }
}
