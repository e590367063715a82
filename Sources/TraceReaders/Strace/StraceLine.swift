import TraceModel

/// One line of `strace -f -ttt -yy -s N -v` output, split into its parts.
enum StraceLine: Equatable {
    /// `name(args) = result` (or a resumed call completed with its saved arguments).
    case call(pid: Int64, time: UInt64, name: String, arguments: String, result: String)
    /// `name(args <unfinished ...>`
    case unfinished(pid: Int64, time: UInt64, name: String, arguments: String)
    /// `<... name resumed>rest) = result`
    case resumed(pid: Int64, time: UInt64, name: String, rest: String)
    /// `--- SIGCHLD {si_signo=SIGCHLD, ...} ---`
    case signal(pid: Int64, time: UInt64, name: String, details: String)
    /// `+++ exited with 0 +++` or `+++ killed by SIGKILL +++`
    case exit(pid: Int64, time: UInt64, code: Int64?, signal: String?)

    /// Parses a line; nil when it is not strace output (another tool's line, a cut line).
    static func parse(_ text: Substring) -> StraceLine? {
        var rest = text[...]
        func takeInteger() -> Int64? {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            return value
        }
        func skipSpaces() { rest = rest.drop { $0 == " " } }
        // Optional "[pid  123] " prefix (strace without -o FILE) or "123  " (strace -f -o FILE).
        var pid: Int64 = 0
        if rest.hasPrefix("[pid") {
            rest = rest.dropFirst(4)
            skipSpaces()
            guard let value = takeInteger(), rest.hasPrefix("]") else { return nil }
            pid = value
            rest = rest.dropFirst()
            skipSpaces()
        }
        // pid (with -f) then the -ttt timestamp; a line with only a timestamp has pid 0.
        let first = rest.prefix { $0 != " " }
        if !first.contains("."), let value = Int64(first) {
            pid = value
            rest = rest.dropFirst(first.count)
            skipSpaces()
        }
        let stamp = rest.prefix { $0 != " " }
        let parts = stamp.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let seconds = UInt64(parts[0]), parts[1].count <= 9, !parts[1].isEmpty,
              let fraction = UInt64(parts[1]) else { return nil }
        var scale: UInt64 = 1
        for _ in 0..<(9 - parts[1].count) { scale *= 10 }
        let time = seconds * 1_000_000_000 + fraction * scale
        rest = rest.dropFirst(stamp.count)
        skipSpaces()
        if rest.hasPrefix("--- ") {
            let body = rest.dropFirst(4)
            let name = body.prefix { $0 != " " }
            var details = body.dropFirst(name.count)
            if details.hasSuffix(" ---") { details = details.dropLast(4) }
            return .signal(pid: pid, time: time, name: String(name), details: String(details.drop { $0 == " " }))
        }
        if rest.hasPrefix("+++ ") {
            if let range = rest.firstRange(of: "exited with ") {
                let code = Int64(rest[range.upperBound...].prefix { $0.isNumber || $0 == "-" })
                return .exit(pid: pid, time: time, code: code, signal: nil)
            }
            if let range = rest.firstRange(of: "killed by ") {
                return .exit(pid: pid, time: time, code: nil, signal: String(rest[range.upperBound...].prefix { $0 != " " }))
            }
            return nil
        }
        if rest.hasPrefix("<... ") {
            let body = rest.dropFirst(5)
            let name = body.prefix { $0 != " " }
            guard let close = body.firstRange(of: " resumed>") else { return nil }
            return .resumed(pid: pid, time: time, name: String(name), rest: String(body[close.upperBound...]))
        }
        let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        guard !name.isEmpty, rest.dropFirst(name.count).hasPrefix("(") else { return nil }
        let afterName = rest.dropFirst(name.count + 1)
        if afterName.hasSuffix(" <unfinished ...>") {
            return .unfinished(pid: pid, time: time, name: String(name), arguments: String(afterName.dropLast(17)))
        }
        guard let (arguments, result) = splitCall(afterName) else { return nil }
        return .call(pid: pid, time: time, name: String(name), arguments: arguments, result: result)
    }

    /// Splits `args) = result` at the closing parenthesis of the call, outside quotes and brackets.
    static func splitCall(_ text: Substring) -> (String, String)? {
        var previous: Character = " "
        var depth = 0
        var inString = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else {
                switch character {
                case "\"": inString = true
                case "(", "[", "{", "<": depth += 1
                case ">" where previous == "-" || previous == "=": break  // "->" of a socket tuple, "=>" of an in-out value
                case "]", "}", ">": depth -= 1
                case ")":
                    if depth == 0 {
                        let arguments = String(text[text.startIndex..<index])
                        var after = text[text.index(after: index)...]
                        after = after.drop { $0 == " " }
                        guard after.hasPrefix("=") else { return nil }
                        return (arguments, String(after.dropFirst().drop { $0 == " " }))
                    }
                    depth -= 1
                default: break
                }
            }
            previous = character
            index = text.index(after: index)
        }
        return nil
    }
}

/// Splitting and decoding strace's rendering of arguments and results.
enum StraceSyntax {
    /// Top-level comma-separated arguments (quotes, brackets, braces and `<...>` decorations kept whole).
    static func arguments(_ text: String) -> [Substring] {
        var previous: Character = " "
        var result: [Substring] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
            } else {
                switch character {
                case "\"": inString = true
                case "(", "[", "{", "<": depth += 1
                case ">" where previous == "-" || previous == "=": break
                case ")", "]", "}", ">": depth -= 1
                case "," where depth == 0:
                    result.append(text[start..<index].drop { $0 == " " })
                    start = text.index(after: index)
                default: break
                }
            }
            previous = character
            index = text.index(after: index)
        }
        let last = text[start...].drop { $0 == " " }
        if !last.isEmpty || !result.isEmpty { result.append(last) }
        return result
    }

    /// A C string literal `"..."` (possibly followed by `...` when truncated): its bytes and whether it was cut.
    static func string(_ text: Substring) -> (bytes: [UInt8], truncated: Bool)? {
        guard text.hasPrefix("\"") else { return nil }
        var bytes: [UInt8] = []
        var iterator = text.utf8.dropFirst().makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "\"") {
                var tail: [UInt8] = []
                while let more = iterator.next() { tail.append(more) }
                return (bytes, tail.starts(with: Array("...".utf8)))
            }
            guard byte == UInt8(ascii: "\\"), let escape = iterator.next() else { bytes.append(byte); continue }
            switch escape {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "v"): bytes.append(0x0B)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "x"):
                var value: UInt8 = 0
                for _ in 0..<2 {
                    guard let digit = iterator.next(), let number = Hex.digitValue(digit) else { return nil }
                    value = value << 4 | number
                }
                bytes.append(value)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                // Up to three octal digits; strace writes as few as needed unless a digit follows.
                var value = UInt32(escape - 0x30)
                var lookahead = iterator
                for _ in 0..<2 {
                    guard let digit = lookahead.next(), digit >= 0x30, digit <= 0x37 else { break }
                    value = value * 8 + UInt32(digit - 0x30)
                    iterator = lookahead
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(escape)
            }
        }
        return nil
    }

    /// The text of a string argument (invalid UTF-8 repaired).
    static func text(_ argument: Substring) -> String? {
        string(argument).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// `3</etc/shadow>` → (3, "/etc/shadow"); `AT_FDCWD</tmp>` → (-100, "/tmp"); `3` → (3, nil).
    static func descriptor(_ argument: Substring) -> (number: Int64, decoration: String?)? {
        let head = argument.prefix { $0 != "<" }
        let number: Int64
        if head == "AT_FDCWD" { number = -100 } else if let value = Int64(head) { number = value } else { return nil }
        guard argument.count > head.count else { return (number, nil) }
        let open = argument.index(argument.startIndex, offsetBy: head.count)
        guard let close = matchingAngle(argument, from: open) else { return (number, String(argument[argument.index(after: open)...])) }
        return (number, String(argument[argument.index(after: open)..<close]))
    }

    /// A path decoration without a device suffix: `/dev/pts/1<char 136:1>` → `/dev/pts/1`.
    static func path(ofDecoration decoration: String) -> String {
        if let angle = decoration.firstIndex(of: "<"), decoration.hasSuffix(">") { return String(decoration[..<angle]) }
        return decoration
    }

    /// The return value: number, errno name, and the fd decoration when the result is a descriptor.
    static func result(_ text: String) -> (value: Int64?, errno: String?, decoration: String?) {
        let body = Substring(text)
        if body.hasPrefix("?") { return (nil, nil, nil) }
        if body.hasPrefix("0x") {
            return (UInt64(body.dropFirst(2).prefix { $0.isHexDigit }, radix: 16).map { Int64(bitPattern: $0) }, nil, nil)
        }
        var cursor = body.startIndex
        if cursor < body.endIndex, body[cursor] == "-" { cursor = body.index(after: cursor) }
        while cursor < body.endIndex, body[cursor].isASCII, body[cursor].isNumber { cursor = body.index(after: cursor) }
        guard let value = Int64(body[body.startIndex..<cursor]) else { return (nil, nil, nil) }
        var decoration: String?
        if cursor < body.endIndex, body[cursor] == "<", let end = matchingAngle(body, from: cursor) {
            decoration = String(body[body.index(after: cursor)..<end])
            cursor = body.index(after: end)
        }
        var errno: String?
        if value < 0 {
            let word = body[cursor...].drop { $0 == " " }.prefix { $0 != " " }
            if !word.isEmpty, word.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) { errno = String(word) }
        }
        return (value, errno, decoration)
    }

    /// The index of the `>` closing the `<` at `start` (decorations nest: `</dev/pts/1<char 136:1>>`).
    static func matchingAngle(_ text: Substring, from start: Substring.Index) -> Substring.Index? {
        var depth = 0
        var index = start
        var previous: Character = " "
        while index < text.endIndex {
            if text[index] == "<" { depth += 1 } else if text[index] == ">", previous != "-", previous != "=" {
                depth -= 1
                if depth == 0 { return index }
            }
            previous = text[index]
            index = text.index(after: index)
        }
        return nil
    }
}
