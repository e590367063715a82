/// One direction-aware conversation: the 5-tuple, its originator (the side of the first packet), counts,
/// and a Zeek-like history (S SYN, H SYN+ACK, A pure ACK, D data, F FIN, R RST; upper case from the
/// originator, lower case from the responder; each letter once, in order of first appearance).
public struct Flow: Sendable {
    public var ipProtocol: UInt8
    public var originator: PacketAddress
    public var originatorPort: UInt16
    public var responder: PacketAddress
    public var responderPort: UInt16
    public var first: UInt64
    public var last: UInt64
    public var firstPacket: Int
    public var packets = (originator: 0, responder: 0)
    public var bytes = (originator: 0, responder: 0)
    /// History letters in order of first appearance, one byte each (at most 12 distinct letters fit).
    var historyLetters: (UInt64, UInt64) = (0, 0)
    var historyCount = 0
    /// Bit per letter seen, by `Flow.letterBit`.
    var historySeen: UInt32 = 0

    static func letterBit(_ letter: UInt8) -> UInt32 {
        switch letter {
        case UInt8(ascii: "S"): 1 << 0
        case UInt8(ascii: "H"): 1 << 1
        case UInt8(ascii: "A"): 1 << 2
        case UInt8(ascii: "D"): 1 << 3
        case UInt8(ascii: "F"): 1 << 4
        case UInt8(ascii: "R"): 1 << 5
        case UInt8(ascii: "s"): 1 << 6
        case UInt8(ascii: "h"): 1 << 7
        case UInt8(ascii: "a"): 1 << 8
        case UInt8(ascii: "d"): 1 << 9
        case UInt8(ascii: "f"): 1 << 10
        case UInt8(ascii: "r"): 1 << 11
        default: 1 << 12
        }
    }

    func has(_ letter: Unicode.Scalar) -> Bool { historySeen & Flow.letterBit(UInt8(truncatingIfNeeded: letter.value)) != 0 }

    /// Position of a letter in the history, or nil.
    func position(_ letter: Unicode.Scalar) -> Int? {
        let value = UInt64(letter.value)
        for index in 0..<historyCount {
            let word = index < 8 ? historyLetters.0 : historyLetters.1
            if word >> UInt64(8 * (index % 8)) & 0xFF == value { return index }
        }
        return nil
    }

    mutating func mark(_ letter: UInt8) {
        let bit = Flow.letterBit(letter)
        guard historySeen & bit == 0 else { return }
        historySeen |= bit
        let shift = UInt64(8 * (historyCount % 8))
        if historyCount < 8 { historyLetters.0 |= UInt64(letter) << shift } else { historyLetters.1 |= UInt64(letter) << shift }
        historyCount += 1
    }

    /// The history as Zeek writes it.
    public var history: String {
        var text = ""
        for index in 0..<historyCount {
            let word = index < 8 ? historyLetters.0 : historyLetters.1
            text.append(Character(Unicode.Scalar(UInt8(word >> UInt64(8 * (index % 8)) & 0xFF))))
        }
        return text
    }
    /// The originator's first packet: flags, window, options and whether its ack field was set without ACK.
    public var firstFlags: UInt8
    public var firstWindow: UInt16
    public var firstOptions: UInt32
    public var firstAckWithoutFlag: Bool
    /// ICMP port-unreachable answers quoting this flow (UDP), counted by the table.
    public var unreachable = 0

    /// No payload in either direction.
    /// No payload in either direction (TCP), or no answer with data (UDP, whose probes may carry a payload).
    public var carriedNoData: Bool {
        ipProtocol == 17 ? bytes.responder == 0 && packets.responder == 0 : !has("D") && !has("d")
    }
    /// The responder answered a SYN with SYN+ACK.
    public var answeredOpen: Bool { has("h") }
    public var answeredReset: Bool { has("r") }
    /// The originator acknowledged the SYN+ACK: a completed handshake.
    public var completedHandshake: Bool {
        guard let h = position("h"), let a = position("A") else { return false }
        return a > h || has("D")
    }

    /// Zeek's conn_state for TCP: S0, S1, SF, REJ, RSTO, RSTR, RSTOS0, SH, OTH, ...
    public var state: String {
        guard ipProtocol == 6 else { return packets.responder > 0 ? "SF" : "S0" }
        let s = has("S"), h = has("h"), R = has("R"), r = has("r")
        let F = has("F"), f = has("f")
        if s && !h && r && !R { return "REJ" }
        if s && !h && R && !r { return "RSTOS0" }
        if R { return "RSTO" }
        if r { return "RSTR" }
        if F && f { return "SF" }
        if s && !h { return "S0" }
        if s && h { return "S1" }
        return "OTH"
    }
}

extension Flow {
    /// The packet belongs to this flow (either direction).
    func carries(_ packet: Packet) -> Bool {
        guard packet.ipProtocol == ipProtocol else { return false }
        return (packet.sourcePort == originatorPort && packet.destinationPort == responderPort && packet.source == originator && packet.destination == responder)
            || (packet.sourcePort == responderPort && packet.destinationPort == originatorPort && packet.source == responder && packet.destination == originator)
    }

    mutating func update(with packet: Packet) {
        let fromOriginator = packet.source == originator && packet.sourcePort == originatorPort
        last = packet.timestamp
        if fromOriginator {
            packets.originator += 1
            bytes.originator += packet.payloadLength
        } else {
            packets.responder += 1
            bytes.responder += packet.payloadLength
        }
        let lower: UInt8 = fromOriginator ? 0 : 0x20
        if ipProtocol == 6 {
            let flags = packet.tcpFlags
            if flags & Packet.syn != 0 { mark((flags & Packet.ack != 0 ? UInt8(ascii: "H") : UInt8(ascii: "S")) | lower) }
            if flags & Packet.fin != 0 { mark(UInt8(ascii: "F") | lower) }
            if flags & Packet.rst != 0 { mark(UInt8(ascii: "R") | lower) }
            if packet.payloadLength > 0 { mark(UInt8(ascii: "D") | lower) } else if flags == Packet.ack { mark(UInt8(ascii: "A") | lower) }
        } else if packet.payloadLength > 0 {
            mark(UInt8(ascii: "D") | lower)
        }
    }
}
