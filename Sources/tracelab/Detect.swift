import ArgumentParser
import Foundation
import Metrics
import Replay
import Packets
import TraceModel

/// `tracelab detect`: scans, sweeps and floods in packet captures.
struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Detect port scans, sweeps and floods in pcap/pcapng captures, and DoS pods in metric recordings.",
        discussion: "Detectors and their thresholds: docs/detection.md. Metric files (.om, .prom) go to the DoS detector. Exit 1 when a file cannot be read.")

    @Option(help: "A BPF filter applied on input, as tcpdump's.")
    var filter: String?

    @Option(help: "Output format.")
    var format: OutputStyle = .text

    @OptionGroup var strictness: StrictOption

    @Argument(help: "Capture files, and metric files (.om, .prom).")
    var captures: [String]

    func run() throws {
        var failed = false
        var problems = InputProblems()
        var records: [JSONValue] = []
        // Metric files first (the DoS detector), then captures (the packet detectors), each in the order given.
        let ordered = captures.filter(MetricStore.isMetricsFile) + captures.filter { !MetricStore.isMetricsFile($0) }
        for path in ordered {
            do {
                let found = try MetricStore.isMetricsFile(path) ? detectDoS(path, &problems) : detectInPackets(path, &problems)
                if format == .json {
                    records += found.detections.map { $0.json(file: path) }
                    continue
                }
                print("\(path): \(found.what), \(found.detections.count) detection\(found.detections.count == 1 ? "" : "s")")
                for detection in found.detections {
                    print("  \(detection.kind.rawValue) [\(detection.technique)\(detection.kind.isPacketKind ? ", confidence \(detection.confidence)" : "")] \(detection.summary)")
                    if detection.first > 0 { print("    time: \(formatISOTime(detection.first)) to \(formatISOTime(detection.last))") }
                    if !detection.fingerprint.isEmpty { print("    fingerprint: \(detection.fingerprint)") }
                    if detection.kind.isPacketKind {
                        print("    packets \(detection.packets), evidence packets \(detection.evidence.map(String.init).joined(separator: ", "))")
                    }
                }
            } catch {
                printError("tracelab: \(path): \(error)")
                failed = true
            }
        }
        if format == .json { print(JSONValue.array(records).rendered) }
        if failed { throw ExitCode(1) }
        try problems.finish(strict: strictness.strict)
    }

    private func detectDoS(_ path: String, _ problems: inout InputProblems) throws -> (what: String, detections: [Detection]) {
        let store = MetricStore()
        for problem in try MetricSources.load(path, into: store) { problems.report(problem) }
        return ("\(store.series.count) series", try DoSDetector().run(store))
    }

    private func detectInPackets(_ path: String, _ problems: inout InputProblems) throws -> (what: String, detections: [Detection]) {
        let analysis = try CaptureAnalysis.run(path: path, filter: filter, keepFlows: false)
        for problem in analysis.problems { problems.report("\(path): \(problem)") }
        return ("\(analysis.packets) packets", analysis.detections)
    }
}

/// `tracelab flows`: the TCP and UDP flows of a capture with Zeek-like state and history.
struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the flows of a capture (5-tuple, packets, bytes, Zeek-like state and history).",
        discussion: "--format json prints one JSON object per flow (JSON Lines) with Zeek's conn.log field names.")

    @Option(help: "text (a table and a count) or json (Zeek conn.log field names, one flow per line).")
    var format: OutputStyle = .text

    @Option(help: "A BPF filter applied on input, as tcpdump's.")
    var filter: String?

    @Argument(help: "A capture file.")
    var capture: String

    func run() throws {
        let analysis: CaptureAnalysis
        do { analysis = try CaptureAnalysis.run(path: capture, filter: filter) } catch {
            printError("tracelab: \(error)")
            throw ExitCode(1)
        }
        if format == .json {
            for flow in analysis.flows {
                print(JSONValue.object([
                    ("ts", .double(Double(flow.first) / 1e9)), ("id.orig_h", .string(flow.originator.description)), ("id.orig_p", .integer(Int64(flow.originatorPort))),
                    ("id.resp_h", .string(flow.responder.description)), ("id.resp_p", .integer(Int64(flow.responderPort))),
                    ("proto", .string(flow.ipProtocol == 6 ? "tcp" : "udp")), ("duration", .double(Double(flow.last - flow.first) / 1e9)),
                    ("orig_bytes", .integer(Int64(flow.bytes.originator))), ("resp_bytes", .integer(Int64(flow.bytes.responder))),
                    ("conn_state", .string(flow.state)), ("history", .string(flow.history)),
                    ("orig_pkts", .integer(Int64(flow.packets.originator))), ("resp_pkts", .integer(Int64(flow.packets.responder))),
                    ("first_packet", .integer(Int64(flow.firstPacket))),
                ]).rendered)
            }
            for problem in analysis.problems { printError("tracelab: \(capture): \(problem)") }
            return
        }
        var rows: [[String]] = []
        for flow in analysis.flows {
            rows.append([String(flow.firstPacket), flow.ipProtocol == 6 ? "tcp" : "udp", "\(flow.originator):\(flow.originatorPort)", "\(flow.responder):\(flow.responderPort)",
                         "\(flow.packets.originator)/\(flow.packets.responder)", "\(flow.bytes.originator)/\(flow.bytes.responder)", flow.state, flow.history])
        }
        print(textTable(["first", "proto", "originator", "responder", "packets", "bytes", "state", "history"], rows))
        print("\(analysis.flows.count) flows, \(analysis.packets) packets (\(analysis.tcp) TCP, \(analysis.udp) UDP, \(analysis.icmp) ICMP, \(analysis.arp) ARP, \(analysis.other) other)")
        for problem in analysis.problems { printError("tracelab: \(capture): \(problem)") }
    }
}
