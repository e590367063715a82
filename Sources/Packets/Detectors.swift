import Foundation
import TraceModel

/// Thresholds of the detectors. Defaults follow Zeek's scan policy and TRW (see docs/detection.md).
public struct DetectorSettings: Sendable {
    /// Distinct ports of one target probed without data exchanged (Zeek scan.zeek `port_scan_threshold` 15).
    public var portScanThreshold = 15
    /// Distinct UDP ports of one target: lower, since UDP scans are slow (ICMP replies are rate limited).
    public var udpPortScanThreshold = 10
    /// Distinct targets on one port probed without data (Zeek scan.zeek `addr_scan_threshold` 25).
    public var sweepThreshold = 25
    /// Distinct addresses asked for by ARP or ICMP echo from one source.
    public var pingSweepThreshold = 25
    /// SYNs to one destination port: at least this many, at this rate, with few completed handshakes.
    public var synFloodMinimum = 1000
    public var synFloodRate = 100.0
    public var synFloodCompletedRatio = 0.1
    /// UDP or ICMP packets to one destination, and rate.
    public var packetFloodMinimum = 5000
    public var packetFloodRate = 1000.0
    /// A flood's mean rate must also be this many times the destination's baseline: its mean rate over
    /// the capture's other seconds, measured when there are at least `baselineMinimumSeconds` of them.
    public var floodRelativeFactor = 10.0
    public var baselineMinimumSeconds = 5
    public init() {}
}

/// Runs every detector over a capture's packets and finished flows.
public final class Detectors {
    public let settings: DetectorSettings
    private struct Probes {
        var ports: [UInt16: Flow] = [:]
        var packets = 0

        mutating func add(_ flow: Flow) {
            ports[flow.responderPort] = flow
            packets += flow.packets.originator + flow.packets.responder + flow.unreachable
        }
    }
    /// (scanner, target) → probes without data, by destination port; TCP and UDP apart.
    @exclusivity(unchecked) private var tcpPairs: [PacketAddress: [PacketAddress: Probes]] = [:]
    @exclusivity(unchecked) private var udpPairs: [PacketAddress: [PacketAddress: Probes]] = [:]
    /// (scanner, port) → targets probed without data.
    @exclusivity(unchecked) private var portTargets: [PacketAddress: [UInt16: Set<PacketAddress>]] = [:]
    /// ARP requests and ICMP echo requests: source → asked addresses, first packets.
    @exclusivity(unchecked) private var arpAsks: [PacketAddress: (targets: Set<PacketAddress>, first: UInt64, last: UInt64, packets: [Int])] = [:]
    @exclusivity(unchecked) private var echoAsks: [PacketAddress: (targets: Set<PacketAddress>, first: UInt64, last: UInt64, packets: [Int])] = [:]
    /// (destination, port) → SYN flows.
    private struct SynTarget {
        var timeline = RateTimeline(), sources: Set<PacketAddress> = []
        /// SYNs by fingerprint (a handful of kinds: a list, not a table).
        var fingerprints: [(fingerprint: Fingerprint, count: Int)] = []
        /// Sources listed at most (a spoofed flood has as many as packets).
        static let sourcesKept = 1000

        mutating func add(_ flow: Flow) {
            timeline.add(at: flow.first, packet: flow.firstPacket, good: flow.completedHandshake)
            if sources.count < Self.sourcesKept { sources.insert(flow.originator) }
            let fingerprint = Fingerprint(flow)
            if let index = fingerprints.firstIndex(where: { $0.fingerprint == fingerprint }) {
                fingerprints[index].count += 1
            } else {
                fingerprints.append((fingerprint, 1))
            }
        }
    }
    /// A destination and port SYNs went to.
    private struct SynKey: Hashable, Comparable {
        var destination: PacketAddress
        var port: UInt16
        static func < (left: SynKey, right: SynKey) -> Bool { (left.destination, left.port) < (right.destination, right.port) }
    }
    @exclusivity(unchecked) private var synIndex: [SynKey: Int] = [:]
    @exclusivity(unchecked) private var synTargets: [SynTarget] = []
    /// The (destination, port) of the last SYN flow and its target's index (a flood's SYNs all go to one).
    @exclusivity(unchecked) private var lastSyn: (key: SynKey, index: Int)?
    /// Destination → UDP and ICMP packets (not ICMP errors) per second.
    private struct PacketTarget {
        var udp = RateTimeline(), icmp = RateTimeline(), sources: Set<PacketAddress> = []

        mutating func add(_ packet: Packet) {
            if packet.isUDP {
                udp.add(at: packet.timestamp, packet: packet.number, good: false)
            } else {
                icmp.add(at: packet.timestamp, packet: packet.number, good: false)
            }
            if sources.count < 1000 { sources.insert(packet.source) }
        }
    }
    @exclusivity(unchecked) private var packetTargets: [PacketAddress: PacketTarget] = [:]
    /// The capture's first and last packet times.
    @exclusivity(unchecked) private var captureFirst = UInt64.max
    @exclusivity(unchecked) private var captureLast: UInt64 = 0

    public init(settings: DetectorSettings = DetectorSettings()) { self.settings = settings }

    /// Sees every packet (for ARP, ICMP echo and packet floods).
    public func observe(_ packet: Packet) {
        captureFirst = min(captureFirst, packet.timestamp)
        captureLast = max(captureLast, packet.timestamp)
        if packet.network == .arp, packet.arpOperation == 1 {
            var entry = arpAsks[packet.source] ?? ([], packet.timestamp, packet.timestamp, [])
            if entry.targets.insert(packet.destination).inserted, entry.packets.count < 5 { entry.packets.append(packet.number) }
            entry.last = packet.timestamp
            arpAsks[packet.source] = entry
        }
        if packet.isICMP, (packet.ipProtocol == 1 && packet.icmpType == 8) || (packet.ipProtocol == 58 && packet.icmpType == 128) {
            var entry = echoAsks[packet.source] ?? ([], packet.timestamp, packet.timestamp, [])
            if entry.targets.insert(packet.destination).inserted, entry.packets.count < 5 { entry.packets.append(packet.number) }
            entry.last = packet.timestamp
            echoAsks[packet.source] = entry
        }
        if packet.isUDP || (packet.isICMP && packet.quotedProtocol == 0) {
            packetTargets[packet.destination, default: PacketTarget()].add(packet)
        }
    }

    /// Every source seen sending a probe, found through `sourceIndex`: a slot each in `sourceAddresses` and
    /// `sourceProbes`, which holds the index of its one probe in `singleProbeFlows`, or -1 once a second probe
    /// has made it a candidate scanner (its probes are then in `tcpPairs`, `udpPairs` and `portTargets`).
    /// A flood from spoofed sources is one probe per source: when `maximumSingleProbeSources` single probes have
    /// been kept, the sources still at one probe are forgotten at once (counted in `forgottenSources`), so
    /// memory is bounded whatever the capture.
    private let hasher = SeededHash.process
    private let sourceIndex = OpenAddressIndex()
    @exclusivity(unchecked) private var sourceAddresses: [PacketAddress] = []
    @exclusivity(unchecked) private var sourceProbes: [Int32] = []
    @exclusivity(unchecked) private var singleProbeFlows: [Flow] = []
    /// Sources whose only probe is in `singleProbeFlows`.
    @exclusivity(unchecked) private var singleProbeSources = 0
    @exclusivity(unchecked) public var maximumSingleProbeSources = 200_000
    /// Single-probe sources forgotten because there were more than `maximumSingleProbeSources` at once.
    @exclusivity(unchecked) public private(set) var forgottenSources = 0

    /// Sees every finished flow.
    public func observe(_ flow: Flow) {
        if flow.ipProtocol == 6, flow.firstFlags & Packet.syn != 0, flow.firstFlags & Packet.ack == 0 {
            let key = SynKey(destination: flow.responder, port: flow.responderPort)
            let index: Int
            if let last = lastSyn, last.key == key {
                index = last.index
            } else if let known = synIndex[key] {
                index = known
            } else {
                index = synTargets.count
                synTargets.append(SynTarget())
                synIndex[key] = index
            }
            lastSyn = (key, index)
            synTargets[index].add(flow)
        }
        // A probe: no data either way (Zeek counts such attempts as failed; an answered SYN counts too).
        guard flow.carriedNoData, flow.ipProtocol == 6 || flow.ipProtocol == 17 else { return }
        let hash = hasher.hash(flow.originator)
        var found = sourceIndex.find(hash: hash) { sourceAddresses[$0] == flow.originator }
        if let slot = found.slot {
            let first = sourceProbes[slot]
            if first >= 0 {
                sourceProbes[slot] = -1
                singleProbeSources -= 1
                record(singleProbeFlows[Int(first)])
            }
            record(flow)
            return
        }
        if singleProbeFlows.count >= maximumSingleProbeSources {
            forgetSingleProbes()
            found = sourceIndex.find(hash: hash) { sourceAddresses[$0] == flow.originator }
        }
        if singleProbeFlows.count == singleProbeFlows.capacity { singleProbeFlows = HugePages.grown(singleProbeFlows) }
        sourceIndex.insert(hash: hash, slot: sourceAddresses.count, at: found.bucket)
        if sourceAddresses.count == sourceAddresses.capacity { sourceAddresses = HugePages.grown(sourceAddresses) }
        sourceAddresses.append(flow.originator)
        if sourceProbes.count == sourceProbes.capacity { sourceProbes = HugePages.grown(sourceProbes) }
        sourceProbes.append(Int32(singleProbeFlows.count))
        singleProbeFlows.append(flow)
        singleProbeSources += 1
    }

    /// Sees finished flows in order. The source table is too large for the processor's cache in a flood: the
    /// bucket of the flow 8 ahead is asked for while this one is looked at.
    public func observe(_ flows: [Flow]) {
        for position in flows.indices {
            if position + 8 < flows.count, flows[position + 8].carriedNoData {
                sourceIndex.prefetch(hash: hasher.hash(flows[position + 8].originator))
            }
            observe(flows[position])
        }
    }

    /// Forgets the sources seen with a single probe, keeping the candidates.
    private func forgetSingleProbes() {
        forgottenSources += singleProbeSources
        singleProbeSources = 0
        singleProbeFlows.removeAll(keepingCapacity: true)
        let candidates = sourceAddresses.indices.filter { sourceProbes[$0] < 0 }.map { sourceAddresses[$0] }
        sourceIndex.removeAll()
        sourceAddresses = candidates
        sourceProbes = [Int32](repeating: -1, count: candidates.count)
        for (slot, address) in candidates.enumerated() {
            let hash = hasher.hash(address)
            sourceIndex.insert(hash: hash, slot: slot, at: sourceIndex.find(hash: hash) { _ in false }.bucket)
        }
    }

    /// Adds a candidate scanner's probe to the scan tables.
    private func record(_ flow: Flow) {
        // In place: a copy of the probes would copy their port table on every flow.
        func record(_ pairs: inout [PacketAddress: [PacketAddress: Probes]]) {
            pairs[flow.originator, default: [:]][flow.responder, default: Probes()].add(flow)
        }
        if flow.ipProtocol == 6 { record(&tcpPairs) } else { record(&udpPairs) }
        portTargets[flow.originator, default: [:]][flow.responderPort, default: []].insert(flow.responder)
    }

    /// The fingerprint of a probe: the tool it looks like, from window, options and the ack field (named when a
    /// detection is written).
    struct Fingerprint: Hashable, Comparable, CustomStringConvertible {
        enum Tool: UInt8 { case emptyUDP, udpWithPayload, nmap, hping3, connect, window }
        var tool: Tool
        var window: UInt16

        init(_ flow: Flow) {
            window = flow.firstWindow
            if flow.ipProtocol == 17 { tool = flow.bytes.originator == 0 ? .emptyUDP : .udpWithPayload }
            else if flow.firstWindow == 1024 && flow.firstOptions == 1 << 2 { tool = .nmap }
            else if flow.firstOptions == 0 && flow.firstAckWithoutFlag { tool = .hping3 }
            else if flow.firstOptions & (1 << 4) != 0 && flow.firstOptions & (1 << 8) != 0 { tool = .connect }
            else { tool = .window }
        }

        var description: String {
            switch tool {
            case .emptyUDP: "empty UDP datagrams"
            case .udpWithPayload: "UDP datagrams with a payload"
            case .nmap: "nmap raw probe (window 1024, MSS option only)"
            case .hping3: "hping3 (no options, ack number set without ACK flag, window \(window))"
            case .connect: "operating-system connect() (SACK and timestamps)"
            case .window: "window \(window)"
            }
        }

        static func < (left: Fingerprint, right: Fingerprint) -> Bool { left.description < right.description }
    }

    /// The scan technique from the probes' first flags and what followed.
    static func technique(_ flows: [Flow]) -> (String, Double) {
        var counts: [String: Int] = [:]
        for flow in flows {
            let name: String
            switch (flow.ipProtocol, flow.firstFlags & 0x3F) {
            case (17, _): name = "UDP"
            case (_, Packet.syn): name = flow.completedHandshake ? "connect" : (flow.answeredOpen ? "SYN (half-open)" : "SYN")
            case (_, Packet.fin): name = "FIN"
            case (_, 0): name = "NULL"
            case (_, Packet.fin | Packet.psh | Packet.urg): name = "XMAS"
            case (_, Packet.ack): name = "ACK"
            default: name = "flags \(flow.firstFlags)"
            }
            counts[name, default: 0] += 1
        }
        // Closed ports never complete a handshake: a connect scan shows in the open ones.
        if counts["connect"] != nil { return ("connect", 0.9) }
        if counts["SYN (half-open)"] != nil { counts["SYN", default: 0] += counts.removeValue(forKey: "SYN (half-open)") ?? 0 }
        guard let best = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) else { return ("unknown", 0) }
        return (best.key, Double(best.value) / Double(max(1, flows.count)))
    }

    /// All detections, in a stable order (kind, then first time, then source).
    public func detections() -> [Detection] {
        var out: [Detection] = []
        // Vertical scans, merged into a subnet scan when one source scans several hosts of a subnet.
        for (pairs, threshold) in [(tcpPairs, settings.portScanThreshold), (udpPairs, settings.udpPortScanThreshold)] {
            for scanner in pairs.keys.sorted() {
                let scanned = (pairs[scanner] ?? [:]).filter { $0.value.ports.count >= threshold }
                guard !scanned.isEmpty else { continue }
                let bySubnet = Dictionary(grouping: scanned.keys.sorted(), by: \.subnet)
                for subnet in bySubnet.keys.sorted() {
                    let targets = bySubnet[subnet] ?? []
                    let flows = targets.flatMap { (scanned[$0]?.ports.values).map(Array.init) ?? [] }.sorted { $0.firstPacket < $1.firstPacket }
                    let (technique, confidence) = Self.technique(flows)
                    let fingerprints = Dictionary(grouping: flows, by: { Fingerprint($0).description }).mapValues(\.count)
                    let fingerprint = fingerprints.max { ($0.value, $1.key) < ($1.value, $0.key) }.map { "\($0.key) on \($0.value) of \(flows.count) probes" } ?? ""
                    let open = Set(flows.filter { $0.answeredOpen || ($0.ipProtocol == 17 && $0.bytes.responder > 0) }.map(\.responderPort)).sorted()
                    let ports = Set(flows.map(\.responderPort)).count
                    let kind: Detection.Kind = targets.count > 1 ? .subnetScan : .portScan
                    let packets = targets.reduce(0) { $0 + (scanned[$1]?.packets ?? 0) }
                    let what = targets.count > 1 ? "\(targets.count) hosts of \(subnet)/\(subnet.isV4 ? 24 : 64)" : "\(targets[0])"
                    out.append(Detection(kind: kind, technique: technique, confidence: (confidence * 100).rounded() / 100, fingerprint: fingerprint,
                                         sources: [scanner.description], targets: targets.map(\.description),
                                         first: flows.first?.first ?? 0, last: flows.map(\.last).max() ?? 0, ports: ports, openPorts: open, packets: packets,
                                         evidence: Array(flows.prefix(5).map(\.firstPacket)),
                                         summary: "\(scanner) \(technique) scan of \(ports) ports on \(what); open: \(open.isEmpty ? "none" : open.map(String.init).joined(separator: ", "))"))
                }
            }
        }
        // Horizontal sweeps: one port, many targets.
        for scanner in portTargets.keys.sorted() {
            for (port, targets) in (portTargets[scanner] ?? [:]).sorted(by: { $0.key < $1.key }) where targets.count >= settings.sweepThreshold {
                out.append(Detection(kind: .sweep, technique: "port \(port)", confidence: 1, fingerprint: "", sources: [scanner.description], targets: targets.sorted().map(\.description),
                                     first: 0, last: 0, ports: 1, packets: targets.count, evidence: [],
                                     summary: "\(scanner) swept port \(port) on \(targets.count) hosts"))
            }
        }
        // Ping sweeps (ARP on the local segment, ICMP echo beyond it).
        for (asks, technique) in [(arpAsks, "ARP"), (echoAsks, "ICMP echo")] {
            for source in asks.keys.sorted() {
                guard let entry = asks[source], entry.targets.count >= settings.pingSweepThreshold else { continue }
                out.append(Detection(kind: .pingSweep, technique: technique, confidence: 1, fingerprint: "", sources: [source.description], targets: entry.targets.sorted().map(\.description),
                                     first: entry.first, last: entry.last, packets: entry.targets.count, evidence: entry.packets,
                                     summary: "\(source) \(technique) ping sweep of \(entry.targets.count) addresses"))
            }
        }
        // Floods: seconds over the rate, against the destination's own baseline; SYN floods with few
        // completed handshakes.
        let span = Int64(min(captureFirst, captureLast) / 1_000_000_000)...Int64(captureLast / 1_000_000_000)
        func floods(_ timeline: RateTimeline, rate: Double, minimum: Int) -> [FloodWindow] {
            timeline.floods(span: span, rate: rate, minimum: minimum, relativeFactor: settings.floodRelativeFactor, baselineMinimumSeconds: settings.baselineMinimumSeconds)
        }
        for (key, index) in synIndex.sorted(by: { $0.key < $1.key }) {
            let (destination, port, target) = (key.destination, key.port, synTargets[index])
            for flood in floods(target.timeline, rate: settings.synFloodRate, minimum: settings.synFloodMinimum) {
                let completed = Double(flood.good) / Double(flood.count)
                guard completed <= settings.synFloodCompletedRatio else { continue }
                let total = target.fingerprints.reduce(0) { $0 + $1.count }
                let fingerprint = target.fingerprints.max { ($0.count, $1.fingerprint) < ($1.count, $0.fingerprint) }
                    .map { "\($0.fingerprint.description) on \($0.count) of \(total) SYNs" } ?? ""
                out.append(Detection(kind: .synFlood, technique: "SYN", confidence: 1, fingerprint: fingerprint, sources: target.sources.sorted().map(\.description),
                                     targets: [destination.description], first: flood.first, last: flood.last, ports: 1, packets: flood.count,
                                     evidence: flood.evidence,
                                     summary: String(format: "SYN flood of %@ port %d: %d SYNs at %.0f/s (peak %d in one second, %@) from %@ source(s), %.1f%% handshakes completed",
                                                     "\(destination)", Int(port), flood.count, flood.rate, flood.peak, flood.baselineText,
                                                     target.sources.count < SynTarget.sourcesKept ? "\(target.sources.count)" : "\(SynTarget.sourcesKept)+", completed * 100),
                                     peak: Double(flood.peak), baseline: flood.baseline))
            }
        }
        for destination in packetTargets.keys.sorted() {
            guard let target = packetTargets[destination] else { continue }
            for (timeline, kind, name) in [(target.udp, Detection.Kind.udpFlood, "UDP"), (target.icmp, Detection.Kind.icmpFlood, "ICMP")] {
                for flood in floods(timeline, rate: settings.packetFloodRate, minimum: settings.packetFloodMinimum) {
                    out.append(Detection(kind: kind, technique: name, confidence: 1, fingerprint: "", sources: target.sources.sorted().map(\.description), targets: [destination.description],
                                         first: flood.first, last: flood.last, packets: flood.count, evidence: flood.evidence,
                                         summary: String(format: "%@ flood of %@: %d packets at %.0f/s (peak %d in one second, %@)",
                                                         name, "\(destination)", flood.count, flood.rate, flood.peak, flood.baselineText),
                                         peak: Double(flood.peak), baseline: flood.baseline))
                }
            }
        }
        return out
    }
}

/// Reads a capture through the flow table and every detector.
public struct CaptureAnalysis: Sendable {
    public var packets = 0
    public var tcp = 0, udp = 0, icmp = 0, arp = 0, other = 0, truncated = 0
    /// Flows finished in all, and the ones kept (when asked for).
    public var flowCount = 0
    public var flows: [Flow] = []
    public var detections: [Detection] = []
    /// Packet-derived counter series (when asked for).
    public var series: [Series] = []
    public var problems: [String] = []
    public var linkType = ""
    /// "pcap" or "pcapng", with ".gz" when compressed.
    public var format = ""
    /// First and last packet times (ns since the epoch); nil for an empty capture.
    public var first: UInt64?
    public var last: UInt64?

    /// What a run computes beyond the counts and detections, and who sees each packet and flow.
    public struct Options {
        public var filter: String?
        public var settings = DetectorSettings()
        /// Keep every finished flow in `flows` (off for large captures).
        public var keepFlows = true
        /// Compute the per-host, per-second series, labelled with this capture name.
        public var metricsCapture: String?
        public var onPacket: ((Packet) -> Void)?
        public var onFlow: ((Flow) -> Void)?
        public init(filter: String? = nil, keepFlows: Bool = true) {
            self.filter = filter
            self.keepFlows = keepFlows
        }
    }

    /// Analyses one capture; `keepFlows` keeps every finished flow for listing (off for large captures).
    public static func run(path: String, filter: String? = nil, settings: DetectorSettings = DetectorSettings(), keepFlows: Bool = true) throws(TraceModel.TraceLabError) -> CaptureAnalysis {
        var options = Options(filter: filter, keepFlows: keepFlows)
        options.settings = settings
        return try run(path: path, options: options)
    }

    /// Analyses one capture with the given options.
    public static func run(path: String, options: Options) throws(TraceModel.TraceLabError) -> CaptureAnalysis {
        let reader = try CaptureReader(path: path, filter: options.filter)
        var analysis = CaptureAnalysis()
        analysis.linkType = reader.linkTypeName
        analysis.format = reader.format
        let detectors = Detectors(settings: options.settings)
        let metrics = options.metricsCapture == nil ? nil : PacketMetrics()
        var kept: [Flow] = []
        let keepFlows = options.keepFlows
        let onFlow = options.onFlow
        let table = FlowTable { flows in
            detectors.observe(flows)
            if let metrics { for flow in flows { metrics.observe(flow) } }
            if let onFlow { for flow in flows { onFlow(flow) } }
            if keepFlows { kept.append(contentsOf: flows) }
        }
        // Two threads: libpcap reads and decodes ahead on its own thread; this one runs the flow table and detectors.
        let channel = BatchChannel<Packet>.startProducer(batchSize: 2048) { emit in
            var packet = Packet()
            while reader.next(&packet) { try emit(packet) }
        }
        defer {
            channel.cancel()
            channel.waitUntilFinished()
        }
        while let batch = channel.receive() {
            for (position, packet) in batch.enumerated() {
                if position + 8 < batch.count { table.prefetch(batch[position + 8]) }
                analysis.packets += 1
                if packet.truncated { analysis.truncated += 1 }
                if packet.isTCP { analysis.tcp += 1 } else if packet.isUDP { analysis.udp += 1 } else if packet.isICMP { analysis.icmp += 1 }
                else if packet.network == .arp { analysis.arp += 1 } else { analysis.other += 1 }
                analysis.first = min(analysis.first ?? packet.timestamp, packet.timestamp)
                analysis.last = max(analysis.last ?? packet.timestamp, packet.timestamp)
                detectors.observe(packet)
                metrics?.observe(packet)
                options.onPacket?(packet)
                table.add(packet)
            }
            channel.recycle(consume batch)
        }
        channel.waitUntilFinished()
        table.finish()
        analysis.flowCount = table.finishedCount
        analysis.flows = kept.sorted { $0.firstPacket < $1.firstPacket }
        analysis.detections = detectors.detections()
        if let metrics, let name = options.metricsCapture {
            analysis.series = metrics.series(capture: name)
            if metrics.overflowHosts > 0 { analysis.problems.append("more than \(PacketMetrics.maximumHosts) hosts: the rest are counted as host=\"other\" in the metric series") }
        }
        analysis.problems = reader.problems + analysis.problems
        if table.evicted > 0 { analysis.problems.append("\(table.evicted) flows finished early: more than \(table.maximumFlows) open at once") }
        if detectors.forgottenSources > 0 {
            analysis.problems.append("\(detectors.forgottenSources) sources with a single probe forgotten by the scan detectors: more than \(detectors.maximumSingleProbeSources) at once")
        }
        if analysis.truncated > 0 { analysis.problems.append("\(analysis.truncated) packets with headers cut short or lengths that lie") }
        return analysis
    }
}
