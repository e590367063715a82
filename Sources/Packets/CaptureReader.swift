import CPcap
import CGzipStream
import Glibc
import TraceModel

/// Reads pcap and pcapng files through libpcap, plain or gzip-compressed (streamed through zlib, as
/// tcpdump reads `.pcap.gz`), with nanosecond timestamps and an optional BPF filter (tcpdump's syntax).
/// A capture cut mid-record ends the reading with a problem that names the packet. One thread reads it at a
/// time (a reader thread hands its packets on; its problems are read after that thread has finished).
public final class CaptureReader: @unchecked Sendable {
    public let path: String
    public let linkType: Int32
    public let linkTypeName: String
    /// The file is gzip-compressed.
    public let compressed: Bool
    /// "pcap" or "pcapng" (from the magic number), with ".gz" when compressed.
    public var format: String {
        let magic = Self.firstBytes(path, count: 4)
        return (magic == [0x0A, 0x0D, 0x0D, 0x0A] ? "pcapng" : "pcap") + (compressed ? ".gz" : "")
    }
    /// The 5-tuple hash the flow table uses.
    private let hasher = SeededHash.process
    private let handle: OpaquePointer
    /// Packets read so far (after the filter).
    @exclusivity(unchecked) public private(set) var count = 0
    /// What went wrong without stopping the reading at once (a cut last record, say).
    public private(set) var problems: [String] = []
    /// Packets skipped because their timestamp does not fit nanoseconds since 1970 in 64 bits.
    @exclusivity(unchecked) public private(set) var skippedTimestamps = 0

    public init(path: String, filter: String? = nil) throws(TraceLabError) {
        self.path = path
        var error = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)
        compressed = Self.isGzip(path)
        var opened: OpaquePointer?
        if compressed {
            guard let stream = tracelab_gzip_fopen(path) else {
                throw TraceLabError("cannot open the gzip file: \(String(cString: strerror(errno)))", at: SourceLocation(file: path, line: 0, column: 0, offset: 0))
            }
            opened = pcap_fopen_offline_with_tstamp_precision(stream, precision, &error)
            // On failure libpcap leaves the stream to its caller.
            if opened == nil { fclose(stream) }
        } else {
            opened = pcap_open_offline_with_tstamp_precision(path, precision, &error)
        }
        guard let handle = opened else {
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

    /// A capture's short name (its series are labelled `capture="nmap-syn"`, scenarios refer to it): the
    /// file name without `.gz`, `.pcapng`, `.pcap` or `.cap`.
    public static func name(of path: String) -> String {
        var name = path.split(separator: "/").last.map(String.init) ?? path
        for suffix in [".gz", ".pcapng", ".pcap", ".cap"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return name
    }

    /// True when the file (or its inflated content) is a pcap or pcapng capture.
    /// A scap capture (which shares pcapng's section header) is not a packet capture.
    public static func isCapture(_ path: String) -> Bool {
        let kind = CaptureMagic.kind(firstBytes(path, count: CaptureMagic.headLength))
        return kind == .pcap || kind == .pcapng
    }

    /// True when the file starts with gzip's magic number.
    public static func isGzip(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var magic: [UInt8] = [0, 0]
        return fread(&magic, 1, 2, file) == 2 && magic == [0x1F, 0x8B]
    }

    /// The first bytes of a file's content, inflated when it is gzip-compressed (zlib reads other files as
    /// they are); fewer when it is shorter.
    static func firstBytes(_ path: String, count: Int) -> [UInt8] {
        guard let file = tracelab_gzip_fopen(path) else { return [] }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = fread(&bytes, 1, count, file)
        return Array(bytes.prefix(read))
    }


    /// Reads and decodes the next packet into `packet`; false at the end (or after a cut record).
    public func next(_ packet: inout Packet) -> Bool {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var timestamp: UInt64 = 0
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            guard status == 1, let header, data != nil else {
                if status == -1 {
                    let message = String(cString: pcap_geterr(handle))
                    problems.append("after packet \(count): " + (compressed ? "the gzip stream is \(String(cString: tracelab_gzip_last_error())) (\(message))" : message))
                }
                if skippedTimestamps > 1 { problems.append("\(skippedTimestamps) packets in all had timestamps out of range and were skipped") }
                return false
            }
            count += 1
            // Nanoseconds since 1970 in 64 bits reach the year 2554: a (pcapng) timestamp past that is skipped, not trapped on.
            let (seconds, overflow) = UInt64(max(0, header.pointee.ts.tv_sec)).multipliedReportingOverflow(by: 1_000_000_000)
            let (sum, carry) = seconds.addingReportingOverflow(UInt64(max(0, header.pointee.ts.tv_usec)))
            if !overflow && !carry {
                timestamp = sum
                break
            }
            skippedTimestamps += 1
            if skippedTimestamps == 1 { problems.append("packet \(count): its timestamp (\(header.pointee.ts.tv_sec) s) is past what nanoseconds since 1970 can hold; skipped") }
        }
        guard let header, let data else { return false }
        packet = Packet()
        packet.number = count
        packet.timestamp = timestamp
        packet.wireLength = Int(header.pointee.len)
        packet.capturedLength = Int(header.pointee.caplen)
        PacketDecoder.decode(UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)), linkType: linkType, into: &packet)
        if packet.capturedLength < packet.wireLength && packet.truncated == false && packet.network == .other { packet.truncated = true }
        if packet.isTCP || packet.isUDP { packet.flowHash = hasher.flowHash(packet) }
        return true
    }
}
