/// Values written with a panel's unit the way Grafana's value formats write them: the scaling and suffixes of
/// `bytes` (1024-based: KiB, MiB), `decbytes`, `bps`, `Bps`, `pps` (SI prefixes: k, M, G), `short` (K, Mil,
/// Bil), `percent`, `percentunit`, `s` and `ms` (ms, s, min, hour, day), and the count units (`reqps`,
/// `ops`, `cps`, `iops`). Decimals: three significant digits (Grafana picks them from the axis's tick size).
/// An unknown unit is written as a plain number followed by it (Grafana's custom units do the same).
public enum GrafanaUnit {
    public static func format(_ value: Double, unit: String?) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        let unit = unit ?? "short"
        if let scale = scales[unit] {
            switch scale {
            case .binary(let suffix): return binary(value, suffix)
            case .si(let suffix): return si(value, suffix)
            case .count(let suffix): return count(value, suffix)
            }
        }
        switch unit {
        case "none", "": return number(value)
        case "short": return scaled(value, base: 1000, suffixes: ["", " K", " Mil", " Bil", " Tri", " Quadr"])
        case "percent": return number(value) + "%"
        case "percentunit": return number(value * 100) + "%"
        case "s": return seconds(value)
        case "ms": return abs(value) < 1000 ? number(value) + " ms" : seconds(value / 1000)
        case "celsius": return number(value) + "°C"
        default: return number(value) + " " + unit
        }
    }

    /// How a scaled unit grows: by 1024 (KiB, MiB), by 1000 with SI prefixes (k, M), or as a count (K, M, B).
    enum Scale { case binary(String), si(String), count(String) }

    static let scales: [String: Scale] = [
        "bytes": .binary("B"), "bits": .binary("b"), "binBps": .binary("B/s"),
        "decbytes": .si("B"), "decbits": .si("b"), "bps": .si("bps"), "Bps": .si("B/s"), "pps": .si("p/s"), "hertz": .si("Hz"),
        "reqps": .count("req/s"), "ops": .count("ops/s"), "cps": .count("c/s"), "iops": .count("io/s"),
    ]

    /// Three significant digits, trailing zeros dropped.
    static func number(_ value: Double) -> String { SVGChart.trim(value) }

    static func scaled(_ value: Double, base: Double, suffixes: [String]) -> String {
        var scaled = value, index = 0
        while abs(scaled) >= base, index < suffixes.count - 1 {
            scaled /= base
            index += 1
        }
        return number(scaled) + suffixes[index]
    }

    static func binary(_ value: Double, _ unit: String) -> String {
        scaled(value, base: 1024, suffixes: ["", "Ki", "Mi", "Gi", "Ti", "Pi"].map { " " + $0 + unit })
    }

    static func si(_ value: Double, _ unit: String) -> String {
        if value != 0, abs(value) < 1 {
            return scaled(value * 1000, base: 1000, suffixes: [" m" + unit])
        }
        return scaled(value, base: 1000, suffixes: ["", "k", "M", "G", "T", "P"].map { " " + $0 + unit })
    }

    static func count(_ value: Double, _ unit: String) -> String {
        scaled(value, base: 1000, suffixes: ["", "K", "M", "B", "T"].map { $0 + " " + unit })
    }

    static func seconds(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude != 0, magnitude < 1 { return number(value * 1000) + " ms" }
        if magnitude < 60 { return number(value) + " s" }
        if magnitude < 3600 { return number(value / 60) + " min" }
        if magnitude < 86_400 { return number(value / 3600) + " hour" }
        if magnitude < 604_800 { return number(value / 86_400) + " day" }
        return number(value / 604_800) + " week"
    }
}
