import Foundation
import TraceModel

/// A time-series chart as SVG, for reports: axes with round ticks (UTC times, values with SI prefixes),
/// one line per series in Grafana's classic palette (gaps where points are missing), a legend, and an
/// optional shaded window (the attack). Deterministic: the same series give the same bytes.
public struct SVGChart {
    public var title: String
    public var width = 820
    public var height = 340
    /// Series with their legends, drawn in this order.
    public var series: [(legend: String, samples: [Sample])]
    /// The time range drawn (ms).
    public var from: Int64
    public var to: Int64
    /// The step between points: a gap of more than one and a half steps breaks a line.
    public var step: Int64
    /// A window to shade (ms) and its label.
    public var shaded: (from: Int64, to: Int64, label: String)?
    /// A note under the title (an error, or "no data").
    public var note: String?
    /// The panel's unit (Grafana's `fieldConfig.defaults.unit`), for the axis labels.
    public var unit: String?

    public init(title: String, series: [(legend: String, samples: [Sample])], from: Int64, to: Int64, step: Int64) {
        self.title = title
        self.series = series
        self.from = from
        self.to = to
        self.step = step
    }

    static let palette = ["#7EB26D", "#EAB839", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9", "#705DA0", "#508642", "#CCA300", "#447EBC", "#C15C17"]

    public var svg: String {
        let left = 70.0, right = Double(width) - 20, top = 40.0
        let legendRows = min(series.count, 8)
        let bottom = Double(height) - 36 - Double(legendRows) * 16
        let values = series.flatMap { $0.samples.map(\.value) }.filter { $0.isFinite }
        var low = min(0, values.min() ?? 0), high = values.max() ?? 1
        if high <= low { high = low + 1 }
        let ticks = Self.niceTicks(low, high, count: 5)
        low = min(low, ticks.first ?? low)
        high = max(high, ticks.last ?? high)
        let span = Double(max(1, to - from))
        func x(_ time: Int64) -> Double { left + (right - left) * Double(time - from) / span }
        func y(_ value: Double) -> Double { bottom - (bottom - top) * (value - low) / (high - low) }
        func f(_ number: Double) -> String { String(format: "%.1f", number) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"18\" font-size=\"14\" font-weight=\"bold\">\(Markup.escape(title))</text>\n"
        if let note { out += "<text x=\"\(f(left))\" y=\"32\" fill=\"#a00\">\(Markup.escape(note))</text>\n" }
        if let shaded, shaded.to > from, shaded.from < to {
            let x0 = x(max(from, shaded.from)), x1 = x(min(to, shaded.to))
            out += "<rect x=\"\(f(x0))\" y=\"\(f(top))\" width=\"\(f(max(1, x1 - x0)))\" height=\"\(f(bottom - top))\" fill=\"#F2495C\" fill-opacity=\"0.12\"/>\n"
            out += "<text x=\"\(f(x0 + 3))\" y=\"\(f(top + 12))\" fill=\"#C4162A\">\(Markup.escape(shaded.label))</text>\n"
        }
        for tick in ticks {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\" fill=\"#555\">\(Markup.escape(unit == nil ? Self.si(tick) : GrafanaUnit.format(tick, unit: unit)))</text>\n"
        }
        for tick in Self.timeTicks(from, to) {
            out += "<line x1=\"\(f(x(tick)))\" x2=\"\(f(x(tick)))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom + 4))\" stroke=\"#555\"/>\n"
            out += "<text x=\"\(f(x(tick)))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\" fill=\"#555\">\(Self.clock(tick))</text>\n"
        }
        out += "<line x1=\"\(f(left))\" x2=\"\(f(right))\" y1=\"\(f(bottom))\" y2=\"\(f(bottom))\" stroke=\"#555\"/>\n"
        for (index, one) in series.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            var segments: [[Sample]] = []
            for sample in one.samples where sample.value.isFinite {
                if let last = segments.last?.last, sample.timestamp - last.timestamp <= step * 3 / 2 {
                    segments[segments.count - 1].append(sample)
                } else {
                    segments.append([sample])
                }
            }
            for segment in segments {
                if segment.count == 1, let only = segment.first {
                    out += "<circle cx=\"\(f(x(only.timestamp)))\" cy=\"\(f(y(only.value)))\" r=\"1.5\" fill=\"\(color)\"/>\n"
                } else {
                    out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"" + segment.map { "\(f(x($0.timestamp))),\(f(y($0.value)))" }.joined(separator: " ") + "\"/>\n"
                }
            }
        }
        for (index, one) in series.prefix(legendRows).enumerated() {
            let rowY = bottom + 32 + Double(index) * 16
            out += "<rect x=\"\(f(left))\" y=\"\(f(rowY - 9))\" width=\"12\" height=\"4\" fill=\"\(Self.palette[index % Self.palette.count])\"/>\n"
            let text = index == legendRows - 1 && series.count > legendRows ? "\(one.legend) (+\(series.count - legendRows) more)" : one.legend
            out += "<text x=\"\(f(left + 18))\" y=\"\(f(rowY - 4))\">\(Markup.escape(text))</text>\n"
        }
        if series.isEmpty && note == nil { out += "<text x=\"\(f((left + right) / 2))\" y=\"\(f((top + bottom) / 2))\" text-anchor=\"middle\" fill=\"#999\">No data</text>\n" }
        return out + "</svg>\n"
    }

    /// Round ticks (1, 2, 5 × 10ⁿ) covering `low...high`.
    static func niceTicks(_ low: Double, _ high: Double, count: Int) -> [Double] {
        let raw = (high - low) / Double(max(1, count))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var tick = (low / step).rounded(.down) * step
        var ticks: [Double] = []
        while tick <= high + step * 0.5, ticks.count < 20 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    /// Times on round boundaries (10 s ... 1 day), about six across the range.
    static func timeTicks(_ from: Int64, _ to: Int64) -> [Int64] {
        let steps: [Int64] = [10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 86_400_000]
        let step = steps.first { (to - from) / $0 <= 7 } ?? 86_400_000
        var tick = (from + step - 1) / step * step
        var ticks: [Int64] = []
        while tick <= to {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    static func clock(_ milliseconds: Int64) -> String {
        let seconds = (milliseconds / 1000) % 86_400
        return String(format: "%02d:%02d:%02d", Int(seconds / 3600), Int(seconds / 60 % 60), Int(seconds % 60))
    }

    /// A value with an SI prefix: 1.5K, 20M, 0.25.
    public static func si(_ value: Double) -> String {
        let magnitude = abs(value)
        for (scale, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")] where magnitude >= scale {
            return Self.trim(value / scale) + suffix
        }
        return trim(value)
    }

    static func trim(_ value: Double) -> String {
        var text = String(format: "%.3g", value)
        if text.contains("."), !text.contains("e") { while text.hasSuffix("0") { text.removeLast() }; if text.hasSuffix(".") { text.removeLast() } }
        return text == "-0" ? "0" : text
    }
}
