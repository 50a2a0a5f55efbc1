/// Where a node's cluster transport listens, and the name its certificate carries.
///
/// It mirrors the transport's `Wire.NodeAddress` field for field, so the shell maps one onto the
/// other without a table; it is defined here so that the state machine imports nothing.
/// One address is reused by every restart of a node, so an address alone never identifies a member.
public struct MemberAddress: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The node's name: the DNS SAN of its certificate, which a dialer must verify.
    public var name: String
    public var host: String
    public var port: Int

    public init(name: String, host: String, port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }

    public var description: String { "\(name)@\(host):\(port)" }

    public static func < (lhs: MemberAddress, rhs: MemberAddress) -> Bool {
        (lhs.host, lhs.port, lhs.name) < (rhs.host, rhs.port, rhs.name)
    }
}

/// One incarnation of a node: its address plus a uid drawn at random when the process starts
/// (the transport's `NodeID`).
///
/// A restarted process gets a new uid, so a member that was declared `down` stays down
/// forever and its successor is a different member that joins like any other.
public struct MemberID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var address: MemberAddress
    public var uid: UInt64

    public init(address: MemberAddress, uid: UInt64) {
        self.address = address
        self.uid = uid
    }

    public init(name: String, host: String, port: Int, uid: UInt64) {
        self.init(address: MemberAddress(name: name, host: host, port: port), uid: uid)
    }

    public var description: String { "\(address)#\(String(uid, radix: 16))" }

    public static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        (lhs.address, lhs.uid) < (rhs.address, rhs.uid)
    }
}
