import TraceModel

/// One line of `strace -f -ttt -yy -s N -v` output, split into its parts.
enum StraceLine: Equatable {
    /// `name(args) = result` (or a resumed call completed with its saved arguments), the arguments split.
    case call(pid: Int64, time: UInt64, name: String, arguments: [Substring], result: String)
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
        let bytes = text.utf8
        var cursor = bytes.startIndex
        func peek(_ offset: Int = 0) -> UInt8? {
            guard let index = bytes.index(cursor, offsetBy: offset, limitedBy: bytes.endIndex), index < bytes.endIndex else { return nil }
            return bytes[index]
        }
        func skipSpaces() { while peek() == 0x20 { cursor = bytes.index(after: cursor) } }
        /// A run of digits; nil when there is none or its value does not fit an Int64 (no pid or time does).
        func number() -> (value: Int64, digits: Int)? {
            var value: Int64 = 0, digits = 0
            while let byte = peek(), byte >= 0x30, byte <= 0x39 {
                let (tens, overflowTens) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowSum) = tens.addingReportingOverflow(Int64(byte - 0x30))
                guard !overflowTens, !overflowSum else { return nil }
                value = sum
                digits += 1
                cursor = bytes.index(after: cursor)
            }
            return digits > 0 ? (value, digits) : nil
        }
        func startsWith(_ literal: StaticString) -> Bool {
            var index = cursor
            for offset in 0..<literal.utf8CodeUnitCount {
                guard index < bytes.endIndex, bytes[index] == literal.utf8Start[offset] else { return false }
                index = bytes.index(after: index)
            }
            return true
        }
        func advance(_ count: Int) { cursor = bytes.index(cursor, offsetBy: count) }
        var pid: Int64 = 0
        if startsWith("[pid") {
            advance(4)
            skipSpaces()
            guard let value = number(), peek() == UInt8(ascii: "]") else { return nil }
            pid = value.value
            advance(1)
            skipSpaces()
        }
        // "PID  SECONDS.MICROS" (strace -f -o FILE) or just "SECONDS.MICROS".
        guard let first = number() else { return nil }
        var seconds = first.value
        if peek() == 0x20 {
            pid = first.value
            skipSpaces()
            guard let stamp = number() else { return nil }
            seconds = stamp.value
        }
        guard peek() == UInt8(ascii: ".") else { return nil }
        advance(1)
        guard let fraction = number(), fraction.digits <= 9 else { return nil }
        var scale: UInt64 = 1
        for _ in 0..<(9 - fraction.digits) { scale *= 10 }
        // A time past 2554 (UInt64 nanoseconds) is no strace clock.
        let (whole, overflowWhole) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (time, overflowTime) = whole.addingReportingOverflow(UInt64(fraction.value) * scale)
        guard !overflowWhole, !overflowTime else { return nil }
        guard peek() == 0x20 else { return nil }
        skipSpaces()
        let rest = text[cursor...]
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
        var nameEnd = cursor
        while nameEnd < bytes.endIndex {
            let byte = bytes[nameEnd]
            guard (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || (byte >= 0x41 && byte <= 0x5A) else { break }
            nameEnd = bytes.index(after: nameEnd)
        }
        guard nameEnd > cursor, nameEnd < bytes.endIndex, bytes[nameEnd] == UInt8(ascii: "(") else { return nil }
        let name = String(text[cursor..<nameEnd])
        let afterName = text[bytes.index(after: nameEnd)...]
        if afterName.hasSuffix(" <unfinished ...>") {
            return .unfinished(pid: pid, time: time, name: name, arguments: String(afterName.dropLast(17)))
        }
        guard let (arguments, result) = splitCallArguments(afterName) else { return nil }
        return .call(pid: pid, time: time, name: name, arguments: arguments, result: result)
    }

    /// Splits `args) = result` into the arguments and the result in one pass over the bytes.
    static func splitCallArguments(_ text: Substring) -> ([Substring], String)? {
        let bytes = text.utf8
        let marks: (close: Int, commas: [Int])? = bytes.withContiguousStorageIfAvailable { StraceSyntax.scanCall($0) } ?? nil
        guard let marks else { return nil }
        var arguments: [Substring] = []
        var start = 0
        func slice(_ from: Int, _ to: Int) -> Substring {
            var lower = from
            while lower < to, bytes[bytes.index(bytes.startIndex, offsetBy: lower)] == 0x20 { lower += 1 }
            return text[bytes.index(bytes.startIndex, offsetBy: lower)..<bytes.index(bytes.startIndex, offsetBy: to)]
        }
        for comma in marks.commas {
            arguments.append(slice(start, comma))
            start = comma + 1
        }
        let last = slice(start, marks.close)
        if !last.isEmpty || !arguments.isEmpty { arguments.append(last) }
        var after = bytes[bytes.index(bytes.startIndex, offsetBy: marks.close + 1)...]
        while after.first == UInt8(ascii: " ") { after = after.dropFirst() }
        guard after.first == UInt8(ascii: "=") else { return nil }
        after = after.dropFirst()
        while after.first == UInt8(ascii: " ") { after = after.dropFirst() }
        return (arguments, String(Substring(after)))
    }

    /// Splits `args) = result` at the closing parenthesis of the call, outside quotes and brackets.
    static func splitCall(_ text: Substring) -> (String, String)? {
        guard let close = StraceSyntax.scan(text.utf8, stopAtCloseParen: true).first else { return nil }
        let arguments = String(text[text.startIndex..<close])
        var after = text.utf8[text.utf8.index(after: close)...]
        while after.first == UInt8(ascii: " ") { after = after.dropFirst() }
        guard after.first == UInt8(ascii: "=") else { return nil }
        after = after.dropFirst()
        while after.first == UInt8(ascii: " ") { after = after.dropFirst() }
        return (arguments, String(Substring(after)))
    }
}

/// Splitting and decoding strace's rendering of arguments and results.
enum StraceSyntax {
    /// Top-level comma-separated arguments (quotes, brackets, braces and `<...>` decorations kept whole).
    static func arguments(_ text: String) -> [Substring] {
        let commas = scan(text[...].utf8, stopAtCloseParen: false)
        var result: [Substring] = []
        var start = text.startIndex
        for comma in commas {
            result.append(trimLeadingSpaces(text[start..<comma]))
            start = text.utf8.index(after: comma)
        }
        let last = trimLeadingSpaces(text[start...])
        if !last.isEmpty || !result.isEmpty { result.append(last) }
        return result
    }

    private static func trimLeadingSpaces(_ text: Substring) -> Substring {
        var index = text.startIndex
        while index < text.endIndex, text.utf8[index] == UInt8(ascii: " ") { index = text.utf8.index(after: index) }
        return text[index...]
    }

    /// Walks bytes outside quoted strings and nested brackets: with `stopAtCloseParen`, returns the index of
    /// the `)` that closes the call; otherwise the indices of top-level commas. `->` and `=>` are arrows,
    /// not closing angles.
    static func scan(_ bytes: Substring.UTF8View, stopAtCloseParen: Bool) -> [Substring.Index] {
        let offsets: [Int]? = bytes.withContiguousStorageIfAvailable { buffer in scanOffsets(buffer, stopAtCloseParen: stopAtCloseParen) }
        let found = offsets ?? Array(bytes).withUnsafeBufferPointer { scanOffsets($0, stopAtCloseParen: stopAtCloseParen) }
        return found.map { bytes.index(bytes.startIndex, offsetBy: $0) }
    }

    /// The closing parenthesis of a call and the top-level commas before it, in one pass.
    static func scanCall(_ buffer: UnsafeBufferPointer<UInt8>) -> (close: Int, commas: [Int])? {
        var commas: [Int] = []
        let offsets = scanOffsets(buffer, stopAtCloseParen: true, commas: &commas)
        return offsets.first.map { ($0, commas) }
    }

    private static func scanOffsets(_ buffer: UnsafeBufferPointer<UInt8>, stopAtCloseParen: Bool) -> [Int] {
        var unused: [Int] = []
        return scanOffsets(buffer, stopAtCloseParen: stopAtCloseParen, commas: &unused)
    }

    private static func scanOffsets(_ buffer: UnsafeBufferPointer<UInt8>, stopAtCloseParen: Bool, commas: inout [Int]) -> [Int] {
        var found: [Int] = []
        var depth = 0
        var inString = false
        var escaped = false
        var previous: UInt8 = 0
        var index = 0
        let count = buffer.count
        while index < count {
            let byte = buffer[index]
            if inString {
                if escaped {
                    escaped = false
                } else {
                    // Skip the plain run of the string at once.
                    while index < count, buffer[index] != 0x5C, buffer[index] != 0x22 { index += 1 }
                    guard index < count else { break }
                    if buffer[index] == 0x5C { escaped = true } else { inString = false }
                }
                previous = buffer[index]
                index += 1
                continue
            }
            switch byte {
            case 0x22: inString = true
            case 0x28, 0x5B, 0x7B, 0x3C: depth += 1  // ( [ { <
            case 0x3E where previous == 0x2D || previous == 0x3D: break  // -> =>
            case 0x29 where depth == 0 && stopAtCloseParen: return [index]
            case 0x29, 0x5D, 0x7D, 0x3E: depth -= 1  // ) ] } >
            case 0x2C where depth == 0:
                if stopAtCloseParen { commas.append(index) } else { found.append(index) }
            default: break
            }
            previous = byte
            index += 1
        }
        return stopAtCloseParen ? [] : found
    }

    /// A C string literal `"..."` (possibly followed by `...` when truncated): its bytes and whether it was cut.
    static func string(_ text: Substring) -> (bytes: [UInt8], truncated: Bool)? {
        guard text.hasPrefix("\"") else { return nil }
        let decoded: (bytes: [UInt8], truncated: Bool)?? = text.utf8.withContiguousStorageIfAvailable { buffer in decodeString(buffer) }
        if let decoded { return decoded }
        return Array(text.utf8).withUnsafeBufferPointer { decodeString($0) }
    }

    private static func decodeString(_ buffer: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], truncated: Bool)? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(buffer.count)
        var index = 1
        let count = buffer.count
        while index < count {
            // Copy the plain run up to the next quote or backslash at once.
            let runStart = index
            while index < count, buffer[index] != 0x22, buffer[index] != 0x5C { index += 1 }
            if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[runStart..<index])) }
            guard index < count else { return nil }
            if buffer[index] == 0x22 {
                let tail = UnsafeBufferPointer(rebasing: buffer[(index + 1)...])
                return (bytes, tail.starts(with: [0x2E, 0x2E, 0x2E]))
            }
            index += 1
            guard index < count else { return nil }
            let escape = buffer[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "v"): bytes.append(0x0B)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "x"):
                guard index + 1 < count, let high = Hex.digitValue(buffer[index]), let low = Hex.digitValue(buffer[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
                index += 2
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                // Up to three octal digits; strace writes as few as needed unless a digit follows.
                var value = UInt32(escape - 0x30)
                for _ in 0..<2 {
                    guard index < count, buffer[index] >= 0x30, buffer[index] <= 0x37 else { break }
                    value = value * 8 + UInt32(buffer[index] - 0x30)
                    index += 1
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
        var previous: UInt8 = 0
        let bytes = text.utf8
        var index = start
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") { depth += 1 } else if byte == UInt8(ascii: ">"), previous != UInt8(ascii: "-"), previous != UInt8(ascii: "=") {
                depth -= 1
                if depth == 0 { return index }
            }
            previous = byte
            index = bytes.index(after: index)
        }
        return nil
    }
}
