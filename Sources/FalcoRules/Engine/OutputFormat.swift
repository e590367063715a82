import TraceModel

/// A compiled output format: literal text and `%field` tokens resolved to extractors once.
public struct OutputFormat: Sendable {
    enum Segment: Sendable {
        case text(String)
        case field(key: String, extractor: Extractor, width: Int?)
    }

    let segments: [Segment]
    /// The `%field` keys in order of first appearance.
    public let fieldKeys: [String]

    /// Compiles a format. Throws `unknown filter: ...`-style messages for unknown fields, as Falco does.
    public init(_ format: String, catalog: FieldCatalog = .standard) throws(ConditionCompileError) {
        var segments: [Segment] = []
        var keys: [String] = []
        var literal = ""
        let characters = Array(format.unicodeScalars)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "%" else {
                literal.unicodeScalars.append(character)
                index += 1
                continue
            }
            index += 1
            guard index < characters.count else {
                throw ConditionCompileError(message: "invalid formatting token: formatting cannot end with a %", position: ConditionPosition(index: index))
            }
            var width: Int?
            var digits = ""
            while index < characters.count, characters[index].properties.numericType != nil, characters[index].isASCII {
                digits.unicodeScalars.append(characters[index])
                index += 1
            }
            if !digits.isEmpty { width = Int(digits) }
            let (token, length) = OutputFormat.longestField(characters, from: index, catalog: catalog)
            guard let token else {
                let token = String(String.UnicodeScalarView(characters[index...].prefix { !$0.properties.isWhitespace }.prefix(60)))
                throw ConditionCompileError(message: "invalid formatting token \(token)", position: ConditionPosition(index: index))
            }
            if !literal.isEmpty { segments.append(.text(literal)); literal = "" }
            let extractor = OutputFormat.sanitizedFields.contains(token.key) ? OutputFormat.printable(token.extractor) : token.extractor
            segments.append(.field(key: token.key, extractor: extractor, width: width))
            if !keys.contains(token.key) { keys.append(token.key) }
            index += length
        }
        if !literal.isEmpty { segments.append(.text(literal)) }
        self.segments = segments
        self.fieldKeys = keys
    }

    /// The fields libsinsp 0.29's formatter prints without control characters (its sanitize_string runs on fd
    /// names, directories and file names; conditions compare them as they are). A socket path from a capture's fd
    /// list can end in the newline /proc/net/unix gave it. (falcosecurity/libs 06db7c557, 2026, dropped these calls.)
    static let sanitizedFields: Set<String> = ["fd.name", "fd.directory", "fd.filename", "fd.containername", "fd.containerdirectory"]

    /// A string extractor whose values lose their ASCII control characters.
    static func printable(_ extractor: Extractor) -> Extractor {
        guard case .string(let get) = extractor else { return extractor }
        return .string { event in get(event).map(\.withoutControlCharacters) }
    }

    /// The longest prefix at `start` that compiles as a field, a field with argument, or a transformer.
    private static func longestField(_ characters: [Unicode.Scalar], from start: Int,
                                     catalog: FieldCatalog) -> ((key: String, extractor: Extractor)?, Int) {
        var end = start
        var depth = 0
        var candidates: [Int] = []
        while end < characters.count {
            let character = characters[end]
            if character == "(" { depth += 1 } else if character == ")" {
                if depth == 0 { break }
                depth -= 1
                end += 1
                if depth == 0 { candidates.append(end) }
                continue
            } else if character == "[" {
                guard let close = characters[end...].firstIndex(of: "]") else { break }
                end = close + 1
                candidates.append(end)
                continue
            } else if depth == 0, !(character.properties.isAlphabetic && character.isASCII || character.properties.numericType != nil || character == "_" || character == "." || character == "-") {
                break
            }
            end += 1
            if depth == 0 { candidates.append(end) }
        }
        let compiler = ConditionCompiler(catalog: catalog)
        for candidate in candidates.reversed() {
            let text = String(String.UnicodeScalarView(characters[start..<candidate]))
            guard let node = try? ConditionParser.parse(text + " exists"), case .unary(let operand, _, _) = node,
                  let (_, extractor) = try? compiler.resolve(operand) else { continue }
            return ((text, extractor), candidate - start)
        }
        return (nil, 0)
    }

    /// Renders the message; missing values print as `<NA>` (Falco's `*` prefix behaviour).
    public func render(_ event: Event) -> String {
        render(event, requireAll: false) ?? ""
    }

    /// Renders the message, or nil when `requireAll` and a field has no value: sysdig skips such events
    /// unless its `-p` format starts with `*`.
    public func render(_ event: Event, requireAll: Bool) -> String? {
        var out = ""
        for segment in segments {
            switch segment {
            case .text(let text): out += text
            case .field(_, let extractor, let width):
                let extracted = extractor.render(event)
                if requireAll && extracted == nil { return nil }
                var value = extracted ?? "<NA>"
                if let width {
                    if value.count > width { value = String(value.prefix(width)) } else { value += String(repeating: " ", count: width - value.count) }
                }
                out += value
            }
        }
        return out
    }

    /// Each `%field` with its typed value, for JSON `output_fields`.
    public func fields(_ event: Event) -> [(key: String, value: OutputValue)] {
        var seen: Set<String> = []
        var result: [(key: String, value: OutputValue)] = []
        for segment in segments {
            if case .field(let key, let extractor, _) = segment, seen.insert(key).inserted {
                result.append((key, extractor.outputValue(event)))
            }
        }
        return result
    }
}
