/// One decoded packet: the link layer, IP and transport fields the flow table and detectors use.
/// A value type filled in place by `PacketDecoder`, without allocating.
public struct Packet: Sendable {
    /// 1-based position in the capture.
    public var number = 0
    /// Capture time in nanoseconds since the epoch.
    public var timestamp: UInt64 = 0
    /// Bytes on the wire, and bytes captured (less when the snap length cut the packet).
    public var wireLength = 0
    public var capturedLength = 0

    public enum Network: Sendable, Equatable { case none, ipv4, ipv6, arp, other }
    public var network: Network = .none
    public var source = PacketAddress(v4: 0)
    public var destination = PacketAddress(v4: 0)
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6), or the final next header of IPv6.
    public var ipProtocol: UInt8 = 0
    public var ttl: UInt8 = 0
    public var ipID: UInt16 = 0
    public var dontFragment = false
    /// A fragment other than the first (no transport header), or the first of several.
    public var isFragment = false
    /// ARP operation (1 request, 2 reply) and the address asked for.
    public var arpOperation: UInt16 = 0

    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).
    public var tcpFlags: UInt8 = 0
    public var sequence: UInt32 = 0
    public var acknowledgment: UInt32 = 0
    public var window: UInt16 = 0
    /// TCP option kinds present, as bits (1 << kind for kinds below 32).
    public var tcpOptions: UInt32 = 0
    /// Transport payload bytes (from the IP length, not the captured length).
    public var payloadLength = 0
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    /// For ICMP errors: the quoted packet's protocol and destination port.
    public var quotedProtocol: UInt8 = 0
    public var quotedSourcePort: UInt16 = 0
    public var quotedDestinationPort: UInt16 = 0
    /// The hash of a TCP or UDP packet's 5-tuple for the flow table, computed by `CaptureReader` on its thread
    /// (0: not computed).
    var flowHash: UInt64 = 0
    /// True when a header was cut by the snap length or its length fields lie.
    public var truncated = false

    public init() {}

    public var isTCP: Bool { (network == .ipv4 || network == .ipv6) && ipProtocol == 6 && !isFragmentTail }
    public var isUDP: Bool { (network == .ipv4 || network == .ipv6) && ipProtocol == 17 && !isFragmentTail }
    public var isICMP: Bool { (network == .ipv4 && ipProtocol == 1) || (network == .ipv6 && ipProtocol == 58) }
    /// A non-first fragment: the ports are not in it.
    public var isFragmentTail = false

    public static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ack: UInt8 = 0x10, urg: UInt8 = 0x20

    /// tcpdump's flag letters: S, F, R, P, U, E, W and "." for ACK.
    public var flagText: String {
        var text = ""
        if tcpFlags & Packet.syn != 0 { text += "S" }
        if tcpFlags & Packet.fin != 0 { text += "F" }
        if tcpFlags & Packet.rst != 0 { text += "R" }
        if tcpFlags & Packet.psh != 0 { text += "P" }
        if tcpFlags & Packet.urg != 0 { text += "U" }
        if tcpFlags & 0x40 != 0 { text += "E" }
        if tcpFlags & 0x80 != 0 { text += "W" }
        if tcpFlags & Packet.ack != 0 { text += "." }
        return text.isEmpty ? "none" : text
    }
}
