import Foundation
@testable import Packets
import TestSupport
import Testing
import TraceModel

/// The packet pipeline on the shipped captures: counts against tshark, detections per capture, bad input.
@Suite("packets", .serialized)
struct PacketsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let captures = ["nmap-syn", "nmap-connect", "nmap-udp", "nmap-fin", "nmap-xmas", "nmap-null", "nmap-ack", "nmap-ping-sweep",
                           "nmap-syn-subnet", "hping3-syn-flood", "hping3-flood-amid-probes", "hping3-rand-source-flood", "benign-web", "benign-health-probe",
                           "benign-many-connections"]
    static func path(_ name: String) -> String { root + "/traces/pcaps/\(name).pcap" }


    static func run(_ tool: String, _ arguments: [String]) throws -> String { try Subprocess.run(tool, arguments).output }

    @Test("packet, per-protocol and flow counts equal tshark's on every shipped capture",
          .enabled(if: Prerequisite.tshark.runnable, Comment(rawValue: Prerequisite.tshark.skipReason)), arguments: captures)
    func countsMatchTshark(name: String) throws {
        let analysis = try CaptureAnalysis.run(path: Self.path(name))
        let tshark = try Prerequisite.tshark.path()
        // The first transport protocol tshark names for each frame (ICMP errors quote a UDP header after it).
        var counts: [String: Int] = [:]
        let protocols = try Self.run(tshark, ["-r", Self.path(name), "-T", "fields", "-e", "frame.protocols"])
        for line in protocols.split(separator: "\n") {
            let layers = line.split(separator: ":").map(String.init)
            counts[layers.first { ["tcp", "udp", "icmp", "icmpv6", "arp"].contains($0) } ?? "other", default: 0] += 1
        }
        #expect(analysis.packets == protocols.split(separator: "\n").count, "\(name) packets")
        #expect(analysis.tcp == counts["tcp", default: 0], "\(name) tcp")
        #expect(analysis.udp == counts["udp", default: 0], "\(name) udp")
        #expect(analysis.icmp == counts["icmp", default: 0] + counts["icmpv6", default: 0], "\(name) icmp")
        #expect(analysis.arp == counts["arp", default: 0], "\(name) arp")
        for (proto, number) in [("tcp", UInt8(6)), ("udp", UInt8(17))] {
            let conversations = try Self.run(tshark, ["-r", Self.path(name), "-q", "-z", "conv,\(proto)"]).split(separator: "\n").filter { $0.contains("<->") }.count
            #expect(analysis.flows.filter { $0.ipProtocol == number }.count == conversations, "\(name) \(proto) flows")
        }
    }

    @Test("one flow per packet: every flow is finished exactly once, a full table evicts, and unanswered attempts leave after Zeek's 5 s")
    func floodOfFlows() throws {
        var finished: [Int] = []
        var peak = 0
        let table = FlowTable(eachFlow: { finished.append($0.firstPacket) })
        table.maximumFlows = 5_000
        let reader = try CaptureReader(path: Self.path("hping3-rand-source-flood"))
        var packet = Packet(), last = Packet()
        while reader.next(&packet) {
            table.add(packet)
            peak = max(peak, table.activeCount)
            if packet.isTCP { last = packet }
        }
        #expect(table.evicted > 0 && peak <= 5_000)
        #expect(table.activeCount > 0)
        // A SYN 6 s after the last one: every earlier attempt (never answered) is finished by the sweep it starts.
        var later = last
        later.timestamp += 6_000_000_000
        later.sourcePort &+= 1
        later.number += 1
        table.add(later)
        #expect(table.activeCount == 1)
        table.finish()
        #expect(table.activeCount == 0)
        #expect(finished.count == 20_001 && Set(finished).count == 20_001, "\(finished.count) flows")
        // An answered connection keeps its flow past 5 s idle (Zeek's tcp_inactivity_timeout, 5 min).
        var flows: [Flow] = []
        let connections = FlowTable(eachFlow: { flows.append($0) })
        let web = try CaptureReader(path: Self.path("benign-health-probe"))
        var first: Packet?
        while web.next(&packet) {
            connections.add(packet)
            if first == nil, packet.isTCP { first = packet }
        }
        let open = connections.activeCount
        if var probe = first {
            probe.timestamp += 60_000_000_000
            probe.number = 1_000_000
            connections.add(probe)
        }
        #expect(open > 0 && connections.activeCount >= 1)
    }

    @Test("every attack capture is detected with the right kind, technique and source; the benign ones raise nothing")
    func detections() throws {
        let expected: [String: [(Detection.Kind, String)]] = [
            "nmap-syn": [(.portScan, "SYN")], "nmap-connect": [(.portScan, "connect")], "nmap-udp": [(.portScan, "UDP")],
            "nmap-fin": [(.portScan, "FIN")], "nmap-xmas": [(.portScan, "XMAS")], "nmap-null": [(.portScan, "NULL")], "nmap-ack": [(.portScan, "ACK")],
            "nmap-ping-sweep": [(.pingSweep, "ARP")], "nmap-syn-subnet": [(.subnetScan, "SYN"), (.pingSweep, "ARP")],
            "hping3-syn-flood": [(.synFlood, "SYN")], "hping3-flood-amid-probes": [(.synFlood, "SYN")], "hping3-rand-source-flood": [(.synFlood, "SYN")],
            "benign-web": [], "benign-health-probe": [], "benign-many-connections": [],
        ]
        for name in Self.captures {
            let found = try CaptureAnalysis.run(path: Self.path(name), keepFlows: false).detections
            #expect(found.map(\.kind) == expected[name]?.map(\.0), "\(name): \(found.map(\.summary))")
            #expect(found.map(\.technique) == expected[name]?.map(\.1), "\(name)")
            // The spoofed flood has as many sources as SYNs: no one source is the attacker.
            if name != "hping3-rand-source-flood" { #expect(found.allSatisfy { $0.sources.first?.description == "192.0.2.1" }, "\(name)") }
        }
        let syn = try CaptureAnalysis.run(path: Self.path("nmap-syn")).detections[0]
        #expect(syn.openPorts == [80] && syn.ports == 1000 && syn.fingerprint.hasPrefix("nmap raw probe (window 1024"))
        let flood = try CaptureAnalysis.run(path: Self.path("hping3-syn-flood")).detections[0]
        #expect(flood.packets == 20000 && flood.targets.map(\.description) == ["192.0.2.2"] && flood.fingerprint.hasPrefix("hping3"))
        // The whole capture is the flood: no quiet seconds to measure a baseline in.
        #expect(flood.baseline == nil && flood.peak > 1000)
        let subnet = try CaptureAnalysis.run(path: Self.path("nmap-syn-subnet")).detections[0]
        #expect(subnet.targets.map(\.description) == ["192.0.2.2", "192.0.2.3", "192.0.2.4"] && subnet.ports == 81)
    }

    @Test("flows carry Zeek's history: SYN scan Sr and ShR, connect scan ShAR")
    func zeekHistory() throws {
        let syn = try CaptureAnalysis.run(path: Self.path("nmap-syn")).flows
        #expect(syn.filter { $0.history == "Sr" }.count == 999 && syn.first { $0.responderPort == 80 }?.history == "ShR")
        #expect(syn.first { $0.responderPort == 80 }?.state == "RSTO" && syn.first { $0.responderPort == 22 }?.state == "REJ")
        let connect = try CaptureAnalysis.run(path: Self.path("nmap-connect")).flows
        #expect(connect.first { $0.responderPort == 80 }?.history == "ShAR")
    }

    /// A pcap file: global header, then records of (captured bytes, wire length).
    static func pcap(linkType: UInt32 = 1, snaplen: UInt32 = 65535, _ records: [([UInt8], Int)]) -> [UInt8] {
        func u32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)] }
        var out = u32(0xA1B2_C3D4) + [2, 0, 4, 0] + u32(0) + u32(0) + u32(snaplen) + u32(linkType)
        for (index, (bytes, wire)) in records.enumerated() { out += u32(1_700_000_000) + u32(UInt32(index)) + u32(UInt32(bytes.count)) + u32(UInt32(wire)) + bytes }
        return out
    }

    static func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = Scratch.directory.appendingPathComponent("tracelab-pcap-\(getpid())-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("bad captures: cut mid-record, garbage, wrong magic, unsupported link type, snaplen cuts, lying lengths")
    func badInput() throws {
        // Ethernet + IPv4 + TCP SYN, 54 bytes.
        let syn: [UInt8] = [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]
            + [0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x04, 0x00, 0, 0, 0, 0]
        let good = Self.pcap([(syn, syn.count), (syn, syn.count)])
        let cut = try Self.write(Array(good.dropLast(10)), "cut.pcap")
        let analysis = try CaptureAnalysis.run(path: cut)
        #expect(analysis.packets == 1 && analysis.problems.first?.contains("after packet 1") == true, "\(analysis.problems)")

        #expect(throws: TraceLabError.self) { try CaptureAnalysis.run(path: try Self.write([UInt8](repeating: 0x5A, count: 100), "garbage.pcap")) }
        #expect(throws: TraceLabError.self) { try CaptureAnalysis.run(path: try Self.write([0xDE, 0xAD, 0xBE, 0xEF] + Array(good.dropFirst(4)), "magic.pcap")) }
        let linkPath = try Self.write(Self.pcap(linkType: 147, [(syn, syn.count)]), "link.pcap")
        do {
            _ = try CaptureAnalysis.run(path: linkPath)
            Issue.record("link type 147 was accepted")
        } catch {
            #expect(error.message.hasPrefix("unsupported link type 147"))
        }
        // Cut by the snap length inside the TCP header; an IP total length larger than the packet.
        var lying = syn
        lying[16] = 0x05
        lying[17] = 0xDC
        let odd = try CaptureAnalysis.run(path: try Self.write(Self.pcap(snaplen: 40, [(Array(syn.prefix(40)), syn.count), (lying, lying.count)]), "odd.pcap"))
        #expect(odd.packets == 2 && odd.truncated == 2 && odd.tcp == 2, "\(odd.problems)")
        #expect(odd.problems.contains { $0.contains("2 packets with headers cut short") })
    }

    /// A pcapng of Ethernet frames with one-second timestamp resolution (`if_tsresol` 0), each packet at the given second.
    static func pcapng(seconds: [UInt64]) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
        func u32(_ value: UInt64) -> [UInt8] { (0..<4).map { UInt8(value >> (8 * $0) & 0xFF) } }
        var out = u32(0x0A0D_0D0A) + u32(28) + u32(0x1A2B_3C4D) + u16(1) + u16(0) + [UInt8](repeating: 0xFF, count: 8) + u32(28)
        out += u32(1) + u32(32) + u16(1) + u16(0) + u32(65535) + u16(9) + u16(1) + [0, 0, 0, 0] + u16(0) + u16(0) + u32(32)
        let frame = [UInt8](repeating: 0xFF, count: 6) + [0x02, 0, 0, 0, 0, 1] + [0x08, 0x06] + [UInt8](repeating: 0, count: 46)
        for second in seconds {
            let length = UInt64(32 + frame.count)
            out += u32(6) + u32(length) + u32(0) + u32(second >> 32) + u32(second & 0xFFFF_FFFF) + u32(UInt64(frame.count)) + u32(UInt64(frame.count)) + frame + u32(length)
        }
        return out
    }

    @Test("a pcapng timestamp past what nanoseconds since 1970 can hold is skipped with a problem, not a trap")
    func timestampOverflow() throws {
        let path = Scratch.directory.appendingPathComponent("tracelab-pcapng-\(getpid())-overflow.pcapng").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(Self.pcapng(seconds: [1_764_000_000, 1 << 40, 1_764_000_001, UInt64.max >> 1])).write(to: URL(fileURLWithPath: path))
        let analysis = try CaptureAnalysis.run(path: path)
        #expect(analysis.packets == 2 && analysis.arp == 2)
        #expect(analysis.problems.contains { $0.hasPrefix("packet 2: its timestamp") && $0.hasSuffix("is past what nanoseconds since 1970 can hold; skipped") }, "\(analysis.problems)")
        #expect(analysis.problems.contains("2 packets in all had timestamps out of range and were skipped"), "\(analysis.problems)")
        #expect(analysis.first == 1_764_000_000 * 1_000_000_000 && analysis.last == 1_764_000_001 * 1_000_000_000)
    }

    @Test("a BPF filter is applied on input, as tcpdump applies it")
    func filter() throws {
        let filtered = try CaptureAnalysis.run(path: Self.path("nmap-syn"), filter: "tcp[tcpflags] & tcp-syn != 0 and dst port 80")
        #expect(filtered.packets == 1)
        #expect(throws: TraceLabError.self) { try CaptureAnalysis.run(path: Self.path("nmap-syn"), filter: "tcp port banana") }
    }

    @Test("a million one-packet flows keep memory bounded by the flow table")
    func manyFlows() {
        var finished = 0
        let table = FlowTable(eachFlow: { _ in finished += 1 })
        table.maximumFlows = 10_000
        var packet = Packet()
        packet.network = .ipv4
        packet.ipProtocol = 6
        packet.tcpFlags = Packet.syn
        packet.destination = PacketAddress(v4: 0xC000_0202)
        for index in 0..<1_000_000 {
            packet.number = index + 1
            packet.timestamp = UInt64(index) * 1000
            packet.source = PacketAddress(v4: 0x0A00_0000 | UInt32(index >> 16))
            packet.sourcePort = UInt16(index & 0xFFFF)
            table.add(packet)
        }
        #expect(table.activeCount <= 10_000)
        #expect(table.evicted + table.activeCount == 1_000_000 && finished == table.evicted)
    }

    @Test("a flood amid health probes: found in its own seconds, against the probes' baseline")
    func floodAgainstBaseline() throws {
        let flood = try #require(try CaptureAnalysis.run(path: Self.path("hping3-flood-amid-probes")).detections.first)
        // hping3 sent 10,000 SYNs; the probes' SYNs (2/s) before and after are the baseline, not the flood.
        #expect(flood.packets >= 9_950 && flood.packets <= 10_000, "\(flood.summary)")
        let baseline = try #require(flood.baseline)
        #expect(baseline > 1.5 && baseline < 2.5, "\(flood.summary)")
        #expect(Double(flood.last - flood.first) / 1e9 < 3, "the flood lasts about 1.6 s, not the whole 20 s capture")
        #expect(flood.summary.contains("baseline 2.00/s"))
    }

    @Test("rate timelines: a burst on a busy destination is no flood; the same burst on a quiet one is")
    func relativeThreshold() {
        func timeline(baselinePerSecond: Int, burstPerSecond: Int) -> RateTimeline {
            var timeline = RateTimeline()
            var packet = 0
            for second in 0..<60 {
                let count = (20..<23).contains(second) ? burstPerSecond : baselinePerSecond
                for index in 0..<count {
                    packet += 1
                    timeline.add(at: UInt64(1_000 + second) * 1_000_000_000 + UInt64(index) * (1_000_000_000 / UInt64(count)), packet: packet, good: false)
                }
            }
            return timeline
        }
        // 90 SYNs a second all along: a 600/s burst is under 10x the baseline.
        let busy = timeline(baselinePerSecond: 90, burstPerSecond: 600).floods(span: 1_000...1_059, rate: 100, minimum: 1000, relativeFactor: 10, baselineMinimumSeconds: 5)
        #expect(busy.isEmpty)
        // 2 a second: the same burst stands out, and only the three burst seconds are the flood.
        let quiet = timeline(baselinePerSecond: 2, burstPerSecond: 600).floods(span: 1_000...1_059, rate: 100, minimum: 1000, relativeFactor: 10, baselineMinimumSeconds: 5)
        #expect(quiet.count == 1 && quiet.first?.count == 1800 && quiet.first?.peak == 600)
        #expect(quiet.first.map { abs(($0.baseline ?? 0) - 2) < 1e-9 } == true)
        // Out-of-order additions (flows finish late) land in their own seconds.
        var late = RateTimeline()
        late.add(at: 5_000_000_000, packet: 3, good: false)
        late.add(at: 3_000_000_000, packet: 1, good: true)
        late.add(at: 5_500_000_000, packet: 4, good: false)
        late.add(at: 3_200_000_000, packet: 2, good: false)
        #expect(late.seconds.map(\.second) == [3, 5] && late.seconds.map(\.count) == [2, 2] && late.seconds[0].good == 1 && late.seconds[0].firstPacket == 1)
    }

    @Test("gzip-compressed pcap and pcapng read like the plain files; a cut gzip stream is reported, not a crash")
    func gzipCaptures() throws {
        let plain = try CaptureAnalysis.run(path: Self.path("nmap-syn"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.path("nmap-syn")))
        let compressed = try Self.write(Array(try Self.gzip(bytes)), "nmap-syn.pcap.gz")
        let unpacked = try CaptureAnalysis.run(path: compressed)
        #expect(unpacked.format == "pcap.gz" && plain.format == "pcap")
        #expect(unpacked.packets == plain.packets && unpacked.flows.count == plain.flows.count && unpacked.problems.isEmpty)
        #expect(unpacked.detections.map(\.summary) == plain.detections.map(\.summary))
        let gzipBytes = try Self.gzip(bytes)
        let cut = try Self.write(Array(gzipBytes.prefix(gzipBytes.count / 3)), "cut.pcap.gz")
        let partial = try CaptureAnalysis.run(path: cut)
        #expect(partial.packets > 0 && partial.packets < plain.packets)
        #expect(partial.problems.first?.contains("the gzip stream is cut short: unexpected end of file") == true, "\(partial.problems)")
        // A CRC error is named as such, not as a cut: the whole stream with one byte of its trailer's CRC changed.
        var damaged = Array(gzipBytes)
        damaged[damaged.count - 8] ^= 0xFF
        let corrupt = try CaptureAnalysis.run(path: try Self.write(damaged, "crc.pcap.gz"))
        #expect(corrupt.problems.first?.contains("the gzip stream is corrupt: incorrect data check") == true, "\(corrupt.problems)")
        // A gzip file whose content is not a capture.
        let notCapture = try Self.write(Array(try Self.gzip(Data("just text\n".utf8))), "text.gz")
        #expect(throws: TraceLabError.self) { try CaptureAnalysis.run(path: notCapture) }
        #expect(!CaptureReader.isCapture(notCapture) && CaptureReader.isCapture(compressed) && CaptureReader.isCapture(Self.path("nmap-syn")))
    }

    @Test("gzip-compressed pcapng (written by editcap) reads like the plain pcap",
          .enabled(if: Prerequisite.editcap.runnable, Comment(rawValue: Prerequisite.editcap.skipReason)))
    func gzipPcapng() throws {
        let editcap = try Prerequisite.editcap.path()
        let plain = try CaptureAnalysis.run(path: Self.path("nmap-syn"))
        let pcapng = Scratch.directory.appendingPathComponent("tracelab-pcap-\(getpid())-syn.pcapng").path
        _ = try Self.run(editcap, ["-F", "pcapng", Self.path("nmap-syn"), pcapng])
        let ng = try Self.write(Array(try Self.gzip(try Data(contentsOf: URL(fileURLWithPath: pcapng)))), "syn.pcapng.gz")
        let fromNG = try CaptureAnalysis.run(path: ng)
        #expect(fromNG.format == "pcapng.gz" && fromNG.packets == plain.packets && fromNG.detections.map(\.summary) == plain.detections.map(\.summary))
    }

    /// gzip's own compressor, so the test does not depend on our zlib binding to write what it reads.
    static func gzip(_ data: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let writer = Thread { input.fileHandleForWriting.write(data); try? input.fileHandleForWriting.close() }
        writer.start()
        let compressed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return compressed
    }

    @Test("per-host, per-second counter series agree with the packets")
    func metricSeries() throws {
        var options = CaptureAnalysis.Options(keepFlows: true)
        options.metricsCapture = "hping3-flood-amid-probes"
        let analysis = try CaptureAnalysis.run(path: Self.path("hping3-flood-amid-probes"), options: options)
        func final(_ name: String, _ labels: [(String, String)]) -> Double? {
            let wanted = Labels(name: name, [("capture", "hping3-flood-amid-probes")] + labels)
            return analysis.series.first { $0.labels == wanted }?.samples.last?.value
        }
        let ip = Double(analysis.tcp + analysis.udp + analysis.icmp)
        let sent = analysis.series.filter { $0.labels.metricName == "pcap_packets_total" && $0.labels["direction"] == "sent" }.compactMap(\.samples.last?.value).reduce(0, +)
        #expect(sent == ip)
        let synFlows = analysis.flows.filter { $0.ipProtocol == 6 && $0.firstFlags & 0x12 == 0x02 }
        #expect(final("pcap_tcp_connections_total", [("host", "192.0.2.2"), ("role", "responder")]) == Double(synFlows.count))
        #expect(final("pcap_tcp_failed_connections_total", [("host", "192.0.2.2"), ("role", "responder")]) == Double(synFlows.filter { !$0.completedHandshake }.count))
        #expect((final("pcap_tcp_syn_total", [("direction", "received"), ("host", "192.0.2.2")]) ?? 0) >= 10_000)
        // Counters never go down, every series is on the same one-second grid, and the output is sorted.
        for series in analysis.series {
            #expect(zip(series.samples, series.samples.dropFirst()).allSatisfy { $0.value <= $1.value && $1.timestamp - $0.timestamp == 1000 })
            #expect(series.samples.last?.timestamp == Int64((analysis.last ?? 0) / 1_000_000_000 + 1) * 1000)
        }
        #expect(analysis.series.map(\.labels) == analysis.series.map(\.labels).sorted())
    }
}
