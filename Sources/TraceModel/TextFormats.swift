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

    /// Reads RFC 4180 CSV (quoted fields with doubled quotes and line breaks, CRLF or LF, a UTF-8 byte order mark
    /// skipped): each record with the line it starts on. Blank lines are skipped. An unterminated quote, or more
    /// than `maximumRecords` records, is an error at its line and column.
    public static func parse(_ bytes: [UInt8], name: String, maximumRecords: Int = 100_000) throws(TraceLabError) -> [(line: Int, cells: [String])] {
        var records: [(line: Int, cells: [String])] = []
        var cells: [String] = [], cell: [UInt8] = []
        var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1, column = 1, recordLine = 1
        var quoted = false, quoteLine = 0, quoteColumn = 0, sawAny = false
        func endRecord() throws(TraceLabError) {
            cells.append(String(decoding: cell, as: UTF8.self))
            cell = []
            if sawAny || cells.count > 1 || !cells[0].isEmpty {
                guard records.count < maximumRecords else {
                    throw TraceLabError("more than \(maximumRecords) records", at: SourceLocation(file: name, line: line, column: 1))
                }
                records.append((recordLine, cells))
            }
            cells = []
            sawAny = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < bytes.count, bytes[index] == UInt8(ascii: "\"") { cell.append(byte); index += 1; column += 2; continue }
                    quoted = false
                } else {
                    cell.append(byte)
                    if byte == 0x0A { line += 1; column = 0 }
                }
                column += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                quoted = true
                sawAny = true
                quoteLine = line
                quoteColumn = column
            case UInt8(ascii: ","):
                cells.append(String(decoding: cell, as: UTF8.self))
                cell = []
                sawAny = true
            case 0x0D where index < bytes.count && bytes[index] == 0x0A:
                break
            case 0x0A:
                try endRecord()
                line += 1
                column = 0
                recordLine = line
            default:
                cell.append(byte)
            }
            column += 1
        }
        if quoted { throw TraceLabError("a quoted field is never closed", at: SourceLocation(file: name, line: quoteLine, column: quoteColumn)) }
        if !cell.isEmpty || !cells.isEmpty || sawAny { try endRecord() }
        return records
    }
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

extension String {
    /// The text without ASCII control characters (U+0000–U+001F, U+007F), as libsinsp's formatter prints fd names
    /// (its sanitize_string); the text itself when it has none.
    public var withoutControlCharacters: String {
        guard utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }
}

/// Text files as editors save them. YAML readers (yaml-cpp in Falco, go-yaml in Helm) and text tools accept UTF-16
/// with a byte order mark as well as UTF-8; TraceLab reads UTF-8, so such files are transcoded first.
public enum TextEncoding {
    /// The bytes as UTF-8: UTF-16 (little or big endian) with its byte order mark transcoded, anything else as it is.
    public static func utf8(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 2, bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) else { return bytes }
        let little = bytes[0] == 0xFF
        let units = stride(from: 2, to: bytes.count - 1, by: 2).map { index in
            little ? UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8 : UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        }
        return Array(String(decoding: units, as: UTF16.self).utf8)
    }
}
