/// Tells packet captures and scap captures apart by their first bytes (of the inflated content when
/// gzip-compressed): pcap by its magic numbers; pcapng and scap share the section header block, so the
/// block after it decides: pcapng continues with interface or packet blocks (types 1 to 6), scap with its
/// own (0x201 and up).
public enum CaptureMagic {
    public enum Kind: Sendable, Equatable { case pcap, pcapng, scap }

    /// How many leading bytes `kind(_:)` wants to see.
    public static let headLength = 512

    public static func kind(_ head: [UInt8]) -> Kind? {
        guard head.count >= 4 else { return nil }
        let magic = Array(head[0..<4])
        if [[0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D]].contains(magic) { return .pcap }
        guard magic == [0x0A, 0x0D, 0x0D, 0x0A] else { return nil }
        guard head.count >= 8 else { return .pcapng }
        let headerLength = Int(head[4]) | Int(head[5]) << 8 | Int(head[6]) << 16 | Int(head[7]) << 24
        guard headerLength >= 28, head.count >= headerLength + 4 else { return .pcapng }
        let next = UInt32(head[headerLength]) | UInt32(head[headerLength + 1]) << 8 | UInt32(head[headerLength + 2]) << 16 | UInt32(head[headerLength + 3]) << 24
        return next >= 0x200 ? .scap : .pcapng
    }
}
