import TraceModel

/// The text of a word-processor document a student hands in for the written answers: Office Open XML (`.docx`,
/// from Word, Google Docs or LibreOffice) and OpenDocument (`.odt`), read from the zip's main part
/// (`word/document.xml`, `content.xml`). Each paragraph becomes a line and a heading paragraph a `#` line, so
/// `WrittenAnswers.parseMarkdown` finds the questions as it does in Markdown. Only the document's own text is
/// read: no DTD, no external entity, nothing but the five predefined entities and character references.
public enum DocumentText {
    /// The kind a file name says (`.docx`, `.odt`, any case); nil for other names.
    public static func kind(ofName name: String) -> Kind? {
        let lower = name.lowercased()
        if lower.hasSuffix(".docx") { return .officeOpenXML }
        if lower.hasSuffix(".odt") { return .openDocument }
        return nil
    }

    /// Office Open XML (`.docx`) or OpenDocument text (`.odt`).
    public enum Kind: Sendable {
        case officeOpenXML, openDocument

        /// The zip entry holding the body.
        var part: String { self == .officeOpenXML ? "word/document.xml" : "content.xml" }
    }

    /// A document's parts are read under these limits: images and fonts past them are skipped, not needed.
    static let limits: SubmissionArchive.Limits = {
        var limits = SubmissionArchive.Limits()
        limits.maximumEntryBytes = 16 << 20
        limits.maximumEntries = 10_000
        return limits
    }()

    /// The document's text, one line per paragraph; an error names what is missing or broken.
    public static func text(of bytes: [UInt8], kind: Kind, name: String) throws(TraceLabError) -> String {
        let contents = try SubmissionArchive.read(bytes, name: name, limits: limits)
        guard let body = contents.entries.first(where: { $0.path == kind.part }) else {
            let skipped = contents.problems.first { $0.hasPrefix(kind.part + ":") }
            throw TraceLabError(skipped.map { "\(name): \($0)" } ?? "\(name): no \(kind.part) inside; not a \(kind == .officeOpenXML ? ".docx" : ".odt") document")
        }
        return kind == .officeOpenXML ? officeOpenXML(body.bytes) : openDocument(body.bytes)
    }

    /// `w:p` paragraphs; text from `w:t` (deleted text, field codes and the like are elsewhere); `w:tab`, `w:br`.
    /// A paragraph inside another (a text box's) is a line of its own, before the rest of the outer one.
    public static func officeOpenXML(_ xml: [UInt8]) -> String {
        var lines: [String] = []
        var line: [UInt8] = []
        var heading = false
        var outer: [(line: [UInt8], heading: Bool)] = []
        var inText = false
        scan(xml) { item in
            switch item {
            case .open(let name, let attributes, let selfClosing):
                switch name {
                case "w:p":
                    guard !selfClosing else { lines.append(""); return }
                    outer.append((line, heading))
                    line = []
                    heading = false
                case "w:pStyle": heading = heading || isHeadingStyle(attribute("w:val", in: attributes))
                case "w:t": inText = !selfClosing
                case "w:tab": line.append(0x09)
                case "w:br", "w:cr": line.append(0x0A)
                default: break
                }
            case .close(let name):
                if name == "w:t" { inText = false }
                if name == "w:p", let enclosing = outer.popLast() {
                    lines.append((heading ? "# " : "") + String(decoding: line, as: UTF8.self))
                    (line, heading) = enclosing
                }
            case .text(let bytes):
                if inText { line += bytes }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `text:p` and `text:h` (headings) paragraphs, their spans and links included; runs of white space are one
    /// space (ODF's rule), `text:s` spaces, `text:tab`, `text:line-break`.
    public static func openDocument(_ xml: [UInt8]) -> String {
        var lines: [String] = []
        var line: [UInt8] = []
        var depth = 0
        var heading = false
        scan(xml) { item in
            switch item {
            case .open(let name, let attributes, let selfClosing):
                switch name {
                case "text:p", "text:h":
                    guard !selfClosing else { if depth == 0 { lines.append("") }; return }
                    if depth == 0 { line = []; heading = name == "text:h" }
                    depth += 1
                case "text:s" where depth > 0:
                    let count = min(100, Int(attribute("text:c", in: attributes) ?? "1") ?? 1)
                    line += [UInt8](repeating: 0x20, count: max(1, count))
                case "text:tab" where depth > 0: line.append(0x09)
                case "text:line-break" where depth > 0: line.append(0x0A)
                default: break
                }
            case .close(let name):
                guard name == "text:p" || name == "text:h", depth > 0 else { return }
                depth -= 1
                if depth == 0 { lines.append((heading ? "# " : "") + String(decoding: line, as: UTF8.self)); line = [] }
            case .text(let bytes):
                guard depth > 0 else { return }
                for byte in bytes {
                    let blank = byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
                    if blank { if line.last != 0x20 { line.append(0x20) } } else { line.append(byte) }
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Heading styles as Word, LibreOffice, Google Docs and pandoc name them (`Heading1`, `Heading 2`, `Title`).
    private static func isHeadingStyle(_ style: String?) -> Bool {
        guard let style = style?.lowercased() else { return false }
        return style.hasPrefix("heading") || style == "title"
    }

    enum Item {
        case open(name: String, attributes: ArraySlice<UInt8>, selfClosing: Bool)
        case close(name: String)
        case text([UInt8])
    }

    /// Walks the XML's tags and character data (entities decoded); comments, processing instructions, CDATA markers
    /// and declarations are skipped. Malformed input ends the walk where it stops making sense, never loops.
    static func scan(_ xml: [UInt8], _ visit: (Item) -> Void) {
        var index = 0
        while index < xml.count {
            if xml[index] != UInt8(ascii: "<") {
                let end = xml[index...].firstIndex(of: UInt8(ascii: "<")) ?? xml.count
                visit(.text(decodeEntities(xml[index..<end])))
                index = end
                continue
            }
            if xml[index...].starts(with: commentOpen) {
                guard let close = find(commentClose, in: xml, from: index + 4) else { return }
                index = close + 3
                continue
            }
            if xml[index...].starts(with: cdataOpen) {
                guard let close = find(cdataClose, in: xml, from: index + 9) else { return }
                visit(.text(Array(xml[(index + 9)..<close])))
                index = close + 3
                continue
            }
            // A tag: up to the `>` outside quotes.
            var cursor = index + 1
            var quote: UInt8?
            while cursor < xml.count {
                let byte = xml[cursor]
                if let open = quote { if byte == open { quote = nil } } else if byte == 0x22 || byte == 0x27 { quote = byte } else if byte == UInt8(ascii: ">") { break }
                cursor += 1
            }
            guard cursor < xml.count else { return }
            let tag = xml[(index + 1)..<cursor]
            index = cursor + 1
            guard let first = tag.first, first != UInt8(ascii: "?"), first != UInt8(ascii: "!") else { continue }
            if first == UInt8(ascii: "/") {
                visit(.close(name: String(decoding: tag.dropFirst().prefix { !isBlank($0) }, as: UTF8.self)))
                continue
            }
            let selfClosing = tag.last == UInt8(ascii: "/")
            let body = selfClosing ? tag.dropLast() : tag
            let nameBytes = body.prefix { !isBlank($0) }
            visit(.open(name: String(decoding: nameBytes, as: UTF8.self), attributes: body[nameBytes.endIndex...], selfClosing: selfClosing))
        }
    }

    /// An attribute's value (`name="value"` or `name='value'`), entities decoded.
    static func attribute(_ name: String, in attributes: ArraySlice<UInt8>) -> String? {
        let key = Array(name.utf8)
        var index = attributes.startIndex
        while index < attributes.endIndex {
            while index < attributes.endIndex, isBlank(attributes[index]) { index += 1 }
            let nameEnd = attributes[index...].firstIndex { $0 == UInt8(ascii: "=") || isBlank($0) } ?? attributes.endIndex
            let found = attributes[index..<nameEnd]
            var cursor = nameEnd
            while cursor < attributes.endIndex, isBlank(attributes[cursor]) || attributes[cursor] == UInt8(ascii: "=") { cursor += 1 }
            guard cursor < attributes.endIndex, attributes[cursor] == 0x22 || attributes[cursor] == 0x27 else { return nil }
            let quote = attributes[cursor]
            let valueStart = cursor + 1
            guard let valueEnd = attributes[valueStart...].firstIndex(of: quote) else { return nil }
            if found.elementsEqual(key) { return String(decoding: decodeEntities(attributes[valueStart..<valueEnd]), as: UTF8.self) }
            index = valueEnd + 1
        }
        return nil
    }

    /// The predefined entities and character references; anything else is kept as written.
    static func decodeEntities(_ text: ArraySlice<UInt8>) -> [UInt8] {
        guard text.contains(UInt8(ascii: "&")) else { return Array(text) }
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "&"), let semicolon = text[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                out.append(byte)
                index += 1
                continue
            }
            let entity = String(decoding: text[(index + 1)..<semicolon], as: UTF8.self)
            var replacement: [UInt8]?
            switch entity {
            case "lt": replacement = [UInt8(ascii: "<")]
            case "gt": replacement = [UInt8(ascii: ">")]
            case "amp": replacement = [UInt8(ascii: "&")]
            case "quot": replacement = [0x22]
            case "apos": replacement = [0x27]
            default:
                var code: UInt32?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") { code = UInt32(entity.dropFirst(2), radix: 16) } else if entity.hasPrefix("#") { code = UInt32(entity.dropFirst()) }
                if let code, let scalar = Unicode.Scalar(code) { replacement = Array(String(Character(scalar)).utf8) }
            }
            if let replacement {
                out += replacement
                index = semicolon + 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    private static let commentOpen = Array("<!--".utf8), commentClose = Array("-->".utf8)
    private static let cdataOpen = Array("<![CDATA[".utf8), cdataClose = Array("]]>".utf8)

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard start <= bytes.count, needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
