import FalcoRules
import Foundation
import Store
import TraceModel
import TraceReaders

/// The one replay loop: events from any reader, a trace file or the course database, through a rule engine or a
/// condition. Every reader is told which event types matter (`EventStream.wants`), so a scap capture skips
/// building the events no enabled rule can match and every reader returns only those; commands, scenario checks,
/// grading and benchmarks all replay through here, so they measure and report the same thing.
public enum TraceReplay {
    /// Replays a stream through the engine: each alert goes to `onAlert` with the event that raised it.
    /// Returns the number of events read (those of types no enabled rule handles included).
    @discardableResult
    public static func run(_ stream: EventStream, through engine: RuleEngine,
                           onAlert: (Alert, Event) throws -> Void) throws -> Int {
        let before = stream.eventsRead
        stream.wants = { engine.handles(eventType: $0) }
        while let event = try stream.next() {
            for alert in engine.process(event) { try onAlert(alert, event) }
        }
        return stream.eventsRead - before
    }

    /// Hands `onMatch` every event of `types` that the compiled condition accepts, until it returns false.
    public static func filter(_ stream: EventStream, types: EventTypeSet, predicate: EventPredicate,
                              onMatch: (Event) throws -> Bool) throws {
        if !types.isAll { stream.wants = { types.contains($0) } }
        while let event = try stream.next() {
            if predicate(event), try !onMatch(event) { return }
        }
    }
}

extension RunSetup {
    /// The setup of a run of this rule engine: its rules files (path and SHA-256, in load order) and settings.
    public init(rulesFiles: [(path: String, sha256: String)], config: JSONValue) {
        self.init(rulesFiles: rulesFiles, config: config, engineVersion: "TraceLab rule engine \(RulesLoader.engineVersion)")
    }
}

/// An event read from the store on its way to the engine, with where it is stored.
struct StoredEvent: @unchecked Sendable {
    var event: Event
    var traceID: Int64
    var sequence: Int64
}

extension TraceReplay {
    /// Replays stored traces in recorded order through an engine, stores the run and its alerts, and hands each
    /// alert to `onAlert` with its event as it is raised. A reader thread decodes events while this one evaluates them; alerts are
    /// written in batches, so memory stays flat however long the traces. The run says `running` until it completes,
    /// `failed` if the replay stops on an error.
    @discardableResult
    public static func run(traceIDs: [Int64], from store: TraceStore, through engine: RuleEngine, setup: RunSetup,
                           onAlert: (Alert, Event) -> Void) throws(StoreError) -> StoredRun {
        let recorder = try store.beginRun(setup: setup, traceIDs: traceIDs)
        let channel = BatchChannel<StoredEvent>.startProducer(batchSize: 1024) { emit in
            for traceID in traceIDs {
                try store.forEachEvent(traceID: traceID) { event, sequence, _ in try emit(StoredEvent(event: event, traceID: traceID, sequence: sequence)) }
            }
        }
        defer {
            channel.cancel()
            channel.waitUntilFinished()
        }
        var events: Int64 = 0
        do {
            while let batch = channel.receive() {
                for stored in batch {
                    for alert in engine.process(stored.event) {
                        onAlert(alert, stored.event)
                        try recorder.record(alert, traceID: stored.traceID, sequence: stored.sequence)
                    }
                }
                events += Int64(batch.count)
                channel.recycle(consume batch)
            }
            if let failure = channel.failure { throw failure }
            return try recorder.finish(eventCount: events)
        } catch {
            recorder.fail()
            throw StoreError.wrap(error, path: store.path, doing: "replay")
        }
    }
}
