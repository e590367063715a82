/// Decodes link, IP and transport headers into a `Packet`, for the link types TraceLab reads: Ethernet
/// (with 802.1Q/802.1ad VLAN tags), Linux cooked capture v1 and v2, raw IPv4/IPv6, and BSD loopback.
/// Lengths are checked against the captured bytes at every step; a short or lying header sets `truncated`.
public enum PacketDecoder {
    /// Link types (libpcap's DLT values, as pcap files record them).
    public static let supportedLinkTypes: [Int32: String] = [
        0: "BSD loopback (NULL)", 1: "Ethernet", 12: "raw IP", 101: "raw IP", 108: "OpenBSD loopback",
        113: "Linux cooked (SLL)", 228: "raw IPv4", 229: "raw IPv6", 276: "Linux cooked v2 (SLL2)",
    ]

    @inline(__always) static func u16(_ data: UnsafeRawBufferPointer, _ at: Int) -> UInt16 { UInt16(data[at]) << 8 | UInt16(data[at + 1]) }
    @inline(__always) static func u32(_ data: UnsafeRawBufferPointer, _ at: Int) -> UInt32 { UInt32(u16(data, at)) << 16 | UInt32(u16(data, at + 2)) }
    @inline(__always) static func u64(_ data: UnsafeRawBufferPointer, _ at: Int) -> UInt64 { UInt64(u32(data, at)) << 32 | UInt64(u32(data, at + 4)) }

    /// Fills `packet` from the captured bytes of one record (number, time and lengths are set by the caller).
    public static func decode(_ data: UnsafeRawBufferPointer, linkType: Int32, into packet: inout Packet) {
        let count = data.count
        var offset = 0
        var etherType: UInt16 = 0
        switch linkType {
        case 1:
            guard count >= 14 else { packet.truncated = true; return }
            etherType = u16(data, 12)
            offset = 14
            while etherType == 0x8100 || etherType == 0x88A8 {
                guard count >= offset + 4 else { packet.truncated = true; return }
                etherType = u16(data, offset + 2)
                offset += 4
            }
        case 113:
            guard count >= 16 else { packet.truncated = true; return }
            etherType = u16(data, 14)
            offset = 16
        case 276:
            guard count >= 20 else { packet.truncated = true; return }
            etherType = u16(data, 0)
            offset = 20
        case 12, 101, 228, 229:
            guard count >= 1 else { packet.truncated = true; return }
            etherType = data[0] >> 4 == 6 ? 0x86DD : 0x0800
        case 0, 108:
            guard count >= 4 else { packet.truncated = true; return }
            // The address family, in the capturing host's byte order (0) or network order (108).
            let family = linkType == 108 ? u32(data, 0) : UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
            etherType = family == 2 ? 0x0800 : [10, 24, 28, 30].contains(family) ? 0x86DD : 0
            offset = 4
        default:
            packet.network = .other
            return
        }
        switch etherType {
        case 0x0800: decodeIPv4(data, offset, &packet)
        case 0x86DD: decodeIPv6(data, offset, &packet)
        case 0x0806:
            packet.network = .arp
            guard count >= offset + 28 else { packet.truncated = true; return }
            packet.arpOperation = u16(data, offset + 6)
            packet.source = PacketAddress(v4: u32(data, offset + 14))
            packet.destination = PacketAddress(v4: u32(data, offset + 24))
        default:
            packet.network = .other
        }
    }

    private static func decodeIPv4(_ data: UnsafeRawBufferPointer, _ start: Int, _ packet: inout Packet) {
        packet.network = .ipv4
        guard data.count >= start + 20 else { packet.truncated = true; return }
        let headerLength = Int(data[start] & 0x0F) * 4
        let totalLength = Int(u16(data, start + 2))
        guard headerLength >= 20, totalLength >= headerLength, data.count >= start + headerLength else { packet.truncated = true; return }
        // The IP length claims more than was captured: cut by the snap length, or a lie.
        if totalLength > data.count - start { packet.truncated = true }
        packet.ipID = u16(data, start + 4)
        let fragment = u16(data, start + 6)
        packet.dontFragment = fragment & 0x4000 != 0
        let moreFragments = fragment & 0x2000 != 0
        let fragmentOffset = fragment & 0x1FFF
        packet.isFragment = moreFragments || fragmentOffset != 0
        packet.isFragmentTail = fragmentOffset != 0
        packet.ttl = data[start + 8]
        packet.ipProtocol = data[start + 9]
        packet.source = PacketAddress(v4: u32(data, start + 12))
        packet.destination = PacketAddress(v4: u32(data, start + 16))
        if packet.isFragmentTail { return }
        decodeTransport(data, start + headerLength, payloadLength: totalLength - headerLength, &packet)
    }

    private static func decodeIPv6(_ data: UnsafeRawBufferPointer, _ start: Int, _ packet: inout Packet) {
        packet.network = .ipv6
        guard data.count >= start + 40 else { packet.truncated = true; return }
        var payloadLength = Int(u16(data, start + 4))
        var next = data[start + 6]
        packet.ttl = data[start + 7]
        packet.source = PacketAddress(v6: u64(data, start + 8), u64(data, start + 16))
        packet.destination = PacketAddress(v6: u64(data, start + 24), u64(data, start + 32))
        var offset = start + 40
        // Extension headers: hop-by-hop, routing, destination options, fragment, mobility.
        while [0, 43, 60, 44, 135].contains(next) {
            guard data.count >= offset + 8 else { packet.truncated = true; return }
            let length = next == 44 ? 8 : (Int(data[offset + 1]) + 1) * 8
            if next == 44 {
                let fragment = u16(data, offset + 2)
                packet.isFragment = true
                packet.isFragmentTail = fragment & 0xFFF8 != 0
            }
            next = data[offset]
            offset += length
            payloadLength -= length
            guard payloadLength >= 0 else { packet.truncated = true; return }
            if packet.isFragmentTail { packet.ipProtocol = next; return }
        }
        packet.ipProtocol = next
        decodeTransport(data, offset, payloadLength: payloadLength, &packet)
    }

    private static func decodeTransport(_ data: UnsafeRawBufferPointer, _ start: Int, payloadLength: Int, _ packet: inout Packet) {
        let available = data.count - start
        switch packet.ipProtocol {
        case 6:
            guard available >= 20, payloadLength >= 20 else { packet.truncated = true; return }
            packet.sourcePort = u16(data, start)
            packet.destinationPort = u16(data, start + 2)
            packet.sequence = u32(data, start + 4)
            packet.acknowledgment = u32(data, start + 8)
            let headerLength = Int(data[start + 12] >> 4) * 4
            packet.tcpFlags = data[start + 13]
            packet.window = u16(data, start + 14)
            guard headerLength >= 20, headerLength <= payloadLength else { packet.truncated = true; return }
            packet.payloadLength = payloadLength - headerLength
            var option = start + 20
            let end = min(start + headerLength, data.count)
            while option < end {
                let kind = data[option]
                if kind == 0 { break }
                if kind < 32 { packet.tcpOptions |= 1 << UInt32(kind) }
                if kind == 1 { option += 1; continue }
                guard option + 1 < end, data[option + 1] >= 2 else { packet.truncated = true; break }
                option += Int(data[option + 1])
            }
        case 17:
            guard available >= 8, payloadLength >= 8 else { packet.truncated = true; return }
            packet.sourcePort = u16(data, start)
            packet.destinationPort = u16(data, start + 2)
            packet.payloadLength = payloadLength - 8
        case 1, 58:
            guard available >= 4 else { packet.truncated = true; return }
            packet.icmpType = data[start]
            packet.icmpCode = data[start + 1]
            packet.payloadLength = max(0, payloadLength - 8)
            // Destination unreachable (3 / ICMPv6 1) quotes the offending IP header and 8 bytes after it.
            let isUnreachable = (packet.ipProtocol == 1 && packet.icmpType == 3) || (packet.ipProtocol == 58 && packet.icmpType == 1)
            if isUnreachable {
                let inner = start + 8
                if packet.ipProtocol == 1, available >= 8 + 20 {
                    let innerHeader = Int(data[inner] & 0x0F) * 4
                    packet.quotedProtocol = data[inner + 9]
                    if data.count >= inner + innerHeader + 4 {
                        packet.quotedSourcePort = u16(data, inner + innerHeader)
                        packet.quotedDestinationPort = u16(data, inner + innerHeader + 2)
                    }
                } else if packet.ipProtocol == 58, available >= 8 + 40 + 4 {
                    packet.quotedProtocol = data[inner + 6]
                    packet.quotedSourcePort = u16(data, inner + 40)
                    packet.quotedDestinationPort = u16(data, inner + 40 + 2)
                }
            }
        default:
            packet.payloadLength = max(0, payloadLength)
        }
    }
}
