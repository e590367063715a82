import Foundation
import GRDB
import Metrics
import TraceModel

/// What ingesting one metrics file (OpenMetrics or Prometheus text) did.
public struct MetricIngestOutcome: Sendable {
    public var path: String
    public var status: IngestOutcome.Status
    public var fileID: Int64
    public var contentHash: String
    public var format: String
    public var series: Int
    public var samples: Int
    /// Bad lines (file:line:column), dropped out-of-order samples.
    public var problems: [String]
}

extension TraceStore {
    /// Ingests a metrics file in one transaction, once by content: every series and sample. Bad lines are
    /// reported and skipped, as Prometheus's backfill skips them; a file with no sample at all is refused.
    public func ingestMetrics(path: String, format: ExpositionReader.Format = .automatic) throws(StoreError) -> MetricIngestOutcome {
        guard let hash = FileBytes.sha256(path) else {
            throw StoreError(path: self.path, message: "\(path): cannot read the file; nothing was written")
        }
        if let existing = try read({ db in try Row.fetchOne(db, sql: "SELECT id, format, series_count, sample_count FROM metric_files WHERE content_hash = ?", arguments: [hash]) }) {
            return MetricIngestOutcome(path: path, status: .alreadyPresent, fileID: existing["id"], contentHash: hash, format: existing["format"],
                                       series: existing["series_count"], samples: existing["sample_count"], problems: [])
        }
        let loaded: (store: MetricStore, outcome: ExpositionReader.Outcome)
        do { loaded = try MetricStore.load(path: path, format: format) } catch {
            throw StoreError(path: self.path, message: "\(error); nothing was written")
        }
        let (memory, outcome) = loaded
        let series = memory.series.map { Series(labels: $0.labels, samples: zip($0.timestamps, $0.values).map { Sample(timestamp: $0, value: $1) }) }
        let first = memory.timeRange?.lowerBound, last = memory.timeRange?.upperBound
        return try write { db in
            try db.execute(sql: """
                INSERT INTO metric_files (content_hash, source_path, format, series_count, sample_count, first_ms, last_ms, problems, ingested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                """, arguments: [hash, path, outcome.format.rawValue, series.count, outcome.samples, first, last,
                                 JSONValue.array(outcome.problems.map { .string($0) }).rendered])
            let fileID = db.lastInsertedRowID
            let samples = try Self.insertSeries(series, captureID: nil, fileID: fileID, db: db)
            return MetricIngestOutcome(path: path, status: .ingested, fileID: fileID, contentHash: hash, format: outcome.format.rawValue,
                                       series: series.count, samples: samples, problems: outcome.problems)
        }
    }
}
