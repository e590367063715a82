import Foundation
import Packets
import Testing
import TraceModel

/// The packet pipeline on the shipped captures: counts against tshark, detections per capture, bad input.
@Suite("packets", .serialized)
struct PacketsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let captures = ["nmap-syn", "nmap-connect", "nmap-udp", "nmap-fin", "nmap-xmas", "nmap-null", "nmap-ack", "nmap-ping-sweep",
                           "nmap-syn-subnet", "hping3-syn-flood", "benign-web", "benign-health-probe"]
    static func path(_ name: String) -> String { root + "/traces/pcaps/\(name).pcap" }

    /// tshark's path, or nil when it is not installed (a user's machine; CI installs it).
    static let tshark: String? = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("packet, per-protocol and flow counts equal tshark's on every shipped capture", arguments: captures)
    func countsMatchTshark(name: String) throws {
        let analysis = try CaptureAnalysis.run(path: Self.path(name))
        guard let tshark = Self.tshark else {
            print("tshark is not installed: counts compared with tshark are not checked here (CI installs it)")
            #expect(analysis.packets > 0)
            return
        }
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

    @Test("every attack capture is detected with the right kind, technique and source; the benign ones raise nothing")
    func detections() throws {
        let expected: [String: [(Detection.Kind, String)]] = [
            "nmap-syn": [(.portScan, "SYN")], "nmap-connect": [(.portScan, "connect")], "nmap-udp": [(.portScan, "UDP")],
            "nmap-fin": [(.portScan, "FIN")], "nmap-xmas": [(.portScan, "XMAS")], "nmap-null": [(.portScan, "NULL")], "nmap-ack": [(.portScan, "ACK")],
            "nmap-ping-sweep": [(.pingSweep, "ARP")], "nmap-syn-subnet": [(.subnetScan, "SYN"), (.pingSweep, "ARP")],
            "hping3-syn-flood": [(.synFlood, "SYN")], "benign-web": [], "benign-health-probe": [],
        ]
        for name in Self.captures {
            let found = try CaptureAnalysis.run(path: Self.path(name), keepFlows: false).detections
            #expect(found.map(\.kind) == expected[name]?.map(\.0), "\(name): \(found.map(\.summary))")
            #expect(found.map(\.technique) == expected[name]?.map(\.1), "\(name)")
            #expect(found.allSatisfy { $0.sources.first?.description == "192.0.2.1" }, "\(name)")
        }
        let syn = try CaptureAnalysis.run(path: Self.path("nmap-syn")).detections[0]
        #expect(syn.openPorts == [80] && syn.ports == 1000 && syn.fingerprint.hasPrefix("nmap raw probe (window 1024"))
        let flood = try CaptureAnalysis.run(path: Self.path("hping3-syn-flood")).detections[0]
        #expect(flood.packets == 20000 && flood.targets.map(\.description) == ["192.0.2.2"] && flood.fingerprint.hasPrefix("hping3"))
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
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tracelab-pcap-\(getpid())-\(name)").path
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

    @Test("a BPF filter is applied on input, as tcpdump applies it")
    func filter() throws {
        let filtered = try CaptureAnalysis.run(path: Self.path("nmap-syn"), filter: "tcp[tcpflags] & tcp-syn != 0 and dst port 80")
        #expect(filtered.packets == 1)
        #expect(throws: TraceLabError.self) { try CaptureAnalysis.run(path: Self.path("nmap-syn"), filter: "tcp port banana") }
    }

    @Test("a million one-packet flows keep memory bounded by the flow table")
    func manyFlows() {
        var finished = 0
        let table = FlowTable { _ in finished += 1 }
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
}
