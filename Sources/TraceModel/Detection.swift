/// What a detector found in a recording: a scan, sweep or flood in a capture's packets (the packet
/// detectors), or a pod's CPU or memory denial of service in metric series (the DoS detector). One type,
/// so the store, scenario checks, `tracelab detect` and reports treat every detection alike.
public struct Detection: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case portScan = "port-scan", subnetScan = "subnet-scan", sweep, pingSweep = "ping-sweep"
        case synFlood = "syn-flood", udpFlood = "udp-flood", icmpFlood = "icmp-flood"
        case cpuDoS = "cpu-dos", memoryDoS = "memory-dos"

        /// The kinds the packet detectors report (the others come from metric series).
        public var isPacketKind: Bool { self != .cpuDoS && self != .memoryDoS }
    }

    public var kind: Kind
    /// How: SYN, connect, FIN, NULL, XMAS, ACK, UDP, ARP, ICMP echo... for scans; the flooded protocol; the
    /// DoS signal (`cpu` or `memory`).
    public var technique: String
    /// 0...1: how sure the technique is, from the probes' fingerprint.
    public var confidence: Double = 1
    /// The tool the probes look like (window, options, TTL), when known.
    public var fingerprint = ""
    /// Who: packet source addresses (none for a DoS).
    public var sources: [String] = []
    /// What was hit: addresses, or the pod as `namespace/pod`.
    public var targets: [String]
    /// The span, in nanoseconds since the epoch (0 when a sweep does not keep times).
    public var first: UInt64
    public var last: UInt64
    /// Distinct destination ports probed, and those answered as open (SYN+ACK, or UDP data back).
    public var ports = 0
    public var openPorts: [UInt16] = []
    public var packets = 0
    /// Packet numbers of the first probes or flood packets.
    public var evidence: [Int] = []
    public var summary: String
    /// Floods: the busiest second's packets; a DoS: the highest value over the stretch (cores, or bytes of growth).
    public var peak: Double = 0
    /// A DoS: the mean over the stretch.
    public var mean: Double?
    /// What the peak stands against (a destination's own rate over the capture's other seconds; a pod's
    /// median or starting working set), nil when there was too little to measure it; and how it was measured.
    public var baseline: Double?
    public var baselineSource: String?

    public init(kind: Kind, technique: String, confidence: Double = 1, fingerprint: String = "", sources: [String] = [], targets: [String],
                first: UInt64, last: UInt64, ports: Int = 0, openPorts: [UInt16] = [], packets: Int = 0, evidence: [Int] = [], summary: String,
                peak: Double = 0, mean: Double? = nil, baseline: Double? = nil, baselineSource: String? = nil) {
        self.kind = kind
        self.technique = technique
        self.confidence = confidence
        self.fingerprint = fingerprint
        self.sources = sources
        self.targets = targets
        self.first = first
        self.last = last
        self.ports = ports
        self.openPorts = openPorts
        self.packets = packets
        self.evidence = evidence
        self.summary = summary
        self.peak = peak
        self.mean = mean
        self.baseline = baseline
        self.baselineSource = baselineSource
    }

    /// A DoS's pod and namespace (its target `namespace/pod`); empty for packet detections.
    public var pod: String { kind.isPacketKind ? "" : String(targets.first?.split(separator: "/", maxSplits: 1).last ?? "") }
    public var namespace: String {
        guard !kind.isPacketKind, let target = targets.first, let slash = target.firstIndex(of: "/") else { return "" }
        return String(target[..<slash])
    }
}

extension Detection {
    /// The detection as `tracelab detect --format json` writes it, with the file it was found in.
    public func json(file: String) -> JSONValue {
        func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }
        return .object([
            ("file", .string(file)), ("kind", .string(kind.rawValue)), ("technique", .string(technique)),
            ("confidence", .double(confidence)), ("fingerprint", .string(fingerprint)),
            ("sources", .array(sources.map { .string($0) })), ("targets", .array(targets.map { .string($0) })),
            ("ports", .integer(Int64(ports))), ("open_ports", .array(openPorts.map { .integer(Int64($0)) })),
            ("first_ns", .unsigned(first)), ("last_ns", .unsigned(last)), ("packets", .integer(Int64(packets))),
            ("evidence_packets", .array(evidence.map { .integer(Int64($0)) })),
            ("peak", .double(peak)), ("mean", number(mean)), ("baseline", number(baseline)), ("baseline_source", baselineSource.map { .string($0) } ?? .null),
            ("summary", .string(summary)),
        ])
    }
}
