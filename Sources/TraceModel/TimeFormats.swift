/// Time formats every output uses (alerts, reports, the database, PromQL results), computed without Foundation's
/// locale or time zone: always UTC, so replay output is the same on every machine.

/// Nanoseconds since the epoch as Falco's `evt.time`: `16:17:57.881781397`.
public func formatEventTime(_ ns: UInt64) -> String {
    let (_, time) = civilTime(seconds: Int64(ns / 1_000_000_000))
    return format2(time.hour) + ":" + format2(time.minute) + ":" + format2(time.second) + "." + formatDigits(Int64(ns % 1_000_000_000), 9)
}

/// ISO 8601 time with nanoseconds, Falco's JSON `time` form: `2016-08-04T16:17:57.881781397Z`.
public func formatISOTime(_ ns: UInt64) -> String {
    civilText(seconds: Int64(ns / 1_000_000_000)) + "." + formatDigits(Int64(ns % 1_000_000_000), 9) + "Z"
}

/// `%evt.time.iso8601` in outputs: `2016-08-04T16:17:57.881781397+0000`.
public func formatISOTimeWithOffset(_ ns: UInt64) -> String {
    String(formatISOTime(ns).dropLast()) + "+0000"
}

/// Milliseconds since the epoch (negative ones too) as RFC 3339 with milliseconds: `2026-11-27T11:21:17.628Z`.
public func formatISOTime(milliseconds: Int64) -> String {
    var (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
    if fraction < 0 { seconds -= 1; fraction += 1000 }
    return civilText(seconds: seconds) + "." + formatDigits(fraction, 3) + "Z"
}

private func civilText(seconds: Int64) -> String {
    let (date, time) = civilTime(seconds: seconds)
    return "\(formatDigits(Int64(date.year), 4))-\(format2(date.month))-\(format2(date.day))T\(format2(time.hour)):\(format2(time.minute)):\(format2(time.second))"
}

private func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

private func formatDigits(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// Seconds since the epoch to a UTC civil date and time (Howard Hinnant's days-from-civil inverse).
private func civilTime(seconds totalSeconds: Int64) -> ((year: Int, month: Int, day: Int), (hour: Int, minute: Int, second: Int)) {
    var days = totalSeconds / 86_400
    var secondsOfDay = totalSeconds % 86_400
    if secondsOfDay < 0 { secondsOfDay += 86_400; days -= 1 }
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthPrime = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
    let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    return ((Int(year), Int(month), Int(day)), (Int(secondsOfDay / 3600), Int(secondsOfDay % 3600 / 60), Int(secondsOfDay % 60)))
}
