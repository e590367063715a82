import Foundation
import TraceModel

/// Renders query results as Prometheus's HTTP API does (`/api/v1/query`, `/api/v1/query_range`), as a
/// text table, or as CSV; and reads times as the API reads them (RFC 3339 or Unix seconds).
public enum QueryOutput {
    /// Unix seconds (`1700000000.5`) or RFC 3339 (`2023-11-14T22:13:20.5Z`) to milliseconds.
    public static func parseTime(_ text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite { return Int64((seconds * 1000).rounded()) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }

    /// Milliseconds as the API's float seconds: `1700000000`, `1700000000.5`, `1700000000.125`.
    public static func seconds(_ milliseconds: Int64) -> String {
        let whole = milliseconds.quotientAndRemainder(dividingBy: 1000)
        var (secondsPart, fraction) = whole
        if fraction < 0 { secondsPart -= 1; fraction += 1000 }
        guard fraction != 0 else { return String(secondsPart) }
        var digits = String(format: "%03d", Int(fraction))
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(secondsPart).\(digits)"
    }

    private static func metric(_ labels: Labels) -> String {
        "{" + labels.labels.map { "\(jsonString($0.name)):\(jsonString($0.value))" }.joined(separator: ",") + "}"
    }

    static func jsonString(_ text: String) -> String { JSONValue.string(text).rendered }

    private static func point(_ time: Int64, _ value: Double) -> String { "[\(seconds(time)),\"\(value.goText)\"]" }

    /// `{"status":"success","data":{"resultType":...,"result":...}}`, byte for byte as Prometheus writes it.
    public static func prometheusJSON(_ value: PromValue) -> String {
        let (type, result): (String, String)
        switch value {
        case .scalar(let number, let time): (type, result) = ("scalar", point(time, number))
        case .string(let text, let time): (type, result) = ("string", "[\(seconds(time)),\(jsonString(text))]")
        case .vector(let elements):
            type = "vector"
            result = "[" + elements.map { "{\"metric\":\(metric($0.labels)),\"value\":\(point($0.time, $0.value))}" }.joined(separator: ",") + "]"
        case .matrix(let series):
            type = "matrix"
            result = "[" + series.map { one in
                "{\"metric\":\(metric(one.labels)),\"values\":[" + one.samples.map { point($0.timestamp, $0.value) }.joined(separator: ",") + "]}"
            }.joined(separator: ",") + "]"
        }
        return "{\"status\":\"success\",\"data\":{\"resultType\":\"\(type)\",\"result\":\(result)}}"
    }

    /// Prometheus's error body: `{"status":"error","errorType":"bad_data","error":"..."}`.
    public static func prometheusError(_ error: PromQLError, type: String = "bad_data") -> String {
        "{\"status\":\"error\",\"errorType\":\"\(type)\",\"error\":\(jsonString(error.message))}"
    }

    /// Rows of (series, time, value): one per element or point.
    public static func rows(_ value: PromValue) -> [(series: String, time: Int64, value: Double)] {
        switch value {
        case .scalar(let number, let time): return [("scalar", time, number)]
        case .string(let text, let time): return [("\"\(text)\"", time, .nan)]
        case .vector(let elements): return elements.map { ($0.labels.description, $0.time, $0.value) }
        case .matrix(let series): return series.flatMap { one in one.samples.map { (one.labels.description, $0.timestamp, $0.value) } }
        }
    }

    /// CSV with a header: `series,timestamp,value` (timestamps in Unix seconds).
    public static func csv(_ value: PromValue) -> String {
        func field(_ text: String) -> String { text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text }
        return (["series,timestamp,value"] + rows(value).map { "\(field($0.series)),\(seconds($0.time)),\($0.value.goText)" }).joined(separator: "\n") + "\n"
    }
}
