import Packets
import Store

/// Ingesting a packet capture: it is decoded and its flows, scan/DoS detections and per-second series are
/// computed here, while the store writes the rows in one transaction.
public enum CaptureIngest {
    /// Ingests the capture at `path` (pcap or pcapng, plain or gzip) into `store`, keeping only the packets
    /// that pass the BPF `filter` when one is given. A capture already stored (same content and filter) is not
    /// read again.
    public static func run(_ path: String, filter: String? = nil, into store: TraceStore) throws(StoreError) -> CaptureIngestOutcome {
        try store.ingestCapture(path: path, filter: filter) { rows in
            var options = CaptureAnalysis.Options(filter: filter, keepFlows: false)
            options.metricsCapture = CaptureReader.name(of: path)
            options.onPacket = { rows.insert($0) }
            options.onFlow = { rows.insert($0) }
            return try CaptureAnalysis.run(path: path, options: options)
        }
    }
}
