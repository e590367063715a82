/// Values written with a panel's unit the way Grafana's value formats write them: the scaling and suffixes of
/// `bytes` (1024-based: KiB, MiB), `decbytes`, `bps`, `Bps`, `pps` (SI prefixes: k, M, G), `short` (K, Mil,
/// Bil), `percent`, `percentunit`, `s` and `ms` (ms, s, min, hour, day), and the count units (`reqps`,
/// `ops`, `cps`, `iops`). Decimals: three significant digits (Grafana picks them from the axis's tick size).
/// An unknown unit is written as a plain number followed by it (Grafana's custom units do the same).
public enum GrafanaUnit {
    public static func format(_ value: Double, unit: String?) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        switch unit ?? "short" {
        case "none", "": return number(value)
        case "short": return scaled(value, base: 1000, suffixes: ["", " K", " Mil", " Bil", " Tri", " Quadr"])
        case "percent": return number(value) + "%"
        case "percentunit": return number(value * 100) + "%"
        case "bytes": return binary(value, "B")
        case "bits": return binary(value, "b")
        case "binBps": return binary(value, "B/s")
        case "decbytes": return si(value, "B")
        case "decbits": return si(value, "b")
        case "bps": return si(value, "bps")
        case "Bps": return si(value, "B/s")
        case "pps": return si(value, "p/s")
        case "hertz": return si(value, "Hz")
        case "reqps": return count(value, "req/s")
        case "ops": return count(value, "ops/s")
        case "cps": return count(value, "c/s")
        case "iops": return count(value, "io/s")
        case "s": return seconds(value)
        case "ms": return abs(value) < 1000 ? number(value) + " ms" : seconds(value / 1000)
        case "celsius": return number(value) + "°C"
        case let other: return number(value) + " " + other
        }
    }

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
