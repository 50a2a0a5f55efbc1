/// Where a node's cluster transport listens, and the name its certificate carries.
///
/// It mirrors the transport's `Wire.NodeAddress` field for field, so the shell maps one onto the
/// other without a table; it is defined here so that the state machine imports nothing.
/// One address is reused by every restart of a node, so an address alone never identifies a member.
package struct MemberAddress: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The node's name: the DNS SAN of its certificate, which a dialer must verify.
    package var name: String
    package var host: String
    package var port: Int

    package init(name: String, host: String, port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }

    package var description: String { "\(name)@\(host):\(port)" }

    package static func < (lhs: MemberAddress, rhs: MemberAddress) -> Bool {
        (lhs.host, lhs.port, lhs.name) < (rhs.host, rhs.port, rhs.name)
    }
}

/// One incarnation of a node: its address plus a uid drawn at random when the process starts
/// (the transport's `NodeID`).
///
/// A restarted process gets a new uid, so a member that was declared `down` stays down
/// forever and its successor is a different member that joins like any other.
package struct MemberID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    package var address: MemberAddress
    package var uid: UInt64

    package init(address: MemberAddress, uid: UInt64) {
        self.address = address
        self.uid = uid
    }

    package init(name: String, host: String, port: Int, uid: UInt64) {
        self.init(address: MemberAddress(name: name, host: host, port: port), uid: uid)
    }

    package var description: String { "\(address)#\(String(uid, radix: 16))" }

    package static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        (lhs.address, lhs.uid) < (rhs.address, rhs.uid)
    }
}
