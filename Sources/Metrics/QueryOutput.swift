import Foundation
import TraceModel

/// Renders query results as Prometheus's HTTP API does (`/api/v1/query`, `/api/v1/query_range`), as a
/// text table, or as CSV; and reads times as the API reads them (RFC 3339 or Unix seconds).
public enum QueryOutput {
    /// Unix seconds (`1700000000.5`) or RFC 3339 (`2023-11-14T22:13:20.5Z`) to milliseconds.
    public static func parseTime(_ text: String) -> Int64? {
        // Times past 64-bit milliseconds are no times (nil), not a trap.
        if let seconds = Double(text), seconds.isFinite { return Int64(exactly: (seconds * 1000).rounded()) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64(exactly: (date.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }

    /// Milliseconds as the API's float seconds: `1700000000`, `1700000000.5`, `1700000000.125`.
    public static func seconds(_ milliseconds: Int64) -> String {
        var text = ""
        appendSeconds(milliseconds, to: &text)
        return text
    }

    static func appendSeconds(_ milliseconds: Int64, to text: inout String) {
        var (whole, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        if fraction < 0 { whole -= 1; fraction += 1000 }
        text += String(whole)
        guard fraction != 0 else { return }
        text += "."
        var digits = Int(fraction), width = 3
        while digits % 10 == 0 { digits /= 10; width -= 1 }
        let rendered = String(digits)
        if rendered.count < width { text += String(repeating: "0", count: width - rendered.count) }
        text += rendered
    }

    private static func metric(_ labels: Labels) -> String {
        "{" + labels.labels.map { "\(jsonString($0.name)):\(jsonString($0.value))" }.joined(separator: ",") + "}"
    }

    static func jsonString(_ text: String) -> String { JSONValue.string(text).rendered }

    private static func appendPoint(_ time: Int64, _ value: Double, to text: inout String) {
        text += "["
        appendSeconds(time, to: &text)
        text += ",\""
        text += value.goText
        text += "\"]"
    }

    /// `{"status":"success","data":{"resultType":...,"result":...}}`, byte for byte as Prometheus writes it.
    public static func prometheusJSON(_ value: PromValue) -> String {
        var text = "{\"status\":\"success\",\"data\":{\"resultType\":"
        switch value {
        case .scalar(let number, let time):
            text += "\"scalar\",\"result\":"
            appendPoint(time, number, to: &text)
        case .string(let string, let time):
            text += "\"string\",\"result\":["
            appendSeconds(time, to: &text)
            text += "," + jsonString(string) + "]"
        case .vector(let elements):
            text += "\"vector\",\"result\":["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                text += "{\"metric\":" + metric(element.labels) + ",\"value\":"
                appendPoint(element.time, element.value, to: &text)
                text += "}"
            }
            text += "]"
        case .matrix(let series):
            text.reserveCapacity(series.reduce(0) { $0 + $1.samples.count } * 28 + 64)
            text += "\"matrix\",\"result\":["
            for (index, one) in series.enumerated() {
                if index > 0 { text += "," }
                text += "{\"metric\":" + metric(one.labels) + ",\"values\":["
                for (position, sample) in one.samples.enumerated() {
                    if position > 0 { text += "," }
                    appendPoint(sample.timestamp, sample.value, to: &text)
                }
                text += "]}"
            }
            text += "]"
        }
        return text + "}}"
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
        return (["series,timestamp,value"] + rows(value).map { "\(CSV.field($0.series)),\(seconds($0.time)),\($0.value.goText)" }).joined(separator: "\n") + "\n"
    }
}
