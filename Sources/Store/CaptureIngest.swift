import Foundation
import GRDB
import GRDBSQLite
import Packets
import TraceModel

/// What ingesting one packet capture did.
public struct CaptureIngestOutcome: Sendable {
    public var path: String
    public var status: IngestOutcome.Status
    public var captureID: Int64
    public var contentHash: String
    public var format: String
    public var packets: Int
    public var flows: Int
    public var detections: Int
    public var series: Int
    public var samples: Int
    /// What the reading reported without failing (a cut last record, truncated headers...).
    public var problems: [String]
}

/// A stored capture, as `tracelab traces` lists it.
public struct StoredCapture: Sendable, Equatable {
    public var id: Int64
    public var contentHash: String
    public var sourcePath: String
    public var format: String
    public var linkType: String
    public var packetCount: Int
    public var flowCount: Int
    public var detectionCount: Int
    public var firstTimestamp: Int64?
    public var lastTimestamp: Int64?
}

extension TraceStore {
    /// Stores a pcap or pcapng capture (plain or gzip) in one transaction: a row per packet with its decoded
    /// headers, the flows, the detections and the per-host, per-second metric series. The store only keeps what
    /// `analyze` produces: it hands `analyze` the row writer for packets and flows as they are decoded (so a
    /// capture never sits whole in memory) and stores the summary, detections and series it returns. Idempotent
    /// by content (the file's SHA-256, and the BPF filter when one is given): `analyze` is not called for a
    /// capture already stored.
    public func ingestCapture(path: String, filter: String? = nil, analyze: (CaptureRows) throws -> CaptureAnalysis)
        throws(StoreError) -> CaptureIngestOutcome {
        guard let fileHash = FileBytes.sha256(path) else {
            throw StoreError(path: self.path, message: "\(path): cannot read the file; nothing was written")
        }
        let hash = filter.map { SHA256.hex(Array((fileHash + "\nfilter: " + $0).utf8)) } ?? fileHash
        if let existing = try read({ db in try StoredCapture.fetch(db, whereSQL: "content_hash = ?", [hash]).first }) {
            return CaptureIngestOutcome(path: path, status: .alreadyPresent, captureID: existing.id, contentHash: hash, format: existing.format,
                                        packets: existing.packetCount, flows: existing.flowCount, detections: existing.detectionCount,
                                        series: 0, samples: 0, problems: [])
        }
        var status = stat()
        let size = stat(path, &status) == 0 ? Int64(status.st_size) : 0
        do {
            return try pool.write { db -> CaptureIngestOutcome in
                try db.execute(sql: """
                    INSERT INTO captures (content_hash, source_path, format, link_type, size_bytes, packet_count, tcp_count, udp_count, icmp_count,
                        arp_count, other_count, truncated_count, flow_count, problems, ingested_at)
                    VALUES (?, ?, '', '', ?, 0, 0, 0, 0, 0, 0, 0, 0, '[]', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                    """, arguments: [hash, path, size])
                let captureID = db.lastInsertedRowID
                let writer = try CaptureRows(db: db, captureID: captureID)
                let analysis: CaptureAnalysis
                do { analysis = try analyze(writer) } catch {
                    throw StoreError(path: self.path, message: "\(error); nothing was written")
                }
                if let failure = writer.failure { throw failure }
                try db.execute(sql: """
                    UPDATE captures SET format = ?, link_type = ?, packet_count = ?, tcp_count = ?, udp_count = ?, icmp_count = ?, arp_count = ?,
                        other_count = ?, truncated_count = ?, flow_count = ?, first_ts = ?, last_ts = ?, problems = ? WHERE id = ?
                    """, arguments: [analysis.format, analysis.linkType, analysis.packets, analysis.tcp, analysis.udp, analysis.icmp, analysis.arp,
                                     analysis.other, analysis.truncated, analysis.flowCount, analysis.first.map { Int64(bitPattern: $0) },
                                     analysis.last.map { Int64(bitPattern: $0) },
                                     JSONValue.array(analysis.problems.map { .string($0) }).rendered, captureID])
                for (position, detection) in analysis.detections.enumerated() {
                    try db.execute(sql: """
                        INSERT INTO detections (capture_id, position, kind, technique, confidence, fingerprint, sources, targets, ports, open_ports,
                            first_ts, last_ts, packets, peak_per_second, baseline, evidence_packets, summary)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [captureID, position, detection.kind.rawValue, detection.technique, detection.confidence, detection.fingerprint,
                                         JSONValue.array(detection.sources.map { .string($0) }).rendered,
                                         JSONValue.array(detection.targets.map { .string($0) }).rendered,
                                         detection.ports, JSONValue.array(detection.openPorts.map { .integer(Int64($0)) }).rendered,
                                         Int64(bitPattern: detection.first), Int64(bitPattern: detection.last), detection.packets,
                                         Int(detection.peak), detection.baseline,
                                         JSONValue.array(detection.evidence.map { .integer(Int64($0)) }).rendered, detection.summary])
                }
                let samples = try Self.insertSeries(analysis.series, captureID: captureID, db: db)
                return CaptureIngestOutcome(path: path, status: .ingested, captureID: captureID, contentHash: hash, format: analysis.format,
                                            packets: analysis.packets, flows: analysis.flowCount, detections: analysis.detections.count,
                                            series: analysis.series.count, samples: samples, problems: analysis.problems)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, path: self.path, doing: "ingest \(path)")
        }
    }

    /// Writes series and their samples; returns the number of samples.
    static func insertSeries(_ series: [Series], captureID: Int64?, fileID: Int64? = nil, db: Database) throws -> Int {
        let insertSample = try db.makeStatement(sql: "INSERT INTO metric_samples (series_id, ts_ms, value) VALUES (?, ?, ?)")
        var count = 0
        for one in series {
            let labels = JSONValue.object(one.labels.labels.map { ($0.name, .string($0.value)) }).rendered
            try db.execute(sql: "INSERT INTO metric_series (capture_id, file_id, metric, labels) VALUES (?, ?, ?, ?)",
                           arguments: [captureID, fileID, one.labels.metricName ?? "", labels])
            let seriesID = db.lastInsertedRowID
            let statement = insertSample.sqliteStatement
            for sample in one.samples {
                sqlite3_reset(statement)
                sqlite3_bind_int64(statement, 1, seriesID)
                sqlite3_bind_int64(statement, 2, sample.timestamp)
                sqlite3_bind_double(statement, 3, sample.value)
                let code = sqlite3_step(statement)
                guard code == SQLITE_DONE else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
                }
                count += 1
            }
        }
        return count
    }

    /// The stored captures, oldest first.
    public func captures() throws(StoreError) -> [StoredCapture] {
        try read { db in try StoredCapture.fetch(db, whereSQL: "1", []) }
    }

    /// The series stored for a capture (all stored series when nil: captures' and metric files'), with
    /// their samples, sorted by labels.
    public func series(captureID: Int64? = nil) throws(StoreError) -> [Series] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, labels FROM metric_series" + (captureID == nil ? "" : " WHERE capture_id = ?"),
                                        arguments: captureID.map { [$0] } ?? [])
            var out: [Series] = []
            for row in rows {
                guard case .object(let fields)? = try? JSONParser.parse(Array((row["labels"] as String).utf8)) else { continue }
                let labels = Labels(fields.compactMap { name, value in if case .string(let text) = value { Label(name, text) } else { nil } })
                let samples = try Row.fetchAll(db, sql: "SELECT ts_ms, value FROM metric_samples WHERE series_id = ? ORDER BY ts_ms",
                                               arguments: [row["id"] as Int64]).map { Sample(timestamp: $0["ts_ms"], value: $0["value"]) }
                out.append(Series(labels: labels, samples: samples))
            }
            return out.sorted { $0.labels < $1.labels }
        }
    }

    /// The stored detections of a capture, in detection order.
    public func detections(captureID: Int64) throws(StoreError) -> [(kind: String, technique: String, sources: [String], summary: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT kind, technique, sources, summary FROM detections WHERE capture_id = ? ORDER BY position", arguments: [captureID]).map { row in
                var sources: [String] = []
                if case .array(let items)? = try? JSONParser.parse(Array((row["sources"] as String).utf8)) {
                    sources = items.compactMap { if case .string(let text) = $0 { text } else { nil } }
                }
                return (row["kind"], row["technique"], sources, row["summary"])
            }
        }
    }
}

extension StoredCapture {
    static func fetch(_ db: Database, whereSQL: String, _ arguments: StatementArguments) throws -> [StoredCapture] {
        try Row.fetchAll(db, sql: """
            SELECT c.*, (SELECT count(*) FROM detections d WHERE d.capture_id = c.id) AS detection_count
            FROM captures c WHERE \(whereSQL) ORDER BY c.id
            """, arguments: arguments).map { row in
            StoredCapture(id: row["id"], contentHash: row["content_hash"], sourcePath: row["source_path"], format: row["format"], linkType: row["link_type"],
                          packetCount: row["packet_count"], flowCount: row["flow_count"], detectionCount: row["detection_count"],
                          firstTimestamp: row["first_ts"], lastTimestamp: row["last_ts"])
        }
    }
}

/// Writes a capture's packet and flow rows with prepared statements while it is decoded; the first failure is
/// kept (the reading cannot be stopped from a callback) and thrown after the reading, and nothing is stored.
public final class CaptureRows {
    let captureID: Int64
    private let insertPacket: Statement
    private let insertFlow: Statement
    private(set) var failure: Error?

    fileprivate init(db: Database, captureID: Int64) throws {
        self.captureID = captureID
        insertPacket = try db.makeStatement(sql: """
            INSERT INTO packets (capture_id, num, ts, wire_len, cap_len, network, src, dst, proto, sport, dport, tcp_flags, icmp_type, icmp_code, truncated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertFlow = try db.makeStatement(sql: """
            INSERT INTO flows (capture_id, first_packet, proto, orig, orig_port, resp, resp_port, first_ts, last_ts, orig_packets, resp_packets,
                orig_bytes, resp_bytes, state, history)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// Writes a decoded packet's row.
    public func insert(_ packet: Packet) {
        guard failure == nil else { return }
        let statement = insertPacket.sqliteStatement
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        sqlite3_bind_int64(statement, 1, captureID)
        sqlite3_bind_int64(statement, 2, Int64(packet.number))
        sqlite3_bind_int64(statement, 3, Int64(bitPattern: packet.timestamp))
        sqlite3_bind_int64(statement, 4, Int64(packet.wireLength))
        sqlite3_bind_int64(statement, 5, Int64(packet.capturedLength))
        let network: String
        switch packet.network {
        case .ipv4: network = "ipv4"
        case .ipv6: network = "ipv6"
        case .arp: network = "arp"
        case .none, .other: network = "other"
        }
        bindText(statement, 6, network)
        if packet.network == .ipv4 || packet.network == .ipv6 || packet.network == .arp {
            bindText(statement, 7, packet.source.description)
            bindText(statement, 8, packet.destination.description)
        }
        if packet.network == .ipv4 || packet.network == .ipv6 {
            sqlite3_bind_int64(statement, 9, Int64(packet.ipProtocol))
            if packet.isTCP || packet.isUDP {
                sqlite3_bind_int64(statement, 10, Int64(packet.sourcePort))
                sqlite3_bind_int64(statement, 11, Int64(packet.destinationPort))
            }
            if packet.isTCP { sqlite3_bind_int64(statement, 12, Int64(packet.tcpFlags)) }
            if packet.isICMP {
                sqlite3_bind_int64(statement, 13, Int64(packet.icmpType))
                sqlite3_bind_int64(statement, 14, Int64(packet.icmpCode))
            }
        }
        sqlite3_bind_int64(statement, 15, packet.truncated ? 1 : 0)
        step(statement)
    }

    /// Writes a finished flow's row.
    public func insert(_ flow: Flow) {
        guard failure == nil else { return }
        let statement = insertFlow.sqliteStatement
        sqlite3_reset(statement)
        sqlite3_bind_int64(statement, 1, captureID)
        sqlite3_bind_int64(statement, 2, Int64(flow.firstPacket))
        bindText(statement, 3, flow.ipProtocol == 6 ? "tcp" : "udp")
        bindText(statement, 4, flow.originator.description)
        sqlite3_bind_int64(statement, 5, Int64(flow.originatorPort))
        bindText(statement, 6, flow.responder.description)
        sqlite3_bind_int64(statement, 7, Int64(flow.responderPort))
        sqlite3_bind_int64(statement, 8, Int64(bitPattern: flow.first))
        sqlite3_bind_int64(statement, 9, Int64(bitPattern: flow.last))
        sqlite3_bind_int64(statement, 10, Int64(flow.packets.originator))
        sqlite3_bind_int64(statement, 11, Int64(flow.packets.responder))
        sqlite3_bind_int64(statement, 12, Int64(flow.bytes.originator))
        sqlite3_bind_int64(statement, 13, Int64(flow.bytes.responder))
        bindText(statement, 14, flow.state)
        bindText(statement, 15, flow.history)
        step(statement)
    }

    private func step(_ statement: OpaquePointer) {
        let code = sqlite3_step(statement)
        if code != SQLITE_DONE {
            failure = DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))))
        }
    }
}
