import CPcap
import Foundation
import TraceModel

/// Enlarges packet captures for the benchmarks: the packets of the captures, read by libpcap (pcap or pcapng) and
/// merged in time order, written `times` times into one classic pcap with nanosecond timestamps. Each round comes after the previous
/// one (timestamps moved past the capture's span) and, with `distinctFlows`, every IPv4 address of round `r`
/// has its middle 16 bits XORed with `r`, in both directions, so each round's flows are new to the flow table
/// (a flood of one flow per packet stays one); the IPv4 header checksum and the TCP/UDP checksum are updated
/// for the new addresses. Other packets are copied as they are.
public enum PcapEnlarger {
    /// Writes the enlarged capture; returns the packets written. All captures must share one link type.
    @discardableResult
    public static func enlarge(_ inputs: [String], times: Int, distinctFlows: Bool, to output: String) throws -> Int {
        try enlarge(inputs, distinctFlows: distinctFlows, to: output) { _ in times }.total
    }

    /// Writes the enlarged capture, repeated as many times as `rounds` asks given the packets of one round (the
    /// captures are read once); returns the packets of a round, the rounds and the packets written.
    @discardableResult
    public static func enlarge(_ inputs: [String], distinctFlows: Bool, to output: String,
                               rounds: (_ perRound: Int) -> Int) throws -> (perRound: Int, rounds: Int, total: Int) {
        var packets: [(timestamp: UInt64, original: Int, bytes: [UInt8])] = []
        var linkType: Int32?
        var snapshot: Int32 = 262_144
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        for input in inputs {
            guard let handle = pcap_open_offline_with_tstamp_precision(input, UInt32(PCAP_TSTAMP_PRECISION_NANO), &error) else {
                throw BenchmarkError("\(input): \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            }
            defer { pcap_close(handle) }
            let type = pcap_datalink(handle)
            if let linkType, linkType != type { throw BenchmarkError("\(input): link type \(type), the others have \(linkType)") }
            linkType = type
            snapshot = max(snapshot, pcap_snapshot(handle))
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            while pcap_next_ex(handle, &header, &data) == 1 {
                guard let header = header?.pointee, let data else { continue }
                let timestamp = UInt64(max(0, header.ts.tv_sec)) * 1_000_000_000 + UInt64(max(0, header.ts.tv_usec))
                packets.append((timestamp, Int(header.len), Array(UnsafeBufferPointer(start: data, count: Int(header.caplen)))))
            }
        }
        // Several captures are merged in time order (as mergecap merges them); ties keep the reading order.
        if inputs.count > 1 { packets = packets.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element) }
        guard let linkType, let first = packets.map(\.timestamp).min(), let last = packets.map(\.timestamp).max() else {
            throw BenchmarkError("no packets in \(inputs.joined(separator: ", "))")
        }
        let span = last - first + 1_000_000_000
        let times = max(1, rounds(packets.count))
        guard let dead = pcap_open_dead_with_tstamp_precision(linkType, snapshot, UInt32(PCAP_TSTAMP_PRECISION_NANO)) else {
            throw BenchmarkError("libpcap cannot make a writer for link type \(linkType)")
        }
        defer { pcap_close(dead) }
        guard let dumper = pcap_dump_open(dead, output) else { throw BenchmarkError("cannot write \(output): \(String(cString: pcap_geterr(dead)))") }
        defer { pcap_dump_close(dumper) }
        for round in 0..<times {
            for packet in packets {
                var bytes = packet.bytes
                if distinctFlows, round > 0 { rewrite(&bytes, linkType: linkType, round: UInt16(truncatingIfNeeded: round)) }
                let timestamp = packet.timestamp + UInt64(round) * span
                var header = pcap_pkthdr()
                header.ts.tv_sec = Int(timestamp / 1_000_000_000)
                header.ts.tv_usec = Int(timestamp % 1_000_000_000)
                header.caplen = UInt32(bytes.count)
                header.len = UInt32(packet.original)
                bytes.withUnsafeBufferPointer { buffer in
                    UnsafeMutableRawPointer(dumper).withMemoryRebound(to: UInt8.self, capacity: 1) { user in
                        pcap_dump(user, &header, buffer.baseAddress)
                    }
                }
            }
        }
        return (packets.count, times, packets.count * times)
    }

    /// Where an IPv4 packet starts in a frame of the link types that are rewritten (nil: not IPv4, or another
    /// link type).
    static func ipv4Start(_ bytes: [UInt8], linkType: Int32) -> Int? {
        switch linkType {
        case DLT_EN10MB:
            var at = 12
            // 802.1Q and 802.1ad tags.
            while at + 2 <= bytes.count, (bytes[at] == 0x81 && bytes[at + 1] == 0x00) || (bytes[at] == 0x88 && bytes[at + 1] == 0xA8) { at += 4 }
            return at + 2 <= bytes.count && bytes[at] == 0x08 && bytes[at + 1] == 0x00 ? at + 2 : nil
        case DLT_LINUX_SLL: return bytes.count > 16 && bytes[14] == 0x08 && bytes[15] == 0x00 ? 16 : nil
        case DLT_RAW, 228: return 0
        case DLT_NULL, DLT_LOOP: return 4
        default: return nil
        }
    }

    /// XORs the middle 16 bits of an IPv4 packet's addresses with `round`, updating its checksums.
    static func rewrite(_ bytes: inout [UInt8], linkType: Int32, round: UInt16) {
        guard let ip = ipv4Start(bytes, linkType: linkType), ip + 20 <= bytes.count, bytes[ip] >> 4 == 4 else { return }
        let headerLength = Int(bytes[ip] & 0x0F) * 4
        guard headerLength >= 20, ip + headerLength <= bytes.count else { return }
        func word(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        // The changed 16-bit words: bytes 1-2 of the source (ip+13) and of the destination (ip+17).
        var changes: [(old: UInt16, new: UInt16)] = []
        for at in [ip + 13, ip + 17] {
            let old = word(at), new = old ^ round
            bytes[at] = UInt8(new >> 8)
            bytes[at + 1] = UInt8(new & 0xFF)
            changes.append((old, new))
        }
        // The two words straddle word boundaries of the header (offsets 13 and 17 are odd): recompute the
        // header checksum whole, and update the transport checksum over the same bytes as they were.
        bytes[ip + 10] = 0
        bytes[ip + 11] = 0
        var sum: UInt32 = 0
        for at in stride(from: ip, to: ip + headerLength, by: 2) { sum += UInt32(word(at)) }
        let header = ~fold(sum)
        bytes[ip + 10] = UInt8(header >> 8)
        bytes[ip + 11] = UInt8(header & 0xFF)
        let transport = ip + headerLength
        let fragment = word(ip + 6) & 0x3FFF != 0
        let checksumAt: Int? = switch bytes[ip + 9] {
        case 6: transport + 16
        case 17: transport + 6
        default: nil
        }
        guard !fragment, let checksumAt, checksumAt + 2 <= bytes.count else { return }
        let old = word(checksumAt)
        if bytes[ip + 9] == 17 && old == 0 { return }
        // RFC 1624: HC' = ~(~HC + ~m + m') for each changed word m → m' of the pseudo-header. Bytes 13-14
        // and 17-18 are the low byte of one word and the high byte of the next: in ones' complement
        // arithmetic the sum is the same over byte-swapped words, so the swapped pairs are used.
        var updated = UInt32(~old)
        for change in changes {
            updated += UInt32(~change.old.byteSwapped) + UInt32(change.new.byteSwapped)
        }
        var result = ~fold(updated)
        if bytes[ip + 9] == 17 && result == 0 { result = 0xFFFF }
        bytes[checksumAt] = UInt8(result >> 8)
        bytes[checksumAt + 1] = UInt8(result & 0xFF)
    }

    /// A 32-bit ones'-complement sum folded to 16 bits.
    static func fold(_ value: UInt32) -> UInt16 {
        var sum = value
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return UInt16(sum)
    }
}
