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

    @Argument(help: "Capture files, and metric files (.om, .prom).")
    var captures: [String]

    func run() throws {
        var failed = false
        var records: [JSONValue] = []
        for path in captures where MetricStore.isMetricsFile(path) {
            do {
                let store = MetricStore()
                for problem in try MetricSources.load(path, into: store) { printError("tracelab: \(problem)") }
                let found = try DoSDetector().run(store)
                if format == .json {
                    records += found.map { detection in
                        .object([("file", .string(path)), ("kind", .string("dos")), ("signal", .string(detection.signal)), ("namespace", .string(detection.namespace)),
                                 ("pod", .string(detection.pod)), ("onset_ms", .integer(detection.onset)), ("end_ms", .integer(detection.end)),
                                 ("peak", .double(detection.peak)), ("mean", .double(detection.mean)), ("baseline", .double(detection.baseline)),
                                 ("summary", .string(detection.summary))])
                    }
                } else {
                    print("\(path): \(store.series.count) series, \(found.count) detection\(found.count == 1 ? "" : "s")")
                    for detection in found { print("  dos [\(detection.signal)] \(detection.summary)") }
                }
            } catch {
                printError("tracelab: \(path): \(error)")
                failed = true
            }
        }
        for path in captures where !MetricStore.isMetricsFile(path) {
            do {
                let analysis = try CaptureAnalysis.run(path: path, filter: filter, keepFlows: false)
                for problem in analysis.problems { printError("tracelab: \(path): \(problem)") }
                if format == .json {
                    records += analysis.detections.map { Self.json($0, capture: path) }
                } else {
                    print("\(path): \(analysis.packets) packets, \(analysis.detections.count) detection\(analysis.detections.count == 1 ? "" : "s")")
                    for detection in analysis.detections {
                        print("  \(detection.kind.rawValue) [\(detection.technique), confidence \(detection.confidence)] \(detection.summary)")
                        if !detection.fingerprint.isEmpty { print("    fingerprint: \(detection.fingerprint)") }
                        print("    packets \(detection.packets), evidence packets \(detection.evidence.map(String.init).joined(separator: ", "))")
                    }
                }
            } catch {
                printError("tracelab: \(error)")
                failed = true
            }
        }
        if format == .json { print(JSONValue.array(records).rendered) }
        if failed { throw ExitCode(1) }
    }

    static func json(_ detection: Detection, capture: String) -> JSONValue {
        .object([("capture", .string(capture)), ("kind", .string(detection.kind.rawValue)), ("technique", .string(detection.technique)),
                 ("confidence", .double(detection.confidence)), ("fingerprint", .string(detection.fingerprint)),
                 ("sources", .array(detection.sources.map { .string($0.description) })), ("targets", .array(detection.targets.map { .string($0.description) })),
                 ("ports", .integer(Int64(detection.ports))), ("open_ports", .array(detection.openPorts.map { .integer(Int64($0)) })),
                 ("first_ns", .unsigned(detection.first)), ("last_ns", .unsigned(detection.last)), ("packets", .integer(Int64(detection.packets))),
                 ("evidence_packets", .array(detection.evidence.map { .integer(Int64($0)) })), ("summary", .string(detection.summary))])
    }
}

/// `tracelab flows`: the TCP and UDP flows of a capture with Zeek-like state and history.
struct Flows: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the flows of a capture (5-tuple, packets, bytes, Zeek-like state and history).")

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
