import Foundation
import GRDB
import Packets
import Replay
import Store
import TestSupport
import Testing
import TraceModel

/// Packet captures in the store: packets, flows, detections and metric series written once, read back as
/// the analysis computed them; bad captures leave nothing behind.
@Suite("captures in the store")
struct CaptureStoreTests {
    static func capture(_ name: String) -> String { repositoryRoot.appendingPathComponent("traces/pcaps/\(name).pcap").path }

    @Test("a capture is ingested once: its packets, flows, detections and series as the analysis gives them")
    func ingestCapture() throws {
        let path = temporaryDatabase()
        let store = try TraceStore(path: path)
        let file = Self.capture("hping3-flood-amid-probes")
        let outcome = try CaptureIngest.run(file, into: store)
        var options = CaptureAnalysis.Options(keepFlows: true)
        options.metricsCapture = "hping3-flood-amid-probes"
        let analysis = try CaptureAnalysis.run(path: file, options: options)
        #expect(outcome.status == .ingested && outcome.packets == analysis.packets && outcome.flows == analysis.flows.count)
        #expect(outcome.detections == 1 && outcome.series == analysis.series.count && outcome.format == "pcap")
        #expect(outcome.contentHash == FileBytes.sha256(file))

        let queue = try DatabaseQueue(path: path)
        let counts = try queue.read { db in
            (packets: try Int.fetchOne(db, sql: "SELECT count(*) FROM packets") ?? 0,
             syns: try Int.fetchOne(db, sql: "SELECT count(*) FROM packets WHERE tcp_flags & 18 = 2 AND dst = '192.0.2.2'") ?? 0,
             flows: try Int.fetchOne(db, sql: "SELECT count(*) FROM flows") ?? 0,
             firstHistory: try String.fetchOne(db, sql: "SELECT history FROM flows ORDER BY first_packet LIMIT 1"),
             kind: try String.fetchOne(db, sql: "SELECT kind FROM detections"),
             baseline: try Double.fetchOne(db, sql: "SELECT baseline FROM detections") ?? 0)
        }
        #expect(counts.packets == analysis.packets && counts.syns >= 10_000 && counts.flows == analysis.flows.count)
        #expect(counts.firstHistory == analysis.flows.first?.history && counts.kind == "syn-flood")
        #expect(counts.baseline > 1.5 && counts.baseline < 2.5)
        let stored = try store.series(captureID: outcome.captureID)
        #expect(stored.map(\.labels) == analysis.series.map(\.labels))
        #expect(stored.map(\.samples) == analysis.series.map(\.samples))
        #expect(try store.detections(captureID: outcome.captureID).map(\.sources) == [["192.0.2.1"]])
        #expect(try store.captures().map(\.packetCount) == [analysis.packets])

        let again = try CaptureIngest.run(file, into: store)
        #expect(again.status == .alreadyPresent && again.captureID == outcome.captureID)
        // A filter makes other content: stored apart.
        let filtered = try CaptureIngest.run(file, filter: "tcp port 8080 and tcp[tcpflags] & tcp-syn != 0", into: store)
        #expect(filtered.status == .ingested && filtered.captureID != outcome.captureID && filtered.packets < outcome.packets)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("a capture that cannot be read is refused and leaves nothing behind")
    func badCapture() throws {
        let path = temporaryDatabase()
        let store = try TraceStore(path: path)
        let garbage = Scratch.directory.appendingPathComponent("tracelab-store-\(getpid())-garbage.pcap").path
        try Data([0xA1, 0xB2, 0xC3, 0xD4] + [UInt8](repeating: 0x5A, count: 40)).write(to: URL(fileURLWithPath: garbage))
        #expect { _ = try CaptureIngest.run(garbage, into: store) } throws: { "\($0)".contains("nothing was written") }
        #expect { _ = try CaptureIngest.run("/nonexistent.pcap", into: store) } throws: { "\($0)".contains("/nonexistent.pcap") }
        #expect(try store.captures().isEmpty)
        let packets = try DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM packets") }
        #expect(packets == 0)
    }
}
