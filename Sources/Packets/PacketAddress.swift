/// An IPv4 or IPv6 address held in two integers, so decoding a packet allocates nothing.
public struct PacketAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public var isV4: Bool

    public init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isV4 = true
    }

    public init(v6 high: UInt64, _ low: UInt64) {
        self.high = high
        self.low = low
        isV4 = false
    }

    public static func < (lhs: PacketAddress, rhs: PacketAddress) -> Bool {
        (lhs.isV4 ? 0 : 1, lhs.high, lhs.low) < (rhs.isV4 ? 0 : 1, rhs.high, rhs.low)
    }

    /// The /24 (IPv4) or /64 (IPv6) network, for grouping the hosts of one subnet.
    public var subnet: PacketAddress {
        isV4 ? PacketAddress(v4: UInt32(low & 0xFFFF_FF00)) : PacketAddress(v6: high, 0)
    }

    public var description: String {
        if isV4 { return "\(low >> 24 & 0xFF).\(low >> 16 & 0xFF).\(low >> 8 & 0xFF).\(low & 0xFF)" }
        let groups = (0..<8).map { index -> UInt64 in index < 4 ? high >> (48 - 16 * UInt64(index)) & 0xFFFF : low >> (48 - 16 * UInt64(index - 4)) & 0xFFFF }
        // The longest run of zero groups (two or more) becomes "::".
        var bestStart = -1, bestLength = 1, start = -1
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if start < 0 { start = index }
                if index - start + 1 > bestLength { bestStart = start; bestLength = index - start + 1 }
            } else {
                start = -1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        return hex[..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}
