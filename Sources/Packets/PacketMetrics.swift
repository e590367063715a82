import TraceModel

/// Per-host, per-second counters derived from a capture, written as Prometheus counter series so PromQL
/// panels (`rate(pcap_tcp_syn_total{direction="received"}[1m])`) run on captures as they run on scraped
/// metrics. Every host is sampled once per second from its first packet to the end of the capture, as a
/// scraper would see a counter; a longer step is used when that would exceed `maximumSamples`.
///
/// Series (labels `capture`, `host`, and `direction` or `role`):
/// - `pcap_packets_total`, `pcap_bytes_total` (wire bytes), `direction` sent or received;
/// - `pcap_tcp_syn_total` (SYN without ACK) and `pcap_tcp_rst_total`, by `direction`;
/// - `pcap_tcp_connections_total` (flows opened by a SYN) and `pcap_tcp_failed_connections_total` (of
///   those, the ones whose handshake never completed), `role` originator or responder, counted in the
///   second the connection was attempted.
public final class PacketMetrics {
    /// Hosts tracked one by one; packets of further hosts are counted under `host="other"`.
    public static let maximumHosts = 10_000
    /// Samples written in all; beyond it the step grows from one second.
    public static let maximumSamples = 5_000_000

    enum Counter: Int, CaseIterable {
        case packetsSent, packetsReceived, bytesSent, bytesReceived, synSent, synReceived, rstSent, rstReceived
        case connectionsOriginated, connectionsAccepted, failedOriginated, failedAccepted

        var metric: (name: String, label: (String, String)) {
            switch self {
            case .packetsSent: ("pcap_packets_total", ("direction", "sent"))
            case .packetsReceived: ("pcap_packets_total", ("direction", "received"))
            case .bytesSent: ("pcap_bytes_total", ("direction", "sent"))
            case .bytesReceived: ("pcap_bytes_total", ("direction", "received"))
            case .synSent: ("pcap_tcp_syn_total", ("direction", "sent"))
            case .synReceived: ("pcap_tcp_syn_total", ("direction", "received"))
            case .rstSent: ("pcap_tcp_rst_total", ("direction", "sent"))
            case .rstReceived: ("pcap_tcp_rst_total", ("direction", "received"))
            case .connectionsOriginated: ("pcap_tcp_connections_total", ("role", "originator"))
            case .connectionsAccepted: ("pcap_tcp_connections_total", ("role", "responder"))
            case .failedOriginated: ("pcap_tcp_failed_connections_total", ("role", "originator"))
            case .failedAccepted: ("pcap_tcp_failed_connections_total", ("role", "responder"))
            }
        }
    }
    private static let counterCount = Counter.allCases.count

    /// One host's per-second increments: second → offset of its counters in `increments`.
    private struct Host {
        var seconds: [Int64: Int] = [:]
        var increments: [UInt64] = []
        var firstSecond = Int64.max

        mutating func add(_ counter: Counter, _ amount: UInt64, at second: Int64) {
            let offset: Int
            if let known = seconds[second] {
                offset = known
            } else {
                offset = increments.count
                seconds[second] = offset
                increments += repeatElement(0, count: PacketMetrics.counterCount)
            }
            increments[offset + counter.rawValue] &+= amount
            firstSecond = min(firstSecond, second)
        }
    }
    private var hosts: [PacketAddress: Host] = [:]
    private var other = Host()
    private var lastSecond = Int64.min
    /// Hosts beyond `maximumHosts`, counted under `host="other"`.
    public private(set) var overflowHosts = 0

    public init() {}

    private func add(_ counter: Counter, _ amount: UInt64, host: PacketAddress, at second: Int64) {
        if hosts[host] == nil, hosts.count >= Self.maximumHosts {
            overflowHosts += 1
            other.add(counter, amount, at: second)
            return
        }
        hosts[host, default: Host()].add(counter, amount, at: second)
    }

    /// Counts one packet (IP packets only: ARP and other frames have no host address here).
    public func observe(_ packet: Packet) {
        guard packet.network == .ipv4 || packet.network == .ipv6 else { return }
        let second = Int64(packet.timestamp / 1_000_000_000)
        lastSecond = max(lastSecond, second)
        let bytes = UInt64(packet.wireLength)
        add(.packetsSent, 1, host: packet.source, at: second)
        add(.bytesSent, bytes, host: packet.source, at: second)
        add(.packetsReceived, 1, host: packet.destination, at: second)
        add(.bytesReceived, bytes, host: packet.destination, at: second)
        guard packet.isTCP else { return }
        if packet.tcpFlags & (Packet.syn | Packet.ack) == Packet.syn {
            add(.synSent, 1, host: packet.source, at: second)
            add(.synReceived, 1, host: packet.destination, at: second)
        }
        if packet.tcpFlags & Packet.rst != 0 {
            add(.rstSent, 1, host: packet.source, at: second)
            add(.rstReceived, 1, host: packet.destination, at: second)
        }
    }

    /// Counts one finished TCP flow opened by a SYN, in the second it was attempted.
    public func observe(_ flow: Flow) {
        guard flow.ipProtocol == 6, flow.firstFlags & (Packet.syn | Packet.ack) == Packet.syn else { return }
        let second = Int64(flow.first / 1_000_000_000)
        add(.connectionsOriginated, 1, host: flow.originator, at: second)
        add(.connectionsAccepted, 1, host: flow.responder, at: second)
        if !flow.completedHandshake {
            add(.failedOriginated, 1, host: flow.originator, at: second)
            add(.failedAccepted, 1, host: flow.responder, at: second)
        }
    }

    /// The counter series, sorted by labels. A sample at second `s` (timestamp `(s + 1) * 1000` ms) holds
    /// everything counted before the end of that second. Series that stay zero are left out.
    public func series(capture: String) -> [Series] {
        var named = hosts.map { ($0.key.description, $0.value) }
        if overflowHosts > 0 { named.append(("other", other)) }
        guard lastSecond != Int64.min else { return [] }
        // One step for the whole capture, so every series shares one sample grid.
        let perSeries = named.reduce(0) { total, entry in total + Int(max(0, lastSecond - entry.1.firstSecond + 1)) * Self.counterCount }
        let step = Int64(max(1, (perSeries + Self.maximumSamples - 1) / Self.maximumSamples))
        var out: [Series] = []
        for (name, host) in named {
            let ordered = host.seconds.sorted { $0.key < $1.key }
            for counter in Counter.allCases {
                guard ordered.contains(where: { host.increments[$0.value + counter.rawValue] != 0 }) else { continue }
                var samples: [Sample] = []
                var total: UInt64 = 0
                var next = 0
                var second = host.firstSecond
                while second <= lastSecond {
                    let end = min(second + step - 1, lastSecond)
                    while next < ordered.count, ordered[next].key <= end {
                        total &+= host.increments[ordered[next].value + counter.rawValue]
                        next += 1
                    }
                    samples.append(Sample(timestamp: (end + 1) * 1000, value: Double(total)))
                    second += step
                }
                let metric = counter.metric
                out.append(Series(labels: Labels(name: metric.name, [("capture", capture), ("host", name), metric.label]), samples: samples))
            }
        }
        return out.sorted { $0.labels < $1.labels }
    }
}
