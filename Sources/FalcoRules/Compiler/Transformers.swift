import TraceModel

/// Falco's field transformers: `tolower`, `toupper`, `b64`, `basename`, `len`, `join`, `concat`, `getopt`.
enum Transformers {
    static func apply(_ name: String, arguments: [TransformerArgument], argument: String?, position: ConditionPosition,
                      compiler: ConditionCompiler) throws(ConditionCompileError) -> (FieldType, Extractor) {
        if argument != nil, name != "getopt" {
            throw ConditionCompileError(message: "filter error: transformer '\(name)' does not support field arguments", position: position)
        }
        switch name {
        case "tolower", "toupper", "b64", "basename", "len":
            guard arguments.count == 1, case .operand(let operand) = arguments[0] else {
                throw ConditionCompileError(message: "filter error: transformer '\(name)' takes exactly one field", position: position)
            }
            let (type, extractor) = try compiler.resolve(operand)
            return try unary(name, type: type, extractor: extractor, position: position)
        case "join":
            guard arguments.count == 2, case .literal(let separator, _) = arguments[0], case .list(let items, _) = arguments[1] else {
                throw ConditionCompileError(message: "filter error: join() takes a quoted separator and a list of values", position: position)
            }
            let parts = try items.map { (item) throws(ConditionCompileError) in try renderer(item, compiler: compiler, position: position) }
            return (.string, .string { event in
                var values: [String] = []
                for part in parts {
                    guard let value = part(event) else { return nil }
                    values.append(value)
                }
                return values.joined(separator: separator)
            })
        case "concat":
            guard arguments.count >= 2 else {
                throw ConditionCompileError(message: "filter error: concat() takes at least two values", position: position)
            }
            let parts = try arguments.map { (item) throws(ConditionCompileError) in try renderer(item, compiler: compiler, position: position) }
            return (.string, .string { event in
                var result = ""
                for part in parts {
                    guard let value = part(event) else { return nil }
                    result += value
                }
                return result
            })
        case "getopt":
            guard arguments.count == 2, case .operand(let operand) = arguments[0], case .literal(let options, _) = arguments[1] else {
                throw ConditionCompileError(message: "filter error: getopt() takes a field and a quoted option string", position: position)
            }
            guard let key = argument else {
                throw ConditionCompileError(message: "filter error: getopt() requires an option argument, e.g. getopt(proc.args, \"nt:\")[t]", position: position)
            }
            let (type, extractor) = try compiler.resolve(operand)
            guard type.isString, case .string(let get) = extractor else {
                throw ConditionCompileError(message: "filter error: getopt() applies to string fields", position: position)
            }
            let spec = GetoptSpec(options)
            return (.string, .string { event in get(event).flatMap { spec.value(of: key, in: $0) } })
        default:
            throw ConditionCompileError(message: "filter error: unknown transformer '\(name)'", position: position)
        }
    }

    private static func unary(_ name: String, type: FieldType, extractor: Extractor,
                              position: ConditionPosition) throws(ConditionCompileError) -> (FieldType, Extractor) {
        func unsupported() -> ConditionCompileError {
            ConditionCompileError(message: "filter error: transformer '\(name)' is not supported on field type \(type.rawValue)", position: position)
        }
        switch name {
        case "len":
            switch extractor {
            case .string(let get): return (.uint64, .number { event in get(event).map { Int64($0.utf8.count) } })
            case .bytes(let get): return (.uint64, .number { event in get(event).map { Int64($0.count) } })
            case .list(let get), .anyString(let get): return (.uint64, .number { event in get(event).map { Int64($0.count) } })
            default: throw unsupported()
            }
        case "b64":
            switch extractor {
            case .string(let get): return (.string, .string { event in get(event).flatMap(base64Decode) })
            case .bytes(let get): return (.string, .string { event in get(event).flatMap { base64Decode(String(decoding: $0, as: UTF8.self)) } })
            default: throw unsupported()
            }
        default:
            let transform: @Sendable (String) -> String
            switch name {
            case "tolower": transform = { String(decoding: $0.utf8.map(Bytes.lower), as: UTF8.self) }
            case "toupper": transform = { String(decoding: $0.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 & ~0x20 : $0 }, as: UTF8.self) }
            default: transform = { value in
                guard let slash = value.utf8.lastIndex(of: UInt8(ascii: "/")) else { return value }
                return String(value[value.utf8.index(after: slash)...])
            }
            }
            switch extractor {
            case .string(let get): return (type, .string { event in get(event).map(transform) })
            case .anyString(let get): return (type, .anyString { event in get(event).map { $0.map(transform) } })
            case .list(let get): return (type, .list { event in get(event).map { $0.map(transform) } })
            default: throw unsupported()
            }
        }
    }

    /// Renders one join/concat part: a quoted literal or an operand's value as text.
    private static func renderer(_ item: TransformerArgument, compiler: ConditionCompiler,
                                 position: ConditionPosition) throws(ConditionCompileError) -> @Sendable (Event) -> String? {
        switch item {
        case .literal(let text, _): return { _ in text }
        case .operand(let operand):
            let (_, extractor) = try compiler.resolve(operand)
            return { extractor.render($0) }
        case .list:
            throw ConditionCompileError(message: "filter error: nested lists are not allowed here", position: position)
        }
    }

    static func base64Decode(_ text: String) -> String? {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, char) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(char)] = UInt8(index)
        }
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for char in text.utf8 {
            if char == UInt8(ascii: "=") { break }
            let value = table[Int(char)]
            guard value != 0xff else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// POSIX getopt over a space-separated argument string: `getopt(proc.args, "nt:")[t]` is the value of
/// `-t`, and an option without value gives an empty string.
struct GetoptSpec: Sendable {
    private var takesValue: [Character: Bool] = [:]

    init(_ spec: String) {
        var characters = Array(spec)
        if characters.first == ":" { characters.removeFirst() }
        var index = 0
        while index < characters.count {
            let option = characters[index]
            let hasValue = index + 1 < characters.count && characters[index + 1] == ":"
            takesValue[option] = hasValue
            index += hasValue ? 2 : 1
        }
    }

    func value(of key: String, in arguments: String) -> String? {
        let words = arguments.split(separator: " ").map(String.init)
        var index = 0
        var found: String?
        while index < words.count {
            let word = words[index]
            guard word.hasPrefix("-"), word.count > 1, word != "--" else { index += 1; continue }
            var characters = Array(word.dropFirst())
            while !characters.isEmpty {
                let option = characters.removeFirst()
                guard let hasValue = takesValue[option] else { continue }
                if hasValue {
                    var value = String(characters)
                    characters.removeAll()
                    if value.isEmpty, index + 1 < words.count {
                        index += 1
                        value = words[index]
                    }
                    if String(option) == key { found = value }
                } else if String(option) == key {
                    found = ""
                }
            }
            index += 1
        }
        return found
    }
}
