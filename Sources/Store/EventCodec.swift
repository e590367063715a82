import TraceModel

/// The compact binary form of an event's parameters stored in `events.params`: a count, then per
/// parameter its name, its raw number (zigzag varint) and its text unless the text is just the number,
/// and its bytes for buffers. Decoding needs no parsing and allocates only for long strings.
public enum EventCodec {
    private static let hasRaw: UInt8 = 1
    private static let hasBytes: UInt8 = 2
    private static let textIsRaw: UInt8 = 4

    public static func encode(_ params: [Param], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        appendVarint(UInt64(params.count), to: &out)
        for param in params {
            appendVarint(UInt64(param.name.utf8.count), to: &out)
            out.append(contentsOf: param.name.utf8)
            var flags: UInt8 = 0
            if param.raw != nil { flags |= hasRaw }
            if param.bytes != nil { flags |= hasBytes }
            if let raw = param.raw, param.isPlainNumber || textIsDecimal(param.text, raw) { flags |= textIsRaw }
            out.append(flags)
            if let raw = param.raw { appendVarint(UInt64(bitPattern: (raw << 1) ^ (raw >> 63)), to: &out) }
            if flags & textIsRaw == 0 {
                appendVarint(UInt64(param.text.utf8.count), to: &out)
                out.append(contentsOf: param.text.utf8)
            }
            if let bytes = param.bytes {
                appendVarint(UInt64(bytes.count), to: &out)
                out.append(contentsOf: bytes)
            }
        }
    }

    /// Decodes parameters; nil when the bytes are not a valid encoding.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> [Param]? {
        var cursor = 0
        guard let count = readVarint(bytes, &cursor), count < 1 << 16 else { return nil }
        var params: [Param] = []
        params.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let name = readString(bytes, &cursor), cursor < bytes.count else { return nil }
            let flags = bytes[cursor]
            cursor += 1
            var raw: Int64?
            if flags & hasRaw != 0 {
                guard let zigzag = readVarint(bytes, &cursor) else { return nil }
                raw = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
            }
            var text: String?
            if flags & textIsRaw == 0 || raw == nil {
                guard let decoded = readString(bytes, &cursor) else { return nil }
                text = decoded
            }
            var data: [UInt8]?
            if flags & hasBytes != 0 {
                guard let length = readLength(bytes, &cursor) else { return nil }
                data = Array(UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + length)]))
                cursor += length
            }
            if let text {
                params.append(Param(name: name, text: text, raw: raw, bytes: data))
            } else if let raw {
                var param = Param.number(name, raw)
                param.bytes = data
                params.append(param)
            }
        }
        return params
    }

    /// True when `text` is exactly the decimal form of `value` (checked without allocating).
    static func textIsDecimal(_ text: String, _ value: Int64) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits -> Bool in
            var count = 0
            var magnitude = value.magnitude
            repeat {
                digits[19 - count] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            } while magnitude > 0
            let utf8 = text.utf8
            guard utf8.count == count + (value < 0 ? 1 : 0) else { return false }
            var index = utf8.startIndex
            if value < 0 {
                guard utf8[index] == UInt8(ascii: "-") else { return false }
                index = utf8.index(after: index)
            }
            for position in (20 - count)..<20 {
                guard utf8[index] == digits[position] else { return false }
                index = utf8.index(after: index)
            }
            return true
        }
    }

    @inline(__always)
    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var remaining = value
        while remaining >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        out.append(UInt8(remaining))
    }

    @inline(__always)
    private static func readVarint(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while cursor < bytes.count, shift < 64 {
            let byte = bytes[cursor]
            cursor += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }

    @inline(__always)
    private static func readString(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) -> String? {
        guard let length = readLength(bytes, &cursor) else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + length)]), as: UTF8.self)
        cursor += length
        return text
    }

    /// A varint length that fits in the bytes left after it (nil for any other, however large).
    private static func readLength(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) -> Int? {
        guard let length = readVarint(bytes, &cursor), length <= UInt64(bytes.count - cursor) else { return nil }
        return Int(length)
    }

    /// True when the bytes are a valid encoding: `decode` will succeed on them. Checked without building
    /// anything, so readers can check every row and decode only the parameters a field asks for.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var cursor = 0
        guard let count = readVarint(bytes, &cursor), count < 1 << 16 else { return false }
        for _ in 0..<count {
            guard let name = readLength(bytes, &cursor) else { return false }
            cursor += name
            guard cursor < bytes.count else { return false }
            let flags = bytes[cursor]
            cursor += 1
            if flags & hasRaw != 0, readVarint(bytes, &cursor) == nil { return false }
            if flags & textIsRaw == 0 || flags & hasRaw == 0 {
                guard let text = readLength(bytes, &cursor) else { return false }
                cursor += text
            }
            if flags & hasBytes != 0 {
                guard let data = readLength(bytes, &cursor) else { return false }
                cursor += data
            }
        }
        return true
    }
}
