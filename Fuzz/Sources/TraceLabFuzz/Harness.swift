import FalcoRules
import Foundation
import Grading
import Metrics
import Packets
import TraceModel
import TraceReaders

/// One libFuzzer entry point for every reader a user's or a student's file reaches; `TRACELAB_FUZZ_TARGET` picks it
/// (`Fuzz/run` sets it per target). An input may be refused with an error; it must never crash, hang or trap.
enum Target: String, CaseIterable {
    case rules, condition, scap, pcap, strace, jsonl, openmetrics, promql, dashboard, archive, submission, document

    static let selected: Target = {
        guard let name = ProcessInfo.processInfo.environment["TRACELAB_FUZZ_TARGET"], let target = Target(rawValue: name) else {
            fatalError("set TRACELAB_FUZZ_TARGET to one of: \(Target.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    /// A file for the readers that take a path, one per process: on tmpfs when the machine has one.
    static let scratch = (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()) + "/tracelab-fuzz-\(getpid())"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .rules:
            let loader = RulesLoader()
            let result = loader.load(bytes: bytes, name: "fuzz.yaml")
            if result.successful, let rule = loader.compiledRules.first { _ = loader.compiledCondition(ofRule: rule.name) }
        case .condition:
            let text = String(decoding: bytes, as: UTF8.self)
            if let node = try? ConditionParser.parse(text, maxDepth: 1000) {
                var compiler = ConditionCompiler()
                _ = try? compiler.compile(node)
                _ = node.text
            }
        case .scap: readEvents(bytes, suffix: ".scap")
        case .strace: readEvents(bytes, suffix: ".strace")
        case .jsonl: readEvents(bytes, suffix: ".jsonl")
        case .pcap:
            let path = Self.write(bytes, suffix: ".pcap")
            _ = try? CaptureAnalysis.run(path: path)
        case .openmetrics:
            let store = MetricStore()
            _ = ExpositionReader().read(bytes, name: "fuzz.om", into: store)
            if let range = store.timeRange, let expr = try? PromQLParser.parse("sum by (job) (rate({__name__=~\".+\"}[1m]))") {
                _ = try? PromQLEngine(store: store).range(expr, start: range.lowerBound, end: range.upperBound, step: max(1000, (range.upperBound - range.lowerBound) / 100))
            }
        case .promql:
            guard let expr = try? PromQLParser.parse(String(decoding: bytes, as: UTF8.self)) else { return }
            let engine = PromQLEngine(store: Self.metrics)
            engine.maximumSamples = 1_000_000
            _ = try? engine.instant(expr, at: 60_000)
            if expr.type == .vector || expr.type == .scalar { _ = try? engine.range(expr, start: 0, end: 120_000, step: 15_000) }
        case .dashboard:
            guard let parsed = try? GrafanaDashboard.parse(bytes, name: "fuzz.json") else { return }
            let evaluator = PanelEvaluator(store: Self.metrics)
            let board = parsed.resolvingVariables(with: evaluator)
            for panel in board.panels.prefix(4) { _ = evaluator.evaluate(panel, variables: board.variables) }
        case .archive:
            if SubmissionArchive.kind(bytes) != nil { _ = try? SubmissionArchive.read(bytes, name: "fuzz.zip") }
        case .submission:
            let path = Self.write(bytes, suffix: ".zip")
            _ = try? Submission.load(path: path)
        case .document:
            // A .docx or .odt as handed in (a zip), and its body part's XML as it is inside.
            if SubmissionArchive.kind(bytes) == "zip" {
                _ = try? DocumentText.text(of: bytes, kind: .officeOpenXML, name: "fuzz.docx")
                _ = try? DocumentText.text(of: bytes, kind: .openDocument, name: "fuzz.odt")
            } else {
                _ = DocumentText.officeOpenXML(bytes)
                _ = DocumentText.openDocument(bytes)
            }
        }
    }

    /// A small series set for PromQL and dashboards: two counters and a gauge over two minutes.
    static let metrics: MetricStore = {
        let store = MetricStore()
        for second in stride(from: 0, through: 120, by: 5) {
            let time = Int64(second) * 1000
            store.append(Labels(name: "requests_total", [("job", "a"), ("pod", "web")]), time, Double(second * 3))
            store.append(Labels(name: "requests_total", [("job", "b"), ("pod", "db")]), time, Double(second))
            store.append(Labels(name: "memory_bytes", [("job", "a"), ("pod", "web")]), time, Double(1000 + second))
        }
        return store
    }()

    static func write(_ bytes: [UInt8], suffix: String) -> String {
        let path = scratch + suffix
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Reads every event of a trace (at most 100,000, as a bound on the time one input may take).
    func readEvents(_ bytes: [UInt8], suffix: String) {
        let path = Self.write(bytes, suffix: suffix)
        guard let (stream, _) = try? TraceFiles.open(path) else { return }
        var count = 0
        while count < 100_000, let event = try? stream.next() {
            _ = event.thread?.name
            count += 1
        }
    }
}

/// One input, as libFuzzer hands it over (the symbol libFuzzer's runtime expects, and the driver's callback).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    Target.selected.run(bytes)
    return 0
}

/// libFuzzer's driver (in the runtime `-sanitize=fuzzer` links): parses libFuzzer's flags and runs the callback.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
