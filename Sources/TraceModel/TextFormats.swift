import Foundation

/// Escaping for the HTML and SVG the project writes (reports, dashboards, charts): one function, so every page
/// and figure treats student text the same way.
public enum Markup {
    /// Escapes text for HTML or SVG content and for double- or single-quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// CSV as every export writes it: RFC 4180 quoting, and text that a spreadsheet would run as a formula
/// (a cell starting with `=`, `+`, `-`, `@`, tab or carriage return, OWASP's list) kept as text behind an apostrophe.
/// Student-controlled text (rule names, outputs, feedback, label values) reaches these files.
public enum CSV {
    /// One text cell.
    public static func field(_ text: String) -> String {
        var value = text
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One row of text cells, without the line end.
    public static func row(_ cells: [String]) -> String { cells.map(field).joined(separator: ",") }
}

/// A plain text table with aligned columns.
public func textTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}
