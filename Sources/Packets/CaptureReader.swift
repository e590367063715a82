import CPcap
import TraceModel

/// Reads pcap and pcapng files through libpcap, with nanosecond timestamps and an optional BPF filter
/// (tcpdump's syntax). A capture cut mid-record ends the reading with a problem that names the packet.
public final class CaptureReader {
    public let path: String
    public let linkType: Int32
    public let linkTypeName: String
    private let handle: OpaquePointer
    /// Packets read so far (after the filter).
    public private(set) var count = 0
    /// What went wrong without stopping the reading at once (a cut last record, say).
    public private(set) var problems: [String] = []

    public init(path: String, filter: String? = nil) throws(TraceLabError) {
        self.path = path
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &error) else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw TraceLabError("not a capture libpcap can read: \(message)", at: SourceLocation(file: path, line: 0, column: 0, offset: 0))
        }
        self.handle = handle
        linkType = pcap_datalink(handle)
        linkTypeName = pcap_datalink_val_to_name(linkType).map { String(cString: $0) } ?? "DLT \(linkType)"
        // From here on every property is set, so a throw runs deinit, which closes the handle.
        guard PacketDecoder.supportedLinkTypes[linkType] != nil else {
            throw TraceLabError("unsupported link type \(linkType) (\(linkTypeName)); TraceLab reads "
                                + PacketDecoder.supportedLinkTypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                                at: SourceLocation(file: path, line: 0, column: 0, offset: 0))
        }
        if let filter {
            var program = bpf_program()
            guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let message = String(cString: pcap_geterr(handle))
                throw TraceLabError("filter '\(filter)': \(message)")
            }
            defer { pcap_freecode(&program) }
            guard pcap_setfilter(handle, &program) == 0 else {
                let message = String(cString: pcap_geterr(handle))
                throw TraceLabError("filter '\(filter)': \(message)")
            }
        }
    }

    deinit { pcap_close(handle) }

    /// Reads and decodes the next packet into `packet`; false at the end (or after a cut record).
    public func next(_ packet: inout Packet) -> Bool {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        guard status == 1, let header, let data else {
            if status == -1 {
                problems.append("after packet \(count): \(String(cString: pcap_geterr(handle)))")
            }
            return false
        }
        count += 1
        packet = Packet()
        packet.number = count
        packet.timestamp = UInt64(max(0, header.pointee.ts.tv_sec)) * 1_000_000_000 + UInt64(max(0, header.pointee.ts.tv_usec))
        packet.wireLength = Int(header.pointee.len)
        packet.capturedLength = Int(header.pointee.caplen)
        PacketDecoder.decode(UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)), linkType: linkType, into: &packet)
        if packet.capturedLength < packet.wireLength && packet.truncated == false && packet.network == .other { packet.truncated = true }
        return true
    }
}
